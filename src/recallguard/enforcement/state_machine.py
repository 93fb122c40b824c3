"""The life of an action as a state machine, and the scope an action covers.

    proposed ─► approved ─► sent ─► confirmed ─► reversed
        │           │         │
        │           │         └─► failed ─► sent (retry) … ─► reversed
        └───────────┴─► withdrawn (the decision no longer holds)

A restriction is *in force* (the sale gate refuses the listing) from the moment it is approved, before
the marketplace confirms it, and stays in force while sent, confirmed or failed (a failed delivery is
retried; the gate does not wait for it). Reversed and withdrawn actions no longer restrict anything.

Every transition is pure: it returns a new :class:`Action` and the :class:`AuditEvent` that records it;
an illegal one raises :class:`IllegalTransition`.

>>> from recallguard.domain.models import Action, ActionKind
>>> a = Action("L1", "26561", "CPSC", ActionKind.RESTRICT, ["US"], action_id="A1")
>>> a2, ev = transition(a, ActionState.APPROVED, actor="auto", reason="block decision")
>>> a2.state.value, ev.kind, in_force(a2)
('approved', 'action.approved', True)
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime

from recallguard.domain.authorities import authority_for
from recallguard.domain.models import Action, ActionKind, ActionState, AuditEvent, DecisionKind, Match
from recallguard.errors import ConflictError

S = ActionState

TRANSITIONS: dict[ActionState, frozenset[ActionState]] = {
    S.PROPOSED: frozenset({S.APPROVED, S.WITHDRAWN}),
    S.APPROVED: frozenset({S.SENT, S.REVERSED, S.WITHDRAWN}),
    S.SENT: frozenset({S.CONFIRMED, S.FAILED, S.REVERSED, S.WITHDRAWN}),
    S.FAILED: frozenset({S.SENT, S.REVERSED, S.WITHDRAWN}),
    S.CONFIRMED: frozenset({S.REVERSED, S.WITHDRAWN}),
    S.REVERSED: frozenset(),
    S.WITHDRAWN: frozenset({S.APPROVED, S.PROPOSED}),  # the decision holds again (listing changed back)
}
"""Legal next states from each state; anything else is refused. A superset of the moves the store's
reconciliation makes (``recallguard.enforcement.actions``): withdrawal when a decision no longer holds,
reinstatement when it holds again; reversal (appeal upheld, recall withdrawn) is final."""

IN_FORCE: frozenset[ActionState] = frozenset({S.APPROVED, S.SENT, S.CONFIRMED, S.FAILED})
"""States in which a restriction or delisting is enforced by the sale gate."""

WORLDWIDE = "*"
"""The country scope of a delisting: every buyer country."""


class IllegalTransition(ConflictError):
    """An action was asked to move to a state that its current state does not allow."""

    code = "illegal_transition"


def can_transition(current: ActionState, target: ActionState) -> bool:
    """True when ``current → target`` is a legal move.

    >>> can_transition(ActionState.PROPOSED, ActionState.CONFIRMED)
    False
    """
    return target in TRANSITIONS[current]


def in_force(action: Action) -> bool:
    """True when the action restricts the listing right now (approved and not undone).

    >>> from recallguard.domain.models import Action, ActionKind
    >>> in_force(Action("L1", "1", "CPSC", ActionKind.RESTRICT, ["US"]))
    False
    """
    return action.kind in (ActionKind.RESTRICT, ActionKind.DELIST) and action.state in IN_FORCE


def transition(
    action: Action,
    target: ActionState,
    *,
    actor: str,
    reason: str = "",
    at: datetime | None = None,
    data: dict[str, object] | None = None,
) -> tuple[Action, AuditEvent]:
    """Move ``action`` to ``target``; returns the new action and the audit event recording the move.

    Raises :class:`IllegalTransition` (HTTP 409) when the move is not allowed.

    >>> from recallguard.domain.models import Action, ActionKind
    >>> a = Action("L1", "1", "CPSC", ActionKind.RESTRICT, ["US"], action_id="A1")
    >>> transition(a, ActionState.SENT, actor="x")
    Traceback (most recent call last):
    ...
    recallguard.enforcement.state_machine.IllegalTransition: action A1: proposed → sent is not allowed
    """
    if not can_transition(action.state, target):
        raise IllegalTransition(
            f"action {action.action_id}: {action.state.value} → {target.value} is not allowed"
        )
    now = at or datetime.now(UTC)
    new = dataclasses.replace(action, state=target, updated_at=now)
    event = AuditEvent(
        kind=f"action.{target.value}",
        subject=f"action:{action.action_id}",
        actor=actor,
        reason=reason,
        data={
            "listing_id": action.listing_id,
            "recall_number": action.recall_number,
            "authority": action.authority,
            "kind": action.kind.value,
            "countries": list(action.countries),
            "from": action.state.value,
            "to": target.value,
            **(data or {}),
        },
        at=now,
    )
    return new, event


def action_scope(authority: str, *, delist: bool = False) -> list[str]:
    """The buyer countries an action covers: the authority's countries, or everywhere for a delisting.

    An unknown authority raises NotFoundError rather than silently restricting nothing.

    >>> action_scope("CPSC"), action_scope("CPSC", delist=True)
    (['US'], ['*'])
    """
    if delist:
        return [WORLDWIDE]
    return sorted(authority_for(authority).countries)


def propose(
    match: Match,
    *,
    delist_authorities: Iterable[str] = (),
    countries: Iterable[str] | None = None,
    at: datetime | None = None,
    action_id: str | None = None,
) -> Action | None:
    """The action a match calls for: none for a ``none`` decision, else a proposed restriction for the
    authority's countries (a delisting when policy says so for that authority).

    ``countries`` overrides the scope (e.g. a category rule with its own countries).

    >>> from recallguard.domain.models import DecisionKind, Match
    >>> m = Match("L1", "26561", "CPSC", 0.97, DecisionKind.BLOCK, "gtin")
    >>> a = propose(m, action_id="A1")
    >>> (a.kind.value, a.countries, a.state.value)
    ('restrict', ['US'], 'proposed')
    """
    if match.decision == DecisionKind.NONE:
        return None
    delist = match.authority.upper() in {a.upper() for a in delist_authorities}
    scope = sorted({c.upper() for c in countries}) if countries is not None else None
    now = at or datetime.now(UTC)
    return Action(
        listing_id=match.listing_id,
        recall_number=match.recall_number,
        authority=match.authority,
        kind=ActionKind.DELIST if delist else ActionKind.RESTRICT,
        countries=scope if scope is not None else action_scope(match.authority, delist=delist),
        action_id=action_id or uuid.uuid4().hex,
        reason=f"{match.decision.value} (score {match.score:.3f}): {match.evidence}",
        created_at=now,
        updated_at=now,
    )


def auto_approves(match: Match) -> bool:
    """Block decisions are approved automatically; review decisions wait for a reviewer.

    >>> from recallguard.domain.models import DecisionKind, Match
    >>> auto_approves(Match("L1", "1", "CPSC", 0.5, DecisionKind.REVIEW, ""))
    False
    """
    return match.decision == DecisionKind.BLOCK
