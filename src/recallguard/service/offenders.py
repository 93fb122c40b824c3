"""Repeat offenders in decisions: the one place where a seller's history moves a threshold.

:class:`OffenderPolicy` wraps a screener. For a listing whose seller has past actions (or is linked
to a seller who has, by a shared contact, address, payment or device attribute), the decision
thresholds of every match are tightened by ``OffenderBook.adjusted`` — a review can become a
block — and the evidence of every match of that listing says so, with the numbers::

    seller S12 risk 0.44: inherited from S9 (linked by phone); S9 has 2 actions (recall 26568)
    → block threshold 0.90→0.81, review 0.30→0.21 (decision review→block)

Sellers never seen in an action are answered from a set lookup, so clean listings cost nothing.

>>> from datetime import datetime
>>> from recallguard.domain.models import DecisionKind, Listing, Match
>>> book = OffenderBook()
>>> book.record_action("S9", "26568", links={"phone": "138 0000 1111"})
>>> class Fixed:
...     model_version, policy = "x", DecisionPolicy()
...     def screen(self, listing):
...         return [Match(listing.listing_id, "26568", "CPSC", 0.86, DecisionKind.REVIEW, "NL311")]
>>> p = OffenderPolicy(Fixed(), book, watched=lambda: {"S9"}, linked_attrs=lambda: {("phone", "13800001111")})
>>> m = p.screen(Listing("L2", "adapter NL311", seller_id="S12", extra={"phone": "138-0000-1111"}))[0]
>>> m.decision.value, "inherited from S9" in m.evidence
('block', True)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from recallguard.domain.models import DecisionKind, Listing, Match
from recallguard.domain.policy import BANK_MODEL, DecisionPolicy, Thresholds, preference
from recallguard.enforcement.offenders import OffenderBook
from recallguard.matching.bank_entries import seller_links

_RANK = {DecisionKind.NONE: 0, DecisionKind.REVIEW: 1, DecisionKind.BLOCK: 2}


class OffenderPolicy:
    """A screener whose decisions are tightened per seller by an :class:`OffenderBook`.

    ``watched()`` gives the sellers with past actions, ``linked_attrs()`` the (attribute, value)
    pairs they used; a listing touching neither is passed through untouched. ``book`` may be given
    as a callable returning the book in force (a running bank replaces its book).
    """

    def __init__(
        self,
        screener: Any,
        book: OffenderBook | Callable[[], OffenderBook],
        watched: Callable[[], set[str]],
        linked_attrs: Callable[[], set[tuple[str, str]]],
        priority: Iterable[tuple[str, str]] = (),
    ) -> None:
        self.inner = screener
        self._book = book if callable(book) else (lambda: book)
        self._watched = watched
        self._linked = linked_attrs
        self.priority = set(priority)

    @property
    def book(self) -> OffenderBook:
        """The book in force now (a bank derives a new one when an action is reversed or withdrawn)."""
        return self._book()

    def __getattr__(self, name: str) -> Any:  # model_version, policy, checks, index…
        return getattr(self.inner, name)

    def screen(self, listing: Listing) -> list[Match]:
        return self.apply(listing, self.inner.screen(listing))

    def screen_batch(self, listings: Sequence[Listing]) -> list[list[Match]]:
        return [self.apply(x, ms) for x, ms in zip(listings, self.inner.screen_batch(listings), strict=True)]

    def screen_many(
        self, listings: Iterable[Listing], batch_size: int = 512
    ) -> Iterator[tuple[Listing, list[Match]]]:
        for listing, matches in self.inner.screen_many(listings, batch_size):
            yield listing, self.apply(listing, matches)

    def _concerned(self, listing: Listing) -> bool:
        if not listing.seller_id:
            return False
        if listing.seller_id in self._watched():
            return True
        linked = self._linked()
        return any(pair in linked for pair in seller_links(listing).items())

    def apply(self, listing: Listing, matches: list[Match]) -> list[Match]:
        """``matches`` with thresholds tightened for the listing's seller, each use explained."""
        matches = fold_bank_evidence(matches)
        if not matches or not self._concerned(listing):
            return matches
        seller = listing.seller_id
        self.book.link(seller, seller_links(listing))
        policy: DecisionPolicy = getattr(self.inner, "policy", None) or DecisionPolicy()
        out = []
        for m in matches:
            t = policy.thresholds(m.authority, (m.authority, m.recall_number) in self.priority)
            adj, why = self.book.adjusted(t, seller)
            if adj == t:
                out.append(m)
                continue
            decision = _decide(m.score, adj)
            if _RANK[decision] < _RANK[m.decision]:
                decision = m.decision  # a seller's history only ever tightens
            note = f"{why.split('; thresholds lowered')[0]} → {_moved(t, adj)}"
            if decision != m.decision:
                note += f" (decision {m.decision.value}→{decision.value})"
            feats = {**m.features, "seller_risk": round(t.block - adj.block, 4)}
            out.append(
                dataclasses.replace(m, decision=decision, evidence=f"{m.evidence}; {note}", features=feats)
            )
        return out


def fold_bank_evidence(matches: list[Match]) -> list[Match]:
    """When the bank and the recall screener both match a recall, the preferred match (the one stored,
    ``policy.preference``) also quotes the bank's evidence, so a re-listing always names the listing it
    re-lists.

    >>> a = Match("L2", "1", "CPSC", 0.97, DecisionKind.BLOCK, "model NL311")
    >>> b = Match("L2", "1", "CPSC", 0.9, DecisionKind.BLOCK,
    ...           "re-listing of removed listing L1", {}, "bank-1")
    >>> fold_bank_evidence([a, b])[0].evidence
    'model NL311; also re-listing of removed listing L1'
    """
    best: dict[tuple[str, str], int] = {}
    for i, m in enumerate(matches):
        key = (m.authority, m.recall_number)
        if key not in best or preference(m) > preference(matches[best[key]]):
            best[key] = i
    out = list(matches)
    for i, m in enumerate(matches):
        w = best[(m.authority, m.recall_number)]
        if i != w and m.model_version == BANK_MODEL and "removed listing" not in out[w].evidence:
            out[w] = dataclasses.replace(out[w], evidence=f"{out[w].evidence}; also {m.evidence}")
    return out


def _decide(score: float, t: Thresholds) -> DecisionKind:
    if score >= t.block:
        return DecisionKind.BLOCK
    if score >= t.review:
        return DecisionKind.REVIEW
    return DecisionKind.NONE


def _moved(t: Thresholds, adj: Thresholds) -> str:
    return f"block threshold {t.block:.2f}→{adj.block:.2f}, review {t.review:.2f}→{adj.review:.2f}"
