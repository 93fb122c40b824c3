"""The trained screening model: LightGBM over ``FEATURES`` with isotonic calibration fitted on
out-of-fold predictions, stored as a LightGBM text model plus a JSON file (feature names,
calibration breakpoints, thresholds, training summary).

>>> load_default() is None or load_default().version.startswith("lgbm-")
True
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import sys
import weakref
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


#: Up to this many rows, :class:`SingleRows` scores them one C call each; more go through ``Booster.predict``.
SINGLE_ROWS = 16
_PREDICT_NORMAL, _FLOAT64 = 0, 1  # LightGBM's C_API_PREDICT_NORMAL and C_API_DTYPE_FLOAT64


class SingleRows:
    """LightGBM's single-row prediction (its C API's ``LGBM_BoosterPredictForMatSingleRowFast``, set up
    once) for the few rows of a publish-time screening. ``Booster.predict`` prepares a predictor, its
    parameters and the input's layout in Python on every call: ~36 µs for one row when called in a loop,
    ~90-150 µs between other work (its code leaves the CPU's caches); one prepared C call per row takes
    7-30 µs. The same C++ predictor computes both, so the values are the same bit for bit
    (``tests/matching/test_learned.py``). ``SingleRows.open`` returns None where the installed LightGBM
    lacks the call; the caller then keeps ``Booster.predict``.

    >>> s = load_default()
    >>> rows = SingleRows.open(s.booster) if s is not None else None
    >>> rows is None or rows.predict(np.zeros((2, s.booster.num_feature()))).shape == (2,)
    True
    """

    def __init__(self, booster: Any, lib: Any, config: ctypes.c_void_p, ncol: int) -> None:
        self._booster = booster  # the prepared call points into it: kept alive as long as this
        self._lib, self._call = lib, lib.LGBM_BoosterPredictForMatSingleRowFast
        self._config, self.ncol = config, ncol
        # freed with this object, or at exit (before modules are torn down), whichever comes first
        weakref.finalize(self, lib.LGBM_FastConfigFree, config)

    @classmethod
    def open(cls, booster: Any) -> SingleRows | None:
        """The single-row predictor of ``booster`` (probabilities, as ``booster.predict``), or None."""
        lib = getattr(sys.modules["lightgbm"].basic, "_LIB", None)
        if lib is None or not hasattr(lib, "LGBM_BoosterPredictForMatSingleRowFastInit"):
            return None
        config, ncol = ctypes.c_void_p(), int(booster.num_feature())
        status = lib.LGBM_BoosterPredictForMatSingleRowFastInit(
            booster._handle,  # the C API needs the booster's handle
            ctypes.c_int(_PREDICT_NORMAL),
            ctypes.c_int(0),  # from the first iteration
            ctypes.c_int(-1),  # to the last, as Booster.predict of a model without a best iteration
            ctypes.c_int(_FLOAT64),
            ctypes.c_int32(ncol),
            b"num_threads=1",
            ctypes.byref(config),
        )
        return cls(booster, lib, config, ncol) if status == 0 and config.value else None

    def predict(self, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """One value per row of ``x`` (rows of ``ncol`` features)."""
        x = np.ascontiguousarray(x, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != self.ncol:
            raise ValueError(f"expected rows of {self.ncol} features, got shape {x.shape}")
        out = np.empty(len(x), dtype=np.float64)
        value, length = ctypes.c_double(), ctypes.c_int64()
        base, step = x.ctypes.data, x.strides[0]
        at_len, at_value = ctypes.byref(length), ctypes.byref(value)
        for i in range(len(x)):
            if self._call(self._config, ctypes.c_void_p(base + i * step), at_len, at_value):
                raise RuntimeError(self._lib.LGBM_GetLastError().decode())
            out[i] = value.value
        return out


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
        self.single_rows = SingleRows.open(self.booster)

    def raw(self, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Uncalibrated model output (a few rows through :class:`SingleRows`: the same values)."""
        if self.single_rows is not None and len(x) <= SINGLE_ROWS:
            return self.single_rows.predict(x)
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
