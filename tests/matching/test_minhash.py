"""The bank's MinHash values and band layout without datasketch at run time: the same, bit for bit.

Every removed listing's fingerprint is stored; a value that changed would make every stored fingerprint
useless against new listings (a re-listed recalled product would no longer be recognised). datasketch
is a development dependency kept for exactly this comparison.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from datasketch import MinHash, MinHashLSH

from recallguard.matching.bands import MinHashRows
from recallguard.matching.minhash import EMPTY, band_layout, minhash32
from recallguard.matching.shingles import NUM_PERM, SEED, fold_for_shingles, shingle_values


def _reference(items: set[bytes], num_perm: int, seed: int) -> np.ndarray:
    m = MinHash(num_perm=num_perm, seed=seed, scheme="affine32")
    if items:
        m.update_batch(list(items))
    return m.hashvalues


def test_values_equal_datasketchs_affine32_for_random_sets() -> None:
    rng = random.Random(20261206)
    for _ in range(500):
        items = {rng.randbytes(rng.randrange(1, 12)) for _ in range(rng.randrange(0, 60))}
        for num_perm, seed in ((NUM_PERM, SEED), (128, 1), (16, 42)):
            ours, theirs = minhash32(items, num_perm, seed), _reference(items, num_perm, seed)
            assert ours.dtype == theirs.dtype == np.uint32
            assert ours.tolist() == theirs.tolist(), (items, num_perm, seed)


@pytest.mark.parametrize(
    "text",
    [
        "Joolz Aer2 car seat adapter",
        "J00lz  Aer-2 car seat adaptor",
        "",
        "ab",
        "Ｆｕｌｌ ｗｉｄｔｈ ЅCOOTER 4pcs",
        "x" * 5000,
    ],
)
def test_shingle_values_as_stored_by_earlier_versions(text: str) -> None:
    folded = fold_for_shingles(text)
    grams = {folded[i : i + 6].encode() for i in range(max(1, len(folded) - 5))} if folded else set()
    values, n = shingle_values(text)
    assert values.tolist() == _reference(grams, NUM_PERM, SEED).tolist()
    assert n == len(grams)


def test_a_stored_fingerprint_keeps_its_values() -> None:
    """Pinned, so that a datasketch release changing its scheme cannot move both sides of the test above."""
    values, n = shingle_values("Joolz Aer2 car seat adapter")
    assert n == 18
    assert values[:6].tolist() == [48710877, 172675179, 227629608, 177116102, 223630462, 118595106]
    assert int(values.astype(np.uint64).sum()) == 15544524004


def test_an_empty_set_has_every_value_empty() -> None:
    assert (minhash32([], 64, 7) == EMPTY).all()


def test_band_layout_is_datasketchs_for_every_threshold() -> None:
    for num_perm in (8, 16, 64, 128):
        for t in np.round(np.arange(0.05, 0.96, 0.01), 2).tolist():
            try:
                lsh = MinHashLSH(threshold=t, num_perm=num_perm)
            except ValueError:  # fewer than two bands would be best: refused by both
                with pytest.raises(ValueError, match="two bands"):
                    band_layout(t, num_perm)
                continue
            assert band_layout(t, num_perm) == (lsh.b, lsh.r), (t, num_perm)


def test_band_layout_refuses_what_datasketch_refuses() -> None:
    with pytest.raises(ValueError, match="threshold"):
        band_layout(1.5, 64)
    with pytest.raises(ValueError, match="permutations"):
        band_layout(0.5, 1)


def test_the_bank_index_uses_that_layout() -> None:
    rows = MinHashRows(threshold=0.3, num_perm=NUM_PERM)
    lsh = MinHashLSH(threshold=0.3, num_perm=NUM_PERM)
    assert (rows.bands, rows.rows) == (lsh.b, lsh.r)
