"""Screening against many recalls: speed, latency, memory and accuracy as the recall index grows.

    python -m bench.targets_bench --data-dir ../shared/data [--recalls 542,5000,20000,100000]

Issue 8: "screening one listing against ~10^4-10^5 recall targets is a few hash lookups and a few fuzzy
comparisons". The dev benchmark has 542 real recalls; each larger index adds synthetic recalls made
from them (``recallguard.scale.synth_recalls``: the same kinds of product, hazards and prose, other
firms, brands, product-line names and identifiers). For each size, in a fresh process pinned to one
core (``taskset -c 0``): building the screener with its fallback blockers (seconds, RSS growth), the
18,412 dev listings screened in batches (listings/s), one listing at a time as the service screens it
(its heap settled after the build; p50/p99 ms, 2,000 listings spread over the file),
candidate pairs per listing, and the dev scores (``score_screen.py``; a match on a synthetic recall is
wrong by construction, and counted apart). Writes bench/results/targets.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench.machine import machine_info

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
WORK = ROOT / "bench" / "work" / "targets"


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def one(recalls: Path, listings: Path, out: Path, latency_n: int) -> dict[str, object]:
    """Everything measured for one recall file, in this process."""
    from recallguard.cli.screen_cmd import MATCH_COLUMNS
    from recallguard.listings.readers import read_listings
    from recallguard.matching.build import build_screener
    from recallguard.scale.bulk_gc import bulk_screening, settle_heap
    from recallguard.sources.loader import load_recalls

    batch = load_recalls(recalls)
    rows = [r for r in read_listings(listings) if not hasattr(r, "field")]
    rss0, t0 = rss_mb(), time.perf_counter()
    screener = build_screener(batch.recalls)
    screener.screen(rows[0])  # first call: lazy tables
    _fallbacks = (screener.index.lsh, screener.index.neighbours)  # built on first use: build them now
    build_s, rss1 = time.perf_counter() - t0, rss_mb()
    settle_heap()  # as the service does after each build: the index out of the collector's walks

    step = max(1, len(rows) // latency_n)
    sample = rows[::step][:latency_n]
    pairs = len(screener.candidate_pairs(sample)[1])
    lat = []
    for listing in sample:
        s = time.perf_counter()
        screener.screen(listing)
        lat.append((time.perf_counter() - s) * 1e3)
    lat.sort()

    synthetic = {"block": 0, "review": 0}
    with bulk_screening(), out.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(MATCH_COLUMNS)
        t1 = time.perf_counter()
        for _listing, matches in screener.screen_many(rows, batch_size=1024):
            for m in matches:
                w.writerow((m.listing_id, m.recall_number, f"{m.score:.4f}", m.decision.value, m.evidence))
                if m.recall_number.startswith("SYN-"):
                    synthetic[m.decision.value] += 1
        secs = time.perf_counter() - t1
    return {
        "recalls": len(batch.recalls),
        "targets": len(screener.targets),
        "build_seconds": round(build_s, 1),
        "screener_rss_mb": round(rss1 - rss0),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "listings": len(rows),
        "listings_per_second": round(len(rows) / secs),
        "one_listing_ms": {
            "n": len(lat),
            "p50": round(lat[len(lat) // 2], 2),
            "p99": round(lat[min(len(lat) - 1, int(len(lat) * 0.99))], 2),
            "max": round(lat[-1], 2),
        },
        "candidate_pairs_per_listing": round(pairs / len(sample), 2),
        "matches_on_synthetic_recalls": synthetic,
    }


def listing_level(truth_csv: Path, matches_csv: Path) -> dict[str, object]:
    """What a compliance team counts: listings blocked, whichever recall blocked them. Pair scores
    (``score_screen.py``) count a listing blocked by another recall of the same product as a miss; here
    it is protection all the same, and a clean listing blocked is a seller wrongly stopped."""
    with truth_csv.open(newline="", encoding="utf-8") as f:
        truth = {r["listing_id"]: r["recall_number"].strip() for r in csv.DictReader(f)}
    blocked: dict[str, set[str]] = {}
    with matches_csv.open(newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if r["decision"] == "block" and not r["recall_number"].startswith("rule:"):
                blocked.setdefault(r["listing_id"], set()).add(r["recall_number"])
    pos = [lid for lid, rn in truth.items() if rn]
    neg = [lid for lid, rn in truth.items() if not rn]
    pos_blocked = [lid for lid in pos if lid in blocked]
    neg_blocked = [lid for lid in neg if lid in blocked]
    only_syn = [lid for lid in neg_blocked if all(rn.startswith("SYN-") for rn in blocked[lid])]
    return {
        "recalled_listings": len(pos),
        "recalled_listings_blocked": round(len(pos_blocked) / len(pos), 4),
        "blocked_by_a_synthetic_recall_only": sum(
            all(rn.startswith("SYN-") for rn in blocked[lid]) for lid in pos_blocked
        ),
        "clean_listings": len(neg),
        "clean_listings_blocked": len(neg_blocked),
        "clean_listings_blocked_by_synthetic_recalls_only": len(only_syn),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--recalls", default="542,5000,20000,100000", help="index sizes, in recalls")
    ap.add_argument("--latency-listings", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--one", type=Path, help=argparse.SUPPRESS)  # internal: measure one recall file
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    a = ap.parse_args()
    dev = a.data_dir / "bench" / "dev"
    if a.one:
        print(json.dumps(one(a.one, dev / "listings.jsonl", a.out, a.latency_listings)))
        return 0

    from recallguard.scale.synth_recalls import iter_synthetic_recalls

    WORK.mkdir(parents=True, exist_ok=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    real = json.loads((dev / "recalls.json").read_text(encoding="utf-8"))
    pin = ["taskset", "-c", "0"] if shutil.which("taskset") else []
    runs = []
    for size in (int(x) for x in a.recalls.split(",")):
        path = WORK / f"recalls-{size}.json"
        if not path.exists():
            extra = list(iter_synthetic_recalls(real, max(0, size - len(real)), seed=a.seed))
            path.write_text(json.dumps(real + extra), encoding="utf-8")
        out = WORK / f"matches-{size}.csv"
        t0 = time.perf_counter()
        proc = subprocess.run(
            [*pin, sys.executable, "-m", "bench.targets_bench", "--data-dir", str(a.data_dir),
             "--latency-listings", str(a.latency_listings), "--one", str(path), "--out", str(out)],
            check=True, capture_output=True, text=True, cwd=ROOT,
        )  # fmt: skip
        run = json.loads(proc.stdout.strip().splitlines()[-1])
        scored = json.loads(
            subprocess.run(
                [sys.executable, str(a.data_dir.parent / "bench" / "score_screen.py"), str(dev / "truth.csv"),
                 str(out), "--json"], check=True, capture_output=True, text=True,
            ).stdout
        )  # fmt: skip
        run["dev"] = {
            k: scored[k] for k in ("block_precision", "block_recall", "any_precision", "any_recall")
        }
        run["dev"]["by_kind"] = scored.get("by_kind", {})
        run["dev_listings"] = listing_level(dev / "truth.csv", out)
        run["wall_seconds"] = round(time.perf_counter() - t0, 1)
        print(json.dumps(run), flush=True)
        runs.append(run)
    result = {
        "bench": "targets",
        "machine": machine_info(),
        "seed": a.seed,
        "runs": runs,
    }
    (RESULTS / "targets.json").write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
