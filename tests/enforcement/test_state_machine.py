"""Actions move only along the legal paths, and each move leaves an audit event."""

from __future__ import annotations

import itertools

import pytest

from recallguard.domain.models import Action, ActionKind, ActionState, DecisionKind, Match
from recallguard.enforcement.state_machine import (
    TRANSITIONS,
    IllegalTransition,
    action_scope,
    auto_approves,
    in_force,
    propose,
    transition,
)
from recallguard.errors import ConflictError, NotFoundError

S = ActionState


def _action(state: ActionState = S.PROPOSED) -> Action:
    return Action("L1", "26561", "CPSC", ActionKind.RESTRICT, ["US"], state=state, action_id="A1")


def test_happy_path_to_confirmed_and_reversed_on_appeal() -> None:
    a = _action()
    kinds = []
    for target in (S.APPROVED, S.SENT, S.CONFIRMED, S.REVERSED):
        a, ev = transition(a, target, actor="reviewer:alice", reason="test")
        kinds.append(ev.kind)
        assert ev.subject == "action:A1" and ev.data["to"] == target.value
    assert kinds == ["action.approved", "action.sent", "action.confirmed", "action.reversed"]
    assert not in_force(a)
    with pytest.raises(IllegalTransition):  # a reversal is final
        transition(a, S.APPROVED, actor="x")


def test_withdrawn_action_is_reinstated_when_the_decision_holds_again() -> None:
    a, _ = transition(_action(S.CONFIRMED), S.WITHDRAWN, actor="scan", reason="listing changed")
    assert not in_force(a)
    a, _ = transition(a, S.APPROVED, actor="scan", reason="listing changed back")
    assert in_force(a)


def test_failed_delivery_is_retried_and_stays_in_force() -> None:
    a, _ = transition(_action(S.SENT), S.FAILED, actor="connector")
    assert in_force(a)  # the gate keeps refusing while the marketplace has not applied it
    a, _ = transition(a, S.SENT, actor="connector", reason="retry")
    a, _ = transition(a, S.CONFIRMED, actor="marketplace")
    assert a.state == S.CONFIRMED


@pytest.mark.parametrize("src,dst", [(s, d) for s, d in itertools.product(S, S) if d not in TRANSITIONS[s]])
def test_every_illegal_transition_is_refused(src: ActionState, dst: ActionState) -> None:
    with pytest.raises(IllegalTransition) as info:
        transition(_action(src), dst, actor="x")
    assert isinstance(info.value, ConflictError) and info.value.http_status == 409
    assert src.value in str(info.value) and dst.value in str(info.value)


def test_original_action_is_not_mutated() -> None:
    a = _action()
    transition(a, S.APPROVED, actor="x")
    assert a.state == S.PROPOSED


def test_restriction_in_force_from_approval_not_from_proposal() -> None:
    assert not in_force(_action(S.PROPOSED))
    assert in_force(_action(S.APPROVED))
    assert not in_force(_action(S.WITHDRAWN))
    notify = Action("L1", "1", "CPSC", ActionKind.NOTIFY_SELLER, [], state=S.APPROVED)
    assert not in_force(notify)


def test_scope_is_the_authoritys_countries_or_everywhere_by_policy() -> None:
    assert action_scope("CPSC") == ["US"]
    assert "DE" in action_scope("SAFETYGATE") and "US" not in action_scope("SAFETYGATE")
    m = Match("L1", "26561", "CPSC", 0.99, DecisionKind.BLOCK, "gtin")
    a = propose(m)
    assert a is not None and a.kind == ActionKind.RESTRICT and a.countries == ["US"]
    d = propose(m, delist_authorities=["cpsc"])
    assert d is not None and d.kind == ActionKind.DELIST and d.countries == ["*"]
    with pytest.raises(NotFoundError):
        action_scope("NOPE")


def test_block_auto_approves_review_waits_none_proposes_nothing() -> None:
    block = Match("L1", "1", "CPSC", 0.99, DecisionKind.BLOCK, "")
    review = Match("L1", "1", "CPSC", 0.5, DecisionKind.REVIEW, "")
    assert auto_approves(block) and not auto_approves(review)
    assert propose(Match("L1", "1", "CPSC", 0.1, DecisionKind.NONE, "")) is None
