"""Candidate generation: pair completeness and candidates per listing, per blocker and for the union.

    python -m bench.blocking_bench [--data-dir ../shared/data]

Pair completeness = share of recalled-product listings whose own recall is among the candidates.
Each blocker is measured alone (all blockers run: ``exhaustive``) and the union as the screener runs it.
Writes bench/results/blocking.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from collections import defaultdict
from pathlib import Path

from recallguard.domain.models import Listing
from recallguard.listings.readers import read_listings
from recallguard.matching.build import targets_for
from recallguard.matching.index import TargetIndex
from recallguard.matching.profiles import listing_profile
from recallguard.sources.loader import load_recalls

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data")
    a = ap.parse_args()
    dev = a.data_dir / "bench" / "dev"
    truth = {r["listing_id"]: r["recall_number"] for r in csv.DictReader((dev / "truth.csv").open())}
    index = TargetIndex(targets_for(load_recalls(dev / "recalls.json").recalls))
    listings = [x for x in read_listings(dev / "listings.jsonl") if isinstance(x, Listing)]
    found: dict[str, int] = defaultdict(int)
    cands: dict[str, int] = defaultdict(int)
    union_found = union_cands = positives = 0
    t0 = time.perf_counter()
    for listing in listings:
        want = truth.get(listing.listing_id, "")
        all_c = index.candidates(listing_profile(listing), exhaustive=True)
        run_c = index.candidates(listing_profile(listing))
        per: dict[str, set[int]] = defaultdict(set)
        for ti, blockers in all_c.items():
            for b in blockers:
                per[b].add(ti)
        for b, ids in per.items():
            cands[b] += len(ids)
            found[b] += bool(want) and any(index.profiles[i].target.recall_number == want for i in ids)
        union_cands += len(run_c)
        if want:
            positives += 1
            union_found += any(index.profiles[i].target.recall_number == want for i in run_c)
    n = len(listings)
    result = {
        "listings": n,
        "positives": positives,
        "seconds": round(time.perf_counter() - t0, 1),
        "blockers": {
            b: {
                "pair_completeness": round(found[b] / positives, 4),
                "candidates_per_listing": round(cands[b] / n, 2),
            }
            for b in sorted(cands)
        },
        "union_as_run": {
            "pair_completeness": round(union_found / positives, 4),
            "candidates_per_listing": round(union_cands / n, 2),
        },
    }
    out = ROOT / "bench" / "results" / "blocking.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1))
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
