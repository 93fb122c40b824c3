"""Fuzzy blockers for listings the exact blockers miss: MinHash LSH on character shingles and
nearest neighbours in a static embedding space.

They cost more than the hash lookups of ``TargetIndex``, so the screener runs them only for a listing
that got no candidate from the exact blockers (and the blocking benchmark runs all of them to measure
each one's pair completeness).

>>> from recallguard.domain.models import Listing, Target
>>> from recallguard.matching.profiles import listing_profile, target_profile
>>> t = Target("1", "CPSC", brand="Brompton", product_name="T-Line Foldable Bicycles")
>>> lsh = ShingleLSH([target_profile(t)])
>>> lsh.query(listing_profile(Listing("L", "bromtpon tline foldable bicycle")))
[0]
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt

from recallguard.matching.profiles import ListingProfile, TargetProfile

NUM_PERM = 64
LSH_THRESHOLD = 0.3
SHINGLE = 3

__all__ = ["EmbeddingNeighbours", "ShingleLSH"]


def shingles(text: str, k: int = SHINGLE) -> set[str]:
    """Character k-grams of the text with spaces removed between words ('bromp', 'romp', ...).

    >>> sorted(shingles("ab cd", 3))
    ['abc', 'bcd']
    """
    s = "".join(text.split())
    return {s[i : i + k] for i in range(max(1, len(s) - k + 1))} if s else set()


@lru_cache(maxsize=1)
def _template() -> Any:
    """datasketch is imported on first use (it costs half a second at start-up); the permutations are
    drawn once and shared by every signature."""
    from datasketch import MinHash

    return MinHash(num_perm=NUM_PERM, seed=1)


def signature(items: set[str]) -> Any:
    """The MinHash of a shingle set (datasketch's vectorised batch update).

    A shallow copy of the empty template shares its permutations (building a MinHash re-checks them,
    which cost more than the hashing); ``update_batch`` replaces the copy's hash values, never the
    template's.
    """
    m = copy.copy(_template())
    m.update_batch([x.encode() for x in items])
    return m


class ShingleLSH:
    """MinHash LSH over the targets' brand + product-name shingles."""

    def __init__(self, profiles: Sequence[TargetProfile], threshold: float = LSH_THRESHOLD) -> None:
        from datasketch import MinHashLSH

        self.lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
        for i, p in enumerate(profiles):
            text = f"{p.brand_norm} {p.name_norm}".strip()
            if text:
                self.lsh.insert(i, signature(shingles(text)))

    def query(self, lp: ListingProfile) -> list[int]:
        """Targets whose shingle sets are similar to the listing title's."""
        items = shingles(lp.title_norm)
        if not items:
            return []
        return sorted(self.lsh.query(signature(items)))


class EmbeddingNeighbours:
    """Nearest targets by cosine similarity of static sentence embeddings (numpy, no torch)."""

    def __init__(self, profiles: Sequence[TargetProfile], k: int = 3, min_cosine: float = 0.6) -> None:
        from recallguard.matching.semantic import load_semantic

        self.embedder = load_semantic(required=False)
        self.k = k
        self.min_cosine = min_cosine
        self.matrix: npt.NDArray[np.float32] | None = None
        if self.embedder is not None and profiles:
            texts = [f"{p.target.brand} {p.target.product_name or p.target.product_type}" for p in profiles]
            self.matrix = self.embedder.encode(texts)

    @property
    def available(self) -> bool:
        """False when the optional embedding file is not installed."""
        return self.matrix is not None

    def query(self, lp: ListingProfile) -> list[int]:
        """The k nearest targets above ``min_cosine``."""
        if self.matrix is None or self.embedder is None:
            return []
        v = self.embedder.encode([lp.listing.title])[0]
        sims = self.matrix @ v
        top = np.argsort(-sims)[: self.k]
        return [int(i) for i in top if sims[i] >= self.min_cosine]
