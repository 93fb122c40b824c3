"""The pure part of actions: which action a decision implies, and which state changes are allowed.

A block decision becomes a RESTRICT action for the authority's buyer countries, approved
automatically; a review decision implies no action until a person decides; a decision that no longer
holds withdraws its action.

>>> from recallguard.domain.models import Match, DecisionKind
>>> m = Match("L1", "26561", "CPSC", 0.97, DecisionKind.BLOCK, "model KY-055 in title")
>>> a = action_for(m)
>>> a.kind.value, a.countries, a.state.value
('restrict', ['US'], 'approved')
>>> can_transition(ActionState.APPROVED, ActionState.WITHDRAWN)
True
>>> can_transition(ActionState.WITHDRAWN, ActionState.CONFIRMED)
False
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from recallguard.domain.authorities import authority_for
from recallguard.domain.models import Action, ActionKind, ActionState, DecisionKind, Match
from recallguard.errors import ConflictError

S = ActionState

#: Allowed state changes. ``withdrawn`` means the decision behind the action no longer holds; a
#: withdrawn action is re-approved when the decision holds again (e.g. a listing changed back).
TRANSITIONS: dict[ActionState, frozenset[ActionState]] = {
    S.PROPOSED: frozenset({S.APPROVED, S.WITHDRAWN}),
    S.APPROVED: frozenset({S.SENT, S.WITHDRAWN, S.REVERSED}),
    S.SENT: frozenset({S.CONFIRMED, S.FAILED, S.WITHDRAWN}),
    S.FAILED: frozenset({S.SENT, S.WITHDRAWN}),
    S.CONFIRMED: frozenset({S.REVERSED, S.WITHDRAWN}),
    S.REVERSED: frozenset(),
    S.WITHDRAWN: frozenset({S.APPROVED, S.PROPOSED}),
}

#: States in which an action is still in force (the listing is, or is about to be, restricted).
LIVE_STATES: frozenset[ActionState] = frozenset({S.PROPOSED, S.APPROVED, S.SENT, S.CONFIRMED, S.FAILED})


def can_transition(src: ActionState, dst: ActionState) -> bool:
    """True when an action may move from ``src`` to ``dst``.

    >>> can_transition(ActionState.PROPOSED, ActionState.APPROVED)
    True
    """
    return dst in TRANSITIONS[src]


def transition(action: Action, dst: ActionState, reason: str, at: datetime | None = None) -> Action:
    """A copy of ``action`` in state ``dst``; raises ConflictError for a change that is not allowed.

    >>> a = Action("L1", "26561", "CPSC", ActionKind.RESTRICT, ["US"], ActionState.APPROVED)
    >>> transition(a, ActionState.WITHDRAWN, "match withdrawn").state.value
    'withdrawn'
    """
    if not can_transition(action.state, dst):
        raise ConflictError(
            f"action {action.action_id or action.listing_id}: cannot move from {action.state.value} "
            f"to {dst.value}"
        )
    return dataclasses.replace(action, state=dst, reason=reason, updated_at=at or datetime.now(UTC))


def implied_kinds(decision: DecisionKind) -> tuple[ActionKind, ...]:
    """The action kinds a decision implies: block → restrict; review and none → nothing yet.

    >>> implied_kinds(DecisionKind.REVIEW)
    ()
    """
    return (ActionKind.RESTRICT,) if decision == DecisionKind.BLOCK else ()


def action_for(match: Match, at: datetime | None = None) -> Action | None:
    """The action a match's decision implies (approved automatically), or None.

    The restriction covers the authority's buyer countries (CPSC → US).

    >>> from recallguard.domain.models import Match, DecisionKind
    >>> action_for(Match("L1", "26561", "CPSC", 0.5, DecisionKind.REVIEW, "")) is None
    True
    """
    kinds = implied_kinds(match.decision)
    if not kinds:
        return None
    authority = authority_for(match.authority)
    when = at or datetime.now(UTC)
    return Action(
        listing_id=match.listing_id,
        recall_number=match.recall_number,
        authority=authority.code,
        kind=kinds[0],
        countries=sorted(authority.countries),
        state=ActionState.APPROVED,
        reason=f"block decision (score {match.score:.3f}): {match.evidence}",
        created_at=when,
        updated_at=when,
    )
