"""Removed listings stay removed: the bank catches disguised re-listings and nothing else."""

from __future__ import annotations

import json
import threading
from dataclasses import replace

import pytest

from recallguard.domain.models import DecisionKind, Listing
from recallguard.matching.bank_entries import ActionEvidence
from recallguard.matching.fingerprints import FingerprintBank
from recallguard.matching.shingles import title_words
from tests.images.synth import EDITS, product_photo

REMOVED = Listing(
    "L-100",
    "Joolz Aer2 Car Seat Adapter set of 2 for Aer2 stroller NL311",
    description="Black plastic car seat adapters transfer the car seat from the car to the stroller.",
    brand="Joolz",
    seller_id="S-1",
    extra={"phone": "+86 138 0000 1111", "payment_account": "ACC-77"},
)
EVIDENCE = ActionEvidence(
    "26568", "CPSC", action_id="A-9", reason="model NL311 of recall 26568; reviewer ana"
)


@pytest.fixture
def bank() -> FingerprintBank:
    b = FingerprintBank(image_loader=None)
    b.add(REMOVED, EVIDENCE)
    return b


@pytest.mark.parametrize(
    "title",
    [
        "J00lz Aer2 car-seat adaptor N L 3 1 1",  # leetspeak brand, split model
        "Jооlz Аer2 Car Seat Adapter NL311",  # Cyrillic о, А
        "Jo\u200bolz Aer2 Car Seat Adapter NL-3II",  # zero-width, I for 1
        "Joolz Aer2 婴儿车 安全座椅 适配器 NL311",  # Chinese product words
        "Jools Aer 2 Car Seat Adapters NL.311 free shipping",  # misspelt brand, dotted model
    ],
)
def test_disguised_relisting_is_blocked_with_the_original_evidence(bank: FingerprintBank, title: str) -> None:
    matches = bank.screen(Listing("L-200", title, seller_id="S-9"))
    assert [m.recall_number for m in matches] == ["26568"]
    m = matches[0]
    assert m.decision is DecisionKind.BLOCK
    assert "L-100" in m.evidence and "A-9" in m.evidence and "reviewer ana" in m.evidence


def test_a_placeholder_brand_is_no_brand_change(bank: FingerprintBank) -> None:
    # the brand taken off and the field set to "Generic": not a brand change (which counts against a
    # listing that only shares the model number), and a removed "Generic" listing agrees with no brand
    bare = bank.screen(Listing("L-202", "car seat adapter NL311", seller_id="S-9"))[0]
    generic = bank.screen(Listing("L-203", "car seat adapter NL311", brand="Generic", seller_id="S-9"))[0]
    assert "brand changed" not in generic.evidence
    assert (generic.score, generic.decision) == (bare.score, bare.decision)
    other = FingerprintBank(image_loader=None)
    other.add(replace(REMOVED, brand="Generic", title="Aer2 Car Seat Adapter NL311"), EVIDENCE)
    again = other.screen(Listing("L-204", "seat adapter NL311 black", brand="Unbranded", seller_id="S-9"))
    assert all("brand Generic" not in m.evidence for m in again)


def test_a_label_glued_to_the_model_number_is_read_off(bank: FingerprintBank) -> None:
    # "No.NL-311", "SKU-NL-311": the seller's label on the removed listing's code; read whole, the code
    # was another one and only the title's words were left to tie the listing to the removed one
    bare = bank.screen(Listing("L-202", "car seat adapter NL311", seller_id="S-9"))[0]
    for code in ("No.NL-311", "SKU-NL-311", "Art.-Nr.NL-311"):
        (labelled,) = bank.screen(Listing("L-205", f"car seat adapter {code}", seller_id="S-9"))
        assert (labelled.score, labelled.decision) == (bare.score, bare.decision), code


def test_new_brand_over_copied_description_is_caught_and_said(bank: FingerprintBank) -> None:
    copied = Listing("L-201", "SafeRide car seat adapter", description=REMOVED.description, brand="SafeRide")
    m = bank.screen(copied)[0]
    assert m.recall_number == "26568" and m.decision is not DecisionKind.NONE
    assert "brand changed from 'Joolz' to 'SafeRide'" in m.evidence


def test_same_seller_or_linked_seller_strengthens_and_is_explained(bank: FingerprintBank) -> None:
    weak = Listing("L-202", "Aer2 stroller car seat adaptor", seller_id="S-5")
    linked = Listing("L-203", weak.title, seller_id="S-6", extra={"phone": "86-138-0000-1111"})
    base, with_link = bank.screen(weak), bank.screen(linked)
    assert with_link and (not base or with_link[0].score > base[0].score)
    assert "seller linked to S-1 by phone" in with_link[0].evidence


@pytest.mark.parametrize(
    "title",
    [
        "Joolz Day+ stroller black",  # same brand, other product
        "Graco SnugRide car seat base",  # same type, other brand
        "canon powershot sd880 is digital camera silver 3197b001",
        "mohawk color copy gloss paper 500 sheets ream",
    ],
)
def test_other_products_are_not_matched(bank: FingerprintBank, title: str) -> None:
    assert bank.screen(Listing("L-300", title, seller_id="S-9")) == []


def test_gtin_relisting_is_caught(bank: FingerprintBank) -> None:
    bank.add(
        Listing("L-101", "Mini helmet", gtin="095855720029", brand="Gordon"), ActionEvidence("08019", "CPSC")
    )
    m = bank.screen(Listing("L-301", "Helmet for kids", description="UPC 0 95855 72002 9"))[0]
    assert m.recall_number == "08019" and "GTIN 00095855720029" in m.evidence


def test_images_of_a_removed_listing_catch_an_edited_copy() -> None:
    bank = FingerprintBank(image_loader=None)
    bank.add(Listing("L-110", "Kids scooter"), ActionEvidence("24313", "CPSC"), images=[product_photo(42)])
    edited = EDITS["all-at-once"](product_photo(42), __import__("random").Random(1))
    m = bank.screen(Listing("L-310", "Scooter for children"), images=[edited])[0]
    assert m.recall_number == "24313" and "image (" in m.evidence
    assert bank.screen(Listing("L-311", "Scooter for children"), images=[product_photo(43)]) == []


def test_snapshot_restores_an_equivalent_bank_and_load_swaps_it_in(bank: FingerprintBank) -> None:
    snap = json.loads(json.dumps(bank.snapshot()))
    restored = FingerprintBank.restore(snap)
    probe = Listing("L-400", "J00lz Aer2 car-seat adaptor N L 3 1 1")
    assert [(m.recall_number, m.score) for m in restored.screen(probe)] == [
        (m.recall_number, m.score) for m in bank.screen(probe)
    ]
    empty = FingerprintBank()
    empty.load(snap)
    assert len(empty) == 1 and empty.screen(probe)
    with pytest.raises(ValueError, match="version"):
        empty.load({"version": 99, "entries": []})


def test_adds_are_visible_to_screens_running_at_the_same_time() -> None:
    bank = FingerprintBank(image_loader=None)
    errors: list[BaseException] = []

    def add(i: int) -> None:
        try:
            bank.add(Listing(f"R-{i}", f"Brand{i} widget model ZX{i:04d}9"), ActionEvidence(f"R{i}", "CPSC"))
        except BaseException as e:
            errors.append(e)

    def screen() -> None:
        try:
            for i in range(50):
                bank.screen(Listing("Q", f"widget model ZX{i:04d}9"))
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=add, args=(i,)) for i in range(50)] + [threading.Thread(target=screen)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(bank) == 50
    assert bank.screen(Listing("Q", "Brand7 widget ZX-0007-9"))[0].recall_number == "R7"


def test_removed_title_buried_in_keyword_stuffing_is_caught(bank: FingerprintBank) -> None:
    stuffed = Listing(
        "L-204",
        f"{REMOVED.title} Graco stroller Razor scooter Bell helmet Intex pool Shimano stem Cybex seat",
        seller_id="S-9",
    )
    m = bank.screen(stuffed)[0]
    assert m.recall_number == "26568" and m.decision is not DecisionKind.NONE


def test_a_short_removed_title_among_other_removed_brands_goes_to_review() -> None:
    """A removed listing titled only by its brand and a word has too few letters for the shingle checks;
    repeated word for word in a title stuffed with other removed brands (before or after it), it is a
    re-listing worth a review. The same words in an ordinary title, or stuffed with brands nobody
    removed, are left alone."""
    b = FingerprintBank(image_loader=None)
    b.add(Listing("L-1", "SUGIFT Original", brand="SUGIFT", seller_id="S-1"), ActionEvidence("24100", "CPSC"))
    for i, brand in enumerate(["Graco", "Razor", "Cybex"]):
        b.add(
            Listing(f"L-{i + 2}", f"{brand} stroller model X{i}", brand=brand),
            ActionEvidence(f"2420{i}", "CPSC"),
        )
    restored = FingerprintBank.restore(json.loads(json.dumps(b.snapshot())))  # a checkpoint keeps the rule
    for title in ["SUGIFT Original razor scooter graco seat cybex", "Graco Cybex fast ship SUG1FT original"]:
        for bank in (b, restored):
            found = [
                m for m in bank.screen(Listing("L-9", title, seller_id="S-9")) if m.recall_number == "24100"
            ]
            assert [m.decision for m in found] == [DecisionKind.REVIEW], title
            assert "stuffed title" in found[0].evidence and "L-1" in found[0].evidence
    for title in ["SUGIFT Original hair dryer 2000 W pink", "SUGIFT Original Dyson Philips Braun"]:
        found = b.screen(Listing("L-9", title, seller_id="S-9"))
        assert not any("stuffed title" in m.evidence for m in found), title
    assert b.remove("L-1", "24100")  # its action reversed: the rule forgets it, and holds nothing of it
    found = b.screen(Listing("L-9", "SUGIFT Original razor scooter graco seat cybex", seller_id="S-9"))
    assert not any(m.recall_number == "24100" for m in found)
    assert title_words("SUGIFT Original") not in b._heads  # its emptied bucket goes (servers remove and add)


def test_a_product_removed_hundreds_of_times_still_leaves_other_recalls_findable() -> None:
    """One seller's 300 removed copies of a product (SKU suffixes) must neither hide another recall's
    removed listing that the same re-listing resembles, nor lose their own answer."""
    bank = FingerprintBank(image_loader=None)
    for i in range(300):
        copy = Listing(
            f"C-{i}", f"Kids magnetic building tiles 64 pcs rainbow set SKU{i:05d}", seller_id="S-9"
        )
        bank.add(copy, ActionEvidence("26001", "CPSC"), images=[])
    other = Listing(
        "O-1", "Kids magnetic building tiles 64 pcs rainbow set with storage bag", seller_id="S-3"
    )
    bank.add(other, ActionEvidence("26002", "CPSC"), images=[])
    # the re-listing is closer to every one of the 300 copies than to the other recall's listing
    found = bank.screen(Listing("N-1", "Kids magnetic building tiles 64 pcs rainbow set SKU00007 storage"))
    assert {m.recall_number for m in found} == {"26001", "26002"}
    assert all(m.decision is not DecisionKind.NONE for m in found)
    assert bank.screen(Listing("N-2", "Garden hose 20 m with brass fittings")) == []


def test_a_removed_listing_screened_again_is_matched_to_the_other_copies_not_itself(
    bank: FingerprintBank,
) -> None:
    """A scan screens removed listings too: their own entry is no evidence, another seller's copy is."""
    copy = Listing("L-200", REMOVED.title, description=REMOVED.description, brand="Joolz", seller_id="S-2")
    bank.add(copy, ActionEvidence("26568", "CPSC", action_id="A-10"), images=[])
    found = bank.screen(REMOVED)
    assert [m.recall_number for m in found] == ["26568"]
    assert found[0].evidence.startswith("re-listing of removed listing L-200 (")
    alone = FingerprintBank(image_loader=None)
    alone.add(REMOVED, EVIDENCE, images=[])
    assert alone.screen(REMOVED) == []


def test_boilerplate_codes_in_many_sellers_descriptions_are_no_identifiers() -> None:
    # "tested to EN 71", "children over 3 years": written by sellers of every kind of toy. Removed listings
    # of three recalls carry them; an ordinary toy that carries them too is no re-listing of any of them
    b = FingerprintBank(image_loader=None)
    boiler = "Tested to EN 71, for children over 3 years."
    removed = [
        ("Light-up unicorn toy KX-22", "Spins for minutes on one push, LED lights in six colours.", "26401"),
        ("Magnetic tiles toy MT-90", "Ninety magnetic tiles in a storage tub, bright colours.", "26402"),
        ("Wooden rattle toy BR-15", "Three wooden rattles with bells, smooth beech finish.", "26403"),
    ]
    for i, (title, text, recall) in enumerate(removed):
        listing = Listing(f"L-{i}", title, description=f"{text} {boiler}", seller_id=f"S-{i}")
        b.add(listing, ActionEvidence(recall, "CPSC"))
    plush = Listing(
        "N-1", "Rechargeable plush bear toy", description=f"Soft velvet bear, a warm pack inside. {boiler}"
    )
    assert b.screen(plush) == []
    # a code one recall's removed listings carry still identifies it
    again = Listing("N-2", "Unicorn night light KX-22", description=f"Great gift. {boiler}", seller_id="S-8")
    assert [m.recall_number for m in b.screen(again)] == ["26401"]
    # the count follows removals: with one recall's listing gone, the code is read again as evidence
    assert b.remove("L-2", "26403")
    assert sorted(m.recall_number for m in b.screen(plush)) == ["26401", "26402"]
