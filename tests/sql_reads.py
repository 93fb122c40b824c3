"""What a block of code read from one table: tests that pin a hot path's reads (none, after a change
this process made itself) count the statements instead of timing them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from recallguard.store import Store


@contextmanager
def reads_of(store: Store, table: str) -> Iterator[list[str]]:
    """The SELECT statements over ``table`` that ``store`` runs while the block runs."""
    seen: list[str] = []

    def before(_conn, _cursor, statement: str, *_args) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT") and f"FROM {table}" in statement:
            seen.append(statement)

    event.listen(store.engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(store.engine, "before_cursor_execute", before)
