"""Repeat offenders in decisions: a seller linked to a seller with actions gets tighter thresholds,
a review becomes a block and an action, and the evidence says why with the numbers."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from recallguard.domain.models import DecisionKind, Listing, Match, Target
from recallguard.domain.policy import DecisionPolicy
from recallguard.service.bank import BankService, with_bank
from recallguard.service.scan import scan
from recallguard.store import Store
from tests.bank.conftest import action_listing, block


class FixedScreener:
    """Scores every listing titled 'night light' 0.86 for recall 27001 (a review at 0.90/0.30)."""

    model_version = "fixed-1"

    def __init__(self) -> None:
        self.policy = DecisionPolicy()
        self.checks: list = []

    def screen_batch(self, listings: Sequence[Listing]) -> list[list[Match]]:
        out = []
        for x in listings:
            ms = [
                Match(x.listing_id, "27001", "CPSC", 0.86, DecisionKind.REVIEW, "product name 'night light'")
            ]
            out.append(
                (ms if "night light" in x.title.lower() else []) + [m for c in self.checks for m in c(x)]
            )
        return out

    def screen_many(
        self, listings: Iterable[Listing], batch_size: int = 512
    ) -> Iterator[tuple[Listing, list[Match]]]:
        items = list(listings)
        yield from zip(items, self.screen_batch(items), strict=True)


def _factory(targets: Sequence[Target], rules: bool = True) -> object:
    return with_bank(FixedScreener(), targets)


def test_linked_seller_threshold_tightened_and_explained(bank_store: Store, bank: BankService) -> None:
    # S9 (phone 138 0000 1111) has a second action; S12 shares the phone under another format
    action_listing(bank_store, Listing("L5", "BabyGo car seat adapter BG-2241X black", seller_id="S9",
                                       extra={"phone": "+86 138 0000 1111"}), block("L5"))  # fmt: skip
    with bank_store.transaction() as uow:
        uow.listings.upsert_many([
            Listing("N1", "Night light for kids room", seller_id="S12", extra={"phone": "86-13800001111"}),
            Listing("N2", "Night light for kids room", seller_id="S31", extra={"phone": "86-139-5555-0000"}),
        ])  # fmt: skip
    scan(bank_store, factory=_factory)
    with bank_store.transaction() as uow:
        found = uow.matches.active_for_listings(["N1", "N2"])
        (linked,) = found["N1"]
        (clean,) = found["N2"]
        assert linked.decision == DecisionKind.BLOCK and clean.decision == DecisionKind.REVIEW
        assert (
            "seller S12 risk" in linked.evidence and "inherited from S9 (linked by phone)" in linked.evidence
        )
        assert "S9 has 2 actions" in linked.evidence
        assert "block threshold 0.90→0.8" in linked.evidence and "(decision review→block)" in linked.evidence
        assert "seller" not in clean.evidence  # no history, no adjustment, nothing said
        (a,) = uow.actions.for_match("N1", "CPSC", "27001")
        assert "inherited from S9" in a.reason
        assert uow.actions.for_match("N2", "CPSC", "27001") == []


def test_own_history_tightens_and_is_explained_when_decision_stays(bank: BankService) -> None:
    policy = bank.offender_policy(FixedScreener())
    (m,) = policy.screen_batch([Listing("N3", "Night light LED", seller_id="S9")])[0]
    # risk of one action (0.33) lowers block to 0.83: 0.86 blocks; explained with own history
    assert m.decision == DecisionKind.BLOCK
    assert "seller S9 risk 0.33: own history: S9 has 1 action (recall 26999)" in m.evidence
    assert "block threshold 0.90→0.83, review 0.30→0.23" in m.evidence
    assert m.features["seller_risk"] > 0


def test_a_withdrawn_action_stops_counting_against_its_seller_in_a_running_screener(
    bank_store: Store, bank: BankService
) -> None:
    """The seller policy of a screener built earlier (a server's) sees the bank's book as it is now:
    an action withdrawn (or reversed on appeal) no longer tightens the seller's next listing."""
    from recallguard.service.decide import reconcile

    action_listing(
        bank_store, Listing("L5", "BabyGo car seat adapter BG-2241X black", seller_id="S9"), block("L5")
    )
    policy = bank.offender_policy(FixedScreener())
    (m,) = policy.screen_batch([Listing("N3", "Night light LED", seller_id="S9")])[0]
    assert "S9 has 2 actions" in m.evidence
    with bank_store.transaction() as uow:
        (was,) = uow.matches.active_for_listings(["L5"])["L5"]
        reconcile(uow, "L5", [], [was], "test")
    (m,) = policy.screen_batch([Listing("N4", "Night light LED", seller_id="S9")])[0]
    assert "S9 has 1 action (recall 26999)" in m.evidence
