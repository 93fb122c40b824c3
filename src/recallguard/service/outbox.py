"""The webhook outbox: marketplace deliveries that survive a crash.

An approved action's delivery is a ``webhook_deliveries`` row written in the SAME transaction as the
approval (``enqueue``), so no approval is ever lost between the commit and the send. Delivery workers
(``recallguard deliver``, the server's background loop, and the API's after-response kick) claim due
rows with a **lease**: a conditional UPDATE that only one worker wins; a worker that dies mid-delivery
leaves its lease to expire, and the row is claimed again. Each attempt uses the connector's HMAC
signature and the row's fixed ``Idempotency-Key`` (so a marketplace that applied a delivery whose
answer was lost applies it once), and the row is marked delivered, scheduled again after the backoff
with jitter, or dead-lettered.

Action states follow: the first claim moves the action approved (or failed, when sent again) →
``sent``; a dead-lettered delivery moves it ``sent → failed`` (the gate keeps refusing). A delivery
whose action no longer holds (withdrawn, reversed) is cancelled instead of sent.

Two events travel through the outbox: ``action.approved`` (carry the action out) and ``action.lifted``
(undo it: the action was reversed or withdrawn after it went out — ``service.lifts``). Per action,
deliveries go out **in the order they were queued**: a row is not claimed while an earlier row of the same
action is still pending (scheduled again or in flight), so a lift never overtakes the approval it undoes.
A lift whose action is back in force (reinstated) is cancelled like an approval whose action ended.

>>> from recallguard.store import Store
>>> from recallguard.domain.models import Action, ActionKind, ActionState, Listing
>>> store = Store("sqlite://")
>>> with store.transaction() as uow:
...     _ = uow.listings.upsert_many([Listing("L1", "x")])
...     a = uow.actions.add(Action("L1", "26561", "CPSC", ActionKind.RESTRICT, ["US"], ActionState.APPROVED))
...     key = enqueue(uow, a)
>>> key == a.action_id + ":action.approved", pending_count(store)
(True, 1)
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, exists, func, insert, or_, select, update
from sqlalchemy.orm import aliased

from recallguard.domain.models import Action, ActionState
from recallguard.enforcement.connector import Delivery, WebhookConnector
from recallguard.enforcement.state_machine import transition
from recallguard.store import Store, UnitOfWork
from recallguard.store.convert import utc
from recallguard.store.enforcement_tables import DeliveryRow, EnforcementRepo
from recallguard.store.tables import ActionRow

EVENT = "action.approved"
LIFT_EVENT = "action.lifted"
S = ActionState
#: Action states in which a queued approval is still wanted (otherwise it is cancelled).
DELIVERABLE = frozenset({S.APPROVED, S.SENT, S.FAILED, S.CONFIRMED})
#: Action states that undo an action: a queued lift is wanted only while its action is in one of them.
ENDED = frozenset({S.REVERSED, S.WITHDRAWN})
#: Per event, the action states in which a queued delivery of it is still wanted.
WANTED: dict[str, frozenset[ActionState]] = {EVENT: DELIVERABLE, LIFT_EVENT: ENDED}
_INSERT = insert(cast(Table, DeliveryRow.__table__))


def action_payload(a: Action) -> dict[str, Any]:
    """The action as the marketplace receives it.

    >>> from recallguard.domain.models import ActionKind
    >>> action_payload(Action("L1", "1", "CPSC", ActionKind.DELIST, ["*"], action_id="A1"))["countries"]
    ['*']
    """
    return {
        "action_id": a.action_id,
        "listing_id": a.listing_id,
        "recall_number": a.recall_number,
        "authority": a.authority,
        "kind": a.kind.value,
        "countries": list(a.countries),
        "state": a.state.value,
        "reason": a.reason,
    }


def enqueue(uow: UnitOfWork, action: Action, *, resend: bool = False, new: bool = False) -> str:
    """Queue the delivery of an approved action in the caller's transaction; returns its idempotency key.

    A delivery still pending for the action is reused (nothing is queued twice). ``resend`` (a failed
    action sent again) keeps the key of the last delivery, so the marketplace dedupes it; an action
    approved again after a withdrawal gets a new key (``<id>:action.approved:<n>``) — it is news.
    ``new``: the action was added in this transaction and has no deliveries yet (nothing is read).
    """
    s = uow.session
    rows: list[DeliveryRow] = []
    if not new:  # a new action has no deliveries: no lookup built or run
        q = (
            select(DeliveryRow)
            .where(DeliveryRow.action_id == action.action_id, DeliveryRow.event == EVENT)
            .order_by(DeliveryRow.created_at, DeliveryRow.delivery_id)
        )
        rows = list(s.scalars(q))
    for r in rows:
        if r.status == "pending":
            return r.idempotency_key
    base = f"{action.action_id}:{EVENT}"
    if not rows:
        key = base
    elif resend:
        key = rows[-1].idempotency_key
    else:
        key = f"{base}:{len({r.idempotency_key for r in rows}) + 1}"
    payload = {"event": EVENT, "action": action_payload(action)}
    queue_row(uow, action.action_id, EVENT, key, payload, new=new)
    return key


def queue_row(
    uow: UnitOfWork, action_id: str, event: str, key: str, payload: dict[str, Any], new: bool = False
) -> DeliveryRow:
    """Add one pending delivery of ``event`` for an action, queued after every earlier row of the action
    (its ``created_at`` is later than theirs even within one clock tick: the claim keeps that order;
    ``new``: the action has no rows yet, nothing to read).

    >>> from recallguard.store import Store
    >>> with Store("sqlite://").transaction() as uow:
    ...     a, b = (queue_row(uow, "A1", EVENT, f"A1:k{i}", {}) for i in (1, 2))
    ...     a.created_at < b.created_at, b.status
    (True, 'pending')
    """
    s = uow.session
    ts = datetime.now(UTC)
    last = (
        None
        if new
        else utc(s.scalar(select(func.max(DeliveryRow.created_at)).where(DeliveryRow.action_id == action_id)))
    )
    if last is not None and last >= ts:
        ts = last + timedelta(microseconds=1)
    values: dict[str, Any] = {
        "delivery_id": uuid.uuid4().hex,
        "idempotency_key": key,
        "url": "",  # the worker's configured endpoint, recorded at the first attempt
        "event": event,
        "payload": payload,
        "attempts": 0,
        "status": "pending",
        "last_error": "",
        "created_at": ts,
        "updated_at": ts,
        "delivered_at": None,
        "action_id": action_id,
        "next_attempt_at": ts,
        "lease_owner": None,
        "lease_until": None,
    }
    s.execute(_INSERT, values)  # one Core INSERT now: later reads of this transaction see it (order, reuse)
    return DeliveryRow(**values)  # the row as written (not attached to the session)


def retry_dead(uow: UnitOfWork, delivery_id: str, actor: str) -> Delivery:
    """Queue a dead-lettered delivery again, with its idempotency key and payload (the marketplace applies
    it once even if an earlier attempt did arrive), behind the action's other rows; audited
    ``delivery.retried``. Refused (ConflictError) unless the row is dead, its action still wants the
    event (a lift while the action stays ended; an approval while it is in force) and no later row of the
    action and event is queued or delivered; NotFoundError for an unknown id.

    An approval dead-lettered left its action ``failed``; the claim then moves it back to ``sent``.
    """
    from recallguard.errors import ConflictError, NotFoundError

    row = uow.session.get(DeliveryRow, delivery_id)
    if row is None:
        raise NotFoundError(f"no delivery {delivery_id}")
    if row.status != "dead":
        raise ConflictError(f"delivery {delivery_id} is {row.status}; only a dead delivery is retried")
    aid = _action_id(row)
    action = EnforcementRepo(uow.session).action(aid)
    if action is None or action.state not in WANTED.get(row.event, DELIVERABLE):
        state = "gone" if action is None else action.state.value
        raise ConflictError(f"delivery {delivery_id}: action {aid} is {state}; {row.event} no longer applies")
    later = uow.session.scalar(
        select(func.count()).select_from(DeliveryRow).where(
            DeliveryRow.action_id == aid, DeliveryRow.event == row.event,
            DeliveryRow.created_at > row.created_at, DeliveryRow.status.in_(("pending", "delivered")),
        )
    )  # fmt: skip
    if later:
        raise ConflictError(
            f"delivery {delivery_id}: a later {row.event} of action {aid} is queued or delivered"
        )
    new = queue_row(uow, aid, row.event, row.idempotency_key, dict(row.payload))
    uow.audit.append(
        "delivery.retried", f"action:{aid}", actor, f"dead {row.event} delivery queued again",
        {"delivery_id": delivery_id, "retry_delivery_id": new.delivery_id, "event": row.event,
         "idempotency_key": row.idempotency_key, "last_error": row.last_error[:500]},
    )  # fmt: skip
    uow.session.flush()
    return _delivery(new, "")


def pending_count(store: Store) -> int:
    """Deliveries not yet delivered, dead-lettered or cancelled."""
    with store.transaction() as uow:
        q = select(func.count()).select_from(DeliveryRow).where(DeliveryRow.status == "pending")
        return int(uow.session.scalar(q) or 0)


def _delivery(r: DeliveryRow, url: str) -> Delivery:
    created = utc(r.created_at) or datetime.now(UTC)
    return Delivery(r.url or url, r.event, dict(r.payload), r.idempotency_key, r.delivery_id, r.attempts,
                    r.status, r.last_error, created, utc(r.delivered_at))  # fmt: skip


def _action_id(r: DeliveryRow) -> str:
    return r.action_id or str((r.payload or {}).get("action", {}).get("action_id", ""))


@dataclass
class OutboxWorker:
    """Claims due deliveries, sends them through ``connector`` to ``url`` and records the outcome."""

    store: Store
    connector: WebhookConnector
    url: str
    lease_s: float = 60.0
    actor: str = "connector"
    owner: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}")
    on_action: Callable[[Action], None] | None = None  # e.g. the server's gate
    sleep: Callable[[float], None] = time.sleep

    def __post_init__(self) -> None:
        # a lease shorter than an attempt would let a second worker send while the first still waits
        self.lease_s = max(self.lease_s, 2 * self.connector.policy.timeout_s + 1)

    def claim(self, limit: int = 20, action_ids: Collection[str] | None = None) -> list[Delivery]:
        """Lease up to ``limit`` due rows (pending, due, not leased by a live worker); each row is won
        by one worker only. The claim moves their actions to ``sent`` (or cancels rows whose action no
        longer holds)."""
        now = datetime.now(UTC)
        earlier = aliased(DeliveryRow)
        queued_before = exists().where(
            earlier.action_id == DeliveryRow.action_id,
            earlier.status == "pending",
            earlier.created_at < DeliveryRow.created_at,
        )
        due = (
            (DeliveryRow.status == "pending")
            & or_(DeliveryRow.next_attempt_at.is_(None), DeliveryRow.next_attempt_at <= now)
            & or_(DeliveryRow.lease_until.is_(None), DeliveryRow.lease_until < now)
            & ~queued_before  # per action, in order: nothing overtakes an earlier pending row
        )
        q = select(DeliveryRow.delivery_id).where(due)
        if action_ids is not None:
            q = q.where(DeliveryRow.action_id.in_(list(action_ids)))
        with self.store.transaction() as uow:
            ids = list(uow.session.scalars(q.order_by(DeliveryRow.next_attempt_at).limit(limit)))
        if not ids:
            return []
        out: list[Delivery] = []
        changed: list[Action] = []
        with self.store.transaction() as uow:
            until = now + timedelta(seconds=self.lease_s)
            for did in ids:
                self._lock_action(uow, did)
                won = uow.session.execute(
                    update(DeliveryRow).where(DeliveryRow.delivery_id == did, due)
                    .values(lease_owner=self.owner, lease_until=until)
                    .execution_options(synchronize_session=False)
                )  # fmt: skip
                if getattr(won, "rowcount", 0) != 1:
                    continue  # another worker holds it
                row = uow.session.get(DeliveryRow, did)
                assert row is not None
                uow.session.refresh(row)
                action = EnforcementRepo(uow.session).action(_action_id(row))
                if action is None or action.state not in WANTED.get(row.event, DELIVERABLE):
                    why = f"cancelled: action {'gone' if action is None else action.state.value}"
                    row.status, row.last_error, row.lease_owner, row.lease_until = (
                        "cancelled",
                        why,
                        None,
                        None,
                    )
                    row.updated_at = now
                    continue
                if row.event != LIFT_EVENT and action.state in (S.APPROVED, S.FAILED):
                    why = (
                        "sent to the marketplace"
                        if action.state == S.APPROVED
                        else "sent again after a failure"
                    )
                    changed.append(self._move(uow, action, S.SENT, why, {"delivery_id": did}))
                out.append(_delivery(row, self.url))
        self._notify(changed)
        return out

    @staticmethod
    def _lock_action(uow: UnitOfWork, delivery_id: str) -> None:
        """Lock the row's action (PostgreSQL ``FOR UPDATE``) before leasing the row: a reversal or
        withdrawal committing meanwhile is then seen by this claim, and one that waits for it sees
        ``sent`` and queues the lift (``service.lifts.end_action`` locks the action first too)."""
        aid = uow.session.scalar(select(DeliveryRow.action_id).where(DeliveryRow.delivery_id == delivery_id))
        if aid:
            uow.session.execute(
                select(ActionRow.action_id).where(ActionRow.action_id == aid).with_for_update()
            )

    def _move(
        self, uow: UnitOfWork, a: Action, target: ActionState, why: str, data: dict[str, Any]
    ) -> Action:
        new, ev = transition(a, target, actor=self.actor, reason=why, data=data)
        uow.actions.save_state(new)
        uow.audit.append(ev.kind, ev.subject, ev.actor, ev.reason, ev.data)
        return new

    def _notify(self, actions: list[Action]) -> None:
        if self.on_action is not None:
            for a in actions:
                self.on_action(a)

    def send(self, d: Delivery) -> str:
        """One attempt of a claimed delivery, recorded if this worker still holds its lease: returns its
        status afterwards (``delivered``, ``pending`` — scheduled again — ``dead``, or ``lost``)."""
        d.url = d.url or self.url
        if not self._renew(d.delivery_id):
            return "lost"  # the lease ran out while earlier rows of the batch were sent
        wait = self.connector.settle(d, self.connector.attempt(d))
        now = datetime.now(UTC)
        changed: list[Action] = []
        with self.store.transaction() as uow:
            values: dict[str, Any] = {
                "url": d.url, "attempts": d.attempts, "status": d.status, "last_error": d.last_error,
                "delivered_at": d.delivered_at, "updated_at": now, "lease_owner": None, "lease_until": None,
                "next_attempt_at": now + timedelta(seconds=wait) if wait is not None else None,
            }  # fmt: skip
            kept = uow.session.execute(
                update(DeliveryRow)
                .where(DeliveryRow.delivery_id == d.delivery_id, DeliveryRow.lease_owner == self.owner)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            if getattr(kept, "rowcount", 0) != 1:
                return "lost"  # the lease ran out and another worker took the row over
            if d.status == "dead":
                aid = str(d.payload.get("action", {}).get("action_id", ""))
                action = EnforcementRepo(uow.session).action(aid)
                if action is not None and action.state == S.SENT:
                    data = {"delivery_id": d.delivery_id, "idempotency_key": d.idempotency_key}
                    changed.append(self._move(uow, action, S.FAILED, d.last_error, data))
        self._notify(changed)
        return d.status

    def _renew(self, delivery_id: str) -> bool:
        """Extend this worker's lease on a row just before an attempt; False when it lost the row."""
        with self.store.transaction() as uow:
            kept = uow.session.execute(
                update(DeliveryRow)
                .where(DeliveryRow.delivery_id == delivery_id, DeliveryRow.lease_owner == self.owner,
                       DeliveryRow.status == "pending")
                .values(lease_until=datetime.now(UTC) + timedelta(seconds=self.lease_s))
                .execution_options(synchronize_session=False)
            )  # fmt: skip
            return getattr(kept, "rowcount", 0) == 1

    def run_once(self, limit: int = 20, action_ids: Collection[str] | None = None) -> list[Delivery]:
        """Claim due rows and make one attempt of each; returns them."""
        claimed = self.claim(limit, action_ids)
        for d in claimed:
            self.send(d)
        return claimed

    def drain(
        self, action_ids: Collection[str] | None = None, max_wait_s: float | None = None
    ) -> list[Delivery]:
        """Deliver until none of the (given actions') rows is pending: sleeps through backoffs and
        waits for rows another worker holds. What the API runs after answering."""
        p = self.connector.policy
        budget = (
            max_wait_s if max_wait_s is not None else self.lease_s + p.max_attempts * (p.timeout_s + p.cap_s)
        )
        deadline = time.monotonic() + budget
        done: list[Delivery] = []
        while True:
            done += self.run_once(action_ids=action_ids)
            nxt = self._next_due(action_ids)
            if nxt is None or time.monotonic() >= deadline:
                return done
            self.sleep(min(max(0.0, (nxt - datetime.now(UTC)).total_seconds()), 0.5) or 0.01)

    def _next_due(self, action_ids: Collection[str] | None) -> datetime | None:
        q = select(DeliveryRow.next_attempt_at, DeliveryRow.lease_until).where(
            DeliveryRow.status == "pending"
        )
        if action_ids is not None:
            q = q.where(DeliveryRow.action_id.in_(list(action_ids)))
        with self.store.transaction() as uow:
            rows = list(uow.session.execute(q))
        now = datetime.now(UTC)
        times = [max(utc(n) or now, utc(lease) or now) for n, lease in rows]
        return min(times) if times else None

    def run_forever(self, stop: threading.Event, poll_s: float = 1.0, limit: int = 20) -> int:
        """Loop until ``stop`` is set: claim and send due rows, idle ``poll_s`` when none; returns how
        many attempts it made (``recallguard deliver``)."""
        n = 0
        while not stop.is_set():
            claimed = self.run_once(limit)
            n += len(claimed)
            if not claimed:
                stop.wait(poll_s)
        return n
