"""The WAL checkpointer: SQLite's automatic checkpoint is off on the store's connections while it runs
(checkpoints come from its thread) and back when it stops; nothing to do on an in-memory store."""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import text

from recallguard.domain.models import Listing
from recallguard.store import Store
from recallguard.store.wal import AUTO_PAGES, WalCheckpointer


def _auto_pages(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(text("PRAGMA wal_autocheckpoint")).scalar_one())


def test_checkpoints_move_to_the_thread_and_back(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'rg.db'}")
    try:
        assert _auto_pages(store) == AUTO_PAGES
        wal = WalCheckpointer(store, every_s=3600).start()  # its thread waits: this test checkpoints
        assert _auto_pages(store) == 0
        for i in range(20):
            with store.transaction() as uow:
                uow.listings.upsert_many([Listing(f"L{i}", "x" * 2000)])
        assert wal.checkpoint() > 0  # what the commits wrote to the log is copied from here
        wal.stop()
        assert _auto_pages(store) == AUTO_PAGES
        with store.transaction() as uow:
            assert uow.listings.count() == 20
    finally:
        store.close()


def test_in_memory_store_is_left_alone() -> None:
    store = Store("sqlite://")
    wal = WalCheckpointer(store).start()
    assert not wal.active and wal.checkpoint() == -1
    wal.stop()


def test_the_thread_checkpoints_while_it_runs(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'rg.db'}")
    try:
        wal = WalCheckpointer(store, every_s=0.01).start()
        with store.transaction() as uow:
            uow.listings.upsert_many([Listing("L1", "x" * 2000)])
        deadline = time.monotonic() + 30  # a bound for a stalled machine, not a speed figure
        while wal.rounds < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        wal.stop()
        assert wal.rounds >= 2
    finally:
        store.close()
