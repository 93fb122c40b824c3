"""The pair scorer's behaviour a reviewer relies on: conflicts and accessory cues lower the score,
probabilities are calibrated, a saved model predicts exactly as the trained one."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from recallguard.matching.pairs.explain import explain
from recallguard.matching.pairs.model import PairScorer
from recallguard.matching.pairs.records import ProductRecord, read_pairs

from .conftest import DATA

HEATER = ProductRecord(
    "q", "Gudook space heater AK-100 1500W white", brand="gudook", model="AK-100", model_numbers=["AK-100"]
)


def _same(model: str, title_code: str) -> ProductRecord:
    return ProductRecord(
        "x",
        f"GUDOOK {title_code} Space Heater, 1500W (white)",
        brand="Gudook",
        model=model,
        model_numbers=[model] if model else [],
    )


def test_model_number_conflict_lowers_the_score(scorer: PairScorer) -> None:
    same = scorer.score_pair(HEATER, _same("AK-100", "AK 100"))
    other_model = scorer.score_pair(HEATER, _same("AK-109", "AK 109"))
    assert same > 0.5
    assert other_model < same
    assert other_model < scorer.threshold
    reasons = " | ".join(r.text for r in explain(scorer, HEATER, _same("AK-109", "AK 109")).reasons)
    assert "109" in reasons  # the explanation names the model number that differs


def test_accessory_cue_lowers_the_score(scorer: PairScorer) -> None:
    product = ProductRecord("b", "Gudook space heater AK-100 1500W", brand="gudook")
    accessory = ProductRecord("c", "replacement filter for gudook space heater AK-100 1500W")
    assert scorer.score_pair(HEATER, accessory) < scorer.score_pair(HEATER, product)
    assert scorer.score_pair(HEATER, accessory) < scorer.threshold


def test_save_load_round_trip_gives_the_same_scores(
    scorer: PairScorer, tables: tuple, tmp_path: Path
) -> None:
    left, right = tables
    pairs, _ = read_pairs(DATA / "valid.csv", left, right, need_label=True)
    scorer.save(tmp_path / "model")
    loaded = PairScorer.load(tmp_path / "model")
    np.testing.assert_array_equal(
        scorer.score_pairs(left, right, pairs), loaded.score_pairs(left, right, pairs)
    )
    assert loaded.threshold == scorer.threshold
    meta = loaded.metadata
    assert meta["feature_names"] == scorer.featurizer.feature_names
    assert meta["version"] == loaded.version_hash()
    assert meta["training"]["positives"] > 0


def test_probabilities_are_calibrated_into_0_1_and_monotone(scorer: PairScorer, tables: tuple) -> None:
    left, right = tables
    pairs, labels = read_pairs(DATA / "valid.csv", left, right, need_label=True)
    probs = scorer.score_pairs(left, right, pairs)
    assert np.all((probs >= 0) & (probs <= 1))
    margins = np.linspace(-15, 15, 301)
    calibrated = scorer.calibration(margins)
    assert np.all(np.diff(calibrated) >= 0)
    assert calibrated[0] < 0.5 < calibrated[-1]
    # on held-out pairs the matches score above the non-matches
    y = np.asarray(labels)
    assert (
        probs[y == 1].min() > probs[y == 0].max() or probs[y == 1].mean() > 0.8 > probs[y == 0].mean() + 0.5
    )


def test_thresholds_per_target_precision_are_recorded(scorer: PairScorer) -> None:
    by_precision = scorer.metadata["thresholds_by_precision"]
    assert by_precision, "no target-precision thresholds"
    assert 0 <= scorer.threshold_for_precision(0.95) <= 1
