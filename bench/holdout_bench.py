"""Recalls the model never saw: how the screening model does on recalls it was not trained on.

    python -m bench.holdout_bench [--data-dir ../shared/data] [--per-kind 1]

The held-out screening split is scored with other recalls than dev's. This bench asks whether the
screening model carries over to recalls it never saw, on dev alone: the dev recalls are cut in two
halves by a hash of their recall numbers; for each half, a model is trained (the shipped training
script: listings generated from recalls, no benchmark listing read) on the *other* half's recalls
("unseen"), one on that half's own recalls ("seen_half": as many recalls, seen) and one on all of them
("seen"). Every dev listing is then screened against all 542 recalls (the index holds every recall, as
in production; only the model differs) and the pairs of each half's recalls are scored: block and block-
or-review precision (pairs of that half's recalls that are right) and recall (that half's positive
listings found). The shipped model is scored the same way for reference (it saw every dev recall in
training). Category-ban rules are left out: they do not use the model.
Writes bench/results/holdout.json.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bench.machine import machine_info
from recallguard.domain.models import BadRecord, Listing, Recall
from recallguard.listings.readers import read_listings
from recallguard.matching.build import targets_for
from recallguard.matching.learned import MODEL_DIR, LearnedScorer
from recallguard.matching.screen import Screener
from recallguard.matching.training.train import train
from recallguard.sources.loader import load_recalls

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"


def half_of(recall_number: str) -> int:
    """Which half a recall falls in: a stable hash of its number, not its position in the file.

    >>> half_of("05193") in (0, 1)
    True
    """
    return int(hashlib.sha256(recall_number.encode()).hexdigest()[:8], 16) % 2


def decided_pairs(screener: Screener, listings: Sequence[Listing]) -> dict[str, dict[str, str]]:
    """listing id → recall number → "block" or "review" (block wins where a recall is matched twice)."""
    out: dict[str, dict[str, str]] = {}
    for listing, matches in zip(listings, screener.screen_batch(listings), strict=True):
        for m in matches:
            d = m.decision.value
            if d in ("block", "review"):
                got = out.setdefault(listing.listing_id, {})
                got[m.recall_number] = "block" if "block" in (d, got.get(m.recall_number)) else d
    return out


def score_half(
    pairs: dict[str, dict[str, str]], truth: dict[str, str], halves: dict[str, int], half: int
) -> dict[str, float | int]:
    """Precision and recall over one half's recalls (the pairs they are in, their positive listings).

    >>> score_half({"L1": {"r1": "block"}, "L2": {"r1": "review"}}, {"L1": "r1", "L2": ""}, {"r1": 0}, 0)
    {'block_precision': 1.0, 'block_recall': 1.0, 'any_precision': 0.5, 'any_recall': 1.0, 'positives': 1}
    """
    positives = [lid for lid, rn in truth.items() if rn and halves.get(rn) == half]
    out: dict[str, float | int] = {}
    for name, allowed in (("block", {"block"}), ("any", {"block", "review"})):
        mine = [
            (lid, rn)
            for lid, m in pairs.items()
            for rn, d in m.items()
            if d in allowed and halves.get(rn) == half
        ]
        right = sum(truth.get(lid) == rn for lid, rn in mine)
        found = sum(pairs.get(lid, {}).get(truth[lid]) in allowed for lid in positives)
        out[f"{name}_precision"] = round(right / max(1, len(mine)), 4)
        out[f"{name}_recall"] = round(found / max(1, len(positives)), 4)
    out["positives"] = len(positives)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--per-kind", type=int, default=1)
    a = ap.parse_args()
    dev = a.data_dir / "bench" / "dev"
    t0 = time.perf_counter()
    recalls: list[Recall] = load_recalls(dev / "recalls.json").recalls
    halves = {r.recall_number: half_of(r.recall_number) for r in recalls}
    listings = [x for x in read_listings(dev / "listings.jsonl") if not isinstance(x, BadRecord)]
    truth = {
        row["listing_id"]: row["recall_number"].strip() for row in csv.DictReader((dev / "truth.csv").open())
    }
    targets = targets_for(recalls)
    per_half = [sum(h == k for h in halves.values()) for k in (0, 1)]
    result: dict[str, object] = {
        "machine": machine_info(),
        "per_kind": a.per_kind,
        "recalls_per_half": per_half,
    }
    with tempfile.TemporaryDirectory() as tmp:
        models: dict[str, Path] = {"shipped": MODEL_DIR, "seen": Path(tmp) / "all"}
        train(targets, models["seen"], per_kind=a.per_kind)
        for k in (0, 1):
            models[f"unseen_{k}"] = Path(tmp) / f"without_half_{k}"
            others = [r for r in recalls if halves[r.recall_number] != k]
            train(targets_for(others), models[f"unseen_{k}"], per_kind=a.per_kind)
        scored = {}
        for name, model_dir in models.items():
            pairs = decided_pairs(Screener(targets, scorer=LearnedScorer(model_dir)), listings)
            scored[name] = {k: score_half(pairs, truth, halves, k) for k in (0, 1)}
            print(f"[holdout] {name}: {scored[name]}", flush=True)
    result["halves"] = {
        f"half_{k}": {
            "unseen": scored[f"unseen_{k}"][k],  # trained on the other half only
            "seen_half": scored[f"unseen_{1 - k}"][k],  # trained on this half only: as much data, seen
            "seen": scored["seen"][k],  # trained on every dev recall, today's code
            "shipped": scored["shipped"][k],
        }
        for k in (0, 1)
    }
    metrics = ("block_precision", "block_recall", "any_precision", "any_recall")
    halves_out: dict[str, dict[str, dict[str, float]]] = result["halves"]  # type: ignore[assignment]
    result["unseen_minus_seen_half"] = {  # what not having seen a recall costs, both halves averaged
        m: round(sum(h["unseen"][m] - h["seen_half"][m] for h in halves_out.values()) / 2, 4) for m in metrics
    }
    result["seconds"] = round(time.perf_counter() - t0, 1)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "holdout.json").write_text(json.dumps(result, indent=1) + "\n")
    print(f"[holdout] wrote {RESULTS / 'holdout.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
