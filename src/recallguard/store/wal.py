"""SQLite WAL checkpoints off the request path, for long-running processes (the API server).

SQLite copies its write-ahead log back into the database file (a *checkpoint*) from inside a commit
once the log passes 1,000 pages, and that commit then waits for the copy and an fsync: a few
milliseconds on one commit in every hundred or so, which is where the screening API's slowest
answers came from. A :class:`WalCheckpointer` turns that automatic checkpoint off on the
connections of its store while it runs and checkpoints from its own thread every ``every_s``
seconds instead (``PASSIVE``: it never waits for readers or writers; a log that readers still need
is copied on a later round). When it stops, connections get the automatic checkpoint back as they
are next checked out. Other processes on the same file keep their automatic checkpoints. On
PostgreSQL and in-memory SQLite it does nothing.

The bulk writers beside a server (``listings import``, ``scan``, the stream worker) run one too
(``with WalCheckpointer(store):``): an automatic checkpoint runs inside the commit that passes the
1,000 pages, and that commit holds the writer lock (``store.writer_lock``) until it returns — an
import's transaction of 100 listings held it ~30 ms with the checkpoint and its fsync, 15 ms without,
and publish-time screening waited that long.

>>> import tempfile
>>> from recallguard.store import Store
>>> store = Store(f"sqlite:///{tempfile.mkdtemp()}/rg.db")
>>> wal = WalCheckpointer(store).start()
>>> with store.transaction() as uow:
...     _ = uow.audit.append("k", "s", "a")
>>> wal.checkpoint() >= 0, wal.stop()
(True, None)
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from sqlalchemy import event, text

from recallguard.store.facade import Store

log = logging.getLogger(__name__)
EVERY_S = 0.2  # a screening commit writes ~10-20 pages: the log stays far below 1,000 pages
AUTO_PAGES = 1000  # SQLite's default automatic checkpoint, restored on stop
_OFF = "recallguard_wal_auto_off"
_AUTO_OFF, _AUTO_ON = "PRAGMA wal_autocheckpoint=0", "PRAGMA wal_autocheckpoint=1000"


class WalCheckpointer:
    """Checkpoints of one SQLite store from a background thread (see the module docstring)."""

    def __init__(self, store: Store, every_s: float = EVERY_S) -> None:
        engine = store.engine
        self.store, self.every_s = store, every_s
        self.active = engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:")
        self.rounds = 0
        self._running = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _checkout(self, dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        off = record.info.get(_OFF, False)
        if off != self._running:
            dbapi_conn.execute(_AUTO_OFF if self._running else _AUTO_ON)
            record.info[_OFF] = self._running

    def start(self) -> WalCheckpointer:
        """Turn the automatic checkpoint off on this store's connections and start the thread."""
        if not self.active or self._thread is not None:
            return self
        self._running = True
        if not event.contains(self.store.engine, "checkout", self._checkout):
            event.listen(self.store.engine, "checkout", self._checkout)
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="rg-wal-checkpoint", daemon=True)
        self._thread.start()
        return self

    def __enter__(self) -> WalCheckpointer:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def checkpoint(self) -> int:
        """One passive checkpoint now; returns the pages copied (-1 when the store was busy or not
        SQLite)."""
        if not self.active:
            return -1
        with self.store.engine.connect() as conn:
            busy, _log_pages, copied = conn.execute(text("PRAGMA wal_checkpoint(PASSIVE)")).one()
            conn.commit()
        self.rounds += 1
        return -1 if busy else int(copied)

    def _loop(self) -> None:
        while not self._stop.wait(self.every_s):
            try:
                self.checkpoint()
            except Exception:  # the store may be away for a moment; the next round retries
                log.exception("WAL checkpoint failed")

    def stop(self) -> None:
        """Stop the thread, checkpoint once more, and give connections their automatic checkpoint back."""
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join(timeout=5)
        self._thread = None
        self._running = False
        try:
            self.checkpoint()
        except Exception:  # closing anyway: SQLite checkpoints when the last connection closes
            log.exception("WAL checkpoint failed")
