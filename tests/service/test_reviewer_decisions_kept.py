"""A restriction a reviewer approved is not withdrawn by automation when a re-screen weakens the
match to review (the person decided; a person, an appeal or a withdrawn recall lifts it)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from recallguard.domain.models import ActionState, DecisionKind, Listing, Match
from recallguard.service.decide import reconcile
from recallguard.store import Store
from recallguard.store.enforcement_tables import ActionApprovalRow


def _match(decision: DecisionKind, score: float) -> Match:
    return Match("L1", "26528", "CPSC", score, decision, "model KY055 in title", {}, "test")


def _live(store: Store) -> list[ActionState]:
    with store.transaction() as uow:
        return [a.state for a in uow.actions.for_match("L1", "CPSC", "26528")]


def test_person_approved_action_survives_a_weaker_rescreen(store: Store) -> None:
    with store.transaction() as uow:
        uow.listings.upsert_many([Listing("L1", "Gudook helmet KY-055", seller_id="S1")])
        reconcile(uow, "L1", [_match(DecisionKind.REVIEW, 0.6)], [], "test")
        assert uow.actions.for_match("L1", "CPSC", "26528") == []  # review: nothing enforced yet
        reconcile(uow, "L1", [_match(DecisionKind.BLOCK, 0.95)], [], "reviewer:ana")
        (action,) = uow.actions.for_match("L1", "CPSC", "26528")
        uow.session.add(
            ActionApprovalRow(action_id=action.action_id, approved_at=datetime.now(UTC), actor="reviewer:ana")
        )
    with store.transaction() as uow:
        existing = uow.matches.active_for_listings(["L1"]).get("L1", [])
        reconcile(uow, "L1", [_match(DecisionKind.REVIEW, 0.7)], existing, "scan")
    assert _live(store) == [ActionState.APPROVED]


def test_automatic_action_is_withdrawn_when_the_decision_weakens(store: Store) -> None:
    with store.transaction() as uow:
        uow.listings.upsert_many([Listing("L1", "Gudook helmet KY-055", seller_id="S1")])
        reconcile(uow, "L1", [_match(DecisionKind.BLOCK, 0.95)], [], "scan")
    with store.transaction() as uow:
        existing = uow.matches.active_for_listings(["L1"]).get("L1", [])
        reconcile(uow, "L1", [replace(_match(DecisionKind.REVIEW, 0.5))], existing, "scan")
    assert _live(store) == [ActionState.WITHDRAWN]
