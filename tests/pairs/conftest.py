from __future__ import annotations

from pathlib import Path

import pytest

from recallguard.matching.pairs.model import PairScorer
from recallguard.matching.pairs.records import ProductRecord, read_pairs, read_table

DATA = Path(__file__).resolve().parents[1] / "data" / "pairs"


@pytest.fixture(scope="session")
def tables() -> tuple[dict[str, ProductRecord], dict[str, ProductRecord]]:
    return read_table(DATA / "tableA.csv"), read_table(DATA / "tableB.csv")


@pytest.fixture(scope="session")
def scorer(tables: tuple[dict[str, ProductRecord], dict[str, ProductRecord]]) -> PairScorer:
    left, right = tables
    pairs, labels = read_pairs(DATA / "train.csv", left, right, need_label=True)
    return PairScorer.train(left, right, pairs, labels, num_rounds=150)
