"""The pure part of actions the store's reconciliation uses: which action a decision implies, and the
state changes it makes — checked against the ONE transition table, ``state_machine.TRANSITIONS``.

A block decision becomes a RESTRICT action for the authority's buyer countries (or, where policy says
so for that authority, a DELIST everywhere: scope ``*``), approved automatically; a review decision
implies no action until a person decides; a decision that no longer holds withdraws its action.
Every automated decision carries its :class:`DecisionBasis`: the matcher model version and the
thresholds that made it.

>>> from recallguard.domain.models import Match, DecisionKind
>>> m = Match("L1", "26561", "CPSC", 0.97, DecisionKind.BLOCK, "model KY-055 in title")
>>> a = action_for(m)
>>> a.kind.value, a.countries, a.state.value
('restrict', ['US'], 'approved')
>>> action_for(m, delist=True).countries
['*']
>>> can_transition(ActionState.APPROVED, ActionState.WITHDRAWN)
True
>>> can_transition(ActionState.WITHDRAWN, ActionState.CONFIRMED)
False
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from recallguard.domain.authorities import authority_for
from recallguard.domain.models import Action, ActionKind, ActionState, DecisionKind, Match
from recallguard.domain.policy import BANK_MODEL, DecisionPolicy, Thresholds
from recallguard.enforcement.state_machine import TRANSITIONS, IllegalTransition, action_scope, can_transition

S = ActionState

#: States in which an action is still live for reconciliation (proposed or in force): a decision that
#: no longer holds withdraws it. (The gate enforces only ``state_machine.IN_FORCE``.)
LIVE_STATES: frozenset[ActionState] = frozenset({S.PROPOSED, S.APPROVED, S.SENT, S.CONFIRMED, S.FAILED})

__all__ = [
    "LIVE_STATES",
    "TRANSITIONS",
    "DecisionBasis",
    "action_for",
    "can_transition",
    "decision_basis",
    "implied_kinds",
    "transition",
]


def transition(action: Action, dst: ActionState, reason: str, at: datetime | None = None) -> Action:
    """A copy of ``action`` in state ``dst``; raises IllegalTransition (a ConflictError, HTTP 409) for a
    change ``state_machine.TRANSITIONS`` does not allow.

    >>> a = Action("L1", "26561", "CPSC", ActionKind.RESTRICT, ["US"], ActionState.APPROVED)
    >>> transition(a, ActionState.WITHDRAWN, "match withdrawn").state.value
    'withdrawn'
    """
    if not can_transition(action.state, dst):
        raise IllegalTransition(
            f"action {action.action_id or action.listing_id}: cannot move from {action.state.value} "
            f"to {dst.value}"
        )
    return dataclasses.replace(action, state=dst, reason=reason, updated_at=at or datetime.now(UTC))


def implied_kinds(decision: DecisionKind, *, delist: bool = False) -> tuple[ActionKind, ...]:
    """The action kinds a decision implies: block → restrict (delist by policy); review and none →
    nothing yet.

    >>> implied_kinds(DecisionKind.REVIEW), implied_kinds(DecisionKind.BLOCK, delist=True)
    ((), (<ActionKind.DELIST: 'delist'>,))
    """
    if decision != DecisionKind.BLOCK:
        return ()
    return (ActionKind.DELIST,) if delist else (ActionKind.RESTRICT,)


def action_for(match: Match, at: datetime | None = None, *, delist: bool = False) -> Action | None:
    """The action a match's decision implies (approved automatically), or None.

    A restriction covers the authority's buyer countries (CPSC → US); with ``delist`` (the authority's
    delisting policy) the action is a DELIST with scope ``*``: every buyer country. An unknown authority
    raises NotFoundError.

    >>> from recallguard.domain.models import Match, DecisionKind
    >>> action_for(Match("L1", "26561", "CPSC", 0.5, DecisionKind.REVIEW, "")) is None
    True
    """
    kinds = implied_kinds(match.decision, delist=delist)
    if not kinds:
        return None
    authority = authority_for(match.authority)
    when = at or datetime.now(UTC)
    what = "delisted everywhere by policy" if delist else "block decision"
    return Action(
        listing_id=match.listing_id,
        recall_number=match.recall_number,
        authority=authority.code,
        kind=kinds[0],
        countries=action_scope(authority.code, delist=delist),
        state=ActionState.APPROVED,
        reason=f"{what} (score {match.score:.3f}): {match.evidence}",
        created_at=when,
        updated_at=when,
    )


@dataclass(frozen=True)
class DecisionBasis:
    """What made an automated decision: the matcher model version and the block / review thresholds
    actually applied (after priority and seller-risk adjustments), and where they came from."""

    model_version: str
    block_threshold: float | None
    review_threshold: float | None
    basis: str

    def as_dict(self) -> dict[str, Any]:
        """The fields as JSON-ready values (audit event data, API answers).

        >>> DecisionBasis("m1", 0.9, 0.3, "CPSC thresholds").as_dict()["block_threshold"]
        0.9
        """
        return dataclasses.asdict(self)


def decision_basis(
    match: Match,
    policy: DecisionPolicy | None = None,
    *,
    priority: bool = False,
    rule_thresholds: Thresholds | None = None,
) -> DecisionBasis:
    """The thresholds that turned ``match``'s score into its decision.

    Recall matches: the policy's thresholds for the authority (the priority ones for a priority
    recall), lowered by the seller's risk where the offender policy applied it (feature
    ``seller_risk``: the block threshold drop; the review threshold drops as much, never below half).
    Category-ban matches (``rule:<id>``): the rule's own thresholds (None when the rule is not known
    to this process).

    >>> from recallguard.domain.models import Match, DecisionKind
    >>> m = Match("L1", "1", "CPSC", 0.85, DecisionKind.BLOCK, "", {"seller_risk": 0.09}, "lgbm-1")
    >>> b = decision_basis(m)
    >>> b.block_threshold, b.review_threshold, b.basis
    (0.81, 0.21, 'CPSC thresholds; seller risk lowered them by 0.09')
    >>> decision_basis(m, priority=True).block_threshold
    0.76
    """
    if match.recall_number.startswith("rule:"):
        rule_id = match.recall_number.removeprefix("rule:")
        if rule_thresholds is None:
            return DecisionBasis(match.model_version, None, None, f"rule {rule_id} (thresholds not loaded)")
        t, basis = rule_thresholds, f"rule {rule_id} thresholds"
    else:
        bank = match.model_version == BANK_MODEL  # the fingerprint bank decides without priority
        priority = priority and not bank
        t = (policy or DecisionPolicy()).thresholds(match.authority, priority)
        basis = "priority recall thresholds" if priority else f"{match.authority.upper()} thresholds"
        if bank:
            basis = f"fingerprint bank, {basis}"
    block, review = t.block, t.review
    risk = float(match.features.get("seller_risk", 0.0) or 0.0)
    if risk > 0:
        block, review = t.block - risk, max(t.review / 2, t.review - risk)
        basis += f"; seller risk lowered them by {risk:.2f}"
    return DecisionBasis(match.model_version, round(block, 4), round(review, 4), basis)
