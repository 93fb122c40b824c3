"""The shipped static embeddings: offline, torch-free, and a model trained with them round-trips."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from recallguard.matching.pairs.model import PairScorer
from recallguard.matching.pairs.records import read_pairs
from recallguard.matching.semantic import WordPiece, load_semantic

from .conftest import DATA


def test_static_embeddings_rank_paraphrases_above_other_products() -> None:
    emb = load_semantic()
    assert emb is not None
    v = emb.encode(["kids bike helmet", "bicycle helmet for children", "espresso machine"])
    assert v[0] @ v[1] > v[0] @ v[2] + 0.3


def test_wordpiece_splits_unknown_words_into_pieces() -> None:
    assert WordPiece(["[UNK]", "ky", "##05", "##5", "-"]).tokenize("KY-055") == ["ky", "-", "[UNK]"]
    assert WordPiece(["[UNK]", "ky", "##05", "##5"]).tokenize("ky055") == ["ky", "##05", "##5"]


def test_semantic_model_is_recorded_and_reloaded(tables: tuple, tmp_path: Path) -> None:
    left, right = tables
    pairs, labels = read_pairs(DATA / "train.csv", left, right, need_label=True)
    scorer = PairScorer.train(left, right, pairs, labels, semantic=load_semantic(), num_rounds=60)
    assert "semantic_cos" in scorer.featurizer.feature_names
    scorer.save(tmp_path / "m")
    loaded = PairScorer.load(tmp_path / "m")
    assert loaded.metadata["semantic"] == "minilm-static-128"
    np.testing.assert_allclose(loaded.score_pairs(left, right, pairs), scorer.score_pairs(left, right, pairs))
