"""Garbage-collector settings for bulk screening: one process screening a whole file or partition.

Screening allocates a few dozen short-lived objects per listing (profiles, feature rows, matches) in a
heap dominated by long-lived ones (the target index, the word memos). With CPython's defaults the young
generation is collected every 700 allocations and every tenth or so collection walks the whole heap
again: 15-20% of a 200,000-listing ``screen`` on one core went to the collector, finding nothing to free.
Inside :func:`bulk_screening` what exists when it starts (the index) is frozen out of the collector's
walks (``gc.freeze``) and the young generation is collected every 50,000 allocations. Reference
counting frees almost everything as before; the collector still runs, for cycles.

>>> import gc
>>> before = gc.get_threshold()
>>> with bulk_screening():
...     gc.get_threshold()[0]
50000
>>> gc.get_threshold() == before
True
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

YOUNG_THRESHOLD = 50_000


@contextmanager
def bulk_screening() -> Iterator[None]:
    """Freeze what exists, collect the young generation less often; both undone on exit."""
    old = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, old[1], old[2])
    try:
        yield
    finally:
        gc.set_threshold(*old)
        gc.unfreeze()
