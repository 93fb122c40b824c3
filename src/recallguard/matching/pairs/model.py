"""The learned pair scorer: LightGBM over pair features, probabilities calibrated on cross-fitted
held-out folds, thresholds chosen for max F1 and per target precision, saved as a model directory.

>>> from recallguard.matching.pairs.records import ProductRecord
>>> left = {str(i): ProductRecord(str(i), f"acme widget m{i}00", brand="acme") for i in range(30)}
>>> right = {str(i): ProductRecord(str(i), f"acme widget m{i}00 blue", brand="acme") for i in range(30)}
>>> pairs = [(str(i), str(i)) for i in range(30)] + [(str(i), str((i + 1) % 30)) for i in range(30)]
>>> scorer = PairScorer.train(left, right, pairs, [1] * 30 + [0] * 30)
>>> bool(scorer.score_pair(left["3"], right["3"]) > scorer.score_pair(left["3"], right["4"]))
True
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np

from recallguard.errors import InputError
from recallguard.matching.pairs.features import Featurizer
from recallguard.matching.pairs.prepare import PreparedRecord
from recallguard.matching.pairs.records import ProductRecord

FORMAT_VERSION = 1
TARGET_PRECISIONS = (0.9, 0.95, 0.98, 0.99, 0.995)
MONOTONE = {
    "code_conflict": -1,
    "brand_code_conflict": -1,
    "model_field_conflict": -1,
    "accessory_xor": -1,
    "for_other_brand": -1,
    "gtin_equal": 1,
    "gtin_conflict": -1,
    "code_match": 1,
    "unit_conflict": -1,
    "pack_conflict": -1,
}
DEFAULT_PARAMS: dict[str, Any] = {
    "objective": "binary",
    "learning_rate": 0.04,
    "num_leaves": 31,
    "min_data_in_leaf": 20,
    "feature_fraction": 0.7,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "verbose": -1,
    "num_threads": 2,
    "deterministic": True,
    "seed": 7,
    "monotone_constraints_method": "advanced",
}
NUM_ROUNDS = 500


@dataclass
class Calibration:
    """Maps a raw LightGBM margin to a probability: isotonic steps (interpolated) or Platt's sigmoid."""

    method: str
    x: list[float] = field(default_factory=list)
    y: list[float] = field(default_factory=list)
    a: float = 1.0
    b: float = 0.0

    def __call__(self, margin: np.ndarray) -> np.ndarray:
        if self.method == "isotonic":
            return np.clip(np.interp(margin, self.x, self.y), 0.0, 1.0)
        return 1.0 / (1.0 + np.exp(-(self.a * margin + self.b)))

    @classmethod
    def fit(cls, margin: np.ndarray, labels: np.ndarray) -> Calibration:
        """Isotonic when there are enough held-out positives and negatives, else Platt scaling."""
        positives = int(labels.sum())
        if positives >= 30 and len(labels) - positives >= 30:
            from sklearn.isotonic import IsotonicRegression

            iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(margin, labels)
            return cls(
                "isotonic", x=[float(v) for v in iso.X_thresholds_], y=[float(v) for v in iso.y_thresholds_]
            )
        from sklearn.linear_model import LogisticRegression

        lr = LogisticRegression(C=1e6).fit(margin.reshape(-1, 1), labels)
        return cls("platt", a=float(lr.coef_[0][0]), b=float(lr.intercept_[0]))


def best_f1_threshold(probs: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """(threshold, F1) maximising F1 when predicting match for prob >= threshold.

    >>> best_f1_threshold(np.array([0.1, 0.4, 0.8]), np.array([0, 1, 1]))
    (0.4, 1.0)
    """
    best_t, best_f = 0.5, -1.0
    for t in np.unique(probs):
        f = f1_at(probs, labels, float(t))["f1"]
        if f > best_f:
            best_t, best_f = float(t), f
    return best_t, best_f


def f1_at(probs: np.ndarray, labels: np.ndarray, threshold: float) -> dict[str, float]:
    """Precision, recall and F1 at ``threshold``.

    >>> f1_at(np.array([0.2, 0.9]), np.array([1, 1]), 0.5)["recall"]
    0.5
    """
    pred = probs >= threshold
    tp = float(np.sum(pred & (labels == 1)))
    fp = float(np.sum(pred & (labels == 0)))
    fn = float(np.sum(~pred & (labels == 1)))
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0, "threshold": threshold}


def precision_thresholds(probs: np.ndarray, labels: np.ndarray) -> dict[str, dict[str, float]]:
    """For each target precision, the lowest threshold reaching it (and the recall there)."""
    out: dict[str, dict[str, float]] = {}
    for target in TARGET_PRECISIONS:
        for t in np.unique(probs):
            m = f1_at(probs, labels, float(t))
            if m["precision"] >= target and m["recall"] > 0:
                out[str(target)] = {"threshold": float(t), "recall": m["recall"], "precision": m["precision"]}
                break
    return out


class PairScorer:
    """A trained featurizer + booster + calibration + thresholds; scores pairs of ProductRecords."""

    def __init__(
        self,
        featurizer: Featurizer,
        booster: lgb.Booster,
        calibration: Calibration,
        threshold: float,
        metadata: dict[str, Any],
    ) -> None:
        self.featurizer = featurizer
        self.booster = booster
        self.calibration = calibration
        self.threshold = threshold
        self.metadata = metadata

    # ---- training -------------------------------------------------------------------------------------
    @classmethod
    def train(
        cls,
        left: Mapping[str, ProductRecord],
        right: Mapping[str, ProductRecord],
        pairs: Sequence[tuple[str, str]],
        labels: Sequence[int],
        *,
        valid: tuple[Sequence[tuple[str, str]], Sequence[int]] | None = None,
        threshold_from: str = "train",
        folds: int = 5,
        semantic: Any = None,
        num_rounds: int = NUM_ROUNDS,
    ) -> PairScorer:
        """Fit IDF on both tables, cross-fit ``folds`` boosters for held-out calibration, train the final
        booster on all pairs, pick the max-F1 threshold on held-out probabilities (``threshold_from`` =
        "valid" picks it on the valid pairs instead) and thresholds per target precision."""
        featurizer = Featurizer.fit([*left.values(), *right.values()], semantic=semantic)
        X = featurize_pairs(featurizer, left, right, pairs)
        y = np.asarray(labels, dtype=np.int64)
        params = _params_for(featurizer.feature_names, len(y))
        k = max(2, min(folds, int(y.sum()), int(len(y) - y.sum())))
        rng = np.random.default_rng(13)
        fold_of = np.empty(len(y), dtype=np.int64)
        for cls_value in (0, 1):  # stratified folds
            idx = np.flatnonzero(y == cls_value)
            fold_of[idx] = rng.permutation(len(idx)) % k
        oof = np.zeros(len(y))
        for f in range(k):
            tr, te = fold_of != f, fold_of == f
            booster = lgb.train(params, lgb.Dataset(X[tr], y[tr]), num_boost_round=num_rounds)
            oof[te] = booster.predict(X[te], raw_score=True)
        calibration = Calibration.fit(oof, y)
        oof_probs = calibration(oof)
        booster = lgb.train(params, lgb.Dataset(X, y), num_boost_round=num_rounds)
        threshold, oof_f1 = best_f1_threshold(oof_probs, y)
        meta: dict[str, Any] = {
            "format_version": FORMAT_VERSION,
            "feature_names": featurizer.feature_names,
            "semantic": getattr(semantic, "name", None),
            "calibration": calibration.method,
            "folds": k,
            "num_rounds": num_rounds,
            "training": {
                "pairs": len(y),
                "positives": int(y.sum()),
                "left_records": len(left),
                "right_records": len(right),
            },
            "heldout": {
                **f1_at(oof_probs, y, threshold),
                "precision_thresholds": precision_thresholds(oof_probs, y),
            },
            "threshold_from": "train (cross-fitted held-out folds)",
        }
        scorer = cls(featurizer, booster, calibration, threshold, meta)
        if valid is not None:
            v_probs = scorer.score_pairs(left, right, valid[0])
            v_y = np.asarray(valid[1], dtype=np.int64)
            if threshold_from == "valid":
                scorer.threshold, _ = best_f1_threshold(v_probs, v_y)
                meta["threshold_from"] = "valid"
            meta["valid"] = {**f1_at(v_probs, v_y, scorer.threshold), "pairs": len(v_y)}
        meta["threshold"] = scorer.threshold
        meta["thresholds_by_precision"] = meta["heldout"]["precision_thresholds"]
        meta["oof_best_f1"] = oof_f1
        meta["version"] = scorer.version_hash()
        return scorer

    # ---- scoring --------------------------------------------------------------------------------------
    def margins(self, X: np.ndarray) -> np.ndarray:
        """Raw booster margins of a feature matrix."""
        return np.asarray(self.booster.predict(X, raw_score=True), dtype=np.float64)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Calibrated match probabilities of a feature matrix."""
        return self.calibration(self.margins(X)) if len(X) else np.zeros(0)

    def score_pairs(
        self,
        left: Mapping[str, ProductRecord],
        right: Mapping[str, ProductRecord],
        pairs: Sequence[tuple[str, str]],
    ) -> np.ndarray:
        """Calibrated probabilities of (left id, right id) pairs."""
        return self.predict_proba(featurize_pairs(self.featurizer, left, right, pairs))

    def score_pair(self, a: ProductRecord | PreparedRecord, b: ProductRecord | PreparedRecord) -> float:
        """Calibrated probability that ``a`` and ``b`` are the same product (records or prepared ones)."""
        pa = a if isinstance(a, PreparedRecord) else self.featurizer.prepare_many([a])[0]
        pb = b if isinstance(b, PreparedRecord) else self.featurizer.prepare_many([b])[0]
        X = np.asarray([self.featurizer.pair_features(pa, pb)], dtype=np.float64)
        return float(self.predict_proba(X)[0])

    def threshold_for_precision(self, precision: float) -> float:
        """The held-out threshold reaching ``precision`` (the strictest known one when none does)."""
        known = self.metadata.get("thresholds_by_precision", {})
        eligible = [v["threshold"] for k, v in known.items() if float(k) >= precision]
        return min(eligible) if eligible else 1.0

    def version_hash(self) -> str:
        """A short content hash of booster, featurizer and calibration."""
        h = hashlib.sha256(self.booster.model_to_string().encode())
        h.update(self.featurizer.fingerprint().encode())
        h.update(json.dumps(self.calibration.__dict__, sort_keys=True).encode())
        return h.hexdigest()[:12]

    # ---- persistence ----------------------------------------------------------------------------------
    def save(self, directory: str | Path) -> Path:
        """Write ``model.lgb``, ``featurizer.json`` and ``metadata.json`` into ``directory``."""
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        self.booster.save_model(str(d / "model.lgb"))
        (d / "featurizer.json").write_text(json.dumps(self.featurizer.to_dict()))
        meta = {**self.metadata, "threshold": self.threshold, "calibration_params": self.calibration.__dict__}
        (d / "metadata.json").write_text(json.dumps(meta, indent=2, sort_keys=True))
        return d

    @classmethod
    def load(cls, directory: str | Path, semantic: Any = None) -> PairScorer:
        """Read a model directory written by :meth:`save`. A model trained with semantic features loads the
        semantic model named in its metadata (or uses ``semantic`` when given)."""
        d = Path(directory)
        try:
            meta = json.loads((d / "metadata.json").read_text())
            feat_state = json.loads((d / "featurizer.json").read_text())
            booster = lgb.Booster(model_file=str(d / "model.lgb"))
        except (OSError, ValueError, lgb.basic.LightGBMError) as e:
            raise InputError(f"{d}: not a readable model directory: {e}") from e
        if meta.get("semantic") and semantic is None:
            from recallguard.matching.semantic import load_semantic

            semantic = load_semantic(meta["semantic"])
        featurizer = Featurizer.from_dict(feat_state, semantic=semantic)
        if featurizer.feature_names != meta["feature_names"]:
            raise InputError(f"{d}: model features {meta['feature_names']} differ from this version's")
        calibration = Calibration(**meta["calibration_params"])
        return cls(featurizer, booster, calibration, float(meta["threshold"]), meta)


def featurize_pairs(
    featurizer: Featurizer,
    left: Mapping[str, ProductRecord],
    right: Mapping[str, ProductRecord],
    pairs: Sequence[tuple[str, str]],
) -> np.ndarray:
    """Feature matrix of id pairs, preparing each referenced record once."""
    lids = sorted({a for a, _ in pairs})
    rids = sorted({b for _, b in pairs})
    lp = dict(zip(lids, featurizer.prepare_many([left[i] for i in lids]), strict=True))
    rp = dict(zip(rids, featurizer.prepare_many([right[i] for i in rids]), strict=True))
    return featurizer.matrix([lp[a] for a, _ in pairs], [rp[b] for _, b in pairs])


def _params_for(feature_names: list[str], n: int) -> dict[str, Any]:
    params = dict(DEFAULT_PARAMS)
    params["min_data_in_leaf"] = max(2, min(20, n // 30))
    params["min_data_in_bin"] = max(1, min(3, n // 100))
    params["monotone_constraints"] = [MONOTONE.get(name, 0) for name in feature_names]
    if math.isfinite(n) and n < 200:
        params["bagging_fraction"] = 1.0
        params["feature_fraction"] = 1.0
    return params
