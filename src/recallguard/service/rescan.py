"""Catalogue rescans through listing-side indexes: a new or amended recall screens only the stored
listings that could be its products, not the whole catalogue.

1. The screener is built over every active target (what ``recallguard scan`` would use), so scores,
   the per-authority margin and caps are the scan's.
2. For each target of the changed recalls, ``target_keys`` asks for the keys its index blockers would
   look up (``TargetIndex.candidates``): GTINs and model numbers (also folded), brand forms (exact in
   the brand field, all words in the title; misspelt or scrambled: stored words with a nearby set of
   letters, checked with the matcher's ``BrandIndex`` lookup) and, for the text blocker, enough of its
   key tokens that a listing without any of them cannot reach the blocker's cover (the commonest
   tokens among stored listings are left out first; misspelt ones found as brands are).
3. The listings carrying those keys (``listing_keys``), plus those holding active matches of the
   changed recalls (so matches that no longer hold are withdrawn), are loaded in pages; the matcher's
   own candidate generation keeps those it would pair with a changed target; they are screened and
   reconciled within the changed recalls' scope.

>>> from recallguard.store import Store
>>> from recallguard.domain.models import Listing, Recall, Target
>>> from recallguard.service.screening import default_screener
>>> store = Store("sqlite://")
>>> t = Target("26561", "CPSC", brand="BABESIDE", product_name="Doll and Stroller Toys",
...            product_type="doll stroller toy", model_numbers=["BS-100"])
>>> with store.transaction() as uow:
...     _ = uow.listings.upsert_many([Listing("L1", "BABESIDE doll stroller BS-100"), Listing("L2", "Hose")])
...     _ = uow.recalls.upsert(Recall("26561", "CPSC", "Doll strollers"), [t])
...     rep = rescan_recalls(uow, [(Recall("26561", "CPSC", "Doll strollers"), [t])], default_screener, "t")
>>> rep.candidates, rep.screened, rep.counts.actions_created
(1, 1, 1)
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from recallguard.domain.models import Listing, Recall, RecallStatus, Target
from recallguard.matching import evasion
from recallguard.matching.brands import BrandIndex, sound_key
from recallguard.matching.index import MIN_TEXT_COVER
from recallguard.matching.keys import KEYS_VERSION, fuzzy_neighbourhood
from recallguard.matching.profiles import listing_profile
from recallguard.service.decide import ReconcileCounts, reconcile
from recallguard.service.screening import ScreenerFactory
from recallguard.store import Store, UnitOfWork
from recallguard.store.listing_key_repos import KeyRow

log = logging.getLogger(__name__)
PAGE = 1000
POSTING_CAP = 10_000  # listing counts of common tokens are capped (only their order matters)
_EPS = 1e-9
Postings = Callable[[Iterable[str]], dict[str, int]]


@dataclass
class KeyQuery:
    """What to look up for some targets: any of ``exact``; every word of one of ``all_of``; any brand or
    word key a fuzzy lookup takes for one of ``fuzzy`` (misspelt or scrambled)."""

    exact: set[tuple[str, str]] = field(default_factory=set)
    all_of: set[tuple[str, ...]] = field(default_factory=set)
    fuzzy: set[str] = field(default_factory=set)


@dataclass
class RescanReport:
    """What a rescan did: candidate listings found by key, those the matcher pairs with a changed
    target (screened), and what reconciling them changed."""

    candidates: int = 0
    screened: int = 0
    matched: int = 0
    full: bool = False  # the screener had no index to ask (or stale keys): every listing was screened
    stale_keys: int | None = None  # the stored keys' version, when it was not this release's
    counts: ReconcileCounts = field(default_factory=ReconcileCounts)


def target_keys(index: Any, ti: int, postings: Postings, query: KeyQuery | None = None) -> KeyQuery:
    """The listing keys that can nominate target ``ti`` of a ``TargetIndex`` (see the module docstring).

    ``postings(tokens)`` says how many stored listings carry each token (the text blocker leaves the
    commonest out first).

    >>> from recallguard.matching.index import TargetIndex
    >>> idx = TargetIndex([Target("1", "CPSC", brand="Marin", product_name="Bikes", gtins=["012345678905"])])
    >>> q = target_keys(idx, 0, lambda toks: {t: 1 for t in toks})
    >>> ("gtin", "00012345678905") in q.exact, ("brand", "marin") in q.exact, ("token", "bike") in q.exact
    (True, True, True)
    >>> sorted(q.fuzzy)
    ['bike', 'bikes', 'marin']
    """
    q = query or KeyQuery()
    p = index.profiles[ti]
    q.exact.update(("gtin", g) for g in p.gtins)
    for m in p.models | {c for c in p.text_models if len(c) >= 4}:  # as TargetIndex indexes them
        if len(m) >= 3:
            q.exact.update((("model", m), ("model", evasion.model_key(m))))
    for form in p.brand_forms:
        q.exact.add(("brand", form))  # the brand field, exactly
        if sound := sound_key(form.replace(" ", "")):
            q.exact.add(("sound", sound))  # the brand field, sounding alike
        words = form.split()
        if len(words) == 1:
            q.exact.add(("token", form))  # a title word
        else:
            q.all_of.add(tuple(words))  # a title n-gram: every word present
        q.fuzzy.add(form)  # misspelt or scrambled in the brand field or a title word
    # text blocker: score = idf mass of shared key tokens (those in few targets) >= MIN_TEXT_COVER of the
    # target's key mass. Tokens left out must weigh less than that together: a listing with none of the
    # others cannot reach it.
    max_df = getattr(index, "_max_df", 3)
    counted = {t: index.idf[t] for t in p.key_tokens if len(index.postings.get(t, ())) <= max_df}
    need = MIN_TEXT_COVER * index.key_mass[ti]
    if sum(counted.values()) < need - _EPS:
        return q
    freq = postings(counted)
    left_out = 0.0
    for tok in sorted(counted, key=lambda t: (-freq.get(t, 0), counted[t], t)):
        if left_out + counted[tok] < need - _EPS:
            left_out += counted[tok]
            continue
        q.exact.add(("token", tok))
        if tok.isalpha():  # misspelt title words are corrected to rare target words
            q.fuzzy.add(tok)
    return q


def candidate_ids(uow: UnitOfWork, index: Any, target_ids: Sequence[int]) -> set[str]:
    """Stored listings whose keys can nominate any of the targets ``target_ids`` of ``index``."""
    q = KeyQuery()

    def postings(tokens: Iterable[str]) -> dict[str, int]:
        return uow.listing_keys.postings("token", tokens, POSTING_CAP)

    for ti in target_ids:
        target_keys(index, ti, postings, q)
    ids = uow.listing_keys.candidates(q.exact | fuzzy_keys(uow, q.fuzzy))
    for words in sorted(q.all_of):
        ids |= uow.listing_keys.with_all("token", words)
    return ids


def fuzzy_keys(uow: UnitOfWork, forms: Iterable[str]) -> set[tuple[str, str]]:
    """The stored brand and word keys the matcher's fuzzy lookup (``BrandIndex``: one edit, or the same
    letters scrambled) would take for one of ``forms``: found by their letters, then checked."""
    forms = set(forms)
    if not forms:
        return set()
    lookup = BrandIndex()
    for f in forms:
        lookup.add(f, 0)
    anagrams = set().union(*(fuzzy_neighbourhood(f) for f in forms))
    return {(k, w) for k, w in uow.listing_keys.words_by_anagram(anagrams) if lookup.lookup(w)}


def rescan_recalls(
    uow: UnitOfWork,
    changed: Sequence[tuple[Recall, list[Target]]],
    factory: ScreenerFactory,
    actor: str,
    why: str = "",
) -> RescanReport:
    """Screen the stored listings that could match the new or amended (or withdrawn) recalls against
    them, in ``uow``'s transaction, and reconcile their matches within those recalls' scope."""
    rep = RescanReport()
    keys = {(r.authority, r.recall_number) for r, _ in changed}
    why = why or "recall " + ", ".join(sorted(r.key for r, _ in changed))[:200] + " imported"
    held: set[str] = set()  # listings with active matches of these recalls: kept or withdrawn
    for authority, number in sorted(keys):
        held.update(m.listing_id for m in uow.matches.active_for_recall(authority, number))
    ids = set(held)
    stored = uow.listing_keys.version()
    if not held and stored == KEYS_VERSION and not uow.listing_keys.any():
        return rep  # no listing stored (or indexed) yet: nothing to find
    active = any(r.status == RecallStatus.ACTIVE and ts for r, ts in changed)
    screener = factory(uow.recalls.active_targets(), False) if active else None
    index = getattr(screener, "index", None)
    tids = [
        i
        for i, p in enumerate(getattr(index, "profiles", ()))
        if (p.target.authority, p.target.recall_number) in keys
    ]
    if screener is not None and index is None:
        rep.full = True  # a screener without a target index: every listing is a candidate
        return _rescan_all(uow, screener, keys, actor, why, rep)
    if screener is not None and stored != KEYS_VERSION:
        # keys written by another release may lack what this one looks up: a key lookup could miss
        # listings, so every listing is screened until `recallguard listings reindex` rebuilds them
        rep.full, rep.stale_keys = True, stored
        log.warning(
            "listing keys are of version %s, this release reads version %s: every stored listing is "
            "screened for this recall; run `recallguard listings reindex` once",
            stored,
            KEYS_VERSION,
        )
        return _rescan_all(uow, screener, keys, actor, why, rep)
    if tids:
        ids |= candidate_ids(uow, index, tids)
    rep.candidates = len(ids)
    order = sorted(ids)
    wanted = set(tids)
    for i in range(0, len(order), PAGE):
        chunk = order[i : i + PAGE]
        existing = uow.matches.active_for_listings(chunk)
        page = [x for x in uow.listings.get_many(chunk) if x.listing_id in held or _paired(index, x, wanted)]
        _reconcile_page(uow, screener, page, existing, keys, actor, why, rep)
    return rep


def _paired(index: Any, listing: Any, wanted: set[int]) -> bool:
    """Whether the matcher's own candidate generation pairs the listing with one of ``wanted``."""
    if index is None:
        return False
    if wanted & index.candidates(listing_profile(listing)).keys():
        return True
    seen = index.read(listing)  # the screener undoes leetspeak and glued brands before anything else
    return seen is not listing and bool(wanted & index.candidates(listing_profile(seen)).keys())


def _reconcile_page(
    uow: UnitOfWork, screener: Any, page: list[Any], existing: dict[str, list[Any]],
    keys: set[tuple[str, str]], actor: str, why: str, rep: RescanReport,
) -> None:  # fmt: skip
    rep.screened += len(page)
    results = screener.screen_many(page) if screener else ((x, []) for x in page)
    for listing, matches in results:
        mine = [m for m in matches if (m.authority, m.recall_number) in keys]
        old = existing.get(listing.listing_id, [])
        rep.matched += bool(mine)
        if mine or any((m.authority, m.recall_number) in keys for m in old):
            rep.counts.add(reconcile(uow, listing.listing_id, mine, old, actor, scope=keys, why=why))


def _rescan_all(
    uow: UnitOfWork, screener: Any, keys: set[tuple[str, str]], actor: str, why: str, rep: RescanReport
) -> RescanReport:
    after = ""
    while page := uow.listings.page(after, PAGE):
        after = page[-1].listing_id
        rep.candidates += len(page)
        existing = uow.matches.active_for_listings([x.listing_id for x in page])
        _reconcile_page(uow, screener, page, existing, keys, actor, why, rep)
    return rep


class KeyWorkers:
    """Listing index keys computed in worker processes (bulk loads): ``submit(listings)`` returns a
    future of {listing id: key rows}, or None with fewer than two workers (keys computed inline).

    >>> with KeyWorkers(0) as w:
    ...     w.submit([Listing("L1", "Helmet KY-055")]) is None
    True
    """

    def __init__(self, workers: int = 0) -> None:
        self.pool = ProcessPoolExecutor(workers) if workers > 1 else None
        self.workers = workers

    def submit(self, listings: Sequence[Listing]) -> Future[dict[str, list[KeyRow]]] | None:
        if self.pool is None or not listings:
            return None
        step = max(1, -(-len(listings) // self.workers))
        parts = [
            self.pool.submit(key_rows, list(listings[i : i + step])) for i in range(0, len(listings), step)
        ]
        done: Future[dict[str, list[KeyRow]]] = Future()

        def merge(_: Future[dict[str, list[KeyRow]]]) -> None:
            if all(p.done() for p in parts) and not done.done():
                try:
                    out: dict[str, list[KeyRow]] = {}
                    for p in parts:
                        out.update(p.result())
                    done.set_result(out)
                except Exception as e:  # a worker failed: the batch fails when it is written
                    done.set_exception(e)

        for p in parts:
            p.add_done_callback(merge)
        return done

    def __enter__(self) -> KeyWorkers:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)


def key_rows(listings: Sequence[Listing]) -> dict[str, list[KeyRow]]:
    """The listing-index key rows of each listing, by listing id (what ``upsert_many`` takes as ``keys``:
    computed ahead, outside the write transaction).

    >>> sorted(key_rows([Listing("L1", "Gudook helmet KY-055")]))
    ['L1']
    """
    from recallguard.matching.keys import listing_keys

    return {x.listing_id: [(k, v, x.listing_id) for k, v in listing_keys(x)] for x in listings}


def reindex_listings(store: Store) -> int:
    """Rebuild every stored listing's keys and the key vocabulary in one transaction (after a change
    to the matcher's normalisation or blockers: ``recallguard.matching.keys.KEYS_VERSION``); returns
    the key rows written.

    >>> reindex_listings(Store("sqlite://"))
    0
    """
    from sqlalchemy import delete

    from recallguard.store.listing_key_repos import backfill, backfill_vocab
    from recallguard.store.listing_key_tables import ListingKeyRow, ListingKeyVocabRow

    with store.transaction() as uow:
        conn = uow.session.connection()
        conn.execute(delete(ListingKeyRow))
        conn.execute(delete(ListingKeyVocabRow))
        n = backfill(conn)
        backfill_vocab(conn)
        uow.listing_keys.set_version(KEYS_VERSION)
    return n
