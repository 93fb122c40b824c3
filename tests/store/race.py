"""Two writers meeting on one new row (the import-race tests): the first writes in a store of its own and
holds its transaction open for a second; meanwhile the second, in another, reads the row as absent
(uncommitted) and writes it too, waiting on the first (PostgreSQL's row lock, SQLite's writer lock)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from recallguard.store import Store, UnitOfWork

T = TypeVar("T")


def race(url: str, first: Callable[[UnitOfWork], T], second: Callable[[UnitOfWork], T]) -> tuple[T, T]:
    """What ``first`` and ``second`` returned, each run in a transaction of its own store on ``url``;
    fails when either raised or did not finish."""
    first_wrote = threading.Event()
    outcomes: dict[str, T] = {}
    errors: list[BaseException] = []

    def run(name: str, body: Callable[[UnitOfWork], T], hold: bool) -> threading.Thread:
        def target() -> None:
            try:
                if not hold:
                    first_wrote.wait(30)
                with Store(url) as process, process.transaction() as uow:
                    outcomes[name] = body(uow)
                    if hold:
                        first_wrote.set()
                        threading.Event().wait(1.0)  # the second writer reaches its insert meanwhile
            except BaseException as e:  # reported below
                errors.append(e)
            finally:
                first_wrote.set()

        return threading.Thread(target=target)

    threads = [run("first", first, True), run("second", second, False)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert not any(t.is_alive() for t in threads)
    return outcomes["first"], outcomes["second"]
