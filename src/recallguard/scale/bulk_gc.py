"""Garbage-collector settings for bulk screening (one process screening a whole file or partition) and
for long-running servers (:func:`settle_heap`).

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

A server builds its screener's indexes (~200,000 objects for the 80 sample recalls) after it has
started; left in the collected heap, every full collection walks them again: ~80 ms with the GIL
held, every few seconds under load, which was the slowest hundredth of the gate's and screening's
answers. :func:`settle_heap` after each build collects once and freezes what is left.
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
    frozen_before = gc.get_freeze_count() > 0  # a server's settled heap stays frozen after the block
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, old[1], old[2])
    try:
        yield
    finally:
        gc.set_threshold(*old)
        if not frozen_before:
            gc.unfreeze()


def settle_heap() -> None:
    """Collect everything once (frozen objects included: a replaced index's cycles are freed) and
    freeze what survives, so later collections walk only what is allocated after. Call after building
    long-lived state in a long-running process; it pauses the process for one full collection.

    >>> settle_heap(); gc.get_freeze_count() > 0
    True
    >>> gc.unfreeze()
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()
