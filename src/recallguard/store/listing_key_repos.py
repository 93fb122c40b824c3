"""The listing keys repository: written with the listings (bulk: ``executemany`` on SQLite, ``COPY`` on
PostgreSQL), read by catalogue rescans to find a recall's candidate listings.

>>> from recallguard.store import Store
>>> from recallguard.domain.models import Listing
>>> store = Store("sqlite://")
>>> with store.transaction() as uow:
...     _ = uow.listings.upsert_many([Listing("L1", "Babeside doll stroller BS-100")])
...     sorted(uow.listing_keys.candidates([("model", "BS100"), ("gtin", "00012345678905")]))
['L1']
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import chain, islice

from sqlalchemy import Connection, delete, func, intersect, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from recallguard.domain.models import Listing
from recallguard.store.listing_key_tables import ListingKeyRow, ListingKeyStateRow, ListingKeyVocabRow

KeyRow = tuple[str, str, str]  # kind, key, listing_id
CHUNK = 900  # bound parameters per IN list
SMALL_BATCH = 500  # PostgreSQL: up to this many key rows go in one pipelined INSERT, more by COPY
BACKFILL_PAGE = 5000


def key_rows(listings: Iterable[Listing]) -> Iterator[KeyRow]:
    """The ``listing_keys`` rows of listings (``recallguard.matching.keys.listing_keys``).

    >>> ("model", "BS100", "L1") in set(key_rows([Listing("L1", "stroller BS-100")]))
    True
    """
    from recallguard.matching.keys import listing_keys

    for x in listings:
        for kind, key in listing_keys(x):
            yield kind, key, x.listing_id


def insert_rows(conn: Connection, rows: Iterable[KeyRow], vocab: bool = True) -> int:
    """Append key rows inside ``conn``'s transaction, fast (the rows must be new: new listings), and
    add their brand and word keys to the vocabulary (``vocab``). Returns the key rows written.

    SQLite: one ``executemany``; PostgreSQL: ``COPY listing_keys FROM STDIN``, or for up to
    ``SMALL_BATCH`` rows (a listing or a few) an ``executemany`` sent in one pipeline with the vocabulary's
    (one round trip to the server where the COPY and the vocabulary took three).
    """
    raw = conn.connection.driver_connection
    words: set[tuple[str, str]] = set()

    def seen(it: Iterable[KeyRow]) -> Iterator[KeyRow]:
        for r in it:
            if r[0] in ("brand", "token"):
                words.add((r[0], r[1]))
            yield r

    n = 0
    if conn.dialect.name == "postgresql":
        it = iter(rows)
        first = list(seen(islice(it, SMALL_BATCH + 1)))
        if len(first) <= SMALL_BATCH:  # a few listings (publish time, the stream): one round trip
            with raw.pipeline(), raw.cursor() as cur:  # type: ignore[union-attr]
                cur.executemany("INSERT INTO listing_keys (kind, key, listing_id) VALUES (%s, %s, %s)", first)
                if vocab:
                    insert_vocab(conn, words)
            return len(first)
        with raw.cursor() as cur, cur.copy("COPY listing_keys (kind, key, listing_id) FROM STDIN") as cp:  # type: ignore[union-attr]
            for r in chain(first, seen(it)):
                cp.write_row(r)
                n += 1
    else:
        cur = raw.cursor()  # type: ignore[union-attr]
        try:
            it = seen(rows)
            while chunk := list(islice(it, 50_000)):
                cur.executemany("INSERT INTO listing_keys (kind, key, listing_id) VALUES (?, ?, ?)", chunk)
                n += len(chunk)
        finally:
            cur.close()
    if vocab:
        insert_vocab(conn, words)
    return n


def insert_vocab(conn: Connection, words: Iterable[tuple[str, str]]) -> None:
    """Add (kind, key) brand and word keys to ``listing_key_vocab`` (those known already are skipped)."""
    from recallguard.matching.keys import fuzzy_vocab

    rows = sorted(fuzzy_vocab(words))  # one order: concurrent writers wait, never deadlock
    if not rows:
        return
    raw = conn.connection.driver_connection
    cur = raw.cursor()  # type: ignore[union-attr]
    try:
        if conn.dialect.name == "postgresql":
            sql = "INSERT INTO listing_key_vocab VALUES (%s, %s, %s) ON CONFLICT DO NOTHING"
        else:
            sql = "INSERT OR IGNORE INTO listing_key_vocab VALUES (?, ?, ?)"
        cur.executemany(sql, rows)
    finally:
        cur.close()


def _chunks(values: Sequence[str]) -> Iterator[list[str]]:
    for i in range(0, len(values), CHUNK):
        yield list(values[i : i + CHUNK])


class ListingKeyRepo:
    """Listing-side index keys: (kind, key) → listing ids."""

    def __init__(self, session: Session) -> None:
        self.s = session

    def add(self, listings: Sequence[Listing], given: Mapping[str, Iterable[KeyRow]] | None = None) -> int:
        """Index new listings (bulk); ``given``: key rows computed ahead, by listing id. Returns rows."""
        if not listings:
            return 0
        if given is None:
            return insert_rows(self.s.connection(), key_rows(listings))
        todo = [x for x in listings if x.listing_id not in given]
        rows = chain.from_iterable(given[x.listing_id] for x in listings if x.listing_id in given)
        return insert_rows(self.s.connection(), chain(rows, key_rows(todo)))

    def replace(self, old: Sequence[Listing], new: Sequence[Listing]) -> None:
        """Re-index changed listings: ``old`` (their stored content) keys out, ``new`` keys in."""
        if not new:
            return
        before, after = set(key_rows(old)), set(key_rows(new))
        gone, fresh = before - after, after - before
        c = ListingKeyRow
        for kind, key, lid in sorted(gone):
            self.s.execute(delete(c).where(c.kind == kind, c.key == key, c.listing_id == lid))
        if fresh:
            rows = [{"kind": k, "key": v, "listing_id": lid} for k, v, lid in sorted(fresh)]
            if self.s.get_bind().dialect.name == "postgresql":
                self.s.execute(pg_insert(c).on_conflict_do_nothing(), rows)  # stale keys of old versions
            else:
                self.s.execute(sqlite_insert(c).on_conflict_do_nothing(), rows)
            insert_vocab(self.s.connection(), [(k, v) for k, v, _ in fresh])

    def candidates(self, keys: Iterable[tuple[str, str]]) -> set[str]:
        """Ids of the listings that carry any of ``keys`` (exact lookups on the (kind, key) index)."""
        by_kind: dict[str, set[str]] = {}
        for kind, key in keys:
            by_kind.setdefault(kind, set()).add(key)
        out: set[str] = set()
        c = ListingKeyRow
        for kind, values in sorted(by_kind.items()):
            for chunk in _chunks(sorted(values)):
                q = select(c.listing_id).where(c.kind == kind, c.key.in_(chunk))
                out.update(self.s.scalars(q))
        return out

    def with_all(self, kind: str, keys: Sequence[str]) -> set[str]:
        """Ids of the listings that carry every one of ``keys`` (e.g. each word of a brand)."""
        c = ListingKeyRow
        qs = [select(c.listing_id).where(c.kind == kind, c.key == k) for k in dict.fromkeys(keys)]
        if not qs:
            return set()
        q = qs[0] if len(qs) == 1 else intersect(*qs)
        return set(self.s.scalars(q))

    def words_by_anagram(self, anagrams: Iterable[str]) -> list[tuple[str, str]]:
        """(kind, word) of the stored brand and word keys whose sorted letters are among ``anagrams``."""
        v = ListingKeyVocabRow
        out: list[tuple[str, str]] = []
        for chunk in _chunks(sorted(set(anagrams))):
            out += [(k, w) for k, w in self.s.execute(select(v.kind, v.word).where(v.anagram.in_(chunk)))]
        return out

    def postings(self, kind: str, keys: Iterable[str], cap: int = 10_000) -> dict[str, int]:
        """How many listings carry each key (counted up to ``cap``, so common words stay cheap)."""
        c = ListingKeyRow
        out = {}
        for k in sorted(set(keys)):
            sub = select(c.listing_id).where(c.kind == kind, c.key == k).limit(cap + 1).subquery()
            out[k] = int(self.s.scalar(select(func.count()).select_from(sub)) or 0)
        return out

    def any(self) -> bool:
        """Whether any listing is indexed (an empty catalogue needs no rescan)."""
        return self.s.scalar(select(ListingKeyRow.listing_id).limit(1)) is not None

    def count(self) -> int:
        """Key rows stored."""
        return int(self.s.scalar(select(func.count()).select_from(ListingKeyRow)) or 0)

    def version(self) -> int:
        """The ``KEYS_VERSION`` of the code that wrote the stored keys: 0 when unknown (a store that held
        keys before revision k003 recorded their version); this release's when no version is recorded (the
        migration records one in every store, so only an emptied state table lacks it).

        >>> from recallguard.store import Store
        >>> from recallguard.matching.keys import KEYS_VERSION
        >>> with Store("sqlite://").transaction() as uow:
        ...     uow.listing_keys.version() == KEYS_VERSION  # a new store: keys are written by this code
        True
        """
        value = self.s.scalar(select(ListingKeyStateRow.value).where(ListingKeyStateRow.name == "version"))
        if value is None:
            from recallguard.matching.keys import KEYS_VERSION

            return KEYS_VERSION
        return int(value) if value.isdigit() else 0

    def set_version(self, version: int) -> None:
        """Record that every stored key is of ``version`` (after a rebuild of them all).

        >>> from recallguard.store import Store
        >>> with Store("sqlite://").transaction() as uow:
        ...     uow.listing_keys.set_version(2); uow.listing_keys.version()
        2
        """
        row = self.s.get(ListingKeyStateRow, "version")
        if row is None:
            self.s.add(ListingKeyStateRow(name="version", value=str(version)))
        else:
            row.value = str(version)
        self.s.flush()


def backfill(conn: Connection) -> int:
    """Index every stored listing (the migration that adds the table runs it once); returns key rows."""
    from recallguard.store.convert import listing_from_row
    from recallguard.store.tables import ListingRow

    after, n = "", 0
    while True:
        q = (
            select(ListingRow.__table__)
            .where(ListingRow.listing_id > after)
            .order_by(ListingRow.listing_id)
            .limit(BACKFILL_PAGE)
        )
        page = [listing_from_row(r) for r in conn.execute(q)]
        if not page:
            return n
        n += insert_rows(conn, key_rows(page), vocab=False)  # the vocabulary comes with revision k002
        after = page[-1].listing_id


def backfill_vocab(conn: Connection) -> None:
    """The vocabulary of the brand and word keys already stored (the migration that adds it runs this)."""
    c = ListingKeyRow
    q = select(c.kind, c.key).where(c.kind.in_(("brand", "token"))).distinct()
    batch: list[tuple[str, str]] = []
    for kind, key in conn.execute(q):
        batch.append((kind, key))
        if len(batch) >= BACKFILL_PAGE * 10:
            insert_vocab(conn, batch)
            batch = []
    insert_vocab(conn, batch)
