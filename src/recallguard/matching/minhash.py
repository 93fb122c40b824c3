"""MinHash of byte strings and the LSH band layout for a threshold, without datasketch at run time.

The fingerprint bank stores the MinHash values of every removed listing, so the values must never
change: they are datasketch's ``affine32`` scheme, bit for bit (``tests/matching/test_minhash.py``
compares them, and the band layout, with datasketch's own, which stays a development dependency).
Importing datasketch cost every command and server ~0.6-1 s at start, most of it ``scipy.integrate``
pulled in to choose the band layout; here that layout's two integrals are computed exactly with
Gauss-Legendre nodes (the integrands are polynomials of degree at most ``num_perm``).

The scheme: each item's SHA-1 (its first 4 bytes, little-endian) is mixed by MurmurHash3's 32-bit
finaliser, then mapped by ``num_perm`` affine permutations ``a·h + b mod 2^32`` (``a`` odd, drawn from
``numpy.random.RandomState(seed)``); a value is the least image of any item. Every item is hashed in
one pass and the permutations applied in one numpy broadcast.

>>> v = minhash32([b"joolz", b"oolza", b"olzae"], num_perm=8, seed=7)
>>> v.dtype.name, v.shape, bool((minhash32([b"olzae", b"joolz", b"oolza"], 8, 7) == v).all())
('uint32', (8,), True)
>>> bool((minhash32([], 8, 7) == 0xFFFFFFFF).all())
True
>>> band_layout(0.5, 64)
(14, 4)
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from functools import lru_cache

import numpy as np

EMPTY = np.uint32(0xFFFFFFFF)  # the value of a set with no items (datasketch's "max hash")
_M1, _M2 = np.uint32(0x85EBCA6B), np.uint32(0xC2B2AE35)
_S16, _S13 = np.uint32(16), np.uint32(13)


@lru_cache(maxsize=16)
def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``(a, b)`` of the ``num_perm`` affine permutations drawn from ``seed`` (read-only arrays),
    as datasketch's ``affine32`` scheme draws them.

    >>> a, b = permutations(4, 7)
    >>> a.dtype.name, bool((a % 2 == 1).all()), a.flags.writeable
    ('uint32', True, False)
    """
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    a.setflags(write=False)
    b.setflags(write=False)
    return a, b


def fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finaliser of each value (a bijection that spreads similar inputs apart).

    >>> fmix32(np.array([0, 1], dtype=np.uint32)).tolist()
    [0, 1364076727]
    """
    h = h ^ (h >> _S16)
    h = h * _M1
    h = h ^ (h >> _S13)
    h = h * _M2
    return h ^ (h >> _S16)


def minhash32(items: Collection[bytes], num_perm: int = 128, seed: int = 1) -> np.ndarray:
    """The ``num_perm`` MinHash values (``uint32``) of a set of byte strings; all ``EMPTY`` for none.
    Equal to ``datasketch.MinHash(num_perm, seed, scheme="affine32")`` updated with the same items.

    >>> minhash32([b"ab"], num_perm=2, seed=7).tolist() == minhash32([b"ab", b"ab"], 2, 7).tolist()
    True
    """
    if not items:
        return np.full(num_perm, EMPTY, dtype=np.uint32)
    sha1 = hashlib.sha1
    digests = b"".join([sha1(x).digest()[:4] for x in items])
    h = fmix32(np.frombuffer(digests, dtype="<u4").astype(np.uint32))
    a, b = permutations(num_perm, seed)
    return np.asarray((h[:, None] * a + b).min(axis=0), dtype=np.uint32)


@lru_cache(maxsize=64)
def band_layout(
    threshold: float, num_perm: int, false_positive_weight: float = 0.5, false_negative_weight: float = 0.5
) -> tuple[int, int]:
    """``(bands, rows)`` of an LSH over ``num_perm`` values that minimises the weighted chances of
    missing a pair above ``threshold`` and of finding one below it (datasketch's ``MinHashLSH`` choice:
    the first best in the order of bands, then rows).

    >>> band_layout(0.3, 64), band_layout(0.8, 64)
    ((21, 3), (5, 11))
    """
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold {threshold} must be in [0.0, 1.0]")
    if num_perm < 2:
        raise ValueError(f"num_perm {num_perm}: too few permutations")
    nodes, weights = np.polynomial.legendre.leggauss(num_perm // 2 + 1)  # exact to degree num_perm + 1

    def integral(b: int, r: int, lo: float, hi: float, miss: bool) -> float:
        s = (hi - lo) / 2 * nodes + (hi + lo) / 2
        found = 1.0 - (1.0 - s ** float(r)) ** float(b)  # chance that a pair of similarity s shares a band
        return float((hi - lo) / 2 * np.dot(weights, 1.0 - found if miss else found))

    best, layout = float("inf"), (0, 0)
    for b in range(1, num_perm + 1):
        for r in range(1, num_perm // b + 1):
            fp = integral(b, r, 0.0, threshold, miss=False)
            fn = integral(b, r, threshold, 1.0, miss=True)
            error = fp * false_positive_weight + fn * false_negative_weight
            if error < best:
                best, layout = error, (b, r)
    if layout[0] < 2:
        raise ValueError(f"threshold {threshold}: fewer than two bands")
    return layout
