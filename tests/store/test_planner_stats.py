"""SQLite chooses its indexes from statistics the store keeps: without them it read every active match
through the index on ``state`` to find one page's matches by listing id, so each scan's write phase
grew with the store (a scan of 2,000 listings: 17 s at 22,000 matches, 10 s with statistics). A
connection keeps the statistics it read when it opened, so a long-running process (the stream worker)
kept doing it however often others analysed the store; that index is gone (revision q001)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from recallguard.domain.models import DecisionKind, Listing, Match
from recallguard.store import Store

LOOKUP = "SELECT * FROM matches WHERE listing_id IN (?, ?) AND state = ?"  # MatchRepo.active_for_listings


def _grow(store: Store, n: int) -> None:
    with store.transaction() as uow:
        uow.listings.upsert_many([Listing(f"L{i:05d}", f"listing {i}") for i in range(n)])
        for i in range(n):
            uow.matches.upsert(Match(f"L{i:05d}", "26568", "CPSC", 0.99, DecisionKind.BLOCK, "e"), new=True)


def _plan(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        rows = conn.execute(f"EXPLAIN QUERY PLAN {LOOKUP}", ("L00001", "L00002", "active")).fetchall()
    return " ".join(str(r[-1]) for r in rows)


def test_a_store_that_grew_finds_a_pages_matches_by_listing_id(tmp_path: Path) -> None:
    path = tmp_path / "rg.db"
    store = Store(f"sqlite:///{path}")
    _grow(store, 3000)
    with store.transaction() as uow:  # what a scan reads (its connection is the one that closes)
        assert len(uow.matches.active_for_listings(["L00001", "L00002"])) == 2
    store.close()  # PRAGMA optimize as the connection closes
    plan = _plan(path)
    assert "ix_matches_state" not in plan and "sqlite_autoindex_matches_1 (listing_id=?)" in plan, plan


def test_a_store_never_analysed_is_analysed_when_opened(tmp_path: Path) -> None:
    """A store written by an earlier version (no statistics at all) gets them when it is opened."""
    path = tmp_path / "rg.db"
    store = Store(f"sqlite:///{path}")
    _grow(store, 3000)
    store.close()
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TABLE sqlite_stat1")
    Store(f"sqlite:///{path}").close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'matches'").fetchone()[0] > 0


def test_a_process_that_opened_the_store_empty_finds_matches_by_listing_id_once_it_grew(
    tmp_path: Path,
) -> None:
    """What the stream worker does: its connection opened on an empty store (no statistics), the
    store then grew under it; a listing's active matches are still found through the listing index."""
    store = Store(f"sqlite:///{tmp_path / 'rg.db'}")
    with store.transaction() as uow:  # the pooled connection opens now, statistics and all
        assert uow.matches.active_for_listings(["L00001"]) == {}
    _grow(store, 3000)
    with store.transaction() as uow:
        conn = uow.session.connection()
        rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {LOOKUP}", ("L00001", "L00002", "active"))
        plan = " ".join(str(r[-1]) for r in rows)
        assert len(uow.matches.active_for_listings(["L00001", "L00002"])) == 2
    store.close()
    assert "(listing_id=?)" in plan and "state=?" not in plan, plan


def test_the_priority_recalls_are_read_through_their_index_in_a_store_of_many_recalls(
    tmp_path: Path,
) -> None:
    """Every transaction that decides on a match reads the recalls marked priority (the automation
    policy). With statistics on an index of the whole two-valued column, SQLite scanned every recall
    for them instead (~100 ms at 100,000 recalls): the index is partial (revision r002)."""
    from sqlalchemy.dialects import sqlite

    from recallguard.domain.models import Recall, Target
    from recallguard.service.automation import automation_policy
    from recallguard.store.automation_tables import _POLICY_KEYS

    path = tmp_path / "rg.db"
    store = Store(f"sqlite:///{path}")
    with store.transaction() as uow:
        for i in range(1500):
            n = f"{27000 + i}"
            uow.recalls.upsert(Recall(n, "CPSC", f"Lamp {i} recalled", priority=i == 7), [Target(n, "CPSC")])
    with store.transaction() as uow:
        assert automation_policy(uow).priority == frozenset({("CPSC", "27007")})
    store.close()  # PRAGMA optimize as the connection closes: the statistics SQLite plans with
    sql = str(_POLICY_KEYS.compile(dialect=sqlite.dialect()))
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'recalls'").fetchone()[0] > 0
        plan = " ".join(str(r[-1]) for r in conn.execute(f"EXPLAIN QUERY PLAN {sql}", ("s", "p")))
    assert "SCAN recalls" not in plan and "ix_recalls_priority" in plan, plan
