"""Lifts: the marketplace hears when an action it may have carried out is undone.

Every code path that reverses or withdraws an action stores the move through :func:`end_action` (one
function, so none is missed: the reverse / reject routes and appeals through ``Enforcer.move``, a listing
that no longer matches or whose block weakened in ``service.decide``, a withdrawn recall in
``service.withdraw``, shadow mode switched off). In the SAME transaction it queues an ``action.lifted``
delivery on the outbox when the action may have reached the marketplace:

- the action was ``sent``, ``confirmed`` or ``failed`` (an approval delivery was claimed at least once:
  in flight, delivered, scheduled again after an error, or dead-lettered — the marketplace may have
  applied any of those), or an approval row of it was attempted or is leased right now;
- an action never sent (its approval still waiting, never attempted) needs no lift: that approval is
  cancelled when a worker claims it, as before, and the marketplace hears of neither.

When a lift is queued, approval rows of the action that no worker holds (waiting for a retry) are
cancelled at once; one in flight finishes first, because per action the outbox delivers in order, so
the lift is never delivered before the approval it undoes. The lift's idempotency key is
``<action_id>:action.lifted`` (``:<n>`` for the n-th lift of an action reinstated and ended again); it
is fixed for all the retries of that lift. The marketplace confirms a lift through the same callback as
an approval (``POST /v1/actions/{id}/confirm``): :func:`confirm_lift` records it in the audit log once.

>>> from recallguard.store import Store
>>> from recallguard.domain.models import Action, ActionKind, Listing
>>> from recallguard.enforcement.actions import transition
>>> store = Store("sqlite://")
>>> with store.transaction() as uow:
...     _ = uow.listings.upsert_many([Listing("L1", "x")])
...     a = uow.actions.add(Action("L1", "26561", "CPSC", ActionKind.RESTRICT, ["US"], ActionState.SENT))
...     key = end_action(uow, a, transition(a, ActionState.REVERSED, "appeal upheld"), "appeal upheld")
>>> key == a.action_id + ":action.lifted"
True
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update

from recallguard.domain.models import Action, ActionState
from recallguard.enforcement.state_machine import IllegalTransition
from recallguard.service.bank_record import action_changed as bank_action_changed
from recallguard.service.outbox import ENDED, EVENT, LIFT_EVENT, action_payload, queue_row
from recallguard.store import UnitOfWork
from recallguard.store.enforcement_tables import DeliveryRow
from recallguard.store.tables import ActionRow

S = ActionState
#: States of an action whose approval has gone out to the marketplace at least once.
SENT_STATES = frozenset({S.SENT, S.CONFIRMED, S.FAILED})
#: Audit event kinds of the marketplace's callbacks about a lift.
LIFT_CONFIRMED, LIFT_FAILED = "action.lift_confirmed", "action.lift_failed"


def end_action(uow: UnitOfWork, before: Action, after: Action, reason: str) -> str | None:
    """Store ``after`` (``before`` moved to reversed or withdrawn), take its listing out of the fingerprint
    bank and, when the marketplace may have applied the action, queue its lift in the caller's
    transaction; returns the lift's idempotency key, or None when no lift was needed. The caller writes
    its own audit event of the move.

    >>> from recallguard.store import Store
    >>> from recallguard.domain.models import ActionKind, Listing
    >>> from recallguard.enforcement.actions import transition
    >>> with Store("sqlite://").transaction() as uow:
    ...     _ = uow.listings.upsert_many([Listing("L1", "x")])
    ...     a = uow.actions.add(Action("L1", "1", "CPSC", ActionKind.RESTRICT, ["US"], ActionState.APPROVED))
    ...     end_action(uow, a, transition(a, ActionState.WITHDRAWN, "no longer matches"), "no match")
    """
    if after.state not in ENDED:
        raise ValueError(f"end_action stores reversals and withdrawals, not {after.state.value}")
    # lock the action (PostgreSQL): a delivery worker claiming its approval right now either commits
    # first (we see "sent" here and lift) or waits for us and cancels its claim (the action ended)
    current = uow.session.scalar(
        select(ActionRow.state).where(ActionRow.action_id == before.action_id).with_for_update()
    )
    uow.actions.save_state(after)
    bank_action_changed(uow, after)  # the listing leaves the fingerprint bank in the same transaction
    states = {before.state} | ({ActionState(current)} if current else set())
    if not (states & SENT_STATES or _approval_went_out(uow, before.action_id)):
        return None
    return _queue_lift(uow, before, after, reason)


def _rows(uow: UnitOfWork, action_id: str, event: str) -> list[DeliveryRow]:
    q = (
        select(DeliveryRow)
        .where(DeliveryRow.action_id == action_id, DeliveryRow.event == event)
        .order_by(DeliveryRow.created_at, DeliveryRow.delivery_id)
    )
    return list(uow.session.scalars(q))


def _approval_went_out(uow: UnitOfWork, action_id: str) -> bool:
    """True when the action's latest approval row was attempted or is held by a worker."""
    rows = _rows(uow, action_id, EVENT)
    return bool(rows) and (rows[-1].attempts > 0 or rows[-1].lease_owner is not None)


def _queue_lift(uow: UnitOfWork, before: Action, after: Action, reason: str) -> str:
    approvals = _rows(uow, before.action_id, EVENT)
    lifts = _rows(uow, before.action_id, LIFT_EVENT)
    now = datetime.now(UTC)
    # approvals waiting for a retry that no worker holds are not sent any more; one in flight finishes
    uow.session.execute(
        update(DeliveryRow)
        .where(DeliveryRow.action_id == before.action_id, DeliveryRow.event == EVENT,
               DeliveryRow.status == "pending", DeliveryRow.lease_owner.is_(None))
        .values(status="cancelled", last_error=f"cancelled: action {after.state.value}, lift queued",
                updated_at=now)
        .execution_options(synchronize_session=False)
    )  # fmt: skip
    undoes = approvals[-1].idempotency_key if approvals else None
    last_approval = max((r.created_at for r in approvals), default=None)
    for r in lifts:  # a lift still waiting, queued after the last approval, already says it
        if r.status == "pending" and (last_approval is None or r.created_at > last_approval):
            return r.idempotency_key
    base = f"{before.action_id}:{LIFT_EVENT}"
    n = len({r.idempotency_key for r in lifts})
    key = base if n == 0 else f"{base}:{n + 1}"
    payload: dict[str, Any] = {
        "event": LIFT_EVENT,
        "action": {**action_payload(after), "reason": reason or after.reason},
        "previous_state": before.state.value,
        "undoes": undoes,
    }
    queue_row(uow, before.action_id, LIFT_EVENT, key, payload)
    return key


def latest_lift(uow: UnitOfWork, action_id: str) -> DeliveryRow | None:
    """The action's most recently queued lift delivery (any status), or None.

    >>> from recallguard.store import Store
    >>> with Store("sqlite://").transaction() as uow:
    ...     latest_lift(uow, "no-such-action") is None
    True
    """
    rows = _rows(uow, action_id, LIFT_EVENT)
    return rows[-1] if rows else None


def confirm_lift(
    uow: UnitOfWork, action: Action, actor: str, *, ok: bool = True, reason: str = "", reference: str = ""
) -> bool:
    """Record the marketplace's callback about the latest lift of a reversed or withdrawn ``action``:
    an ``action.lift_confirmed`` (``ok``) or ``action.lift_failed`` audit event naming the lift's
    idempotency key. A repeated callback about the same lift changes nothing (returns False). An ended
    action with no lift queued (it never reached the marketplace), or whose lift has not been sent yet
    (a late callback about the approval), raises IllegalTransition (HTTP 409) as before.

    A failed lift is recorded, not sent again: the listing stays blocked on the marketplace's side
    (the safe side) until an operator looks at it.

    >>> from recallguard.store import Store
    >>> from recallguard.domain.models import ActionKind, Listing
    >>> from recallguard.enforcement.actions import transition
    >>> with Store("sqlite://").transaction() as uow:
    ...     _ = uow.listings.upsert_many([Listing("L1", "x")])
    ...     a = uow.actions.add(Action("L1", "1", "CPSC", ActionKind.RESTRICT, ["US"], ActionState.CONFIRMED))
    ...     b = transition(a, ActionState.REVERSED, "appeal upheld")
    ...     _ = end_action(uow, a, b, "appeal upheld")
    ...     latest_lift(uow, a.action_id).status = "delivered"  # as the outbox worker records it
    ...     confirm_lift(uow, b, "marketplace", reference="MP-1"), confirm_lift(uow, b, "marketplace")
    (True, False)
    """
    lift = latest_lift(uow, action.action_id)
    if lift is None:
        raise IllegalTransition(
            f"action {action.action_id} is {action.state.value}; it never reached the marketplace, "
            "so there is no lift to confirm"
        )
    if lift.attempts == 0 and lift.lease_owner is None and lift.status != "delivered":
        raise IllegalTransition(
            f"action {action.action_id} is {action.state.value}; its lift ({lift.idempotency_key}) has "
            "not been sent yet, so this callback cannot be about it"
        )
    kind = LIFT_CONFIRMED if ok else LIFT_FAILED
    subject = f"action:{action.action_id}"
    for e in uow.audit.list(subject=subject, limit=100_000):
        if e.kind == kind and e.data.get("idempotency_key") == lift.idempotency_key:
            return False
    data: dict[str, Any] = {
        "idempotency_key": lift.idempotency_key,
        "delivery_id": lift.delivery_id,
        "listing_id": action.listing_id,
        "recall_number": action.recall_number,
        "authority": action.authority,
        "countries": list(action.countries),
        "state": action.state.value,
        "delivery_status": lift.status,
    }
    if reference:
        data["reference"] = reference
    default = "lift carried out by the marketplace" if ok else "the marketplace could not lift it"
    uow.audit.append(kind, subject, actor, reason or default, data)
    return True


__all__ = ["LIFT_CONFIRMED", "LIFT_FAILED", "SENT_STATES", "confirm_lift", "end_action", "latest_lift"]
