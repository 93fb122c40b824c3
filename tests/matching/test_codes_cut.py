"""A recalled model number cut in two ("WD1 764", "SK3 000", "80 0R"): the screener reads the code the
seller broke up, and only when the joined code is exactly a recalled one."""

from __future__ import annotations

from recallguard.domain.models import DecisionKind, Listing, Target
from recallguard.matching.screen import Screener

STOOL = Target(
    "RR10900",
    "CPSC",
    brand="Woodure",
    product_name="Woodure Toddler Kitchen Step Stools",
    product_type="step stool",
    model_numbers=["WD1764"],
    text="This recall involves Woodure toddler kitchen step stools, model WD1764.",
)
SLED = Target(
    "08610",
    "CPSC",
    brand="Ski-Doo",
    product_name="Ski-Doo snowmobiles",
    product_type="snowmobile",
    model_numbers=["800R"],
    text="This recall involves Ski-Doo snowmobiles with 800R engines.",
)
WASHER = Target(
    "RR10936",
    "CPSC",
    brand="Workbless",
    product_name="Workbless Pressure Washers",
    product_type="pressure washer",
    model_numbers=["WB0301"],
    text="This recall involves Workbless electric pressure washers, model WB0301.",
)
SCREENER = Screener([STOOL, SLED, WASHER])


def _blocks(title: str) -> list[str]:
    matches = SCREENER.screen(Listing("L1", title))
    return [m.recall_number for m in matches if m.decision is DecisionKind.BLOCK]


def test_a_recalled_code_cut_in_two_is_read_as_that_code() -> None:
    for title in ("Woodure Toddler Kitchen Step Stools WD1 764 Premium", "Woodure step stool WD1-764"):
        matches = SCREENER.screen(Listing("L1", title))
        assert matches and matches[0].recall_number == "RR10900", title
        assert matches[0].features["model_match"] == 1.0, title
    assert _blocks("Woodure Toddler Kitchen Step Stools WD1 764 Premium") == ["RR10900"]


def test_numbers_side_by_side_that_join_to_no_recalled_code_stay_apart() -> None:
    # two years, a size and a count: nothing recalled is written here, so no model number is read
    matches = SCREENER.screen(Listing("L1", "Woodure step stool 2019 2025 12 100"))
    assert all(m.features["model_match"] == 0.0 for m in matches)


def test_a_recalled_code_cut_in_two_with_letters_for_digits_is_found() -> None:
    # "W8O 301": WB0301 cut in two, its B written as 8 and its zero as the letter O
    matches = SCREENER.screen(Listing("L1", "Pressure Washers W8O 301"))
    assert matches and matches[0].recall_number == "RR10936"
    assert "'W8O 301' read as a recalled model number" in matches[0].evidence
