"""The fingerprint bank's LSH band index answers exactly "every key sharing a band", through adds,
replacements, drops and merges."""

from __future__ import annotations

import random

import numpy as np
import pytest

from recallguard.matching import bands
from recallguard.matching.bands import MinHashRows


def _sharing(idx: MinHashRows, live: dict[str, np.ndarray], q: np.ndarray) -> list[str]:
    r = idx.rows
    return sorted(
        k for k, v in live.items() if any((v[b * r : (b + 1) * r] == q[b * r : (b + 1) * r]).all()
                                          for b in range(idx.bands))
    )  # fmt: skip


@pytest.mark.parametrize(("min_pending", "dense"), [(1, 2048), (7, 2048), (4096, 2048), (7, 0)])
def test_query_is_every_key_sharing_a_band(
    monkeypatch: pytest.MonkeyPatch, min_pending: int, dense: int
) -> None:
    """Values from a tiny alphabet share bands often; after each change (one key put or dropped, or a
    bulk ``put_many`` with replacements and a repeated key) the index's answer for random queries
    equals a brute-force search over the live keys, whether changes are merged at once (1), every few
    changes (7) or never in this test (4096), and whether rows found are sorted or marked in a mask
    (``dense`` 0: always the mask)."""
    monkeypatch.setattr(bands, "MIN_PENDING", min_pending)
    monkeypatch.setattr(bands, "DENSE_ANSWER", dense)
    rng = random.Random(3)
    idx = MinHashRows(threshold=0.3, num_perm=64, capacity=8)
    live: dict[str, np.ndarray] = {}

    def values() -> np.ndarray:
        return np.array([rng.randrange(3) for _ in range(64)], dtype=np.uint64)

    for step in range(400):
        k = f"k{rng.randrange(60)}"
        if rng.random() < 0.3:
            idx.drop(k)
            live.pop(k, None)
        else:
            live[k] = values()
            idx.put(k, live[k], tag=step, size=step)
        if step % 50 == 25:  # a bulk load of some new keys, some replaced ones, one key twice
            keys = [f"k{rng.randrange(80)}" for _ in range(12)] + ["k1"]
            vs = np.stack([values() for _ in keys])
            idx.put_many(keys, vs, tags=np.full(len(keys), step), sizes=np.full(len(keys), step))
            live.update(zip(keys, vs, strict=True))
        assert len(idx) == len(live)
        if step % 10 == 0:
            q = rng.choice([*live.values(), values()]) if live else values()
            at = idx.query(q)
            assert sorted(idx.key(int(r)) for r in at) == _sharing(idx, live, q)
            assert list(at) == sorted(at)  # in row order
            for r in at:
                assert (idx._values[r] == live[idx.key(int(r))]).all()  # a row holds its key's values


def test_a_dropped_key_is_never_answered_and_its_row_is_reused_after_a_merge() -> None:
    idx = MinHashRows(threshold=0.3, num_perm=64)
    v = np.arange(64, dtype=np.uint64)
    idx.put("a", v, tag=1)
    idx.merge()
    idx.drop("a")
    assert idx.query(v).tolist() == []
    idx.put("b", v, tag=2)  # the dropped row waits for the merge
    assert [idx.key(int(r)) for r in idx.query(v)] == ["b"]
    idx.merge()
    idx.put("c", v + 1, tag=3)
    assert idx.tags(idx.query(v + 1)).tolist() == [3]
    assert idx.query(v).tolist() == [1] and idx.key(0) == "c"  # row 0 reused by "c"


def test_a_value_too_wide_for_the_rows_is_refused_and_nothing_changes() -> None:
    idx = MinHashRows(threshold=0.3, num_perm=4, dtype=np.uint32)
    idx.put("a", np.array([1, 2, 3, 4], dtype=np.uint64))
    with pytest.raises(ValueError, match="b: a MinHash value does not fit in uint32"):
        idx.put("b", np.array([1, 2, 3, 2**32], dtype=np.uint64))
    assert len(idx) == 1 and [idx.key(int(r)) for r in idx.query(np.array([1, 2, 3, 4]))] == ["a"]


def test_a_bulk_load_refuses_a_value_too_wide_and_changes_nothing() -> None:
    idx = MinHashRows(threshold=0.3, num_perm=4, dtype=np.uint32)
    idx.put("a", np.array([1, 2, 3, 4], dtype=np.uint64))
    with pytest.raises(ValueError, match="c: a MinHash value does not fit in uint32"):
        idx.put_many(["b", "c"], np.array([[5, 6, 7, 8], [1, 2, 3, 2**32]], dtype=np.uint64))
    assert len(idx) == 1 and [idx.key(int(r)) for r in idx.query(np.array([1, 2, 3, 4]))] == ["a"]
