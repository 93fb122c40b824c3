"""The ``Store`` facade: one engine, the schema migrated on first use, and units of work that commit
everything or nothing.

>>> store = Store("sqlite://")
>>> with store.transaction() as uow:
...     uow.listings.count()
0
>>> store.counts()["recalls"]
0
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, sessionmaker

from recallguard.store.audit_repos import AuditRepo, CheckpointRepo
from recallguard.store.catalog_repos import ListingRepo, QuarantineRepo, RecallRepo
from recallguard.store.enforcement_repos import ActionRepo, MatchRepo
from recallguard.store.engine import ensure_planner_stats, make_engine, migrate
from recallguard.store.listing_key_repos import ListingKeyRepo

COUNT_KEYS = ("recalls", "targets", "listings", "quarantined", "matches", "actions", "priority")


class UnitOfWork:
    """The repositories of one transaction. Nothing is written unless the whole block succeeds."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.recalls = RecallRepo(session)
        self.listings = ListingRepo(session)
        self.listing_keys = ListingKeyRepo(session)  # listing-side indexes (catalogue rescans)
        self.quarantine = QuarantineRepo(session)
        self.matches = MatchRepo(session)
        self.actions = ActionRepo(session)
        self.audit = AuditRepo(session)
        self.checkpoints = CheckpointRepo(session)

    def flush(self) -> None:
        """Send pending writes now (still inside the transaction)."""
        self.session.flush()


class Store:
    """recallguard's state in SQLite or PostgreSQL, behind narrow repositories.

    ``Store(url)`` creates or migrates the schema (Alembic upgrade head) unless ``migrate=False``.
    """

    def __init__(self, url: str = "sqlite:///recallguard.db", *, echo: bool = False, migrate: bool = True):
        self.engine: Engine = make_engine(url, echo=echo)
        self.url = url
        self._sessions = sessionmaker(self.engine, expire_on_commit=False, autoflush=True)
        if migrate:
            self.migrate()
            ensure_planner_stats(self.engine)

    def on_commit(self, flag: str, callback: Callable[[], None]) -> None:
        """Call ``callback`` after each commit of this store's transactions that set ``info[flag]`` on
        their session (a repository marks what it changed, e.g. ``RECALLS_CHANGED``).

        >>> store, heard = Store("sqlite://"), []
        >>> store.on_commit("x_changed", lambda: heard.append(1))
        >>> with store.transaction() as uow:
        ...     uow.session.info["x_changed"] = True
        >>> with store.transaction() as uow:
        ...     pass
        >>> heard
        [1]
        """

        def after(session: Session) -> None:
            if session.info.pop(flag, False):
                callback()

        event.listen(self._sessions, "after_commit", after)

    def migrate(self) -> str:
        """Bring the schema to the newest revision; returns the revision."""
        return migrate(self.engine)

    @contextmanager
    def transaction(self) -> Iterator[UnitOfWork]:
        """A unit of work: commits when the block ends, rolls everything back when it raises."""
        with self._sessions() as session, session.begin():
            uow = UnitOfWork(session)
            yield uow
            session.flush()  # the unit of work's own rows first, outside the audit chain's lock
            uow.audit.write_pending()  # the audit chain's lock: held from here to the commit only

    def counts(self) -> dict[str, int]:
        """What ``recallguard status`` shows: recalls, targets, listings, quarantined, matches (active),
        actions, priority (active recalls marked priority)."""
        with self.transaction() as uow:
            return {
                "recalls": uow.recalls.count(),
                "targets": uow.recalls.count_targets(),
                "listings": uow.listings.count(),
                "quarantined": uow.quarantine.count(),
                "matches": uow.matches.count(),
                "actions": uow.actions.count(),
                "priority": uow.recalls.count_priority(),
            }

    def close(self) -> None:
        """Release the engine's connections."""
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
