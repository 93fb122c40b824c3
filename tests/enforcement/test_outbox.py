"""The webhook outbox against the real HTTP receiver on 127.0.0.1 (SQLite and PostgreSQL): rows written
with the approval, leased claims, a worker killed mid-delivery (SIGKILL) and restarted, every action
delivered with its idempotency key and applied once; the server's loop resumes pending rows."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from recallguard.domain.models import ActionState, DecisionKind, Listing, Match
from recallguard.enforcement.connector import RetryPolicy, WebhookConnector
from recallguard.errors import ConflictError
from recallguard.service.decide import reconcile
from recallguard.service.outbox import OutboxWorker, enqueue, pending_count
from recallguard.store import Store
from recallguard.store.enforcement_tables import DeliveryRow
from tests.enforcement.receivers import webhook_receiver

SECRET = "whsec-outbox-0123456789"
ROOT = Path(__file__).resolve().parents[2]


def _block(store: Store, ids: list[str]) -> list[str]:
    """Block decisions for these listings: approved restrictions, each queued in its transaction."""
    with store.transaction() as uow:
        uow.listings.upsert_many([Listing(i, f"doll stroller {i}") for i in ids])
        for i in ids:
            m = Match(i, "26561", "CPSC", 0.97, DecisionKind.BLOCK, "model BS-100", {}, "test-model")
            reconcile(uow, i, [m], [], "test")
        return [a.action_id for a in uow.actions.list()]


def _rows(store: Store) -> list[DeliveryRow]:
    with store.transaction() as uow:
        rows = list(uow.session.scalars(select(DeliveryRow).order_by(DeliveryRow.created_at)))
        uow.session.expunge_all()
        return rows


def _worker(store: Store, url: str, **kw: object) -> OutboxWorker:
    policy = RetryPolicy(max_attempts=3, base_s=0.05, cap_s=0.1, timeout_s=1.0)
    return OutboxWorker(store, WebhookConnector(SECRET, policy), url, lease_s=3.0, sleep=time.sleep, **kw)  # type: ignore[arg-type]


def test_the_delivery_is_written_with_the_approval_or_not_at_all(store: Store) -> None:
    with pytest.raises(ConflictError), store.transaction() as uow:
        uow.listings.upsert_many([Listing("L1", "x")])
        reconcile(uow, "L1", [Match("L1", "26561", "CPSC", 0.97, DecisionKind.BLOCK, "")], [], "t")
        raise ConflictError("crash before commit")
    assert store.counts()["actions"] == 0 and pending_count(store) == 0
    (aid,) = _block(store, ["L1"])
    (row,) = _rows(store)
    assert (row.action_id, row.status, row.idempotency_key) == (aid, "pending", f"{aid}:action.approved")


def test_worker_delivers_retries_with_one_key_and_dead_letters(store: Store) -> None:
    ids = _block(store, ["L1", "L2"])
    with webhook_receiver(SECRET, ["500"]) as rx:
        done = _worker(store, rx.url).drain()
    assert {d.status for d in done} >= {"delivered"} and pending_count(store) == 0
    assert sorted(rx.applied) == sorted(f"{a}:action.approved" for a in ids)
    assert all(r["valid"] and r["key"] for r in rx.requests) and len(rx.requests) == 3
    with store.transaction() as uow:
        assert {uow.actions.list()[0].state, uow.actions.list()[1].state} == {ActionState.SENT}
    _block(store, ["L3"])
    with webhook_receiver(SECRET, ["500"] * 10) as rx:
        _worker(store, rx.url).drain()
    dead = [r for r in _rows(store) if r.status == "dead"]
    assert len(dead) == 1 and dead[0].attempts == 3 and "HTTP 500" in dead[0].last_error
    with store.transaction() as uow:
        failed = uow.actions.list(ActionState.FAILED)
    assert [a.listing_id for a in failed] == ["L3"]  # still in force at the gate while failed


def test_a_crashed_workers_claim_is_retried_after_its_lease(store: Store) -> None:
    (aid,) = _block(store, ["L1"])
    with webhook_receiver(SECRET) as rx:
        crashed = _worker(store, rx.url, owner="crashed")
        assert len(crashed.claim()) == 1  # … and the process dies before sending
        other = _worker(store, rx.url, owner="other")
        assert other.claim() == []  # leased: nobody else sends it meanwhile
        with store.transaction() as uow:
            row = uow.session.scalars(select(DeliveryRow)).one()
            row.lease_until = row.lease_until.replace(year=2000)  # the lease runs out
        assert [d.status for d in other.run_once()] == ["delivered"]
        assert crashed.send(crashed_delivery(store)) == "lost"  # the old worker can no longer record it
    assert rx.applied == [f"{aid}:action.approved"]


def crashed_delivery(store: Store):  # type: ignore[no-untyped-def]
    from recallguard.service.outbox import _delivery

    return _delivery(_rows(store)[0], "http://127.0.0.1:9/never")


def test_withdrawn_actions_are_cancelled_and_reinstated_ones_get_a_new_key(store: Store) -> None:
    (aid,) = _block(store, ["L1"])
    with store.transaction() as uow:  # the listing no longer matches before the delivery went out
        old = uow.matches.active_for_listings(["L1"])["L1"]
        reconcile(uow, "L1", [], old, "t")
    with webhook_receiver(SECRET) as rx:
        _worker(store, rx.url).drain()
        assert rx.requests == [] and _rows(store)[0].status == "cancelled"
        _block(store, ["L1"])  # it matches again: reinstated, news for the marketplace
        _worker(store, rx.url).drain()
    assert rx.applied == [f"{aid}:action.approved:2"]
    with store.transaction() as uow:  # a resend of a failed action keeps the last key
        a = uow.actions.list()[0]
        assert enqueue(uow, a, resend=True) == f"{aid}:action.approved:2"


def _deliver_process(url: str, db: str, tmp: Path, *extra: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "RECALLGUARD_DATABASE_URL": db,
        "RECALLGUARD_WEBHOOK_URL": url,
        "RECALLGUARD_WEBHOOK_SECRET": SECRET,
        "RECALLGUARD_WEBHOOK_TIMEOUT_S": "2.5",
        "RECALLGUARD_DELIVERY_LEASE_S": "1",  # raised to 2 × timeout + 1 = 6 s by the worker
        "RECALLGUARD_DELIVERY_POLL_S": "0.2",
        "RECALLGUARD_DATA_DIR": str(tmp / "data"),
        "PYTHONPATH": str(ROOT / "src"),
    }
    cmd = [sys.executable, "-m", "recallguard.cli.main", "deliver", *extra]
    return subprocess.Popen(cmd, env=env, cwd=tmp, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_worker_killed_mid_delivery_resumes_after_restart(
    store: Store, store_url: str, tmp_path: Path
) -> None:
    ids = _block(store, ["L1", "L2", "L3"])
    with webhook_receiver(SECRET, ["stall"], stall_s=2.0) as rx:
        first = _deliver_process(rx.url, store_url, tmp_path)
        deadline = time.monotonic() + 60
        while not rx.requests and time.monotonic() < deadline:  # the first POST is in flight, stalled
            time.sleep(0.02)
        first.send_signal(signal.SIGKILL)  # killed mid-delivery: the reply never reaches it
        out, err = first.communicate(timeout=10)
        assert rx.requests, (out, err)
        assert pending_count(store) == 3  # nothing was recorded as delivered
        second = _deliver_process(rx.url, store_url, tmp_path, "--once", "--json")
        out, err = second.communicate(timeout=120)
        assert second.returncode == 0, err
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["pending"] == 0 and summary["delivered"] == 3
    rows = _rows(store)
    assert {r.status for r in rows} == {"delivered"} and {r.action_id for r in rows} == set(ids)
    assert all(r["key"] for r in rx.requests)  # never without its idempotency key
    keys = [f"{a}:action.approved" for a in ids]
    assert sorted(rx.applied) == sorted(keys)  # each applied once, though one was received twice
    assert len(rx.requests) == 4 and sorted({str(r["key"]) for r in rx.requests}) == sorted(keys)
    with store.transaction() as uow:
        assert {a.state for a in uow.actions.list()} == {ActionState.SENT}


def test_the_servers_delivery_loop_resumes_pending_rows(tmp_path: Path, store_url: str) -> None:
    from fastapi.testclient import TestClient

    from tests.api.conftest import make_app, make_settings

    store = Store(store_url)
    ids = _block(store, ["L1", "L2"])  # approved by another process (a CLI scan) before the server runs
    with webhook_receiver(SECRET) as rx:
        settings = make_settings(tmp_path, database_url=store_url, webhook_url=rx.url, webhook_secret=SECRET,
                                 delivery_poll_s=0.1)  # fmt: skip
        app = make_app(settings)
        with TestClient(app):
            deadline = time.monotonic() + 30
            while pending_count(store) and time.monotonic() < deadline:
                time.sleep(0.05)
        app.state.enforcer.close()
    assert pending_count(store) == 0
    assert sorted(rx.applied) == sorted(f"{a}:action.approved" for a in ids)
    store.close()
