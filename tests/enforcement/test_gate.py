"""The sale gate refuses a restricted listing for the authority's countries from approval on."""

from __future__ import annotations

from recallguard.domain.models import Action, ActionKind, ActionState
from recallguard.enforcement.gate import SaleGate
from recallguard.enforcement.state_machine import transition

S = ActionState


def _restrict(listing: str = "L1", state: ActionState = S.PROPOSED, action_id: str = "A1") -> Action:
    return Action(listing, "26561", "CPSC", ActionKind.RESTRICT, ["US"], state=state, action_id=action_id)


def test_refused_from_approval_before_confirmation_other_countries_allowed() -> None:
    gate = SaleGate()
    a = _restrict()
    gate.apply(a)
    assert gate.check("L1", "US").allowed  # proposed only: not yet enforced
    a, _ = transition(a, S.APPROVED, actor="auto")
    gate.apply(a)
    ans = gate.check("L1", "us")
    assert not ans.allowed
    assert ans.reasons == [{"recall_number": "26561", "authority": "CPSC", "action_id": "A1"}]
    assert gate.check("L1", "DE").allowed and gate.check("L1", "CA").allowed
    a, _ = transition(a, S.SENT, actor="connector")
    gate.apply(a)
    assert not gate.check("L1", "US").allowed


def test_reversal_lifts_only_that_restriction() -> None:
    gate = SaleGate.build(
        [_restrict(state=S.APPROVED, action_id="A1"), _restrict(state=S.CONFIRMED, action_id="A2")]
    )
    a1, _ = transition(
        _restrict(state=S.APPROVED, action_id="A1"), S.REVERSED, actor="reviewer", reason="appeal"
    )
    gate.apply(a1)
    ans = gate.check("L1", "US")
    assert not ans.allowed and [r["action_id"] for r in ans.reasons] == ["A2"]


def test_delist_refuses_everywhere_and_category_rule_names_rule_id() -> None:
    gate = SaleGate.build(
        [
            Action("L1", "26561", "CPSC", ActionKind.DELIST, ["*"], state=S.APPROVED, action_id="A1"),
            Action(
                "L2", "rule:magnets", "CPSC", ActionKind.RESTRICT, ["US"], state=S.APPROVED, action_id="A2"
            ),
        ]
    )
    assert not gate.check("L1", "JP").allowed
    reason = gate.check("L2", "US").reasons[0]
    assert reason["rule_id"] == "magnets" and reason["recall_number"] == "rule:magnets"


def test_unknown_listing_is_allowed_and_answer_has_the_api_shape() -> None:
    body = SaleGate().check("nope", "fr").as_dict()
    assert body == {"listing_id": "nope", "country": "FR", "allowed": True, "reasons": []}
