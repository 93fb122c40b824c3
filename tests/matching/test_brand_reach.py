"""The bank's brand check tries a brand only against the listing's candidates that could reach it
(``bank_weigh.BrandReach``) and answers what trying every candidate answers: a compliance reviewer sees
the same "brand Joolz (leetspeak, 1.00)" or "brand changed" note either way."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from recallguard.domain.models import Listing
from recallguard.matching.bank_weigh import BrandReach, brand_agrees
from recallguard.matching.evasion import BrandIndex, brand_match, clean_text

BRANDS = ["Joolz", "Graco", "Specialized", "Baby Trend", "Razor", "Peg Perego", "K2", "Bugaboo",
          "Lil Tikes", "Fisher-Price", "IKEA", "Ab", "4moms", "Kids II"]  # fmt: skip
# words a seller writes, the brands among them disguised: leetspeak, lookalike letters, spacing, typos
WORDS = st.sampled_from(
    ["J00lz", "Jооlz", "Joolz", "Kraco", "Graco", "Sepcialized", "Baby", "Trend", "BabyTrend", "R4z0r",
     "Peg", "P3g", "Perego", "K", "2", "K2", "Bugabo", "Lil", "Tykes", "Fisher", "Price", "FisherPrice",
     "1KEA", "stroller", "adapter", "for", "Aer2", "helmet", "kids", "4moms", "mamaroo", "II", "Ab",
     "replacement", "strap", "—", "Ѕресіаlіzеd", "gracoo", "tikes", "Specialzd", "Fishrprce", "Secialied",
     "Specalizd"]
)  # fmt: skip


def _long_way(listing: Listing, brand: str) -> tuple[float, str] | None:
    """Every candidate tried: the listing's brand, then its title's n-grams of the brand's width and
    one word either side."""
    index, width = BrandIndex([brand]), len(brand.split())
    candidates = [listing.brand] if listing.brand else []
    words = clean_text(listing.title).split()
    for n in {max(1, width - 1), width, width + 1}:
        candidates += [" ".join(words[i : i + n]) for i in range(len(words) - n + 1)]
    best: tuple[float, str] | None = None
    for c in candidates:
        found, sim, how = brand_match(c, index)
        if found and sim >= 0.8 and (best is None or sim > best[0]):
            best = (sim, how)
            if sim == 1.0:
                break
    return best


@given(
    st.lists(WORDS, min_size=1, max_size=9).map(" ".join),
    st.one_of(st.none(), WORDS),
    st.lists(st.sampled_from(BRANDS), min_size=1, max_size=6),
)
@settings(max_examples=500, deadline=None)
def test_trying_reachable_candidates_answers_as_trying_all(
    title: str, brand_field: str | None, brands: list[str]
) -> None:
    listing = Listing("L1", title, brand=brand_field)
    reach: dict[int, BrandReach] = {}  # kept across brands, as one weighing keeps it
    for brand in brands:
        assert brand_agrees(listing, brand, reach) == _long_way(listing, brand), (title, brand)


def test_disguised_brands_are_found_and_others_are_not() -> None:
    listing = Listing("L1", "J00lz Aer2 stroller adapter by Baby  Trend", brand="Kraco")
    reach: dict[int, BrandReach] = {}
    assert brand_agrees(listing, "Joolz", reach) == (1.0, "leetspeak")
    assert brand_agrees(listing, "Baby Trend", reach) == (1.0, "exact")
    assert brand_agrees(listing, "BabyTrend", reach) == (1.0, "exact")  # words run together
    assert brand_agrees(listing, "Graco", reach) == _long_way(listing, "Graco") is not None
    assert brand_agrees(listing, "Peg Perego", reach) is None
    two_short = Listing("L2", "Specalizd kids helmet")  # two letters dropped, sounds otherwise: misspelt
    assert brand_agrees(two_short, "Specialized") == (0.82, "misspelling")
    assert set(reach) == {1, 2}  # one reach per brand width, built once
