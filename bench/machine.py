"""The machine a benchmark ran on, in one shape for every bench's JSON, with a reading of its speed.

Figures from different sessions' machines differ by up to 2x for the same code (docs/load.md,
"Twenty-second session"), so each result carries ``python_loop_s``: the seconds this machine's Python
takes for 10**7 additions in a loop inside a function (best of five runs of 2 * 10**6, one core). A
result's figures are comparable with another's only where the two readings are close.

    >>> m = machine_info()
    >>> sorted(m)[:3], m["cpus"] >= 1, m["python_loop_s"] > 0
    (['cpus', 'load_average_1m', 'platform'], True, True)
"""

from __future__ import annotations

import os
import platform
import sys
import time
from typing import Any

LOOP_SHARE = 2 * 10**6  # one timed run; five of them, scaled to 10**7 additions
RUNS = 5


def _loop(n: int) -> int:
    s = 0
    for i in range(n):
        s += i
    return s


def python_loop_s() -> float:
    """Seconds for 10**7 additions in a Python loop on this machine (best of five shorter runs).

    >>> 0 < python_loop_s() < 60
    True
    """
    best = float("inf")
    for _ in range(RUNS):
        t = time.perf_counter()
        _loop(LOOP_SHARE)
        best = min(best, time.perf_counter() - t)
    return round(best * (10**7 / LOOP_SHARE), 3)


def machine_info(**extra: Any) -> dict[str, Any]:
    """Cores, Python, platform (the host kernel's build names the machine kind), the 1-minute load
    average now and the speed reading; ``extra`` keys are added as they are.

    >>> machine_info(note="x")["note"]
    'x'
    """
    return {
        "cpus": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "platform": platform.platform(),
        "python": f"{platform.python_version()} ({os.path.realpath(sys.executable)})",
        "python_loop_s": python_loop_s(),
        **extra,
    }
