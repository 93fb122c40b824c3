"""Fixtures of the bank tests: a store with one recall and one actioned listing, and banks that are
always closed (a bank open in the process is what ``default_screener`` adds)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from recallguard.domain.models import DecisionKind, Listing, Match, Recall, Target
from recallguard.service.bank import BankService, close_bank, open_bank
from recallguard.service.bank_images import ImageSettings
from recallguard.service.decide import reconcile
from recallguard.store import Store

RECALL = Recall(
    "26999", "CPSC", "BabyGo SafeRide Infant Car Seat Adapters Recalled Due to Fall Hazard",
    product_names=["BabyGo SafeRide Infant Car Seat Adapter"],
)  # fmt: skip
TARGET = Target(
    "26999", "CPSC", brand="BabyGo", product_name="SafeRide Infant Car Seat Adapter",
    product_type="car seat adapter", model_numbers=["BG-2241X"],
)  # fmt: skip
RECALL2 = Recall(
    "27001", "CPSC", "Lumo Kids Night Light Recalled Due to Burn Hazard", product_names=["Night Light"]
)
TARGET2 = Target("27001", "CPSC", brand="Lumo", product_name="Kids Night Light", model_numbers=["LK-77Q"])
DESCRIPTION = (
    "Fits most strollers. Aluminium frame with quick release buckle, holds infant car seats up to 13 kg. "
    "Colour: graphite grey. Package includes two mounting clips and an instruction sheet."
)
ORIGINAL = Listing(
    "L1", "BabyGo SafeRide Infant Car Seat Adapter BG-2241X for strollers", DESCRIPTION, brand="BabyGo",
    model="BG-2241X", seller_id="S9", extra={"phone": "+86 138 0000 1111"},
)  # fmt: skip


def block(listing_id: str, number: str = "26999", why: str = "model BG-2241X named in recall 26999") -> Match:
    """A block decision, as the screener or a reviewer would make it."""
    return Match(listing_id, number, "CPSC", 0.97, DecisionKind.BLOCK, why)


def action_listing(store: Store, listing: Listing, match: Match) -> None:
    """Store a listing and act on a block match (the decide path: the bank entry joins in the same
    transaction)."""
    with store.transaction() as uow:
        uow.listings.upsert_many([listing])
        existing = uow.matches.active_for_listings([listing.listing_id]).get(listing.listing_id, [])
        reconcile(uow, listing.listing_id, [match], existing, "test")


@pytest.fixture
def bank_store(store_url: str) -> Iterator[Store]:
    """A store with two recalls and listing L1 (seller S9) actioned for recall 26999."""
    store = Store(store_url)
    with store.transaction() as uow:
        uow.recalls.upsert(RECALL, [TARGET])
        uow.recalls.upsert(RECALL2, [TARGET2])
    action_listing(store, ORIGINAL, block("L1"))
    try:
        yield store
    finally:
        store.close()


@pytest.fixture
def image_dir(tmp_path: Path) -> Path:
    d = tmp_path / "images"
    d.mkdir()
    return d


@pytest.fixture
def open_banks() -> Iterator[list[BankService]]:
    """Banks opened by a test, closed after it whatever happens."""
    opened: list[BankService] = []
    yield opened
    for svc in opened:
        close_bank(svc)


@pytest.fixture
def bank(bank_store: Store, image_dir: Path, open_banks: list[BankService]) -> BankService:
    """The bank of ``bank_store`` opened as the process's bank (no poll thread: tests poll)."""
    svc = open_bank(bank_store, poll_s=None, images=ImageSettings(file_root=image_dir))
    open_banks.append(svc)
    return svc
