"""The shipped screening model scores a publish-time screening's few rows through LightGBM's single-row
C call: it must give exactly what ``Booster.predict`` gives, for real feature rows and odd ones, from
several threads at once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from recallguard.domain.models import Listing
from recallguard.listings.readers import read_listings
from recallguard.matching.build import build_screener
from recallguard.matching.learned import SINGLE_ROWS, LearnedScorer, SingleRows, load_default
from recallguard.sources.loader import load_recalls

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"


@pytest.fixture(scope="module")
def scorer() -> LearnedScorer:
    s = load_default()
    assert s is not None, "the screening model ships with recallguard"
    return s


@pytest.fixture(scope="module")
def real_rows(scorer: LearnedScorer) -> np.ndarray:
    """Feature rows of the sample listings' candidate pairs against the sample recalls, as the screener
    hands them to the model."""
    screener = build_screener(load_recalls(SAMPLES / "recalls.json").recalls, include_rules=False)
    listings = [x for x in read_listings(SAMPLES / "listings.jsonl") if isinstance(x, Listing)]
    rows, _ = screener.candidate_pairs(listings)
    x = np.asarray(rows, dtype=np.float64)[:, screener._cols]
    assert len(x) > 100
    return x


def test_single_rows_is_available(scorer: LearnedScorer) -> None:
    """The installed LightGBM offers the prepared single-row call (a LightGBM without it falls back to
    ``Booster.predict``: correct, slower at publish time; this test says when that happens)."""
    assert scorer.single_rows is not None


def test_same_values_as_booster_predict_on_real_rows(scorer: LearnedScorer, real_rows: np.ndarray) -> None:
    assert scorer.single_rows is not None
    expected = scorer.booster.predict(real_rows, num_threads=1)
    got = scorer.single_rows.predict(real_rows)
    assert got.tolist() == expected.tolist()  # bit for bit, not approximately


def test_same_values_on_odd_rows(scorer: LearnedScorer) -> None:
    """Zeros, ones, negatives, huge values and missing values (NaN) take the same branches."""
    assert scorer.single_rows is not None
    rng = np.random.default_rng(7)
    n = scorer.single_rows.ncol
    x = rng.random((3000, n))
    x[rng.random(x.shape) < 0.3] = 0.0
    x[rng.random(x.shape) < 0.1] = 1.0
    x[rng.random(x.shape) < 0.05] = np.nan
    x[rng.random(x.shape) < 0.02] = -5.0
    x[rng.random(x.shape) < 0.02] = 1e9
    assert scorer.single_rows.predict(x).tolist() == scorer.booster.predict(x, num_threads=1).tolist()


def test_scorer_gives_the_same_probabilities_either_way(scorer: LearnedScorer, real_rows: np.ndarray) -> None:
    """``LearnedScorer.predict`` takes the single-row call for a few rows and ``Booster.predict`` for
    more: a listing's probabilities do not depend on how many rows came with it."""
    few = real_rows[:SINGLE_ROWS]
    many = real_rows[: SINGLE_ROWS * 4]
    assert scorer.predict(few).tolist() == scorer.predict(many)[:SINGLE_ROWS].tolist()


def test_threads_at_once(scorer: LearnedScorer, real_rows: np.ndarray) -> None:
    """Screening calls run in a thread pool: concurrent single-row calls each get their own rows' values."""
    assert scorer.single_rows is not None
    expected = scorer.booster.predict(real_rows, num_threads=1).tolist()
    chunks = [real_rows[i : i + 3] for i in range(0, len(real_rows), 3)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        for _ in range(5):
            got = [v for part in pool.map(scorer.single_rows.predict, chunks) for v in part.tolist()]
            assert got == expected


def test_rows_of_the_wrong_width_are_refused(scorer: LearnedScorer) -> None:
    assert scorer.single_rows is not None
    with pytest.raises(ValueError, match="features"):
        scorer.single_rows.predict(np.zeros((1, scorer.single_rows.ncol + 1)))


def test_a_second_single_rows_of_the_same_booster(scorer: LearnedScorer, real_rows: np.ndarray) -> None:
    """Each prepared call is its own; freeing one (garbage collected) leaves the scorer's working."""
    other = SingleRows.open(scorer.booster)
    assert other is not None
    first = other.predict(real_rows[:5]).tolist()
    del other
    assert scorer.single_rows is not None
    assert scorer.single_rows.predict(real_rows[:5]).tolist() == first
