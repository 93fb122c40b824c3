"""Words a seller disguised: leetspeak ("R4z0r 3l3ctr1c 5c00t3r"), words run together in camel case
("RazorElectricScooterE300") and Chinese sales and product words around English ones. The screener
reads the words, and leaves model numbers, sizes and everyday codes as they were written."""

from __future__ import annotations

import pytest

from recallguard.domain.models import DecisionKind, Listing, Target
from recallguard.matching.bank_entries import ActionEvidence
from recallguard.matching.evasion import split_run_together
from recallguard.matching.fingerprints import FingerprintBank
from recallguard.matching.index import TargetIndex
from recallguard.matching.leet import LeetDecoder
from recallguard.matching.screen import Screener

SCOOTER = Target(
    "05193",
    "CPSC",
    brand="Razor",
    product_name="Razor Electric Scooters",
    product_type="electric scooter",
    model_numbers=["E300"],
    text="This recall involves Razor E300 electric scooters with a red deck.",
)
TRAINER = Target(
    "21001",
    "CPSC",
    brand="Stamina",
    product_name="Stamina Elliptical Cross Trainers",
    product_type="elliptical trainer",
    text="The recalled Stamina elliptical cross trainers have a black steel frame.",
)
BIKE = Target(
    "20111",
    "CPSC",
    brand="Brompton",
    product_name="Brompton T-Line Foldable Bicycles",
    product_type="bicycle",
    text="The recalled Brompton T-Line foldable bicycles have a titanium frame.",
)


@pytest.fixture(scope="module")
def screener() -> Screener:
    return Screener([SCOOTER, TRAINER, BIKE])


@pytest.mark.parametrize(
    ("title", "brand", "recall"),
    [
        ("S74min4 3ll1ptical Cro55 7ra1ner5 Dur4bl3", "S74m1n4", "21001"),
        ("Br0mpt0n F0ldabl3 B1cycl35 H07 54l3", "Br0mpt0n", "20111"),
        ("5C0073R 3L3C7R1C R4Z0R", "", "05193"),
    ],
)
def test_a_recalled_product_written_in_leetspeak_is_blocked_for_its_recall(
    screener: Screener, title: str, brand: str, recall: str
) -> None:
    matches = screener.screen(Listing("L1", title, brand=brand))
    assert [(m.recall_number, m.decision) for m in matches[:1]] == [(recall, DecisionKind.BLOCK)]


def test_the_model_number_stays_evidence_in_a_leetspeak_title(screener: Screener) -> None:
    # "E300" decodes to nothing the recalls use: it stays a model number and is matched as one
    matches = screener.screen(Listing("L1", "R4z0r 3l3ctr1c 5c00t3r E300 70p R473d"))
    assert matches and matches[0].recall_number == "05193"
    assert matches[0].features["model_match"] == 1.0
    assert matches[0].decision is DecisionKind.BLOCK


def test_clean_titles_with_codes_and_sizes_are_left_as_written() -> None:
    decoder = TargetIndex([SCOOTER, TRAINER, BIKE]).leet
    for title in ("Razor E300 scooter 12V 350W", "Stamina 1772 trainer 3D 4K A4", "Bike 537 T5 B47 70p"):
        listing = Listing("L1", title)
        assert decoder.listing(listing) is listing, title


def test_one_letter_words_are_decoded_only_beside_other_leetspeak() -> None:
    decoder = LeetDecoder({"top", "rated", "scooter"})
    assert decoder.text("Scooter 70p") == "Scooter 70p"  # "70p" may be a code: nothing else is leetspeak
    assert decoder.text("5c00t3r 70p R473d") == "scooter top rated"
    assert decoder.text("70p", field=True) == "top"  # a brand field holds no model numbers


def test_a_recall_code_that_reads_as_a_word_stays_a_code() -> None:
    # a recall's own model code is a known token as written: it is not turned into a word
    decoder = LeetDecoder({"b00k", "book", "stand"})
    assert decoder.text("B00K 5t4nd") == "B00K stand"


def test_checks_see_the_listing_as_the_seller_wrote_it() -> None:
    bank = FingerprintBank(image_loader=None)
    removed = Listing("R1", "R4z0r 3l3ctr1c 5c00t3r", seller_id="S1")
    bank.add(removed, ActionEvidence("05193", "CPSC", action_id="a1"))
    seen: list[str] = []

    def check(listing: Listing) -> list:  # type: ignore[type-arg]
        seen.append(listing.title)
        return bank.screen(listing)

    screener = Screener([SCOOTER], checks=[check])
    screener.screen(Listing("L2", "R4z0r 3l3ctr1c 5c00t3r", seller_id="S1"))
    assert seen == ["R4z0r 3l3ctr1c 5c00t3r"]


def test_chinese_sales_words_are_dropped_and_product_words_read_in_place(screener: Screener) -> None:
    # 正品 "genuine" and 包邮 "free shipping" say nothing about the product; 电动滑板车 is an electric scooter
    english = screener.screen(Listing("L1", "Razor Electric Scooters Free Shipping", brand="Razor"))
    chinese = screener.screen(Listing("L2", "正品 Razor 电动滑板车 包邮", brand="Razor"))
    assert [(m.recall_number, m.decision) for m in chinese[:1]] == [("05193", DecisionKind.BLOCK)]
    assert chinese[0].features["title_cover"] == english[0].features["title_cover"] == 1.0


@pytest.mark.parametrize(
    ("title", "recall"),
    [
        ("RazorElectricScooterE300FreeShipping", "05193"),
        ("StaminaEllipticalCrossTrainersHotSale", "21001"),
        ("BROMPTONT-LineFoldableBicycles", "20111"),
    ],
)
def test_a_title_run_together_in_camel_case_is_read_word_by_word(
    screener: Screener, title: str, recall: str
) -> None:
    # no space, so no word a filter knows: the title is blocked as its words written apart would be
    apart = screener.screen(Listing("L0", split_run_together(title)))
    matches = screener.screen(Listing("L1", title))
    assert [(m.recall_number, m.decision) for m in matches[:1]] == [(recall, DecisionKind.BLOCK)]
    assert matches[0].score == apart[0].score


def test_brands_and_codes_written_in_one_camel_case_word_stay_whole() -> None:
    # one boundary is how brands are written; codes in lower case have none between letters
    for text in ("KitchenAid mixer", "iPhone case", "PowerWing scooter", "Joolz Aer2", "harness c032aa00"):
        assert split_run_together(text) == text
    assert split_run_together("BRPSki-DooSnowmobiles800R") == "BRP Ski-Doo Snowmobiles 800R"


@pytest.mark.parametrize(
    ("title", "recall"),
    [
        ("#RazorElectric #Scooter E300", "05193"),
        ("brompton foldable bicycles t-line #bromptonbicycles", "20111"),
    ],
)
def test_a_recalled_brand_glued_to_the_words_after_it_is_read_apart(
    screener: Screener, title: str, recall: str
) -> None:
    matches = screener.screen(Listing("L1", title))
    assert [(m.recall_number, m.decision) for m in matches[:1]] == [(recall, DecisionKind.BLOCK)]
    assert matches[0].features["brand_in_title"] == 1.0


def test_a_brand_that_is_a_plain_word_of_another_recall_is_not_split_off() -> None:
    # "Head" skis are recalled, and "head" is a plain word of a bicycle recall: headphones stay headphones
    skis = Target("1", "CPSC", brand="Head", product_name="Head ski bindings", product_type="ski binding")
    bike = Target(
        "2",
        "CPSC",
        brand="Trek",
        product_name="Trek bicycles",
        text="Cracks at the head tube. Call by phone.",
    )
    index = TargetIndex([skis, bike, SCOOTER])
    assert index.read(Listing("L1", "sony headphones")).title == "sony headphones"
    assert index.read(Listing("L2", "RazorScooters E300")).title == "Razor Scooters E300"


def test_a_model_number_in_capitals_is_not_read_as_a_leetspeak_word() -> None:
    # "GH018L" decoded letter by letter is "ghoibl": a made-up title word no recall explains
    helmet = Target(
        "26335",
        "CPSC",
        brand="Aisstxoer",
        product_name="Aisstxoer Adult Bike Helmets",
        product_type="bike helmet",
        model_numbers=["GH018L"],
        text='The model "GH018L" is printed on a label inside the helmet.',
    )
    screener = Screener([helmet, SCOOTER, BIKE])
    (match,) = screener.screen(Listing("L1", "Aisstxoer Adult Bike Helmets GH018L 2025 New"))
    assert match.features["model_match"] == 1.0 and match.features["title_cover"] == 1.0
    assert match.decision is DecisionKind.BLOCK


@pytest.mark.parametrize("title", ["R a z o r Electric Scooters E300", "R.a.z.o.r. electric scooters E300"])
def test_a_brand_spelt_out_letter_by_letter_is_read_whole(screener: Screener, title: str) -> None:
    matches = screener.screen(Listing("L1", title))
    assert [(m.recall_number, m.decision) for m in matches[:1]] == [("05193", DecisionKind.BLOCK)]
    assert matches[0].features["brand_in_title"] == 1.0


def test_letters_that_spell_no_recalled_brand_or_word_stay_apart() -> None:
    index = TargetIndex([SCOOTER, TRAINER, BIKE])
    for title in ("T-shirt size S M L", "A B C blocks", "K Y 0 5 5 helmet"):
        assert index.read(Listing("L1", title)).title == title


HELMET = Target(
    "22107",
    "CPSC",
    brand="Ninebot",
    product_name="Ninebot Children's Bicycle Helmets",
    product_type="bicycle helmet",
    text="The recalled Ninebot children's bicycle helmets were sold in orange and white.",
)


def test_a_listing_in_another_language_is_read_with_its_product_words_in_english() -> None:
    # "casco de bicicleta para niños" is a children's bicycle helmet; ASCII Spanish is translated too
    screener = Screener([HELMET, SCOOTER, BIKE])
    spanish = Listing("L1", "Ninebot casco de bicicleta para ninos", language="es")
    (match,) = screener.screen(spanish)
    assert match.recall_number == "22107" and match.decision is DecisionKind.BLOCK
    assert match.features["type_cover"] == 1.0


@pytest.mark.parametrize(
    ("title", "language"),
    [("Ninebot Fahrrad Helme Kinder", "de"), ("Ninebot casques vélo enfants", "fr")],
)
def test_whom_a_product_is_for_in_another_language_is_read_as_the_recall_writes_it(
    title: str, language: str
) -> None:
    # "Kinder", "enfants": the recall's "children's"; left as a word of the listing's language, the
    # product name was half covered and the block went to review
    features = _pair(TargetIndex([HELMET, SCOOTER, BIKE]), Listing("L1", title, language=language), "22107")
    assert features["name_cover"] == 1.0


def test_an_english_title_said_to_be_in_another_language_is_read_as_english() -> None:
    # no product word of another language in it: its words count as they would in English
    screener = Screener([HELMET, SCOOTER, BIKE])
    title = "Ninebot bicycle hydraulic brake lever"
    english = screener.screen(Listing("L1", title, language="en"))
    labelled = screener.screen(Listing("L2", title, language="de"))
    assert [(m.recall_number, m.decision, m.score) for m in labelled] == [
        (m.recall_number, m.decision, m.score) for m in english
    ]


ROSSIGNOL = Target(
    "18123",
    "CPSC",
    brand="Rossignol",
    product_name="Rossignol All Track DH Bicycles",
    product_type="bicycle",
    text="This recall involves 2018 and 2019 Rossignol All Track DH bicycles.",
)
ROCKY = Target(
    "20150",
    "CPSC",
    brand="Rocky Mountain",
    product_name="Rocky Mountain Instinct Bicycles",
    product_type="bicycle",
    text="The recalled Rocky Mountain Instinct bicycles have an alloy frame.",
)
HEAD = Target("1", "CPSC", brand="Head", product_name="Head ski bindings", product_type="ski binding")
TREK = Target("2", "CPSC", brand="Trek", product_name="Trek bicycles", text="Cracks at the head tube.")
AVARI = Target("3", "CPSC", brand="Avari", product_name="Avari treadmills", model_numbers=["AVARI1000"])


@pytest.mark.parametrize(
    ("title", "recall"),
    [
        ("rossignol2018 All Track DH bicycles", "18123"),  # a year run into the brand
        ("rockymountain bicycles", "20150"),  # a brand of two words run together, alone
    ],
)
def test_a_brand_run_into_a_year_or_its_own_second_word_is_read_apart(title: str, recall: str) -> None:
    matches = Screener([ROSSIGNOL, ROCKY, SCOOTER]).screen(Listing("L1", title))
    assert [(m.recall_number, m.decision) for m in matches[:1]] == [(recall, DecisionKind.BLOCK)]
    assert matches[0].features["brand_in_title"] == 1.0


def test_a_brand_run_into_a_code_is_read_apart_and_a_recalled_code_stays_whole() -> None:
    index = TargetIndex([ROSSIGNOL, AVARI, SCOOTER])
    assert index.read(Listing("L1", "RossignolDH4 bicycle")).title == "Rossignol DH4 bicycle"
    assert (
        index.read(Listing("L2", "Avari1000 treadmill")).title == "Avari1000 treadmill"
    )  # the recall's model


def test_a_brand_that_is_a_plain_word_is_split_off_only_where_the_case_marks_it() -> None:
    index = TargetIndex([HEAD, TREK, SCOOTER])  # "head" is a plain word of the bicycle recall
    assert index.read(Listing("L1", "HeadSki bindings")).title == "Head Ski bindings"
    assert index.read(Listing("L2", "headski bindings")).title == "headski bindings"
    assert index.read(Listing("L3", "Head2020 ski bindings")).title == "Head 2020 ski bindings"


def _pair(index: TargetIndex, listing: Listing, recall: str) -> dict[str, float]:
    from recallguard.matching.features import FEATURES, pair_features
    from recallguard.matching.profiles import listing_profile

    lp = listing_profile(index.read(listing))
    cands = index.candidates(lp)
    (ti,) = [i for i in cands if index.profiles[i].target.recall_number == recall]
    row = pair_features(lp, index.profiles[ti], lp.brand_hits.get(ti), cands[ti], ti in lp.model_key_hits)
    return dict(zip(FEATURES, row, strict=True))
