"""How the fingerprint bank weighs what a screening found: each removed listing's signals (text, model
number, GTIN, image) made more or less likely by brand, seller, product type and accessory wording,
and the strongest removed listing per original recall turned into a match.

A product removed many times gives a screening up to ``MAX_TEXT_HITS_PER_RECALL`` candidates per recall
and one answer. Every candidate is scored; the notes and evidence that explain a score are written for
the one that answers for its recall only (``weigh`` with ``notes``: the same arithmetic, so the same
score).

>>> from recallguard.matching.bank_entries import ActionEvidence, fingerprint
>>> e = fingerprint(Listing("L1", "Joolz Aer2 adapter NL311", brand="Joolz", seller_id="S1"),
...                 ActionEvidence("26568", "CPSC"))
>>> hits = decide_hits(Listing("L2", "Joolz Aer2 adapter", seller_id="S1"), "joolz aer2 adapter",
...                    {"L1|26568": {"text": (0.75, "text 0.60 similar")}}, {"L1|26568": e}, DecisionPolicy())
>>> hits[0].score, hits[0].evidence.split(": ")[1]
(0.925, 'text 0.60 similar; brand Joolz; same seller S1; original action')
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache

from recallguard.domain.models import DecisionKind, Listing, Match
from recallguard.domain.policy import BANK_MODEL, DecisionPolicy
from recallguard.matching.bank_entries import BankEntry, seller_links
from recallguard.matching.evasion import BrandIndex, brand_match, candidate_keys, clean_text
from recallguard.matching.evasion_terms import product_types
from recallguard.matching.normalize import named_brand

#: A signal's note: its text, or a template and the value it shows (written only when explained)
Note = str | tuple[str, float]
#: What a screening found per removed listing (its bank key): kind → (score, note)
Signals = dict[str, dict[str, tuple[float, Note]]]

ACCESSORY = re.compile(
    r"\b(fits|compatible with|replacement|for use with|cover for|case for|charger for|cable for|"
    r"bracket|mount for|strap for|parts? for)\b",
    re.I,
)


@lru_cache(maxsize=50_000)
def _brand_probe(brand: str) -> tuple[BrandIndex, str, str | None]:
    """``brand``'s index for :func:`brand_match`, its key ('' when too short to match) and the sound
    its index holds (None when it holds none)."""
    index = BrandIndex([brand])
    key = next(iter(index.exact), "")
    return index, key, next(iter(index.phonetic), None)


#: A listing's first candidates (its brand field, its title's first word) are tried directly: they are
#: most often the brand, and reading every candidate's keys for the reach costs more than a few tries
HEAD_TRIES = 2


@dataclass
class BrandReach:
    """A listing's brand candidates for brands of one word count (its brand field, then its title's word
    n-grams of that width and one either side) and, per candidate, what :func:`brand_match` could take
    it for: its exact keys, the (first letter, length) of its keys long enough to be a misspelling, and
    their sounds (read when first asked). A brand is tried against the candidates that could reach it
    only: the others cannot match it, so the answer is the one trying them all gives.

    >>> r = BrandReach.of(Listing("L", "J00lz Aer2 adapter"), 1)
    >>> r.candidates[:3], r.picks("joolz", None), r.picks("graco", "KRK")
    (['J00lz', 'Aer2', 'adapter'], [0], [])
    """

    candidates: list[str]
    by_key: dict[str, list[int]] = field(default_factory=dict)
    by_head: dict[tuple[str, int], list[int]] = field(default_factory=dict)
    by_sound: dict[str, list[int]] = field(default_factory=dict)
    read: bool = False  # the three indexes are built

    @classmethod
    def of(cls, listing: Listing, width: int) -> BrandReach:
        """``listing``'s candidates for brands of ``width`` words (their keys are read by :meth:`picks`)."""
        brand = named_brand(listing.brand)  # "Generic": no brand to read
        candidates = [brand] if brand else []
        words = clean_text(listing.title).split()
        for n in {max(1, width - 1), width, width + 1}:
            candidates += [" ".join(words[i : i + n]) for i in range(len(words) - n + 1)]
        return cls(candidates)

    def _read(self) -> None:
        for i, c in enumerate(self.candidates):
            plain, joined, keys = candidate_keys(c)
            for k in {plain, joined, *(k for k, _, _ in keys)} - {""}:
                self.by_key.setdefault(k, []).append(i)
            for k, _, sound in keys:
                if len(k) >= 4:
                    self.by_head.setdefault((k[0], len(k)), []).append(i)
                    if sound is not None:
                        self.by_sound.setdefault(sound, []).append(i)
        self.read = True

    def picks(self, key: str, sound: str | None) -> list[int]:
        """The candidates (in order) that could be the brand of index key ``key`` and sound ``sound``."""
        if not key:
            return []
        if not self.read:
            self._read()
        found = set(self.by_key.get(key, ()))
        for n in range(len(key) - 2, len(key) + 3):
            found.update(self.by_head.get((key[0], n), ()))
        if sound is not None:
            found.update(self.by_sound.get(sound, ()))
        return sorted(found)


def brand_agrees(
    listing: Listing, brand: str, reach: dict[int, BrandReach] | None = None
) -> tuple[float, str] | None:
    """(similarity, how) when the listing's brand field or title names ``brand``, disguised or not: the
    first of its most similar candidates at 0.8 or more. The first ``HEAD_TRIES`` candidates are tried
    directly (an exact hit there ends it), the rest through the listing's :class:`BrandReach`;
    ``reach`` keeps it by width for the next brand asked.

    >>> brand_agrees(Listing("L", "J00lz Aer2 adapter"), "Joolz")[0] >= 0.8
    True
    """
    index, key, sound = _brand_probe(brand)
    if not key:
        return None  # too short to be known: nothing matches it
    width = len(brand.split())
    reach = {} if reach is None else reach
    if (r := reach.get(width)) is None:
        r = reach[width] = BrandReach.of(listing, width)
    best: tuple[float, str] | None = None
    for i in itertools.chain(range(min(HEAD_TRIES, len(r.candidates))), _after_head(r, key, sound)):
        found, sim, how = brand_match(r.candidates[i], index)
        if found and sim >= 0.8 and (best is None or sim > best[0]):
            best = (sim, how)
            if sim == 1.0:
                break
    return best


def _after_head(r: BrandReach, key: str, sound: str | None) -> Iterator[int]:
    """The candidates past the head that could be the brand (the reach is read when first iterated)."""
    if len(r.candidates) > HEAD_TRIES:
        yield from (i for i in r.picks(key, sound) if i >= HEAD_TRIES)


def note_text(note: Note) -> str:
    """A signal's note as text.

    >>> note_text(("text {:.2f} similar", 0.6012)), note_text("GTIN 1")
    ('text 0.60 similar', 'GTIN 1')
    """
    return note if isinstance(note, str) else note[0].format(note[1])


@dataclass
class Weighing:
    """What a screened listing brings to every removed listing it is weighed against (read once)."""

    listing: Listing
    types: set[str]
    links: dict[str, str]
    accessory: bool
    brands: dict[str, tuple[float, str] | None] = field(default_factory=dict)  # a brand is asked once
    reach: dict[int, BrandReach] = field(default_factory=dict)  # the listing's brand candidates, by width

    @classmethod
    def of(cls, listing: Listing, text: str) -> Weighing:
        """The weighing context of ``listing`` (``text``: its bank text)."""
        return cls(
            listing, set(product_types(text)), seller_links(listing), bool(ACCESSORY.search(listing.title))
        )

    def weigh(
        self, e: BankEntry, by_kind: dict[str, tuple[float, Note]], notes: list[str] | None = None
    ) -> float:
        """The likelihood that the listing is ``e`` back, from its signals; ``notes`` (when given) gets
        what moved it, in order."""
        listing, found = self.listing, list(by_kind.values())
        miss = 1.0
        for s, _ in found:
            miss *= 1.0 - s
        if notes is not None:
            notes.extend(note_text(why) for _, why in found)
        if named_brand(e.brand):  # a removed listing marked "Generic" named no brand to agree with
            if e.brand not in self.brands:
                self.brands[e.brand] = brand_agrees(listing, e.brand, self.reach)
            agrees = self.brands[e.brand]
            if agrees is not None:
                miss *= 0.5
                if notes is not None:
                    sim, how = agrees
                    notes.append(f"brand {e.brand}" + ("" if how == "exact" else f" ({how}, {sim:.2f})"))
            elif named_brand(listing.brand):
                if notes is not None:
                    notes.append(f"brand changed from {e.brand!r} to {listing.brand!r}")
                if set(by_kind) == {"model"}:
                    miss = 1.0 - (1.0 - miss) * 0.5  # another brand's product with the same number
        if listing.seller_id and listing.seller_id == e.seller_id:
            miss *= 0.6
            if notes is not None:
                notes.append(f"same seller {e.seller_id}")
        elif shared := [n for n, v in self.links.items() if e.links.get(n) == v]:
            miss *= 0.6
            if notes is not None:
                notes.append(f"seller linked to {e.seller_id} by {', '.join(sorted(shared))}")
        if self.types and e.types:
            if self.types & set(e.types):
                miss = min(1.0, miss * 0.7)
            else:
                miss = 1.0 - (1.0 - miss) * 0.6
                if notes is not None:
                    types = ", ".join(sorted(self.types))
                    notes.append(f"product type differs ({types} vs {', '.join(e.types)})")
        if self.accessory and not ACCESSORY.search(e.title):
            miss = 1.0 - (1.0 - miss) * 0.5
            if notes is not None:
                notes.append("listing reads as an accessory")
        return round(1.0 - miss, 4)


def decide_hits(
    listing: Listing, text: str, signals: Signals, entries: dict[str, BankEntry], policy: DecisionPolicy
) -> list[Match]:
    """One match per original recall for the removed listing that weighs most (the first found of
    equals), best first; none for a recall whose best is below the review threshold."""
    if not signals:
        return []  # most screenings find nothing: nothing to weigh (reading the types is not free)
    w = Weighing.of(listing, text)
    chosen: dict[str, tuple[float, DecisionKind, str]] = {}  # recall → (score, decision, bank key)
    for key, by_kind in signals.items():
        e = entries[key]
        score = w.weigh(e, by_kind)
        decision = policy.decide(score, e.evidence.authority)
        if decision is DecisionKind.NONE:
            continue
        old = chosen.get(e.evidence.recall_number)
        if old is None or score > old[0]:
            chosen[e.evidence.recall_number] = (score, decision, key)
    out = []
    for score, decision, key in chosen.values():
        e, notes = entries[key], list[str]()
        w.weigh(e, signals[key], notes)
        ev = e.evidence
        original = f"; original action {ev.action_id}" if ev.action_id else "; original action"
        evidence = (
            f"re-listing of removed listing {e.listing_id} (recall {ev.recall_number}): "
            f"{'; '.join(notes)}{original}: {ev.reason_text or 'removed'}"
        )
        feats = {"bank_signals": float(len(signals[key])), "bank_score": score}
        out.append(
            Match(
                listing.listing_id,
                ev.recall_number,
                ev.authority,
                score,
                decision,
                evidence,
                feats,
                BANK_MODEL,
            )
        )
    return sorted(out, key=lambda m: -m.score)
