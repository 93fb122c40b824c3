"""Entity-matching benchmark of the learned pair scorer on the public product datasets.

Trains on train.csv only (calibration and threshold from cross-fitted held-out folds on train), then
reports precision / recall / F1 on valid.csv at that threshold (the clean figure). A second, labelled
"valid-tuned" figure picks the threshold on valid itself: an optimistic upper bound, not a result.
WDC Products (JSON lines, gzip) is converted to left/right/pairs CSVs and read by the same code path.

    .venv/bin/python bench/em_bench.py --data-dir ../shared/data/em [--datasets abt-buy ...] [--semantic]

Writes bench/results/em.json.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from recallguard.matching.pairs.model import PairScorer, best_f1_threshold, f1_at, featurize_pairs
from recallguard.matching.pairs.records import read_pairs, read_table

DATASETS = ["abt-buy", "amazon-google", "walmart-amazon", "wdc-products"]
WDC_FIELDS = ("title", "brand", "description", "price")


def wdc_to_csv(src: Path, dst: Path, train_size: str = "medium", valid_size: str = "medium") -> Path:
    """Convert WDC Products pair files into tableA/tableB/train/valid CSVs (DeepMatcher layout)."""
    dst.mkdir(parents=True, exist_ok=True)
    tables: dict[str, dict[str, dict[str, str]]] = {"left": {}, "right": {}}
    for split, size in (("train", train_size), ("valid", valid_size)):
        path = next(src.glob(f"*_{split}_{size}.json.gz"))
        with gzip.open(path, "rt") as fh, (dst / f"{split}.csv").open("w", newline="") as out:
            w = csv.writer(out)
            w.writerow(["ltable_id", "rtable_id", "label"])
            for line in fh:
                o = json.loads(line)
                for side in ("left", "right"):
                    rid = str(o[f"id_{side}"])
                    tables[side][rid] = {
                        f: "" if o.get(f"{f}_{side}") is None else str(o[f"{f}_{side}"]) for f in WDC_FIELDS
                    }
                w.writerow([o["id_left"], o["id_right"], o["label"]])
    for side, name in (("left", "tableA.csv"), ("right", "tableB.csv")):
        with (dst / name).open("w", newline="") as out:
            w = csv.writer(out)
            w.writerow(["id", *WDC_FIELDS])
            for rid, rec in tables[side].items():
                w.writerow([rid, *(rec[f] for f in WDC_FIELDS)])
    return dst


def run_dataset(folder: Path, semantic: object | None) -> dict[str, object]:
    t0 = time.perf_counter()
    left, right = read_table(folder / "tableA.csv"), read_table(folder / "tableB.csv")
    pairs, labels = read_pairs(folder / "train.csv", left, right, need_label=True)
    vpairs, vlabels = read_pairs(folder / "valid.csv", left, right, need_label=True)
    scorer = PairScorer.train(left, right, pairs, labels, semantic=semantic)
    train_s = time.perf_counter() - t0
    # one-core speed: featurize (records prepared once) + score the valid pairs
    t1 = time.perf_counter()
    X = featurize_pairs(scorer.featurizer, left, right, vpairs)
    t2 = time.perf_counter()
    margins = scorer.booster.predict(X, raw_score=True, num_threads=1)
    t3 = time.perf_counter()
    probs = scorer.calibration(np.asarray(margins))
    y = np.asarray(vlabels)
    clean = f1_at(probs, y, scorer.threshold)
    tuned_t, _ = best_f1_threshold(probs, y)
    tuned = f1_at(probs, y, tuned_t)
    result = {
        "train_pairs": len(pairs),
        "valid_pairs": len(vpairs),
        "valid_positives": int(y.sum()),
        "valid_clean": clean,
        "valid_tuned_threshold_optimistic": tuned,
        "heldout_train": scorer.metadata["heldout"],
        "calibration": scorer.calibration.method,
        "brier_valid": float(np.mean((probs - y) ** 2)),
        "pairs_per_s_featurize_1core": len(vpairs) / (t2 - t1),
        "pairs_per_s_end_to_end_1core": len(vpairs) / (t3 - t1),
        "train_seconds": train_s,
        "features": scorer.featurizer.feature_names,
    }
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", default="../shared/data/em")
    ap.add_argument("--datasets", nargs="*", default=DATASETS)
    ap.add_argument("--semantic", action="store_true", help="add the static-embedding semantic features")
    ap.add_argument("--out", default="bench/results/em.json")
    args = ap.parse_args()
    semantic = None
    if args.semantic:
        from recallguard.matching.semantic import load_semantic

        semantic = load_semantic()
    data_dir = Path(args.data_dir)
    results: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.datasets:
            folder = data_dir / name
            if name == "wdc-products":
                folder = wdc_to_csv(folder, Path(tmp) / name)
            r = run_dataset(folder, semantic)
            results[name] = r
            c, t = r["valid_clean"], r["valid_tuned_threshold_optimistic"]
            line = f"valid F1 {100 * c['f1']:.1f} (P {100 * c['precision']:.1f} R {100 * c['recall']:.1f})"  # type: ignore[index]
            print(
                f"{name:16s} {line} | valid-tuned F1 {100 * t['f1']:.1f} "  # type: ignore[index]
                f"| {r['pairs_per_s_end_to_end_1core']:.0f} pairs/s "
                f"| train {r['train_seconds']:.0f}s",
                file=sys.stderr,
            )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "semantic": getattr(semantic, "name", None),
        "datasets": results,
        "command": " ".join(sys.argv),
    }
    if out.exists():
        try:
            previous = json.loads(out.read_text())
        except ValueError:
            previous = {}
        key = "with_semantic" if semantic is not None else "without_semantic"
        previous[key] = payload
        payload = previous
    else:
        payload = {("with_semantic" if semantic is not None else "without_semantic"): payload}
    out.write_text(json.dumps(payload, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
