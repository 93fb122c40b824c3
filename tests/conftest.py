"""Shared fixtures: a store URL on SQLite and on PostgreSQL (the same tests run on both), and one
local SparkSession.

For PostgreSQL a uniquely named database is created on 127.0.0.1:5432 (user postgres) once per test
session and dropped at the end; each test starts from empty tables. When the server cannot be
reached the PostgreSQL variants are skipped with a loud reason.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

PG_HOST = os.environ.get("RECALLGUARD_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("RECALLGUARD_TEST_PG_PORT", "5432"))
PG_USER = os.environ.get("RECALLGUARD_TEST_PG_USER", "postgres")
_pg_unreachable: list[str] = []  # why the PostgreSQL variants are skipped, when they are


def _admin_connect():  # type: ignore[no-untyped-def]
    import psycopg

    return psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", autocommit=True,
                           connect_timeout=3)  # fmt: skip


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str | None]:
    """URL of a fresh PostgreSQL database for this session (None when the server is unreachable)."""
    try:
        admin = _admin_connect()
    except Exception as e:  # the reason is shown on every skipped PostgreSQL test
        _pg_unreachable.append(f"PostgreSQL at {PG_HOST}:{PG_PORT} unreachable: {e}")
        yield None
        return
    name = f"recallguard_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def _reset_pg(url: str, drop_schema: bool) -> None:
    import psycopg

    from recallguard.store.engine import model_metadata

    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        if drop_schema:
            conn.execute("DROP SCHEMA public CASCADE")
            conn.execute("CREATE SCHEMA public")
            return
        present = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
        tables = [t for t in model_metadata().tables if t in present]
        if tables:
            conn.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")


def _url(request: pytest.FixtureRequest, tmp_path: Path, empty: bool) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'recallguard.db'}"
    url = request.getfixturevalue("pg_database")
    if url is None:
        pytest.skip(f"!!! PostgreSQL variant SKIPPED: {_pg_unreachable[0]}")
    _reset_pg(url, drop_schema=empty)
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A store URL whose tables (if any) are empty: SQLite file or the session's PostgreSQL database."""
    return _url(request, tmp_path, empty=False)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database with no schema at all (to test creation on first use)."""
    return _url(request, tmp_path, empty=True)


@pytest.fixture
def store(store_url: str) -> Iterator[object]:
    """An open ``recallguard.store.Store`` on each backend."""
    from recallguard.store import Store

    s = Store(store_url)
    try:
        yield s
    finally:
        s.close()


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """One SparkSession (local[2]) for every Spark test of the session (tests/scale, tests/rescan):
    starting Spark is their slow part. Skipped, loudly, without pyspark or Java."""
    pytest.importorskip("pyspark")
    if shutil.which("java") is None:
        pytest.skip("!!! Spark tests SKIPPED: no Java on PATH")
    from recallguard.scale.spark_engine import spark_session

    s = spark_session("local[2]")
    yield s
    s.stop()
