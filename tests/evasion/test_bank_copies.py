"""A product removed many times: a screening weighs one entry per group of alike copies found by its model
number (and every copy of the listing's own seller or a linked one), and answers exactly as if it had
weighed every copy."""

from __future__ import annotations

from collections.abc import Collection

import pytest

from recallguard.domain.models import Listing, Match
from recallguard.matching import fingerprints
from recallguard.matching.bank_entries import ActionEvidence
from recallguard.matching.fingerprints import FingerprintBank

BRANDS = ["Joolz", "Joolz", "Jools", ""]


def _copies(n: int) -> FingerprintBank:
    """``n`` removed copies of one product under recall 26568 (and a few of another recall sharing the
    code): other sellers, brand spellings, wording, an accessory, a seller linked by phone."""
    bank = FingerprintBank(image_loader=None)
    for i in range(n):
        title = f"{BRANDS[i % 4]} Aer2 car seat adapter NL311 lot {i}"
        if i % 7 == 3:
            title = f"Replacement strap for Aer2 adapter NL311 #{i}"
        extra = {"phone": "+86 138 0000 1111"} if i == 41 else {}
        listing = Listing(f"R{i}", title, brand=BRANDS[i % 4], seller_id=f"S{i % 50}", extra=extra)
        bank.add(listing, ActionEvidence("26568" if i % 11 else "26999", "CPSC", action_id=f"A{i}"))
    return bank


def _answer(matches: list[Match]) -> list[tuple[str, float, str]]:
    return sorted((m.recall_number, m.score, m.decision.value) for m in matches)


QUERIES = [
    Listing("Q1", "Joolz Aer2 car seat adapter NL311", brand="Joolz", seller_id="S-new"),
    Listing("Q2", "NL311", seller_id="S9"),  # a seller with removed copies (none the first of its group)
    Listing("Q3", "J00lz adaptor N L 3 1 1", seller_id="S-x", extra={"phone": "+86 138-0000-1111"}),
    Listing("Q4", "Replacement strap NL311", brand="Jools", seller_id="S-new"),
    Listing("R5", "Jools Aer2 car seat adapter NL311 lot 5", brand="Jools", seller_id="S5"),  # itself
]


@pytest.mark.parametrize("query", QUERIES, ids=[q.listing_id for q in QUERIES])
def test_grouped_copies_give_the_answer_of_weighing_every_copy(
    query: Listing, monkeypatch: pytest.MonkeyPatch
) -> None:
    bank = _copies(400)
    grouped = _answer(bank.screen(query))
    weighed: list[int] = []
    decide = fingerprints.decide_hits

    def counting(listing: Listing, text: str, signals: dict, entries: dict, policy: object) -> list:  # type: ignore[type-arg]
        weighed.append(len(signals))
        return decide(listing, text, signals, entries, policy)  # type: ignore[arg-type]

    monkeypatch.setattr(fingerprints, "decide_hits", counting)
    bank.screen(query)

    def every_copy(
        self: FingerprintBank, code: str, groups: dict, listing: Listing, signals: Collection[str]
    ) -> list[str]:  # type: ignore[type-arg]
        return [k for members in groups.values() for k in members]

    monkeypatch.setattr(FingerprintBank, "_model_hits", every_copy)
    assert grouped and grouped == _answer(bank.screen(query))
    assert weighed[0] < 120 < weighed[1]  # far fewer weighed than the copies the code finds


def test_a_removed_copy_leaves_its_group_and_the_rest_still_answer() -> None:
    bank = _copies(40)
    query = QUERIES[0]
    before = _answer(bank.screen(query))
    for i in range(40):
        if i % 11 == 0:
            assert bank.remove(f"R{i}", "26999")
    after = _answer(bank.screen(query))
    assert [r for r, *_ in after] == ["26568"] and after == [x for x in before if x[0] == "26568"]
    for i in range(40):
        bank.remove(f"R{i}", "26568")
    assert bank.screen(query) == [] and bank._models == {} and bank._grouped == {}


@pytest.mark.parametrize("n", [fingerprints.GROUP_AT - 1, fingerprints.GROUP_AT + 3])
def test_a_code_few_removed_listings_carry_answers_as_one_kept_in_groups(
    n: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A code carried by a few entries is kept as a plain list and grouped when screened; past
    ``GROUP_AT`` it is kept grouped. Either way every query gets the same answer."""
    listed = _copies(n)
    assert ("N1311" in listed._models) == (n <= fingerprints.GROUP_AT) != ("N1311" in listed._grouped)
    answers = [_answer(listed.screen(q)) for q in QUERIES]
    monkeypatch.setattr(fingerprints, "GROUP_AT", 0)  # every code grouped from its first entry
    grouped = _copies(n)
    assert grouped._models == {}
    assert sum(map(bool, answers)) >= 3 and answers == [_answer(grouped.screen(q)) for q in QUERIES]
    for i in range(n):  # removing every copy empties both kinds of index
        listed.remove(f"R{i}", "26568" if i % 11 else "26999")
        grouped.remove(f"R{i}", "26568" if i % 11 else "26999")
    assert listed._models == listed._grouped == grouped._grouped == {}


@pytest.mark.parametrize("query", QUERIES[:4], ids=[q.listing_id for q in QUERIES[:4]])
def test_each_recall_answers_with_its_heaviest_copy_explained(
    query: Listing, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every copy found is weighed; the match names the first of the heaviest and its notes say why,
    exactly as weighing that copy alone with notes writes them."""
    from recallguard.matching.bank_weigh import Weighing

    seen: list[tuple[dict, dict]] = []  # type: ignore[type-arg]
    decide = fingerprints.decide_hits

    def keep(listing: Listing, text: str, signals: dict, entries: dict, policy: object) -> list:  # type: ignore[type-arg]
        seen.append((signals, entries))
        return decide(listing, text, signals, entries, policy)  # type: ignore[arg-type]

    monkeypatch.setattr(fingerprints, "decide_hits", keep)
    bank = _copies(60)
    matches = bank.screen(query)
    assert matches
    signals, entries = seen[0]
    w = Weighing.of(query, fingerprints.listing_text(query))
    for m in matches:
        weights = [
            (w.weigh(entries[k], by_kind), k)
            for k, by_kind in signals.items()
            if entries[k].evidence.recall_number == m.recall_number
        ]
        top = max(s for s, _ in weights)
        first = next(k for s, k in weights if s == top)
        notes: list[str] = []
        assert m.score == top == w.weigh(entries[first], signals[first], notes)
        assert f"removed listing {entries[first].listing_id} " in m.evidence
        assert "; ".join(notes) in m.evidence
