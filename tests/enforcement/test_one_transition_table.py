"""The store's reconciliation and the state machine share one transition table."""

from __future__ import annotations

import itertools

import pytest

from recallguard.domain.models import Action, ActionKind, ActionState
from recallguard.enforcement import actions, state_machine
from recallguard.errors import ConflictError

S = ActionState


def test_actions_use_the_state_machines_table() -> None:
    assert actions.TRANSITIONS is state_machine.TRANSITIONS
    for src, dst in itertools.product(S, S):
        assert actions.can_transition(src, dst) == state_machine.can_transition(src, dst)


@pytest.mark.parametrize(
    "src,dst", [(s, d) for s, d in itertools.product(S, S) if d not in state_machine.TRANSITIONS[s]]
)
def test_reconciliation_refuses_what_the_state_machine_refuses(src: ActionState, dst: ActionState) -> None:
    a = Action("L1", "26561", "CPSC", ActionKind.RESTRICT, ["US"], state=src, action_id="A1")
    with pytest.raises(state_machine.IllegalTransition) as info:
        actions.transition(a, dst, "test")
    assert isinstance(info.value, ConflictError) and info.value.http_status == 409


def test_reconciliation_moves_are_legal_state_machine_moves() -> None:
    a = Action("L1", "26561", "CPSC", ActionKind.RESTRICT, ["US"], state=S.APPROVED, action_id="A1")
    withdrawn = actions.transition(a, S.WITHDRAWN, "match withdrawn")
    assert withdrawn.state == S.WITHDRAWN and withdrawn.reason == "match withdrawn"
    assert actions.transition(withdrawn, S.APPROVED, "holds again").state == S.APPROVED
