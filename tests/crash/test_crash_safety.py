"""kill -9 at random points: nothing lost, nothing duplicated, no action applied twice, the audit chain
intact — on SQLite and on PostgreSQL.

One run per backend drives the real processes in the order an operator would:

1. ``recallguard listings import`` of 1,500 synthetic listings (batches of 100) — killed ROUNDS times;
2. ``recallguard deliver`` runs from here on against a real HTTP receiver that stalls each answer a
   little and fails one in ten with a 500 — killed ROUNDS times, mid-attempt or between attempts;
3. ``recallguard recalls import`` of the 80-recall CPSC sample in 3 files (each import is one
   transaction that also screens the stored listings the new recalls could match) — the first ROUNDS
   files' imports killed while their write transaction is open (the first into no recalls, the second
   with the first file's matches and actions stored);
4. ``recallguard scan`` (batches of 100) — killed ROUNDS times;
5. 300 listing events on a Redis stream, ``recallguard worker`` (batches of 50) — killed ROUNDS times;
6. the deliveries drained, ``recallguard audit verify``.

Then the store is compared with a clean run's (same inputs and steps, no kills): the same recalls,
listings, quarantined records, matches (decision, state, score), actions, fingerprint-bank entries
and listing keys, no natural key twice, every listing at the same scan version; every live action
delivered exactly once in effect (one idempotency key per action, applied once by the receiver,
every signature valid), nothing dead-lettered, nothing left pending; the audit chain verifies.

``RECALLGUARD_CRASH_ROUNDS`` (default 2) and ``RECALLGUARD_CRASH_SEED`` change the faults. Two rounds
per process already hit each kind of kill point (``Harness.marks``): one kill in the first half of
the work as soon as the probe shows the mark (just after a commit, as the next batch starts; for
``deliver`` mostly while the receiver's answer is still outstanding), one in the second half a seeded
moment later (inside a batch, between HTTP attempts); the catalogue's second kill always comes after
its two bad lines were quarantined, so their re-import is exercised. More rounds (e.g.
``RECALLGUARD_CRASH_ROUNDS=5`` for a soak) add seeded variety, not new kinds of kill point.
"""

from __future__ import annotations

import json
import os
import random
import signal
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from tests.crash.conftest import BATCH, HASH_SEED
from tests.crash.harness import Background, Harness
from tests.crash.inputs import CrashInputs
from tests.crash.snapshot import comparable, duplicates, snapshot
from tests.enforcement.receivers import webhook_receiver

pytestmark = [pytest.mark.crash, pytest.mark.redis, pytest.mark.timeout(900)]

ROUNDS = int(os.environ.get("RECALLGUARD_CRASH_ROUNDS", "2"))  # kills per process; see the docstring
SEED = int(os.environ.get("RECALLGUARD_CRASH_SEED", "9"))
SECRET = "crash-harness-webhook-secret-0123456789"
LIVE = ("approved", "sent", "confirmed", "failed")


def _env(tmp: Path, webhook_url: str) -> dict[str, str]:
    return {
        "PYTHONHASHSEED": HASH_SEED,
        "RECALLGUARD_DATA_DIR": str(tmp / "data"),
        "RECALLGUARD_WEBHOOK_URL": webhook_url,
        "RECALLGUARD_WEBHOOK_SECRET": SECRET,
        "RECALLGUARD_WEBHOOK_TIMEOUT_S": "1",
        "RECALLGUARD_WEBHOOK_MAX_ATTEMPTS": "12",
        "RECALLGUARD_DELIVERY_LEASE_S": "3",
        "RECALLGUARD_DELIVERY_POLL_S": "0.2",
    }


def _publish(r: Any, key: str, ins: CrashInputs) -> None:
    from recallguard.scale.events import encode_event

    pipe = r.pipeline(transaction=False)
    for listing in ins.stream_listings():
        pipe.xadd(key, encode_event("create", listing))
    pipe.execute()


def _run_pipeline(h: Harness, ins: CrashInputs, ref: dict[str, Any], rec: Any, redis: Any, key: str) -> None:
    lid_count = "SELECT COUNT(*) FROM listings WHERE listing_id LIKE :p"
    # 1. the catalogue
    t = time.monotonic()
    h.run_with_kills(
        "listings import",
        ["listings", "import", str(ins.catalogue), "--batch-size", str(BATCH["import"])],
        lambda: h.count(lid_count, p="SYN%"),
        len(ins.catalogue_ids),
        ROUNDS,
        jitter_s=0.1,
        ok=(1,),
        label="listings stored",
    )
    h.timings["listings import"], t = time.monotonic() - t, time.monotonic()
    # 2. the delivery worker, from now on
    expected = len([a for a, s in ref["actions"].items() if s in LIVE])
    deliver = Background(
        h,
        "deliver",
        ["deliver"],
        lambda: len(rec.requests),
        expected,
        ROUNDS,
        jitter_s=0.12,
        label="webhooks received",
    )
    deliver.start()
    # 3. the recalls, file by file, the first ROUNDS imports killed once with their write transaction open
    app = "rg-crash-recalls"
    for i, chunk in enumerate(ins.recall_chunks, 1):
        args = ["recalls", "import", str(chunk)]
        before = h.count("SELECT COUNT(*) FROM recalls")
        if i <= ROUNDS:
            p = h.start("recalls import", args, env={"PGAPPNAME": app})
            kill = h.kill_when(
                p, "recalls import", i, lambda: h.writer_active(app), 1, 0.6, "write transaction open"
            )
            if kill is not None:  # what the kill left: all of the file's recalls or none
                stored = h.count("SELECT COUNT(*) FROM recalls") - before
                kill.note = f"{stored} recalls of the file stored after the kill"
        h.wait(h.start("recalls import", args, env={"PGAPPNAME": app}), "recalls import")
    h.timings["recalls import"], t = time.monotonic() - t, time.monotonic()
    # 4. the scan
    (version,) = ref["screened_versions"]
    screened = "SELECT COUNT(*) FROM listings WHERE screened_version = :v"
    h.run_with_kills(
        "scan",
        ["scan", "--batch-size", str(BATCH["scan"])],
        lambda: h.count(screened, v=version),
        len(ins.catalogue_ids),
        ROUNDS,
        jitter_s=1.0,
        label="listings screened",
    )
    h.timings["scan"], t = time.monotonic() - t, time.monotonic()
    # 5. the listing stream
    _publish(redis, key, ins)
    group = "crash"
    worker = Background(
        h,
        "worker",
        f"worker --stream {key} --group {group} --consumer crash-1 --batch-size {BATCH['worker']} "
        "--block-ms 200 --claim-idle-ms 1000".split(),
        lambda: h.count(lid_count, p="STR%"),
        len(ins.stream_ids),
        ROUNDS,
        jitter_s=0.5,
        label="stream listings stored",
        stop_signal=signal.SIGINT,
        ready="worker crash-1: stream",
    )
    worker.start()

    def drained() -> bool:
        info = {g["name"].decode(): g for g in redis.xinfo_groups(key)}.get(group)
        stored = h.count(lid_count, p="STR%") == len(ins.stream_ids)
        return bool(stored and info and info["pending"] == 0 and info.get("lag", 0) == 0)

    worker.finish(drained)
    h.timings["worker"], t = time.monotonic() - t, time.monotonic()
    # 6. every delivery made
    deliver.finish(lambda: h.count("SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'pending'") == 0)
    h.wait(h.start("audit verify", ["audit", "verify"]), "audit verify")
    h.timings["deliveries drained, audit verify"] = time.monotonic() - t


def _check_deliveries(snap: dict[str, Any], rec: Any) -> dict[str, int]:
    """Every live action delivered; one idempotency key per action and event (its approval, and the lift
    of an action ended after its approval went out); each key's effect applied once."""
    assert all(r["valid"] for r in rec.requests), "a webhook with a bad signature"
    by_action: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for d in snap["deliveries"]:
        by_action[d["action_id"]][d["event"]].append(d)
    statuses = {d["status"] for d in snap["deliveries"]}
    assert statuses <= {"delivered", "cancelled"}, f"deliveries left undone: {statuses}"
    delivered_keys = {d["key"] for d in snap["deliveries"] if d["status"] == "delivered"}
    for k, state in snap["actions"].items():
        events = by_action[snap["action_ids"][k]]
        approvals, lifts = events.pop("action.approved", []), events.pop("action.lifted", [])
        assert not events, f"action {k}: unexpected deliveries {dict(events)}"
        assert len(approvals) == 1, f"action {k} queued {len(approvals)} approvals"
        assert len(lifts) <= 1, f"action {k} queued {len(lifts)} lifts"
        if state in LIVE:
            assert state == "sent" and approvals[0]["status"] == "delivered", f"{k}: {state}, {approvals[0]}"
            assert not lifts, f"{k}: a lift for an action in force"
        elif lifts and lifts[0]["status"] == "delivered":  # ended after its approval went out
            assert approvals[0]["status"] == "delivered" or approvals[0]["attempts"] > 0, f"{k}: {events}"
    keys_per_event: dict[tuple[str, str], set[str]] = defaultdict(set)
    for r in rec.requests:
        aid, event = str(r["key"]).split(":")[:2]
        keys_per_event[(aid, event)].add(str(r["key"]))
    assert all(len(v) == 1 for v in keys_per_event.values()), "an event sent under two idempotency keys"
    assert len(rec.applied) == len(set(rec.applied))  # the receiver applies a key's effect once
    assert set(rec.applied) <= {d["key"] for d in snap["deliveries"]}, "a key the outbox never issued"
    assert delivered_keys <= set(rec.applied), "a delivery marked delivered that the marketplace never saw"
    return {
        "requests": len(rec.requests),
        "keys_applied": len(rec.applied),
        "redelivered_same_key": len(rec.requests) - len({r["key"] for r in rec.requests}),
    }


def test_kill_9_loses_and_duplicates_nothing(
    empty_database_url: str,
    crash_inputs: CrashInputs,
    crash_reference: dict[str, Any],
    redis_stream: tuple[Any, str],
    tmp_path: Path,
) -> None:
    url = empty_database_url
    backend = url.split(":", 1)[0]
    redis, key = redis_stream
    rng = random.Random(f"{SEED}:{backend}")
    script = [rng.choice(["stall"] * 9 + ["500"]) for _ in range(1000)]
    with webhook_receiver(SECRET, script, stall_s=0.05) as rec:
        h = Harness(url, tmp_path / "processes", rng, env=_env(tmp_path, rec.url))
        try:
            _run_pipeline(h, crash_inputs, crash_reference, rec, redis, key)
        finally:
            h.close()
            report = [k.describe() for k in h.kills]
            (tmp_path / "kills.json").write_text(json.dumps(report, indent=1))
            timings = ", ".join(f"{k} {v:.0f}s" for k, v in h.timings.items())
            print(
                f"\n{backend}: {sum(k.killed for k in h.kills)} kills ({timings})\n  " + "\n  ".join(report)
            )
        snap = snapshot(url)
        from sqlalchemy import create_engine

        from recallguard.store.engine import normalise_url

        engine = create_engine(normalise_url(url))
        try:
            assert duplicates(engine) == {}
        finally:
            engine.dispose()
        mine, clean = comparable(snap), comparable(crash_reference)
        for part in clean:  # one assertion per part: the first difference is named
            assert mine[part] == clean[part], f"{part} differs from the clean run's"
        assert snap["screened_versions"] == crash_reference["screened_versions"]
        scans = snap["scans"]  # every scan that was started is finished, and its completion audited
        assert set(scans["checkpoints"]) == {"done"}, scans
        assert scans["completed_events"] == scans["checkpoints"]["done"], scans
        assert redis.xlen(f"{key}:dead") == 0, "stream events dead-lettered"
        figures = _check_deliveries(snap, rec)
        print(f"  deliveries: {figures}")
    by_component: dict[str, int] = defaultdict(int)
    for k in h.kills:
        by_component[k.component] += k.killed
    components = ("listings import", "recalls import", "scan", "worker", "deliver")
    assert all(by_component[c] >= 1 for c in components), (
        f"some process was never killed mid-work: {dict(by_component)}"
    )
