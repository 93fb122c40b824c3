"""View models of the review pages: the queue (matches waiting for a person, open appeals) and one
match in detail (listing and recall side by side, evidence, seller history).

Row scope comes from the permission layer (``authority_filter``): a principal only ever sees what its
role may. The queue holds active ``review`` matches that no restriction covers and no reviewer has
approved or rejected yet; escalated ones stay, marked, after the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from recallguard.domain.models import Action, Listing, Match, Recall, Target
from recallguard.enforcement.auth import Principal
from recallguard.enforcement.permissions import authority_filter
from recallguard.store import UnitOfWork
from recallguard.store.enforcement_tables import EnforcementRepo
from recallguard.store.review_tables import FINAL, OPEN, Appeal, ReviewRepo
from recallguard.web.decisions import IN_FORCE
from recallguard.web.highlight import evidence_terms

QUEUE_LIMIT = 5000


def item_href(listing_id: str, authority: str, recall_number: str) -> str:
    """The URL of one match in the review queue.

    >>> item_href("L 1", "CPSC", "rule:x")
    '/review/match?listing_id=L+1&authority=CPSC&recall_number=rule%3Ax'
    """
    return "/review/match?" + urlencode(
        {"listing_id": listing_id, "authority": authority, "recall_number": recall_number}
    )


@dataclass
class QueueItem:
    """One match waiting for a reviewer."""

    match: Match
    title: str
    seller_id: str
    recall_title: str
    priority: bool
    escalated: bool
    href: str = ""

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.match.listing_id, self.match.authority, self.match.recall_number)


@dataclass
class AppealItem:
    appeal: Appeal
    title: str
    recall_title: str


@dataclass
class MatchDetail:
    """Everything the reviewer sees about one match."""

    match: Match
    listing: Listing
    recall: Recall | None
    targets: list[Target]
    terms: list[str]
    history: list[Action]
    labels: list[dict[str, Any]]
    actions: list[Action]
    decision: str | None
    prev_item: QueueItem | None = None
    next_item: QueueItem | None = None
    position: int = 0
    total: int = 0
    rule_text: str = ""
    identifiers: dict[str, list[str]] = field(default_factory=dict)


def _recall_titles(uow: UnitOfWork, keys: set[tuple[str, str]]) -> dict[tuple[str, str], Recall | None]:
    return {(a, n): uow.recalls.get(a, n) for a, n in keys}


def queue(uow: UnitOfWork, principal: Principal, recall: tuple[str, str] | None = None) -> list[QueueItem]:
    """The review queue in the order a reviewer works it: priority recalls first, then by score;
    escalated matches after the others."""
    enf_repo = EnforcementRepo(uow.session)
    matches = enf_repo.query_matches(
        authority=authority_filter(principal) or (recall[0] if recall else None),
        recall_number=recall[1] if recall else None,
        decision="review",
        limit=QUEUE_LIMIT,
    )
    if not matches:
        return []
    ids = list({m.listing_id for m in matches})
    covered = {
        (a.listing_id, a.authority, a.recall_number)
        for a in enf_repo.actions_for_listings(ids)
        if a.state in IN_FORCE
    }
    decided = ReviewRepo(uow.session).final_decisions(
        [(m.listing_id, m.authority, m.recall_number) for m in matches]
    )
    listings = {x.listing_id: x for x in uow.listings.get_many(ids)}
    recalls = _recall_titles(uow, {(m.authority, m.recall_number) for m in matches})
    out = []
    for m in matches:
        k = (m.listing_id, m.authority, m.recall_number)
        if k in covered or decided.get(k) in FINAL:
            continue
        listing = listings.get(m.listing_id)
        r = recalls.get((m.authority, m.recall_number))
        out.append(
            QueueItem(
                m, listing.title if listing else m.listing_id, listing.seller_id if listing else "",
                r.title if r else _rule_title(m.recall_number), bool(r and r.priority),
                decided.get(k) == "escalate", item_href(*k),
            )
        )  # fmt: skip
    out.sort(
        key=lambda q: (q.escalated, not q.priority, -q.match.score, q.match.listing_id, q.match.recall_number)
    )
    return out


def _rule_title(recall_number: str) -> str:
    return f"Category ban {recall_number[5:]}" if recall_number.startswith("rule:") else recall_number


def open_appeals(uow: UnitOfWork, principal: Principal) -> list[AppealItem]:
    """Open appeals and attestations (the listing is back in the review queue until decided)."""
    mine = authority_filter(principal)
    items = [a for a in ReviewRepo(uow.session).appeals(state=OPEN) if not mine or a.authority == mine]
    listings = {x.listing_id: x for x in uow.listings.get_many([a.listing_id for a in items])}
    recalls = _recall_titles(uow, {(a.authority, a.recall_number) for a in items})
    return [
        AppealItem(
            a,
            listings[a.listing_id].title if a.listing_id in listings else a.listing_id,
            (r.title if (r := recalls.get((a.authority, a.recall_number))) else a.recall_number),
        )
        for a in items
    ]


def match_detail(
    uow: UnitOfWork, principal: Principal, listing_id: str, authority: str, recall_number: str
) -> MatchDetail | None:
    """One match in detail with its neighbours in the queue (None when the principal may not see it)."""
    mine = authority_filter(principal)
    if mine and authority != mine:
        return None
    found = [
        m
        for m in uow.matches.active_for_listings([listing_id]).get(listing_id, [])
        if m.authority == authority and m.recall_number == recall_number
    ]
    listing = uow.listings.get(listing_id)
    if not found or listing is None:
        return None
    m = found[0]
    recall = uow.recalls.get(authority, recall_number)
    targets = uow.recalls.targets_of(authority, recall_number) if recall else []
    terms = evidence_terms(m.evidence)
    enf_repo = EnforcementRepo(uow.session)
    history = enf_repo.query_actions(seller_id=listing.seller_id, limit=50) if listing.seller_id else []
    if mine:
        history = [a for a in history if a.authority == mine]
    review = ReviewRepo(uow.session)
    labels = [x for x in review.labels(limit=200) if x["listing_id"] == listing_id]
    items = queue(uow, principal)
    keys = [q.key for q in items]
    here = (listing_id, authority, recall_number)
    pos = keys.index(here) if here in keys else -1
    prev_item = items[pos - 1] if pos > 0 else None
    next_item = items[pos + 1] if 0 <= pos < len(items) - 1 else (items[0] if pos < 0 and items else None)
    idents: dict[str, list[str]] = {}
    for t in targets:
        for name, values in (("Models", t.model_numbers), ("GTIN / UPC", t.gtins), ("SKU", t.skus)):
            idents.setdefault(name, [])
            idents[name] += [v for v in values if v not in idents[name]]
        for rng in t.ranges:
            idents.setdefault("Lots, serials, dates", []).append(
                rng.text or rng.prefix or f"{rng.start}–{rng.end}"
            )
    return MatchDetail(
        m, listing, recall, targets, terms, history, labels,
        [a for a in enf_repo.actions_for_listings([listing_id]) if a.authority == authority
         and a.recall_number == recall_number],
        review.final_decisions([here]).get(here), prev_item, next_item, pos + 1, len(items),
        rule_text=_rule_title(recall_number) if recall is None else "",
        identifiers={k: v for k, v in idents.items() if v},
    )  # fmt: skip
