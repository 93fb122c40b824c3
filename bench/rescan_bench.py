"""Rescan benchmark: time from ``recalls import`` of one new recall to every matching stored listing
restricted, at 10k / 100k / 1M stored listings, on SQLite and PostgreSQL; listing-import throughput
(with the listing-side keys) and memory.

    python -m bench.rescan_bench [--sizes 10000,100000,1000000] [--dbs sqlite,postgresql]
                                 [--recall 26513] [--workers 0] [--full-scan-at 10000]

The catalogue is ``recallguard synth`` with ``--recalls`` (the new recall's products planted in 0.1 %
of the listings, ids in ``_truth.csv``); a store of N listings holds its first N rows. Each store first
gets the other 79 recalls of data/cpsc (so the screener is the production-sized one), then the
listings (``import_listings``, keys written with them), then the new recall is imported and timed.
Checked: every planted listing the matcher blocks (stateless screening with the same targets) is
restricted. Each (database, size) runs in its own process, so peak memory is its own.
Writes bench/results/rescan.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from bench.machine import machine_info

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
RESULTS, WORK = ROOT / "bench" / "results", ROOT / "bench" / "work" / "rescan"
CPSC = ROOT / "data" / "cpsc" / "cpsc-recalls-api-80.json"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def catalogue(n: int, recall_file: Path) -> Path:
    """The synthetic catalogue (made once) and its first-``n``-rows slices, one Parquet file each."""

    full = WORK / f"synth-{n}"
    if not (full / "_truth.csv").exists():
        subprocess.run(
            [sys.executable, "-m", "recallguard", "synth", "--listings", str(n), "--out", str(full),
             "--seed", "7", "--recalls", str(recall_file)],
            check=True,
        )  # fmt: skip
    return full


def slice_of(full: Path, n: int) -> Path:
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    out = WORK / f"{full.name}-first-{n}.parquet"
    if not out.exists():
        table = ds.dataset(str(full), format="parquet").head(n)
        pq.write_table(table, out, row_group_size=65536)
    return out


def peak_rss_mb() -> int:
    """Peak resident memory of this process (VmHWM: reset at exec, unlike getrusage's ru_maxrss)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def pg_url(name: str) -> str:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def pg_drop(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def copy_from_sqlite(src: Path, url: str) -> int:
    """A SQLite store's listings, key rows and key vocabulary, copied into PostgreSQL (COPY)."""
    import sqlite3

    import psycopg

    lite = sqlite3.connect(src)
    n = 0
    with psycopg.connect(url.replace("+psycopg", "")) as pg:
        for table in ("listings", "listing_keys", "listing_key_vocab"):
            cur = lite.execute(f"SELECT * FROM {table}")
            cols = ", ".join(d[0] for d in cur.description)
            with pg.cursor() as pc, pc.copy(f"COPY {table} ({cols}) FROM STDIN") as cp:
                for row in cur:
                    cp.write_row(row)
                    n += table == "listings"
            pg.execute(f"ANALYZE {table}")  # fresh planner statistics, as after any bulk load
    lite.close()
    return n


def one(
    db: str, n: int, listings: Path, truth: Path, recall: str, workers: int, full_scan: bool, keep: bool
) -> dict[str, Any]:
    """One store: other recalls, N listings, then the new recall imported and timed."""
    from recallguard.service.importers import import_listings, import_recalls
    from recallguard.service.scan import scan
    from recallguard.service.screening import default_screener
    from recallguard.store import Store

    records = json.loads(CPSC.read_text())
    others, new = WORK / "others.json", WORK / f"recall-{recall}.json"
    others.write_text(json.dumps([r for r in records if r["RecallNumber"] != recall]))
    name = f"rg_rescan_{n}_{uuid.uuid4().hex[:6]}"
    if db == "sqlite":
        path = WORK / f"{name}.db"
        url = f"sqlite:///{path}"
    else:
        url = pg_url(name)
    out: dict[str, Any] = {"db": db, "listings": n}
    try:
        store = Store(url)
        import_recalls(store, others)
        t0 = time.perf_counter()
        kept = WORK / f"kept-sqlite-{n}.db"
        if db == "postgresql" and kept.exists():  # the same rows, moved: listings and keys not recomputed
            created, how = (
                copy_from_sqlite(kept, url),
                "copied from the SQLite store (COPY), keys not recomputed",
            )
        else:
            created, how = (
                import_listings(store, listings, batch_size=5000, workers=workers).created,
                "import",
            )
        load_s = time.perf_counter() - t0
        with store.transaction() as uow:
            keys = uow.listing_keys.count()
        out["import"] = {"how": how, "seconds": round(load_s, 1), "listings_per_s": round(created / load_s),
                         "key_rows": keys, "key_rows_per_listing": round(keys / max(1, n), 1),
                         "workers": workers}  # fmt: skip
        if db == "sqlite":
            out["import"]["db_mb"] = round(sum(p.stat().st_size for p in WORK.glob(f"{name}.db*")) / 2**20)
        t0 = time.perf_counter()
        rep = import_recalls(store, new)
        out["recall_import_s"] = round(time.perf_counter() - t0, 2)
        out["rescreened"] = rep.rescreened
        out["restricted"] = rep.counts.actions_created
        planted = [r["listing_id"] for r in csv.DictReader(truth.open()) if r["recall_number"] == recall]
        with store.transaction() as uow:
            present = uow.listings.get_many(planted)
            screener = default_screener(uow.recalls.active_targets(), True)
            expected = {x.listing_id for x, ms in screener.screen_many(present)
                        for m in ms if m.recall_number == recall and m.decision.value == "block"}  # fmt: skip
            live = {a.listing_id for a in uow.actions.list(limit=10**7)
                    if a.recall_number == recall and a.state.value != "withdrawn"}  # fmt: skip
        out["planted"] = len(present)
        out["planted_blocked_by_matcher"] = len(expected)
        out["planted_blocked_but_not_restricted"] = len(expected - live)
        if full_scan:  # the alternative: every listing screened again
            with store.engine.begin() as conn:  # a store copied from SQLite holds its screened versions
                conn.exec_driver_sql("UPDATE listings SET screened_version = NULL")
            t0 = time.perf_counter()
            sr = scan(store)
            out["full_scan"] = {"seconds": round(time.perf_counter() - t0, 1), "screened": sr.screened}
        store.close()
    finally:
        if db == "postgresql":
            pg_drop(name)
        elif keep:  # the largest SQLite store seeds the PostgreSQL one of that size
            store.engine.dispose()
            (WORK / f"{name}.db").replace(WORK / f"kept-sqlite-{n}.db")
        else:
            for p in WORK.glob(f"{name}.db*"):
                p.unlink()
    out["peak_rss_mb"] = peak_rss_mb()  # this process only (its own VmHWM, not inherited)
    return out


def dev_completeness(dev: Path) -> dict[str, Any]:
    """On the development benchmark (``--dev``): do the listing-side keys of each recall name every
    listing a full screening matches to it, and every pair the exact blockers nominate?"""
    from recallguard.domain.models import Listing
    from recallguard.matching.profiles import listing_profile
    from recallguard.service.importers import import_listings
    from recallguard.service.rescan import candidate_ids
    from recallguard.service.screening import default_screener, extract
    from recallguard.sources.loader import load_recalls
    from recallguard.store import Store

    path = WORK / "dev-keys.db"
    for p in WORK.glob("dev-keys.db*"):
        p.unlink()
    store = Store(f"sqlite:///{path}")
    import_listings(store, dev / "listings.jsonl", batch_size=5000)
    recalls = load_recalls(dev / "recalls.json").recalls
    screener = default_screener([t for r in recalls for t in extract(r)], False)
    index = screener.index  # type: ignore[attr-defined]
    with store.transaction() as uow:
        listings = [x for x in uow.listings.page("", 10**7) if isinstance(x, Listing)]
    matched = {(x.listing_id, m.recall_number) for x, ms in screener.screen_many(listings) for m in ms}
    exact = {(x.listing_id, index.profiles[ti].target.recall_number)
             for x in listings for ti, b in index.candidates(listing_profile(x)).items()
             if b & {"gtin", "model", "brand", "text"}}  # fmt: skip
    by_recall: dict[str, list[int]] = {}
    for ti, p in enumerate(index.profiles):
        by_recall.setdefault(p.target.recall_number, []).append(ti)
    t0 = time.perf_counter()
    keyed: set[tuple[str, str]] = set()
    with store.transaction() as uow:
        for number, tis in by_recall.items():
            keyed |= {(lid, number) for lid in candidate_ids(uow, index, tis)}
    secs = time.perf_counter() - t0
    store.close()
    return {
        "listings": len(listings), "recalls": len(by_recall), "matches": len(matched),
        "matches_not_found_by_keys": len(matched - keyed),
        "exact_blocker_pairs": len(exact), "exact_blocker_pairs_not_found_by_keys": len(exact - keyed),
        "key_candidates_per_recall": round(len(keyed) / max(1, len(by_recall)), 1),
        "key_lookup_s_per_recall": round(secs / max(1, len(by_recall)), 3),
    }  # fmt: skip


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--dbs", default="sqlite,postgresql")
    ap.add_argument("--recall", default="26513", help="RecallNumber in data/cpsc imported as the new recall")
    ap.add_argument("--workers", type=int, default=0, help="processes computing listing keys on import")
    ap.add_argument("--full-scan-at", default="10000", help="sizes at which a full scan is timed too")
    ap.add_argument(
        "--no-copy",
        dest="keep",
        action="store_false",
        help="import the listings into PostgreSQL at the largest size too (else copied from SQLite)",
    )
    ap.add_argument(
        "--dev",
        default=str(ROOT.parent / "shared" / "data" / "bench" / "dev"),
        help="development benchmark folder (recalls.json, listings.jsonl) for the completeness check",
    )
    ap.add_argument("--only-dev", action="store_true", help="only the completeness check (prints JSON)")
    ap.add_argument("--one", default="", help=argparse.SUPPRESS)  # db:size, internal
    a = ap.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    if a.only_dev:
        print(json.dumps(dev_completeness(Path(a.dev))))
        return 0
    sizes = [int(s) for s in a.sizes.split(",")]
    recall_file = WORK / f"recall-{a.recall}.json"
    recall_file.write_text(
        json.dumps([r for r in json.loads(CPSC.read_text()) if r["RecallNumber"] == a.recall])
    )
    full = catalogue(max(sizes), recall_file)
    if a.one:
        db, n = a.one.split(":")
        res = one(db, int(n), slice_of(full, int(n)), full / "_truth.csv", a.recall, a.workers,
                  n in a.full_scan_at.split(","), a.keep and int(n) == max(sizes))  # fmt: skip
        print(json.dumps(res))
        return 0
    runs = []
    for p in WORK.glob("kept-sqlite-*.db*"):
        p.unlink()
    for n in sizes:  # SQLite first at each size: its largest store seeds PostgreSQL's (see --no-copy)
        for db in sorted(a.dbs.split(","), key=lambda d: d != "sqlite"):
            slice_of(full, n)
            print(f"[rescan] {db} {n:,} listings ...", file=sys.stderr, flush=True)
            p = subprocess.run(
                [sys.executable, "-m", "bench.rescan_bench", "--one", f"{db}:{n}", "--sizes", a.sizes,
                 "--recall", a.recall, "--workers", str(a.workers), "--full-scan-at", a.full_scan_at,
                 *([] if a.keep else ["--no-copy"])],
                cwd=ROOT, capture_output=True, text=True, env=os.environ | {"PYTHONPATH": str(ROOT / "src")},
            )  # fmt: skip
            if p.returncode:
                print(p.stderr[-3000:], file=sys.stderr)
                runs.append({"db": db, "listings": n, "error": p.stderr[-500:]})
                continue
            res = json.loads(p.stdout.strip().splitlines()[-1])
            print(f"[rescan] {json.dumps(res)}", file=sys.stderr, flush=True)
            runs.append(res)
    dev = Path(a.dev)
    completeness = dev_completeness(dev) if (dev / "recalls.json").exists() else {"skipped": f"no {dev}"}
    RESULTS.mkdir(parents=True, exist_ok=True)
    result = {
        "what": "time from `recalls import` of one new recall to every matching stored listing restricted",
        "recall": a.recall,
        "goal_s_at_1m": 60,
        "machine": machine_info(),
        "runs": runs,
        "dev_completeness": completeness,
    }
    (RESULTS / "rescan.json").write_text(json.dumps(result, indent=1) + "\n")
    print(f"[rescan] wrote {RESULTS / 'rescan.json'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
