"""Lifts reach the marketplace (SQLite and PostgreSQL, against the real webhook receiver on 127.0.0.1):
an action reversed or withdrawn after it went out is undone on the marketplace's side by a signed
``action.lifted`` delivery, applied once, never ahead of the approval it undoes; one that never went out
reaches the marketplace not at all."""

from __future__ import annotations

import ast
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from recallguard.api.runtime import Enforcer
from recallguard.domain.models import ActionState, DecisionKind, Listing, Match, Recall, Target
from recallguard.enforcement.auth import Role
from recallguard.enforcement.connector import RetryPolicy, WebhookConnector
from recallguard.service.decide import reconcile
from recallguard.service.outbox import OutboxWorker, pending_count
from recallguard.service.withdraw import withdraw_recall
from recallguard.store import Store
from recallguard.store.enforcement_tables import DeliveryRow
from tests.api.conftest import MATCHING, ModelNumberScreener, make_app, make_settings
from tests.enforcement.receivers import webhook_receiver

SECRET = "whsec-lifts-0123456789"
SRC = Path(__file__).resolve().parents[2] / "src" / "recallguard"
S = ActionState


def _worker(store: Store, url: str, **kw: object) -> OutboxWorker:
    policy = RetryPolicy(max_attempts=4, base_s=0.05, cap_s=0.1, timeout_s=1.0)
    return OutboxWorker(store, WebhookConnector(SECRET, policy), url, lease_s=3.0, **kw)  # type: ignore[arg-type]


def _match(lid: str, number: str) -> Match:
    return Match(lid, number, "CPSC", 0.97, DecisionKind.BLOCK, f"model {number}", {}, "test-model")


def _block(store: Store, pairs: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """Block decisions (listing, recall number) → approved restrictions queued in their transaction."""
    with store.transaction() as uow:
        uow.listings.upsert_many([Listing(lid, f"doll stroller M-{n}") for lid, n in pairs])
        old = uow.matches.active_for_listings([lid for lid, _ in pairs])
        for lid in sorted({lid for lid, _ in pairs}):
            wanted = [_match(x, n) for x, n in pairs if x == lid]
            wanted += [m for m in old.get(lid, []) if (lid, m.recall_number) not in pairs]
            reconcile(uow, lid, wanted, old.get(lid, []), "test")
        return {(a.listing_id, a.recall_number): a.action_id for a in uow.actions.list()}


def _unmatch(store: Store, lid: str) -> None:
    """The listing no longer matches anything: its live actions are withdrawn."""
    with store.transaction() as uow:
        reconcile(uow, lid, [], uow.matches.active_for_listings([lid]).get(lid, []), "test")


def _rows(store: Store, event: str | None = None) -> list[DeliveryRow]:
    with store.transaction() as uow:
        q = select(DeliveryRow).order_by(DeliveryRow.created_at)
        if event:
            q = q.where(DeliveryRow.event == event)
        rows = list(uow.session.scalars(q))
        uow.session.expunge_all()
        return rows


def _state(store: Store, action_id: str) -> ActionState:
    with store.transaction() as uow:
        (a,) = [a for a in uow.actions.list() if a.action_id == action_id]
        return a.state


def _headers(enf: Enforcer, role: Role) -> dict[str, str]:
    return {"Authorization": "Bearer " + enf.create_token(role)[0]}


def _screened_and_sent(
    tmp_path: Path, store_url: str, url: str, attempts: int
) -> tuple[TestClient, Enforcer, str]:
    """An app delivering to ``url`` (no lifespan: only the test and the routes' after-answer sends
    deliver) with one listing screened and restricted; returns the client, its enforcer and the action."""
    settings = make_settings(tmp_path, database_url=store_url, webhook_url=url, webhook_secret=SECRET,
                             webhook_max_attempts=attempts)  # fmt: skip
    app = make_app(settings)
    enf = app.state.enforcer
    client = TestClient(app)
    r = client.post("/v1/listings:screen", json=MATCHING, headers=_headers(enf, Role.MARKETPLACE))
    return client, enf, r.json()["results"][0]["actions"][0]["action_id"]


def test_reversal_after_delivery_sends_a_signed_lift_applied_once_and_confirmed(
    tmp_path: Path, store_url: str
) -> None:
    with webhook_receiver(SECRET) as rx:
        client, enf, aid = _screened_and_sent(tmp_path, store_url, rx.url, attempts=4)
        assert rx.applied == [f"{aid}:action.approved"]  # delivered after the answer
        mp, reviewer = _headers(enf, Role.MARKETPLACE), _headers(enf, Role.REVIEWER)
        assert (
            client.post(f"/v1/actions/{aid}/confirm", json={"reference": "MP-1"}, headers=mp).status_code
            == 200
        )
        rx.script[:] = ["500"]  # the lift fails once and is retried with the same key
        r = client.post(f"/v1/actions/{aid}/reverse", json={"reason": "appeal upheld"}, headers=reviewer)
        assert r.json()["state"] == "reversed"
        (lift,) = _rows(enf.store, "action.lifted")  # sent after the answer, like an approval
        assert lift.idempotency_key == f"{aid}:action.lifted" and lift.status == "delivered"
        assert lift.payload["action"] | {"reason": ""} == {
            "action_id": aid, "listing_id": "L1", "recall_number": "26561", "authority": "CPSC",
            "kind": "restrict", "countries": ["US"], "state": "reversed", "reason": "",
        }  # fmt: skip
        assert lift.payload["action"]["reason"] == "appeal upheld"
        assert lift.payload["undoes"] == f"{aid}:action.approved"
        assert lift.payload["previous_state"] == "confirmed"
        _worker(enf.store, rx.url).drain()  # nothing left to send
        assert rx.applied == [f"{aid}:action.approved", f"{aid}:action.lifted"]
        lift_requests = [q for q in rx.requests if q["key"] == f"{aid}:action.lifted"]
        assert len(lift_requests) == 2 and all(q["valid"] for q in rx.requests)
        assert _rows(enf.store, "action.lifted")[0].status == "delivered" and pending_count(enf.store) == 0
        # the marketplace confirms the lift through the approval's callback: recorded once, audited
        for _ in range(2):
            r = client.post(f"/v1/actions/{aid}/confirm", json={"reference": "MP-2"}, headers=mp)
            assert r.status_code == 200 and r.json()["state"] == "reversed"
        with enf.store.transaction() as uow:
            events = [e for e in uow.audit.list(subject=f"action:{aid}") if e.kind == "action.lift_confirmed"]
            assert uow.audit.verify().ok
        assert len(events) == 1 and events[0].data["idempotency_key"] == f"{aid}:action.lifted"
        assert events[0].data["reference"] == "MP-2" and events[0].data["delivery_status"] == "delivered"
        gate = client.get("/v1/gate", params={"listing_id": "L1", "country": "US"}, headers=mp).json()
        assert gate["allowed"] is True
        enf.close()


def test_withdrawing_a_recall_lifts_exactly_the_actions_it_caused(store: Store) -> None:
    with store.transaction() as uow:
        for n in ("111", "222"):
            uow.recalls.upsert(Recall(n, "CPSC", f"Doll {n}"), [Target(n, "CPSC", model_numbers=[f"M-{n}"])])
    sent = _block(store, [("L1", "111"), ("L3", "222"), ("L4", "111"), ("L4", "222")])
    with webhook_receiver(SECRET) as rx:
        _worker(store, rx.url).drain()
        assert sorted(rx.applied) == sorted(f"{a}:action.approved" for a in sent.values())
        waiting = _block(store, [("L2", "111")])[("L2", "111")]  # approved, not yet sent
        rx.requests.clear()
        withdraw_recall(store, "CPSC", "111", "published in error", actor="test", factory=ModelNumberScreener)
        lifts = _rows(store, "action.lifted")
        assert sorted(r.action_id for r in lifts) == sorted([sent[("L1", "111")], sent[("L4", "111")]])
        _worker(store, rx.url).drain()
    lifted = [q["key"] for q in rx.requests]
    assert sorted(lifted) == sorted(f"{sent[k]}:action.lifted" for k in [("L1", "111"), ("L4", "111")])
    assert all(q["valid"] for q in rx.requests)  # L2's approval never went out, nor a lift of it
    assert [r.status for r in _rows(store) if r.action_id == waiting] == ["cancelled"]
    assert _state(store, sent[("L3", "222")]) == _state(store, sent[("L4", "222")]) == S.SENT
    assert {_state(store, sent[k]) for k in [("L1", "111"), ("L4", "111")]} == {S.WITHDRAWN}
    with store.transaction() as uow:
        assert uow.audit.verify().ok


def test_an_action_withdrawn_before_its_approval_went_out_reaches_the_marketplace_not_at_all(
    store: Store,
) -> None:
    _block(store, [("L1", "26561")])
    _unmatch(store, "L1")
    assert _rows(store, "action.lifted") == []
    with webhook_receiver(SECRET) as rx:
        _worker(store, rx.url).drain()
    assert rx.requests == [] and [r.status for r in _rows(store)] == ["cancelled"]


def test_a_lift_queued_while_the_approval_is_in_flight_waits_for_it(store: Store) -> None:
    (aid,) = _block(store, [("L1", "26561")]).values()
    with webhook_receiver(SECRET) as rx:
        first, second = _worker(store, rx.url, owner="first"), _worker(store, rx.url, owner="second")
        (approval,) = first.claim()  # in flight: leased, the action is now "sent"
        _unmatch(store, "L1")  # withdrawn while the approval is on its way
        assert [r.event for r in _rows(store) if r.status == "pending"] == [
            "action.approved",
            "action.lifted",
        ]
        assert second.claim() == []  # the lift does not overtake the approval in flight
        assert first.send(approval) == "delivered"
        second.drain()
    assert rx.applied == [f"{aid}:action.approved", f"{aid}:action.lifted"]


def test_an_approval_waiting_to_be_retried_is_cancelled_and_the_lift_follows(store: Store) -> None:
    (aid,) = _block(store, [("L1", "26561")]).values()
    with webhook_receiver(SECRET, ["500"]) as rx:  # the marketplace may have applied it before the 500
        w = _worker(store, rx.url)
        assert [w.send(d) for d in w.claim()] == ["pending"]  # scheduled again after the backoff
        _unmatch(store, "L1")
        approval, lift = _rows(store)
        assert approval.status == "cancelled" and lift.status == "pending"
        w.drain()
    assert [q["key"] for q in rx.requests] == [f"{aid}:action.approved", f"{aid}:action.lifted"]
    assert rx.applied == [f"{aid}:action.lifted"]


def test_idempotency_keys_are_stable_across_retries_and_new_for_each_round(store: Store) -> None:
    (aid,) = _block(store, [("L1", "26561")]).values()
    with webhook_receiver(SECRET, ["ok", "500", "500"]) as rx:
        _worker(store, rx.url).drain()
        _unmatch(store, "L1")
        _worker(store, rx.url).drain()  # the lift: two 500s, then delivered with the same key
        assert [q["key"] for q in rx.requests] == [f"{aid}:action.approved"] + [f"{aid}:action.lifted"] * 3
        _block(store, [("L1", "26561")])  # it matches again: reinstated, a new approval …
        _unmatch(store, "L1")  # … withdrawn before it went out: neither is sent
        _block(store, [("L1", "26561")])
        _worker(store, rx.url).drain()
        _unmatch(store, "L1")  # withdrawn after the second approval went out: a second lift …
        _block(store, [("L1", "26561")])  # … reinstated before it went out: dropped, a third approval
        _worker(store, rx.url).drain()
        _unmatch(store, "L1")
        _worker(store, rx.url).drain()
    assert rx.applied == [
        f"{aid}:action.approved", f"{aid}:action.lifted", f"{aid}:action.approved:2",
        f"{aid}:action.approved:3", f"{aid}:action.lifted:3",
    ]  # fmt: skip
    assert [r.status for r in _rows(store, "action.lifted")] == ["delivered", "cancelled", "delivered"]
    assert _state(store, aid) == S.WITHDRAWN and pending_count(store) == 0


def test_confirming_a_lift_that_never_went_out_is_refused(tmp_path: Path, store_url: str) -> None:
    app = make_app(make_settings(tmp_path, database_url=store_url))  # no webhook: nothing is sent
    enf = app.state.enforcer
    mp = {"Authorization": "Bearer " + enf.create_token(Role.MARKETPLACE)[0]}
    admin = {"Authorization": "Bearer " + enf.create_token(Role.ADMIN)[0]}
    client = TestClient(app)
    aid = client.post("/v1/listings:screen", json=MATCHING, headers=mp).json()["results"][0]["actions"][0][
        "action_id"
    ]
    assert client.post(f"/v1/actions/{aid}/reverse", json={"reason": "x"}, headers=admin).status_code == 200
    assert _rows(enf.store, "action.lifted") == []  # never sent: nothing to lift
    r = client.post(f"/v1/actions/{aid}/confirm", headers=mp)
    assert r.status_code == 409 and r.json()["error"]["code"] == "illegal_transition"
    enf.close()


def _ends_an_action(call: ast.Call) -> bool:
    names = {n.attr for n in ast.walk(call) if isinstance(n, ast.Attribute)}
    return bool(names & {"WITHDRAWN", "REVERSED"}) or any(
        isinstance(n, ast.Name) and n.id in {"ENDED"} for n in ast.walk(call)
    )


def test_every_path_that_reverses_or_withdraws_an_action_goes_through_end_action() -> None:
    """A function that moves an action to reversed/withdrawn (``transition(…, WITHDRAWN …)``) stores it
    with ``end_action`` (which queues the lift), never with a bare ``save_state``."""
    offenders, found = [], 0
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for fn in ast.walk(tree):
            if not isinstance(fn, ast.FunctionDef):
                continue
            calls = [c for c in ast.walk(fn) if isinstance(c, ast.Call)]
            name = [getattr(c.func, "id", getattr(c.func, "attr", "")) for c in calls]
            ends = any(n == "transition" and _ends_an_action(c) for n, c in zip(name, calls, strict=True))
            generic = fn.name == "_apply" and "transition" in name  # Enforcer._apply: any target state
            if ends or generic:
                found += 1
                if "end_action" not in name:
                    offenders.append(f"{path.relative_to(SRC)}:{fn.name}")
    assert found >= 4 and offenders == []


def test_a_dead_lift_is_queued_again_by_an_admin_and_applied_once(tmp_path: Path, store_url: str) -> None:
    """A lift the marketplace kept refusing lands on the dead-letter list; an admin queues it again
    (same idempotency key, audited) and it goes out once; anything else is refused clearly."""
    with webhook_receiver(SECRET) as rx:
        client, enf, aid = _screened_and_sent(tmp_path, store_url, rx.url, attempts=2)
        admin, reviewer = _headers(enf, Role.ADMIN), _headers(enf, Role.REVIEWER)
        assert rx.applied == [f"{aid}:action.approved"]
        rx.script[:] = ["500"] * 10  # the marketplace refuses the lift until the retries run out
        assert (
            client.post(f"/v1/actions/{aid}/reverse", json={"reason": "x"}, headers=admin).status_code == 200
        )
        (dead,) = _rows(enf.store, "action.lifted")  # sent at once after the answer: refused, dead-lettered
        assert dead.status == "dead" and rx.applied == [f"{aid}:action.approved"]
        listed = client.get("/v1/deliveries", params={"status": "dead"}, headers=admin).json()
        assert [d["delivery_id"] for d in listed] == [dead.delivery_id]
        url = f"/v1/deliveries/{dead.delivery_id}/retry"
        assert client.post(url, headers=reviewer).status_code == 403
        rx.script[:] = []
        r = client.post(url, headers=admin)
        assert r.status_code == 201 and r.json()["status"] == "pending"
        assert r.json()["idempotency_key"] == f"{aid}:action.lifted"
        again = client.post(url, headers=admin)  # the retry is queued: a second one is refused
        assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
        _worker(enf.store, rx.url).drain()
        assert rx.applied == [f"{aid}:action.approved", f"{aid}:action.lifted"]
        assert [d.status for d in _rows(enf.store, "action.lifted")] == ["dead", "delivered"]
        approved = _rows(enf.store, "action.approved")[0].delivery_id
        r = client.post(f"/v1/deliveries/{approved}/retry", headers=admin)
        assert r.status_code == 409 and "only a dead delivery" in r.json()["error"]["message"]
        assert client.post("/v1/deliveries/nope/retry", headers=admin).status_code == 404
        with enf.store.transaction() as uow:
            kinds = [e.kind for e in uow.audit.list(subject=f"action:{aid}")]
            assert uow.audit.verify().ok
        assert kinds.count("delivery.retried") == 1
        enf.close()
