"""``brand_match`` reads a candidate once whatever the brands (``evasion.candidate_keys``, memoised: a
listing's words are tried against every brand of the removed listings it resembles) and answers what
the long way answers: every key rebuilt from the candidate for each brand index."""

from __future__ import annotations

import re

import jellyfish
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz.distance import DamerauLevenshtein
from rapidfuzz.process import extractOne

from recallguard.matching import evasion
from recallguard.matching.evasion import BrandIndex, brand_match, clean_text, leet_variants, transliterate

BRANDS = ["Joolz", "Graco", "Specialized", "Baby Trend", "Razor", "Peg Perego", "K2", "Bugaboo", "Lil Tikes"]
# letters and their disguises: leetspeak digits, Cyrillic lookalikes, spacing, punctuation
PIECES = st.sampled_from(
    ["j", "o", "0", "l", "z", "g", "r", "a", "c", "s", "p", "e", "3", "4", "1", "b", "u", "k", "2", "t",
     "i", "d", "6", "у", "о", "а", "е", "р", "с", " ", "-", ".", "$", "@", "ɡ", "Ｋ", "\u200b"]
)  # fmt: skip


def _long_way(candidate: str, index: BrandIndex) -> tuple[str | None, float, str]:
    """The answer before the memo: every key computed from the candidate on each call."""
    plain = re.sub(r"[^a-z0-9]+", "", clean_text(candidate).lower())
    if plain in index.exact:
        return index.exact[plain], 1.0, "exact"
    words = clean_text(candidate).lower().split()
    if len(words) > 1 and "".join(words) in index.exact:
        return index.exact["".join(words)], 1.0, "spacing"
    keys: list[tuple[str, str]] = []
    sk = evasion._brand_key(candidate)
    if sk != plain:
        keys.append((sk, "homoglyph"))
    if not candidate.isascii():
        keys.append((re.sub(r"[^a-z0-9]+", "", transliterate(candidate).lower()), "transliteration"))
    keys.append((plain, "exact"))
    for variant in leet_variants(clean_text(candidate))[1:]:
        keys.append((evasion._brand_key(variant), "leetspeak"))
    for key, how in keys:
        if key in index.exact and how != "exact":
            return index.exact[key], 1.0, how
    best: tuple[str | None, float, str] = (None, 0.0, "none")
    for key, _how in keys:
        if len(key) < 4:
            continue
        pool = [k for n in range(len(key) - 2, len(key) + 3) for k in index.by_length.get(n, [])]
        hit = extractOne(key, pool, scorer=DamerauLevenshtein.distance, score_cutoff=2)
        if hit is not None:
            found, dist = hit[0], int(hit[1])
            sim = round(1.0 - dist / max(len(key), len(found)), 2)
            if (
                dist <= evasion._allowed_edits(min(len(key), len(found)))
                and found[0] == key[0]
                and sim > best[1]
            ):
                best = (index.exact[found], sim, "misspelling")
        if key.isalpha() and best[0] is None:
            for found in index.phonetic.get(jellyfish.metaphone(key), []):
                sim = round(DamerauLevenshtein.normalized_similarity(key, found), 2)
                if sim >= 0.6 and sim > best[1]:
                    best = (index.exact[found], sim, "sound-alike")
    return best


@given(st.lists(PIECES, max_size=14).map("".join), st.sampled_from([*([b] for b in BRANDS), BRANDS]))
@settings(max_examples=600, deadline=None)
def test_a_candidate_read_once_answers_as_read_for_each_brand(candidate: str, brands: list[str]) -> None:
    index = BrandIndex(brands)
    for _ in range(2):  # the second call answers from the memo
        assert brand_match(candidate, index) == _long_way(candidate, index)


def test_disguises_a_reviewer_knows_answer_alike() -> None:
    """Spacing, homoglyphs, leetspeak, misspellings and sound-alikes, each against one brand and many."""
    many = BrandIndex(BRANDS)
    tries = ["Baby Trend", "BabyTrend", "Jооlz", "J00lz", "Sepcialized", "Kraco", "Bugabo", "P3g Perego",
             "Lil Tykes", "Nike", "r@zor", "k 2", "Kraco6"]  # fmt: skip
    for candidate in tries:
        for index in (many, BrandIndex([BRANDS[0]]), BrandIndex(["Graco"])):
            assert brand_match(candidate, index) == _long_way(candidate, index), candidate
    assert brand_match("Baby Trend", many)[2] == "exact" and brand_match("J00lz", many)[:1] == ("Joolz",)
