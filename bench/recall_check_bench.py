"""How long a long-running process's check of the recall set takes when nothing changed, with many recalls.

    python -m bench.recall_check_bench [--recalls 100000] [--rounds 7]

The API server checks the active recall set every ``gate_refresh_s`` (2 s) to rebuild its screener
when another process imported recalls; the stream worker's store sink checks it twice per batch. The
check compares the recall set's revision (revision ``r001``: one row that every recall change raises)
and reads the set's fingerprint — every active recall's authority, number and content hash — only when
the revision moved. This bench times ``Enforcer.refresh_screener(build=False)`` on a SQLite store of
``--recalls`` recalls both ways: with the revision known (the check as shipped) and unknown (what every
check did before the revision existed, and what a check still does after a change). It also times the
automation policy's read (``automation_policy``: shadow scopes and the recalls marked priority, through
the partial index of revision ``r002``), which every transaction that decides on a match makes.

The store holds the 80 shipped CPSC recalls, copied by SQL under new recall numbers up to ``--recalls``
rows: the check reads numbers and content hashes, so copies stand for distinct recalls (the screener
is not built). Writes bench/results/recall_check.json.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.machine import machine_info

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
RECALLS = ROOT / "data" / "cpsc" / "cpsc-recalls-api-80.json"


def fill(db: Path, n: int) -> int:
    """Copy the stored recalls under new numbers (``<number>-<k>``) until about ``n`` rows, in one
    statement; returns the rows."""
    with sqlite3.connect(db) as c:
        cols = [r[1] for r in c.execute("PRAGMA table_info(recalls)") if r[1] != "id"]
        base = c.execute("SELECT count(*) FROM recalls").fetchone()[0]
        picked = ", ".join("recall_number || '-' || k.i" if x == "recall_number" else x for x in cols)
        c.execute(
            f"WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i + 1 < :copies) "
            f"INSERT INTO recalls ({', '.join(cols)}) SELECT {picked} FROM recalls, k",
            {"copies": max(0, n - base) // base},
        )
        c.execute("ANALYZE")  # the statistics a grown store has (PRAGMA optimize as connections close)
        return int(c.execute("SELECT count(*) FROM recalls").fetchone()[0])


def timed(run: Callable[[], None], rounds: int) -> dict[str, float]:
    """Median and max milliseconds of ``rounds`` calls (the cache set-up inside ``run`` is timed too:
    a dataclass, microseconds)."""
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        run()
        times.append((time.perf_counter() - t) * 1000)
    return {"median": round(statistics.median(times), 3), "max": round(max(times), 3)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--recalls", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=7)
    a = ap.parse_args()
    from recallguard.api.config import ServiceSettings
    from recallguard.api.runtime import Enforcer, ScreenerCache
    from recallguard.service.automation import automation_policy
    from recallguard.service.importers import import_recalls
    from recallguard.store import Store

    work = Path(tempfile.mkdtemp(prefix="rg-recall-check-"))
    db = work / "rg.db"
    with Store(f"sqlite:///{db}") as store:
        import_recalls(store, RECALLS)
    t0 = time.perf_counter()
    rows = fill(db, a.recalls)
    fill_s = time.perf_counter() - t0
    enf = Enforcer(ServiceSettings(database_url=f"sqlite:///{db}", data_dir=str(work / "data")))
    with enf.store.transaction() as uow:
        revision, fingerprint = uow.recalls.revision(), uow.recalls.active_fingerprint()
    built = object()  # stands for the screener: nothing changed, so it must come back as it is

    def check(known: int | None) -> None:
        enf._screener = ScreenerCache(fingerprint, built, "v", revision=known)
        assert enf.refresh_screener(build=False)[0] is built

    def policy_read() -> None:  # what every transaction that decides on a match reads first
        with enf.store.transaction() as uow:
            automation_policy(uow)

    out = {
        "revision_unknown_ms": timed(lambda: check(None), a.rounds),
        "revision_known_ms": timed(lambda: check(revision), a.rounds),
        "automation_policy_read_ms": timed(policy_read, a.rounds),
    }
    enf.close()
    result = {
        "bench": "recall_check",
        "machine": machine_info(),
        "what": "Enforcer.refresh_screener(build=False) with an unchanged recall set, SQLite store",
        "recalls": rows,
        "active_recalls": len(fingerprint),
        "fill_seconds": round(fill_s, 1),
        "rounds": a.rounds,
        **out,
        "server_checks_every_s": ServiceSettings.model_fields["gate_refresh_s"].default,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "recall_check.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
