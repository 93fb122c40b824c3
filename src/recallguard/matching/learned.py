"""The trained screening model: LightGBM over ``FEATURES`` with isotonic calibration fitted on
out-of-fold predictions, stored as a LightGBM text model plus a JSON file (feature names,
calibration breakpoints, thresholds, training summary).

>>> load_default() is None or load_default().version.startswith("lgbm-")
True
"""

from __future__ import annotations

import hashlib
import json
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

MODEL_DIR = Path(__file__).parent / "model"
MODEL_FILE = "screening.lgb.txt"
META_FILE = "screening.json"


#: Optional imports of LightGBM that recallguard never uses: its scikit-learn estimator classes
#: (``LGBMClassifier`` & co.; recallguard trains with ``lightgbm.train`` and predicts with ``Booster`` on
#: numpy arrays) and its pandas input glue. Importing them is 0.8 s of every ``screen``'s start-up.
_UNUSED_BY_LIGHTGBM = ("sklearn", "pandas")


def import_lightgbm() -> Any:
    """LightGBM, imported without the scikit-learn and pandas glue when neither is loaded yet:
    ``sys.modules[name] = None`` makes LightGBM's optional imports fail as if they were not installed.
    Both stay importable for everything else afterwards (only LightGBM's own glue is off).

    >>> import_lightgbm().__name__
    'lightgbm'
    """
    if "lightgbm" not in sys.modules:
        blocked = [m for m in _UNUSED_BY_LIGHTGBM if m not in sys.modules]
        for name in blocked:
            sys.modules[name] = None  # type: ignore[assignment]
        try:
            import lightgbm  # noqa: F401
        finally:
            for name in blocked:
                del sys.modules[name]
    return sys.modules["lightgbm"]


class LearnedScorer:
    """A calibrated gradient-boosted pair scorer loaded from a model directory."""

    def __init__(self, model_dir: Path) -> None:
        lgb = import_lightgbm()
        text = (model_dir / MODEL_FILE).read_text()
        self.meta: dict[str, Any] = json.loads((model_dir / META_FILE).read_text())
        self.booster = lgb.Booster(model_str=text)
        self.feature_names: tuple[str, ...] = tuple(self.meta["features"])
        self._cx = np.asarray(self.meta["calibration"]["x"], dtype=np.float64)
        self._cy = np.asarray(self.meta["calibration"]["y"], dtype=np.float64)
        digest = hashlib.sha256(text.encode() + (model_dir / META_FILE).read_bytes()).hexdigest()[:12]
        self.version = f"lgbm-{digest}"
        self.thresholds: dict[str, float] = dict(self.meta.get("thresholds", {}))

    def raw(self, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Uncalibrated model output."""
        return np.asarray(self.booster.predict(x, num_threads=1), dtype=np.float64)

    def predict(self, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Calibrated probabilities for a batch of feature rows."""
        if len(x) == 0:
            return np.zeros(0)
        return np.interp(self.raw(x), self._cx, self._cy)


@lru_cache(maxsize=1)
def load_default() -> LearnedScorer | None:
    """The model shipped with recallguard, or None when it is absent."""
    if not (MODEL_DIR / MODEL_FILE).exists():
        return None
    return LearnedScorer(MODEL_DIR)
