"""Pair scorers: turn feature vectors into calibrated probabilities.

``RuleScorer`` is the transparent baseline (a logistic combination with weights a reviewer can
read); ``recallguard.matching.learned.LearnedScorer`` replaces it with a trained, calibrated model
when one is available. Both score a whole batch at once (a 2-D array), which is what keeps the
learned model cheap per listing.

>>> import numpy as np
>>> s = RuleScorer()
>>> x = np.zeros((1, len(FEATURES))); x[0, FEATURES.index("gtin_match")] = 1
>>> float(s.predict(x)[0]) > 0.9
True
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import numpy.typing as npt

from recallguard.matching.features import FEATURES

Matrix = npt.NDArray[np.float64]


class PairScorer(Protocol):
    """Anything that maps a batch of feature rows to probabilities."""

    version: str
    feature_names: tuple[str, ...]

    def predict(self, x: Matrix) -> npt.NDArray[np.float64]: ...


_WEIGHTS: dict[str, float] = {
    "gtin_match": 10.0,
    "gtin_conflict": -2.0,
    "model_match": 4.5,
    "model_match_desc": 1.5,
    "model_conflict": -4.0,
    "brand_sim": 2.5,
    "brand_in_title": 0.5,
    "brand_conflict": -4.0,
    "name_cover": 3.0,
    "type_cover": 1.5,
    "title_cover": 2.0,
    "name_ratio": 1.0,
    "desc_overlap": 3.0,
    "accessory": -5.0,
}
_BIAS = -7.0


class RuleScorer:
    """Hand-set logistic weights over ``FEATURES``; transparent, used when no trained model is given."""

    version = "rules-1"
    feature_names = FEATURES

    def __init__(self) -> None:
        self._w = np.array([_WEIGHTS.get(f, 0.0) for f in FEATURES])

    def predict(self, x: Matrix) -> npt.NDArray[np.float64]:
        """Probabilities for a batch of feature rows."""
        z = x @ self._w + _BIAS
        return np.asarray(1.0 / (1.0 + np.exp(-z)), dtype=np.float64)
