"""Train the screening model: generated listings → candidate pairs → features → LightGBM →
isotonic calibration on out-of-fold predictions (folds by recall) → thresholds per target precision.

Rebuild the shipped model with::

    python -m recallguard.matching.training.train --recalls data/training/recalls.json \\
        --out src/recallguard/matching/model
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from recallguard.domain.models import Target
from recallguard.matching.features import FEATURES, MONOTONE
from recallguard.matching.learned import META_FILE, MODEL_FILE
from recallguard.matching.scorer import RuleScorer
from recallguard.matching.screen import Screener
from recallguard.matching.training.generate import generate

PARAMS: dict[str, Any] = {
    "objective": "binary",
    "learning_rate": 0.1,
    "num_leaves": 31,
    "min_data_in_leaf": 20,
    "feature_fraction": 0.9,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "verbose": -1,
    "num_threads": 2,
    "seed": 7,
    # the same data gives the same model on every rebuild (two threads sum histograms in any order
    # otherwise; LightGBM wants a fixed row/column layout with it)
    "deterministic": True,
    "force_row_wise": True,
    "monotone_constraints": [MONOTONE.get(f, 0) for f in FEATURES],
    "monotone_constraints_method": "advanced",
}
ROUNDS = 150


def augment(targets: Sequence[Target], seed: int = 0, share: float = 0.3) -> list[Target]:
    """Copies of the targets where a share without GTINs or model numbers get made-up valid ones, so the
    model sees identifier agreement and conflict often enough (most real recalls carry neither)."""
    import random
    from dataclasses import replace

    from stdnum import ean

    rnd = random.Random(seed)
    out = []
    for t in targets:
        t = replace(t, model_numbers=list(t.model_numbers), gtins=list(t.gtins))
        if not t.gtins and rnd.random() < share:
            body = "0" + "".join(str(rnd.randint(0, 9)) for _ in range(10))
            t.gtins.append(body + ean.calc_check_digit(body))
        if not t.model_numbers and rnd.random() < share:
            letters = "".join(rnd.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(rnd.randint(1, 3)))
            t.model_numbers.append(f"{letters}{rnd.choice(['-', ''])}{rnd.randint(10, 9999)}")
        out.append(t)
    return out


def pair_dataset(
    targets: Sequence[Target], per_kind: int = 2, seed: int = 0
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int_], list[str], list[str]]:
    """Feature rows, labels, listing kinds and recall groups for every candidate pair of the generated
    listings (a pair's group: the recall its listing was made from)."""
    targets = augment(targets, seed)
    gen = generate(targets, per_kind=per_kind, seed=seed)
    screener = Screener(targets, scorer=RuleScorer())
    rows, meta = screener.candidate_pairs([g.listing for g in gen])
    # one row order in every process (candidates come out in set order, which Python's hash seed changes;
    # bagging picks rows by position)
    order = sorted(range(len(meta)), key=lambda k: (meta[k][0], meta[k][1]))
    rows, meta = [rows[k] for k in order], [meta[k] for k in order]
    y = np.array([int(gen[li].recall_number == screener.index.profiles[ti].target.recall_number
                      and gen[li].recall_number != "") for li, ti, _ in meta])  # fmt: skip
    kinds = [gen[li].kind for li, _, _ in meta]
    groups = [gen[li].recall_number or screener.index.profiles[ti].target.recall_number for li, ti, _ in meta]
    return np.asarray(rows, dtype=np.float64), y, kinds, groups


def _isotonic(raw: npt.NDArray[np.float64], y: npt.NDArray[np.int_]) -> tuple[list[float], list[float]]:
    from sklearn.isotonic import IsotonicRegression

    iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(raw, y)
    return [float(v) for v in iso.X_thresholds_], [float(v) for v in iso.y_thresholds_]


def threshold_for_precision(p: npt.NDArray[np.float64], y: npt.NDArray[np.int_], target: float) -> float:
    """The lowest score at which precision over pairs scoring at least it reaches ``target``."""
    order = np.argsort(-p)
    tp = np.cumsum(y[order])
    prec = tp / np.arange(1, len(y) + 1)
    ok = np.where(prec >= target)[0]
    return float(p[order][ok.max()]) if len(ok) else 1.0


def train(
    targets: Sequence[Target], out: Path, per_kind: int = 2, seed: int = 0, folds: int = 5
) -> dict[str, Any]:
    """Train, calibrate and save the model; returns the metadata written."""
    import lightgbm as lgb

    t0 = time.time()
    x, y, kinds, groups = pair_dataset(targets, per_kind, seed)
    # folds by recall: the calibration is fitted on predictions for recalls the model never saw, as a
    # new recall's listings will be (rows of one recall in both sides would make it over-confident)
    recalls = sorted(set(groups))
    fold_of = dict(zip(recalls, np.random.default_rng(seed).integers(0, folds, len(recalls)), strict=True))
    fold = np.array([fold_of[g] for g in groups])
    oof = np.zeros(len(y))
    for k in range(folds):
        tr, te = fold != k, fold == k
        b = lgb.train(PARAMS, lgb.Dataset(x[tr], y[tr], feature_name=list(FEATURES)), ROUNDS)
        oof[te] = b.predict(x[te])
    cx, cy = _isotonic(oof, y)
    calibrated = np.interp(oof, cx, cy)
    booster = lgb.train(PARAMS, lgb.Dataset(x, y, feature_name=list(FEATURES)), ROUNDS)
    meta = {
        "features": list(FEATURES),
        "calibration": {"x": cx, "y": cy},
        "thresholds": {
            f"precision_{p}": threshold_for_precision(calibrated, y, p) for p in (0.9, 0.95, 0.99, 0.995)
        },
        "training": {"targets": len(targets), "pairs": len(y), "positives": int(y.sum()),
                     "generator_seed": seed, "per_kind": per_kind, "seconds": round(time.time() - t0, 1),
                     "kinds": {k: kinds.count(k) for k in sorted(set(kinds))}},
    }  # fmt: skip
    out.mkdir(parents=True, exist_ok=True)
    (out / MODEL_FILE).write_text(booster.model_to_string())
    (out / META_FILE).write_text(json.dumps(meta, indent=1))
    return meta


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point (see the module docstring)."""
    from recallguard.matching.build import targets_for
    from recallguard.sources.loader import load_recalls

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--recalls", nargs="+", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--per-kind", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    recalls = [r for p in a.recalls for r in load_recalls(p).recalls]
    meta = train(targets_for(recalls), a.out, a.per_kind, a.seed)
    print(json.dumps(meta["training"] | {"thresholds": meta["thresholds"]}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
