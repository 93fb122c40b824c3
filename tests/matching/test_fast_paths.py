"""The screening hot path's shortcuts give what the long way gives.

Each shortcut skips work when it cannot change the answer (ASCII text, titles without leetspeak, a
batch of listings at once); these tests hold them to the long way on real listings and on generated
text, so a shortcut that changes an answer fails here and not silently in production.
"""

from __future__ import annotations

import json
import string
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recallguard.domain.identifiers import canonical_model, is_plausible_model
from recallguard.domain.models import Listing
from recallguard.listings.readers import read_listings
from recallguard.matching import evasion, normalize
from recallguard.matching.build import targets_for
from recallguard.matching.evasion_terms import TermTable, fold_words, term_table
from recallguard.matching.fallback_blockers import ShingleLSH, signatures
from recallguard.matching.index import TargetIndex
from recallguard.matching.profiles import (
    _INTERLEAVED_ASCII,
    ListingProfile,
    _interleaved,
    listing_profile,
)
from recallguard.sources.loader import load_recalls

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"
ASCII_TEXT = st.text(alphabet=string.printable + "`'", max_size=80)


def _slow_normalize(text: str) -> str:
    """``normalize_text`` the long way (NFKC, invisible characters, typographic quotes), uncached."""
    t = unicodedata.normalize("NFKC", normalize.strip_invisible(text)).translate(normalize._APOS).lower()
    return normalize._SPACES.sub(" ", normalize._PUNCT.sub(" ", t)).strip()


@given(ASCII_TEXT)
@settings(max_examples=300, deadline=None)
def test_ascii_text_normalises_as_the_long_way_does(text: str) -> None:
    assert normalize.normalize_text.__wrapped__(text) == _slow_normalize(text)


@given(st.text(alphabet=string.ascii_letters + string.digits + "@$!|-./ ", max_size=40))
@settings(max_examples=500, deadline=None)
def test_leetspeak_prefilter_never_skips_a_disguised_word(text: str) -> None:
    """A title skips the word-by-word leetspeak check only when none of its words would be decoded."""
    if any(_interleaved(w) for w in text.split()):
        assert _INTERLEAVED_ASCII.search(text)


@pytest.fixture(scope="module")
def sample() -> tuple[TargetIndex, list[Listing]]:
    recalls = load_recalls(SAMPLES / "recalls.json").recalls
    index = TargetIndex(targets_for(recalls))
    listings = [r for r in read_listings(SAMPLES / "listings.jsonl") if isinstance(r, Listing)]
    return index, listings


def test_a_batch_gets_the_candidates_each_listing_gets_alone(
    sample: tuple[TargetIndex, list[Listing]],
) -> None:
    """The fuzzy blockers answer a whole batch at once; no listing's candidates depend on its batch."""
    index, listings = sample
    batch = index.candidates_many([listing_profile(x) for x in listings], exhaustive=True)
    alone = [index.candidates(listing_profile(x), exhaustive=True) for x in listings]
    assert batch == alone
    assert any("lsh" in b for c in batch for b in c.values())
    assert any("embedding" in b for c in batch for b in c.values()) or not index.neighbours.available


def test_text_scores_in_numpy_are_the_loops_scores(
    sample: tuple[TargetIndex, list[Listing]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Long postings are added up in numpy: the same text candidates as the loop over a dict gives."""
    from recallguard.matching import index as index_mod

    index, listings = sample
    monkeypatch.setattr(index_mod, "DENSE_TEXT_SCORING", 10**9)
    loop = [index._exact_candidates(listing_profile(x)) for x in listings]
    monkeypatch.setattr(index_mod, "DENSE_TEXT_SCORING", 0)
    dense = [index._exact_candidates(listing_profile(x)) for x in listings]
    assert dense == loop
    assert sum("text" in b for c, _ in loop for b in c.values()) >= 50


def shingles(text: str) -> set[str]:
    """A text's character 3-grams with spaces removed: the sets the MinHash signatures stand for."""
    s = "".join(text.split())
    return {s[i : i + 3] for i in range(max(1, len(s) - 2))}


def test_minhash_signatures_estimate_jaccard_similarity() -> None:
    titles = [
        "brompton t line foldable bicycle",
        "bromtpon tline foldable bicycle black",
        "gudook adult bike helmet ky 055",
        "boon nursh reusable baby bottle 3 pack",
        "kids wooden dollhouse with furniture",
        "cervelo wolf sl carbon fiber bicycle fork",
    ]
    sig, ok = signatures(titles)
    assert all(ok)
    errors = []
    for i in range(len(titles)):
        for j in range(i + 1, len(titles)):
            a, b = shingles(titles[i]), shingles(titles[j])
            errors.append(abs((sig[i] == sig[j]).mean() - len(a & b) / len(a | b)))
    assert max(errors) < 0.2 and sum(errors) / len(errors) < 0.08


def test_lsh_finds_a_misspelt_title_and_not_an_unrelated_one(
    sample: tuple[TargetIndex, list[Listing]],
) -> None:
    index, _ = sample
    lsh = ShingleLSH(index.profiles)
    p = index.profiles[0]
    title = f"{p.brand_norm} {p.name_norm}"
    swapped = title[:3] + title[4] + title[3] + title[5:]  # two letters swapped
    assert 0 in lsh.query(listing_profile_for(swapped))
    assert lsh.query(listing_profile_for("zzzz qqqq xxxx")) == []


def listing_profile_for(title: str) -> ListingProfile:
    return listing_profile(Listing("L", title))


def test_a_json_line_with_escaped_nul_or_surrogate_is_still_made_storable(tmp_path: Path) -> None:
    """Lines without a \\u escape skip the scrub; one with an escaped NUL or lone surrogate does not."""
    path = tmp_path / "l.jsonl"
    rows = [{"listing_id": "A", "title": "mag\x00net \ud800 set"}, {"listing_id": "B", "title": "Vélo"}]
    path.write_text(
        json.dumps(rows[0]) + "\n" + json.dumps(rows[1], ensure_ascii=False) + "\n", encoding="utf-8"
    )
    got = [r.title for r in read_listings(path) if isinstance(r, Listing)]
    assert got == ["magnet \ufffd set", "Vélo"]


def _find_the_long_way(table: TermTable, text: str) -> list[tuple[int, str, bool]]:
    """``TermTable.find`` as it was before the phrase-head shortcut: at every word, every phrase length
    tried, longest first."""
    found = (
        [(m.start(), table.cjk[m.group(0)]) for m in table.cjk_re.finditer(text)]
        if not text.isascii()
        else []
    )
    words = fold_words(text)
    i = 0
    while i < len(words):
        for n in range(min(table.max_words, len(words) - i), 0, -1):
            hit = table.phrases.get(tuple(words[i : i + n])) if n > 1 else table._word(words[i])
            if hit is not None:
                found.append((len(text) + i, hit))
                i += n
                break
        else:
            i += 1
    return [(at, e.product_type, e.english) for at, e in sorted(found, key=lambda pe: pe[0])]


def _table_pieces() -> list[str]:
    """Whole phrases of the term table, their first words alone, their other words, and filler."""
    phrases = sorted(term_table().phrases)
    return [
        *sorted({" ".join(p) for p in phrases}),
        *sorted({" ".join(p[:k]) for p in phrases for k in range(1, len(p))}),
        *sorted({w for p in phrases for w in p[1:]}),
        "kids", "for", "new", "x", "2",
    ]  # fmt: skip


@given(st.lists(st.sampled_from(_table_pieces()), max_size=10))
@settings(max_examples=500, deadline=None)
def test_product_terms_are_found_as_the_long_way_finds_them(pieces: list[str]) -> None:
    """Only a phrase's first word starts a look for phrases of two words or more; the terms found (the
    longest phrase at each place) are the ones trying every length at every word finds."""
    table = term_table()
    text = " ".join(pieces)
    assert [(at, e.product_type, e.english) for at, e in table.find(text)] == _find_the_long_way(table, text)


def _model_candidates_the_long_way(text: str) -> dict[str, str]:
    """``evasion.model_candidates`` without skipping the tokens that hold no digit."""
    out: dict[str, str] = {}
    toks = evasion._model_tokens(evasion.skeleton(text).upper())
    canon = [canonical_model(t) for t in toks]

    def emit(value: str, written: str) -> None:
        if 3 <= len(value) <= 20 and any(c.isdigit() for c in value) and is_plausible_model(value):
            out.setdefault(value.translate(evasion._SWAPS), written)

    for i, tok in enumerate(toks):
        emit(canon[i], tok)
        if (market := normalize.MARKET_SUFFIX.match(tok)) is not None:
            emit(canonical_model(market.group(1)), market.group(1))
        if (label := normalize.CODE_LABEL.match(tok)) is not None:
            emit(canonical_model(tok[label.end() :]), tok[label.end() :])
        parts = evasion._FRAGMENT.findall(tok)
        if len(parts) > 1 and " " not in tok:
            for part in parts:
                emit(part, part)
        for n in (2, 3):
            group = canon[i : i + n]
            if len(group) == n and all(
                0 < len(c) <= (4 if c.isalpha() else 6) and c not in evasion._NOT_MODEL_PARTS for c in group
            ):
                emit("".join(group), " ".join(toks[i : i + n]))
    return out


@given(st.text(alphabet="KYOBS05-. /ab٣", max_size=40))
@settings(max_examples=500, deadline=None)
def test_model_candidates_skip_only_words_without_a_digit(text: str) -> None:
    assert evasion.model_candidates.__wrapped__(text) == _model_candidates_the_long_way(text)


def test_fingerprint_text_shortcuts_on_real_listings(sample: tuple[TargetIndex, list[Listing]]) -> None:
    """The bank's text work on the sample listings: terms, model numbers as the long ways give them."""
    _, listings = sample
    table = term_table()
    texts = [f"{x.model} {x.title} {x.description}" for x in listings]
    assert sum(bool(table.find(t)) for t in texts) >= 20
    for t in texts:
        assert [(at, e.product_type, e.english) for at, e in table.find(t)] == _find_the_long_way(table, t)
        assert evasion.model_candidates.__wrapped__(t) == _model_candidates_the_long_way(t)
