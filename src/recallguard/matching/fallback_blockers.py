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

from collections import defaultdict
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from recallguard.matching.profiles import ListingProfile, TargetProfile

NUM_PERM = 64
SHINGLE = 3
#: 21 bands of 3 rows: the banding datasketch's ``MinHashLSH`` chooses for a Jaccard threshold of 0.3
#: over 64 permutations (equal weight on false positives and false negatives).
BANDS, ROWS = 21, 3
#: Texts hashed at once when the index is built: each gram becomes 64 hashes of 8 bytes in a few numpy
#: temporaries, so 20,000 targets at once took 1.2 GB; 2,048 at a time take about 120 MB.
SIGNATURE_CHUNK = 2048
#: Embedding neighbours: up to this many targets every one is compared; above, an inverted file of
#: k-means clusters, each listing compared with the targets of its PROBES nearest clusters.
EXACT_NEIGHBOURS = 20_000
PROBES = 16
_MIX = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing: the top 32 bits of the product
_BAND_MIX = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9], dtype=np.uint64)
_EMPTY = np.zeros(0, dtype=np.uint64)

__all__ = ["EmbeddingNeighbours", "ShingleLSH"]


def shingle_hashes(text: str) -> npt.NDArray[np.uint64]:
    """32-bit hashes of the text's character 3-grams (spaces removed: "ab cd" → abc, bcd), computed
    in numpy: each gram's three code points packed into one 63-bit number (one number per gram, no two
    grams alike), then mixed down to 32 bits. A text shorter than three characters is one gram.

    >>> len(shingle_hashes("ab cd")), len(shingle_hashes("ab")), len(shingle_hashes(" "))
    (2, 1, 0)
    """
    s = "".join(text.split())
    if not s:
        return _EMPTY
    cps = np.frombuffer(s.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    if len(cps) < SHINGLE:
        cps = np.concatenate([cps, np.zeros(SHINGLE - len(cps), dtype=np.uint64)])
    grams = (cps[:-2] << np.uint64(42)) | (cps[1:-1] << np.uint64(21)) | cps[2:]
    return (grams * _MIX) >> np.uint64(32)


def _hash_family(seed: int = 1) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]:
    """The 64 random hash functions of the MinHash, multiply-shift: h(x) = (a·x + b) mod 2^64, top 32
    bits (a odd). Universal like datasketch's a·x + b mod 2^61−1, without a 64-bit division per value."""
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 62, size=NUM_PERM, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    b = gen.randint(0, 1 << 62, size=NUM_PERM, dtype=np.uint64)
    return a, b


_A, _B = _hash_family()
_SHIFT = np.uint64(32)


def signatures(texts: Sequence[str]) -> tuple[npt.NDArray[np.uint64], list[bool]]:
    """MinHash signatures of many texts' 3-gram sets at once (one row each), and whether each text had
    any gram. One numpy pass over all the texts' grams, then a minimum per text: the per-text cost of a
    MinHash object (datasketch hashes each gram with SHA-1 in Python) is what made this blocker slow.

    >>> sig, ok = signatures(["brompton bicycle", "brompton bicycle", ""])
    >>> sig.shape, bool((sig[0] == sig[1]).all()), ok
    ((3, 64), True, [True, True, False])
    """
    parts = [shingle_hashes(t) for t in texts]
    ok = [len(p) > 0 for p in parts]
    out = np.full((len(texts), NUM_PERM), np.uint64((1 << 32) - 1), dtype=np.uint64)
    kept = [p for p in parts if len(p)]
    if kept:
        hv = np.concatenate(kept)
        starts = np.cumsum([0] + [len(p) for p in kept[:-1]])
        phv = (hv[:, None] * _A + _B) >> _SHIFT  # unsigned arithmetic wraps: mod 2^64
        out[np.flatnonzero(ok)] = np.minimum.reduceat(phv, starts, axis=0)
    return out, ok


def band_keys(sig: npt.NDArray[np.uint64]) -> list[list[int]]:
    """One 64-bit key per band of each signature row (the band's three values mixed into one)."""
    bands = sig[:, : BANDS * ROWS].reshape(len(sig), BANDS, ROWS)
    with np.errstate(over="ignore"):
        keys = (bands * _BAND_MIX).sum(axis=2, dtype=np.uint64)
    return keys.tolist()


class ShingleLSH:
    """MinHash LSH over the targets' brand + product-name shingles: banded signatures in dicts.

    Hand-written rather than datasketch's ``MinHashLSH`` because it answers for a whole batch of listings
    in a few numpy operations (the signatures, then every band key), where datasketch builds, hashes
    and queries one object per listing.
    """

    def __init__(self, profiles: Sequence[TargetProfile]) -> None:
        self.tables: list[dict[int, list[int]]] = [defaultdict(list) for _ in range(BANDS)]
        texts = [f"{p.brand_norm} {p.name_norm}".strip() for p in profiles]
        for start in range(0, len(texts), SIGNATURE_CHUNK):  # bounded memory: grams x 64 hashes a chunk
            sig, ok = signatures(texts[start : start + SIGNATURE_CHUNK])
            for i, (keys, has) in enumerate(zip(band_keys(sig), ok, strict=True), start):
                if has and texts[i]:
                    for table, key in zip(self.tables, keys, strict=True):
                        table[key].append(i)

    def query(self, lp: ListingProfile) -> list[int]:
        """Targets whose shingle sets are similar to the listing title's."""
        return self.query_many([lp])[0]

    def query_many(self, lps: Sequence[ListingProfile]) -> list[list[int]]:
        """``query`` for each of many listings (one numpy pass for all of them)."""
        sig, ok = signatures([lp.title_norm for lp in lps])
        out: list[list[int]] = []
        for keys, has in zip(band_keys(sig), ok, strict=True):
            found: set[int] = set()
            if has:
                for table, key in zip(self.tables, keys, strict=True):
                    hit = table.get(key)
                    if hit:
                        found.update(hit)
            out.append(sorted(found))
        return out


class EmbeddingNeighbours:
    """Nearest targets by cosine similarity of static sentence embeddings (numpy, no torch).

    Up to ``EXACT_NEIGHBOURS`` targets, each listing is compared with every target (one matrix product).
    Above, the targets are split once into about √n clusters (k-means, scikit-learn) and a listing is
    compared with the targets of its ``PROBES`` nearest clusters — an inverted-file index: one listing
    against 100,000 targets took 2 ms the brute-force way.
    """

    def __init__(self, profiles: Sequence[TargetProfile], k: int = 3, min_cosine: float = 0.6) -> None:
        from recallguard.matching.semantic import load_semantic

        self.embedder = load_semantic(required=False)
        self.k = k
        self.min_cosine = min_cosine
        self.matrix: npt.NDArray[np.float32] | None = None
        self.centroids: npt.NDArray[np.float32] | None = None
        self.members: list[npt.NDArray[np.intp]] = []
        if self.embedder is not None and profiles:
            texts = [f"{p.target.brand} {p.target.product_name or p.target.product_type}" for p in profiles]
            self.matrix = self.embedder.encode(texts)
            if len(self.matrix) > EXACT_NEIGHBOURS:
                self._cluster(self.matrix)

    def _cluster(self, matrix: npt.NDArray[np.float32]) -> None:
        """Split the targets into about √n clusters (the same split for the same targets)."""
        from sklearn.cluster import MiniBatchKMeans

        n_clusters = max(2, int(np.sqrt(len(matrix))))
        km = MiniBatchKMeans(n_clusters=n_clusters, random_state=0, n_init=1, batch_size=4096).fit(matrix)
        centres = km.cluster_centers_.astype(np.float32)
        norms = np.linalg.norm(centres, axis=1, keepdims=True)
        self.centroids = centres / np.where(norms > 0, norms, 1.0)
        labels = np.asarray(km.labels_)
        order = np.argsort(labels, kind="stable")  # by cluster, then by target id
        bounds = np.searchsorted(labels[order], np.arange(n_clusters + 1))
        self.members = [order[bounds[c] : bounds[c + 1]] for c in range(n_clusters)]

    @property
    def available(self) -> bool:
        """False when the optional embedding file is not installed."""
        return self.matrix is not None

    def query(self, lp: ListingProfile) -> list[int]:
        """The k nearest targets above ``min_cosine``."""
        return self.query_many([lp])[0]

    def query_many(self, lps: Sequence[ListingProfile]) -> list[list[int]]:
        """``query`` for each of many listings (one matrix product for all of them, or per listing over
        its nearest clusters). Similarities are rounded to 1e-6 so that a listing's answer never depends
        on the batch it came in (a product's last bits may)."""
        if self.matrix is None or self.embedder is None or not lps:
            return [[] for _ in lps]
        q = self.embedder.encode([lp.listing.title for lp in lps])
        if self.centroids is None:
            return self._nearest(q)
        probes = np.argsort(-(q @ self.centroids.T), axis=1, kind="stable")[:, :PROBES]
        rows_: list[npt.NDArray[np.intp]] = []
        cols_: list[npt.NDArray[np.intp]] = []
        sims_: list[npt.NDArray[np.float32]] = []
        for c in np.unique(probes).tolist():  # per cluster, the listings that probe it: one product each
            who = np.flatnonzero((probes == c).any(axis=1))
            ids = self.members[c]
            sims = np.round(q[who] @ self.matrix[ids].T, 6)
            r, k = np.nonzero(sims >= self.min_cosine)
            rows_.append(who[r])
            cols_.append(ids[k])
            sims_.append(sims[r, k])
        return self._top_k(len(lps), np.concatenate(rows_), np.concatenate(cols_), np.concatenate(sims_))

    def _nearest(self, q: npt.NDArray[np.float32]) -> list[list[int]]:
        """The k most similar targets above ``min_cosine`` per query, every target compared."""
        assert self.matrix is not None
        sims = np.round(q @ self.matrix.T, 6)
        rows, cols = np.nonzero(sims >= self.min_cosine)
        return self._top_k(len(q), rows, cols, sims[rows, cols])

    def _top_k(
        self, n: int, rows: npt.NDArray[np.intp], cols: npt.NDArray[np.intp], sims: npt.NDArray[np.float32]
    ) -> list[list[int]]:
        """Per query row, the k targets of its (row, target, similarity) triples, most similar first."""
        order = np.lexsort((cols, -sims, rows))  # per listing: most similar first, ties by id
        out: list[list[int]] = [[] for _ in range(n)]
        for r, c in zip(rows[order].tolist(), cols[order].tolist(), strict=True):
            if len(out[r]) < self.k:
                out[r].append(int(c))
        return out
