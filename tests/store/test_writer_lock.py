"""The SQLite writer lock: held from a transaction's first write until it ends, waited for by other
writers (threads and processes), released by the kernel when its holder is killed, and turned into
SQLite's own "database is locked" error after the busy timeout."""

from __future__ import annotations

import fcntl
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from recallguard.store import Store, writer_lock


def _held_elsewhere(db: Path) -> bool:
    """True when some connection holds the writer lock of ``db`` (tried from another open file)."""
    fd = os.open(f"{db}-writer.lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "rg.db"
    with Store(f"sqlite:///{path}") as store, store.transaction() as uow:
        uow.session.execute(text("CREATE TABLE IF NOT EXISTS probe (x INTEGER)"))
    return path


def test_a_writing_transaction_holds_the_lock_until_it_ends_and_a_reading_one_never_takes_it(
    db: Path,
) -> None:
    with Store(f"sqlite:///{db}") as store:
        with store.transaction() as uow:
            uow.session.execute(text("SELECT count(*) FROM probe")).scalar()
            assert not _held_elsewhere(db)
            uow.session.execute(text("INSERT INTO probe VALUES (1)"))
            assert _held_elsewhere(db)
        assert not _held_elsewhere(db)
        with pytest.raises(RuntimeError), store.transaction() as uow:
            uow.session.execute(text("INSERT INTO probe VALUES (2)"))
            raise RuntimeError("rolled back")
        assert not _held_elsewhere(db)
        with store.transaction() as uow:
            assert uow.session.execute(text("SELECT x FROM probe")).scalars().all() == [1]


def test_a_second_writer_waits_for_the_first_and_both_writes_land(db: Path) -> None:
    with Store(f"sqlite:///{db}") as store:
        done = threading.Event()

        def second() -> None:
            with store.transaction() as uow:
                uow.session.execute(text("INSERT INTO probe VALUES (2)"))
            done.set()

        with store.transaction() as uow:
            uow.session.execute(text("INSERT INTO probe VALUES (1)"))
            t = threading.Thread(target=second)
            t.start()
            assert not done.wait(0.3)  # cannot pass while this transaction holds the lock
        t.join(30)
        assert done.is_set()
        with store.transaction() as uow:
            assert sorted(uow.session.execute(text("SELECT x FROM probe")).scalars()) == [1, 2]


def test_a_writer_killed_while_holding_the_lock_does_not_block_the_others(db: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", (
            "import sys, time; from sqlalchemy import text; from recallguard.store import Store\n"
            f"s = Store('sqlite:///{db}', migrate=False)\n"
            "with s.transaction() as uow:\n"
            "    uow.session.execute(text('INSERT INTO probe VALUES (9)'))\n"
            "    print('holding', flush=True); time.sleep(600)\n"
        )],
        stdout=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == b"holding"
        assert _held_elsewhere(db)
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(30)
    with Store(f"sqlite:///{db}") as store, store.transaction() as uow:
        uow.session.execute(text("INSERT INTO probe VALUES (3)"))
    with Store(f"sqlite:///{db}") as store, store.transaction() as uow:
        assert uow.session.execute(text("SELECT x FROM probe")).scalars().all() == [3]  # 9 never committed


def test_a_writer_that_waits_past_the_busy_timeout_gets_database_is_locked(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(writer_lock, "BUSY_TIMEOUT_S", 0.2)
    with Store(f"sqlite:///{db}") as store, store.transaction() as uow:
        uow.session.execute(text("INSERT INTO probe VALUES (1)"))
        other = sqlite3.connect(db, factory=writer_lock.WriterLockedConnection)
        with pytest.raises(sqlite3.OperationalError, match="database is locked"):
            other.execute("INSERT INTO probe VALUES (2)")
        other.close()
