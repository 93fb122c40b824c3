"""Alembic environment for recallguard's store. Runs on the connection that
``recallguard.store.engine.migrate`` hands over (``config.attributes["connection"]``), or on
``sqlalchemy.url`` when Alembic is driven by hand."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from recallguard.store.engine import make_engine, model_metadata

target_metadata = model_metadata()


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite ALTERs via table copies
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    config = context.config
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "sqlite:///recallguard.db")
    with engine.begin() as conn:
        _run(conn)


def run_migrations_offline() -> None:
    context.configure(url=context.config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()


if hasattr(context, "config"):  # only when Alembic runs this file (importing it elsewhere does nothing)
    if context.is_offline_mode():
        run_migrations_offline()
    else:
        run_migrations_online()
