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
:func:`tune_malloc` keeps the C library's allocator from spreading a server's memory over an
arena per thread and from keeping large freed blocks in a growing heap.
"""

from __future__ import annotations

import ctypes
import gc
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

YOUNG_THRESHOLD = 50_000
#: malloc arenas of a long-running process (:func:`cap_malloc_arenas`)
MALLOC_ARENAS = 2
_M_ARENA_MAX = -8  # glibc's mallopt parameter number
#: blocks of this size and more get memory maps of their own, given back to the system when freed
MMAP_THRESHOLD = 128 * 1024
_M_MMAP_THRESHOLD = -3


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


def cap_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """Cap the C library's malloc arenas for a long-running process and the processes it starts, unless
    the operator chose (``MALLOC_ARENA_MAX`` set); True when this call set the cap. Call it before the
    process starts threads.

    glibc gives threads that allocate at once their own arenas, up to eight per core, and memory freed
    in one is reused only there. A server's request threads, poll and checkpoint threads each filled an
    arena of their own: in the load bench the server's RSS grew 34.6 MB from minute 2 to 7 with the
    default, 21.3 MB with two arenas, with the same latency. Elsewhere than glibc, nothing is done.

    >>> chosen = os.environ.get("MALLOC_ARENA_MAX")
    >>> os.environ["MALLOC_ARENA_MAX"] = "4"; cap_malloc_arenas(), os.environ["MALLOC_ARENA_MAX"]
    (False, '4')
    >>> _ = os.environ.pop("MALLOC_ARENA_MAX") if chosen is None else None
    """
    if os.environ.get("MALLOC_ARENA_MAX") or not sys.platform.startswith("linux"):
        return False
    os.environ["MALLOC_ARENA_MAX"] = str(arenas)  # read by the C library of processes started from here
    return _mallopt(_M_ARENA_MAX, arenas)


def _mallopt(param: int, value: int) -> bool:
    try:
        mallopt = ctypes.CDLL(None).mallopt  # this process's own C library
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(param, value))


def fix_mmap_threshold(threshold: int = MMAP_THRESHOLD) -> bool:
    """Keep the C library's memory-map threshold at ``threshold`` bytes for a long-running process and
    the processes it starts, unless the operator chose (``MALLOC_MMAP_THRESHOLD_`` set); True when this
    call set it.

    glibc raises the threshold to the size of each mapped block freed (up to 32 MB): once the
    fingerprint bank's first merge had freed its band arrays (megabytes), later arrays came from the
    heap, and the holes they left were filled by small objects, so every merge grew the heap. A fixed
    threshold keeps large arrays in maps of their own, returned to the system when freed. In the load
    bench (6 minutes, SQLite) the server's RSS grew 14.4 MB from minute 2 to 6 with it, 17-23 MB
    without. Elsewhere than glibc, nothing is done.

    >>> chosen = os.environ.get("MALLOC_MMAP_THRESHOLD_")
    >>> os.environ["MALLOC_MMAP_THRESHOLD_"] = "65536"; fix_mmap_threshold()
    False
    >>> _ = os.environ.pop("MALLOC_MMAP_THRESHOLD_") if chosen is None else None
    """
    if os.environ.get("MALLOC_MMAP_THRESHOLD_") or not sys.platform.startswith("linux"):
        return False
    os.environ["MALLOC_MMAP_THRESHOLD_"] = str(threshold)  # glibc reads it in processes started later
    return _mallopt(_M_MMAP_THRESHOLD, threshold)


def tune_malloc() -> tuple[bool, bool]:
    """:func:`cap_malloc_arenas` and :func:`fix_mmap_threshold` (what each set): call it first thing in a
    long-running process (``serve``, ``worker``), before its threads start.

    >>> names = ("MALLOC_ARENA_MAX", "MALLOC_MMAP_THRESHOLD_")
    >>> saved = {k: os.environ.get(k) for k in names}
    >>> os.environ.update(MALLOC_ARENA_MAX="4", MALLOC_MMAP_THRESHOLD_="65536"); tune_malloc()
    (False, False)
    >>> for k, v in saved.items():
    ...     _ = os.environ.pop(k) if v is None else os.environ.update({k: v})
    """
    return cap_malloc_arenas(), fix_mmap_threshold()


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


class HeapKeeper:
    """Keeps what a long-running process allocates after :func:`settle_heap` out of the collector's
    walks too. The fingerprint bank and the text caches grow while a server runs; left in the
    collected heap, the full collection CPython makes about once a minute under load walked all of
    it again (measured in the load bench: 20-50 ms with the GIL held by minute 4, growing with the
    bank). Every ``every_s`` seconds :meth:`tick` collects what is not frozen (only what survived
    since the last tick: a few milliseconds) and freezes it. Objects that become cyclic garbage
    after being frozen wait for the next settle: every ``settle_s`` seconds :func:`settle_heap` walks
    the whole heap once.

    >>> now = [0.0]
    >>> keeper = HeapKeeper(every_s=10, settle_s=60, clock=lambda: now[0])
    >>> gc.unfreeze(); keeper.tick(), gc.get_freeze_count()
    (None, 0)
    >>> now[0] = 10; keeper.tick(), gc.get_freeze_count() > 0
    ('froze', True)
    >>> now[0] = 60; keeper.tick()
    'settled'
    >>> gc.unfreeze()
    """

    def __init__(
        self, every_s: float = 10.0, settle_s: float = 1800.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.every_s, self.settle_s, self.clock = every_s, settle_s, clock
        self.frozen_at = self.settled_at = clock()

    def tick(self) -> str | None:
        """Freeze (or settle) when due; what it did, or None."""
        now = self.clock()
        if now - self.settled_at >= self.settle_s:
            settle_heap()
            self.frozen_at = self.settled_at = now
            return "settled"
        if now - self.frozen_at >= self.every_s:
            gc.collect()  # the frozen objects are not walked: only what survived since the last tick
            gc.freeze()
            self.frozen_at = now
            return "froze"
        return None
