"""Engines from store URLs, and the schema brought to the newest Alembic revision on first use.

URL forms: ``sqlite:///path/to.db`` (default; WAL journal, foreign keys on), ``sqlite://`` (in
memory, one shared connection) and ``postgresql+psycopg://user@host:port/db`` (``postgresql://`` and
``postgres://`` are read as psycopg 3).

>>> normalise_url("postgres://postgres@127.0.0.1:5432/test")
'postgresql+psycopg://postgres@127.0.0.1:5432/test'
>>> e = make_engine("sqlite://")
>>> migrate(e) == head_revision()
True
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import Engine, MetaData, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import StaticPool

from recallguard.errors import ConfigurationError
from recallguard.store.writer_lock import WriterLockedConnection

if TYPE_CHECKING:  # Alembic is imported when a schema is read or changed (not by every command)
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
PG_MIGRATION_LOCK = 0x72676D67  # advisory lock id held while migrating a PostgreSQL database
#: The newest revision under ``migrations/versions``, known without Alembic (a new revision updates it:
#: tests/store/test_store.py holds it to Alembic's head)
HEAD_REVISION = "r002"


def normalise_url(url: str) -> str:
    """The SQLAlchemy URL for a store URL; raises ConfigurationError for an unsupported one.

    >>> normalise_url("sqlite:///data/rg.db")
    'sqlite:///data/rg.db'
    """
    url = url.strip()
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            url = "postgresql+psycopg://" + url[len(prefix) :]
    try:
        parsed = make_url(url)
    except ArgumentError as e:
        raise ConfigurationError(f"not a database URL: {url!r} ({e})") from None
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise ConfigurationError(
            f"unsupported database {parsed.get_backend_name()!r}: use sqlite:///path/to.db or "
            "postgresql+psycopg://user@host:port/db"
        )
    if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() != "psycopg":
        raise ConfigurationError(
            f"PostgreSQL is reached through psycopg 3: use postgresql+psycopg://… ({url})"
        )
    return url


#: An ANALYZE reads at most 1,000 rows per index (SQLite's ``analysis_limit``): statistics good enough
#: to choose an index, in milliseconds at any size of store
ANALYSIS_LIMIT = "PRAGMA analysis_limit=1000"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any, memory: bool) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")  # writer_lock.BUSY_TIMEOUT_S
    cur.execute(ANALYSIS_LIMIT)
    if not memory:
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def json_loads(value: str | bytes) -> Any:
    """A JSON column's value decoded (SQLAlchemy's ``json_deserializer``): orjson, 2-3 times faster than
    the standard library on the fingerprint bank's entries (a process loads every one as it starts);
    the standard library for what orjson refuses and ``json.dumps`` writes (NaN, integers past 64 bits).

    >>> json_loads('{"a": [1, 2.5]}'), json_loads('{"x": NaN}')["x"] != 0
    ({'a': [1, 2.5]}, True)
    """
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError:
        return json.loads(value)


def make_engine(url: str, echo: bool = False) -> Engine:
    """An engine for a store URL (SQLite gets WAL and foreign keys; its folder is created).

    >>> make_engine("sqlite://").dialect.name
    'sqlite'
    """
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        memory = parsed.database in (None, "", ":memory:")
        kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False}}
        if memory:
            kwargs["poolclass"] = StaticPool
        else:
            Path(parsed.database or "").expanduser().parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"]["factory"] = WriterLockedConnection  # writers queue without sleeps
        engine = create_engine(url, echo=echo, json_deserializer=json_loads, **kwargs)
        event.listen(engine, "connect", lambda c, r: _sqlite_pragmas(c, r, memory))
        if not memory:
            event.listen(engine, "close", lambda c, _r: _optimize(c))
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True, json_deserializer=json_loads)


def _optimize(dbapi_conn: Any) -> None:
    """``PRAGMA optimize`` as a SQLite connection closes (SQLite's advice for short-lived connections):
    tables this connection read whose statistics are missing or stale (25 times more or fewer rows)
    are analysed. Best effort: it waits at most 100 ms for the database and gives up quietly."""
    try:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA busy_timeout=100")
        cur.execute("PRAGMA optimize")
        cur.close()
    except sqlite3.Error:
        pass


def ensure_planner_stats(engine: Engine) -> bool:
    """Analyse a SQLite file store that has never been analysed; True when it did.

    Without statistics SQLite guesses that any equality narrows a table, so it read every active
    match through the index on ``state`` to find a page's matches by listing id: a scan of 2,000
    listings took 17 s instead of 10 s in a store of 22,000 matches, and grew with the store.
    ``PRAGMA optimize`` as connections close keeps the statistics current afterwards.

    >>> import tempfile, os
    >>> e = make_engine("sqlite:///" + os.path.join(tempfile.mkdtemp(), "rg.db")); _ = migrate(e)
    >>> ensure_planner_stats(e), ensure_planner_stats(e)
    (True, False)
    """
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return False
    with engine.connect() as conn:
        if conn.execute(text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")).first():
            return False
        conn.execute(text("ANALYZE"))
        conn.commit()
    return True


def model_metadata() -> MetaData:
    """The metadata of every table model: each ``recallguard.store`` module may declare tables on
    the shared ``Base``, so all are imported (what Alembic autogenerate compares against)."""
    import recallguard.store as package
    from recallguard.store.tables import Base

    for info in pkgutil.iter_modules(package.__path__):
        if info.name != "migrations":
            importlib.import_module(f"{package.__name__}.{info.name}")
    return Base.metadata


def alembic_config(engine: Engine | None = None) -> Config:
    """The Alembic configuration of the shipped migrations (no alembic.ini needed).

    New tables come as new revisions, e.g.
    ``command.revision(alembic_config(), message="users", autogenerate=True)`` with
    ``cfg.attributes["connection"]`` set to a connection of an up-to-date database.
    """
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("path_separator", "os")
    if engine is not None:
        cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return cfg


def head_revision() -> str:
    """The newest revision shipped with this version of recallguard."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def stored_revision(engine: Engine) -> str | None:
    """The revision a database is at, read with one query (no Alembic import: every command's store
    open asks); None for an empty database.

    >>> stored_revision(make_engine("sqlite://")) is None
    True
    """
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def migrate(engine: Engine) -> str:
    """Create or upgrade the schema to the newest revision (a no-op when it is there); returns it.
    A database at :data:`HEAD_REVISION` is left without loading Alembic's scripts (~0.1 s a process)."""
    at = stored_revision(engine)
    if at == HEAD_REVISION:
        return at
    head = head_revision()
    if at == head:
        return head
    from alembic import command

    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":  # one migrator at a time; others wait, then find head
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_MIGRATION_LOCK})
        cfg = alembic_config(engine)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    return head
