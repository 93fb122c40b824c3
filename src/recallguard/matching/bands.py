"""A MinHash LSH index that keeps each key's values as a matrix row, for the fingerprint bank.

The bands and rows for a similarity threshold are those datasketch's ``MinHashLSH`` would choose
(``minhash.band_layout``); this index keeps the band tables itself, holding row numbers, and the
values in one matrix, so that a query takes the union of whole buckets at once and compares its values
with every candidate's in one gather. A product removed thousands of times (one seller's copies with
SKU suffixes) fills the same buckets: datasketch adds their keys one by one and a MinHash object is
built per candidate (~90 ms a screening for 5,000 copies); here it is a few array slices and one numpy
comparison.

The band tables are one sorted array of 64-bit band keys (each band's values hashed with the band's
number) beside the row holding each, 12 bytes per band and key — a dict of sets per band cost about 260
bytes per band and key, 14 KB per bank entry, which made a server's memory grow with every listing it
removed. A bank's entries are loaded in one pass (``put_many``: one sort, no waiting dict). Keys added
since the last merge wait in a small dict; dropped rows are filtered out of answers until the next merge
purges them (only then are their row numbers reused). A merge happens when the waiting changes reach
``MIN_PENDING`` or a 32nd of the merged array, whichever is more: amortised O(1) per key; the new keys
alone are sorted and put in place. Two different bands share a 64-bit key with odds of
about one in 10^11 per query at a million entries; such a row would only be one more candidate, whose
Jaccard estimate is computed like any other's.

>>> import numpy as np
>>> idx = MinHashRows(threshold=0.3, num_perm=4)
>>> idx.put("a", np.array([1, 2, 3, 4], dtype=np.uint64), tag=7, size=30)
>>> idx.put("b", np.array([1, 2, 0, 0], dtype=np.uint64), tag=8, size=12)
>>> at = idx.query(np.array([1, 2, 3, 4], dtype=np.uint64))
>>> [idx.key(r) for r in at], idx.jaccards(at, np.array([1, 2, 3, 4], dtype=np.uint64)).tolist()
(['a', 'b'], [1.0, 0.5])
>>> idx.tags(at).tolist(), idx.sizes(at).tolist()
([7, 8], [30, 12])
>>> idx.drop("a"); [idx.key(r) for r in idx.query(np.array([1, 2, 3, 4], dtype=np.uint32))], len(idx)
(['b'], 1)
"""

from __future__ import annotations

import numpy as np

from recallguard.matching.minhash import band_layout

#: Changes (band keys added, rows dropped) waiting before a merge, at least (~600 entries of 28 bands). A
#: waiting key costs ~170 bytes in the dict, a merged one 12: a server's memory should not swing by the
#: size of the dict. Past 32 × this many merged keys, a merge waits for a 32nd of them (amortised O(1)).
MIN_PENDING = 16_384
# band_keys' multipliers (odd) and per-band salts: fixed, so every process computes the same keys
_MULTIPLIERS = np.random.default_rng(0xBA4D).integers(1, 2**62, size=64, dtype=np.uint64) * 2 + 1
_BAND_SALT = np.random.default_rng(0x5A17).integers(0, 2**63, size=64, dtype=np.uint64)
_S30, _S27, _S31 = np.uint64(30), np.uint64(27), np.uint64(31)
_C1, _C2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


def _mix(h: np.ndarray, salt: np.ndarray) -> np.ndarray:
    """Band sums (last axis: the bands) salted and mixed by splitmix64's finaliser, in place; as int64."""
    h ^= salt
    h ^= h >> _S30
    h *= _C1
    h ^= h >> _S27
    h *= _C2
    h ^= h >> _S31
    return h.view(np.int64)


#: Rows found (with repeats across bands) above which a query marks them in a mask instead of sorting
#: them: a product removed thousands of times fills the same buckets of every band
DENSE_ANSWER = 2048


def _grown(a: np.ndarray, rows: int) -> np.ndarray:
    """``a`` with zero rows added up to ``rows`` (a new array; ``a`` is not changed).

    >>> _grown(np.array([[1, 2]]), 3).tolist()
    [[1, 2], [0, 0], [0, 0]]
    """
    out = np.zeros((rows, *a.shape[1:]), dtype=a.dtype)
    out[: len(a)] = a
    return out


class MinHashRows:
    """Keys by the bands of their MinHash values (LSH), with the values, a tag and a size per key."""

    def __init__(
        self,
        threshold: float,
        num_perm: int,
        capacity: int = 1024,
        dtype: type[np.unsignedinteger] = np.uint64,
    ) -> None:
        self.bands, self.rows = band_layout(threshold, num_perm)
        self._width = self.bands * self.rows
        self._mult, self._salt = _MULTIPLIERS[: self.rows].copy(), _BAND_SALT[: self.bands].copy()
        self._sorted_keys = np.zeros(0, dtype=np.int64)  # merged band keys, ascending
        self._sorted_rows = np.zeros(0, dtype=np.int32)  # the row of each
        self._pending: dict[int, list[int]] = {}  # band key -> rows added since the merge
        self._pending_n = 0
        self._dropped = 0  # rows dropped since the merge (their keys are still merged): marked in _gone
        self._values = np.zeros((capacity, num_perm), dtype=dtype)  # uint32 holds 32-bit MinHash values
        self._ints = np.zeros((capacity, 2), dtype=np.int64)  # tag, size
        self._gone = np.zeros(capacity, dtype=bool)  # rows dropped since the merge
        self._max = None if dtype == np.uint64 else int(np.iinfo(dtype).max)
        self._row: dict[str, int] = {}
        self._keys: list[str] = []
        self._free: list[int] = []

    def band_keys(self, values: np.ndarray) -> np.ndarray:
        """One 64-bit key per band and row of ``values`` (shape ``(n, num_perm)``): each band's values
        times fixed odd multipliers, summed (one matrix product for every row and band), salted with the
        band's number and mixed by splitmix64's finaliser. Equal bands give equal keys, in every process;
        different ones collide with odds of about 2^-64. Loading a bank of 28,000 entries hashes its
        1.2 million bands in ~20 ms (Python's hash of each band's bytes took ~0.2-0.8 s); one row costs
        ~6 µs, about 3 more than that hash.

        >>> idx = MinHashRows(threshold=0.3, num_perm=64)
        >>> v = np.arange(128, dtype=np.uint64).reshape(2, 64)
        >>> k = idx.band_keys(v); k.shape == (2, idx.bands), k.dtype.name
        (True, 'int64')
        >>> bool((idx.band_keys(v[1:]) == k[1:]).all()), len(set(k.ravel().tolist())) == k.size
        (True, True)
        """
        v = np.asarray(values, dtype=np.uint64)[:, : self._width]
        return _mix(v.reshape(len(v), self.bands, self.rows) @ self._mult, self._salt)

    def _row_keys(self, values: np.ndarray) -> np.ndarray:
        """:meth:`band_keys` of one row."""
        v = np.asarray(values, dtype=np.uint64)[: self._width]
        return _mix(v.reshape(self.bands, self.rows) @ self._mult, self._salt)

    def _band_keys(self, values: np.ndarray) -> list[int]:
        return list(self._row_keys(values).tolist())

    def _rows_for(self, n: int) -> np.ndarray:
        """Row numbers for ``n`` new keys: free rows first, then new ones (the matrices grown once)."""
        reuse = [self._free.pop() for _ in range(min(n, len(self._free)))]
        start = len(self._keys)
        need = start + n - len(reuse)
        if need > len(self._values):  # grow by half again: amortised O(1) per key
            size = len(self._values) + max(1024, len(self._values) // 2, need - len(self._values))
            # zeroed arrays, the old rows copied in: fresh zero pages cost no memory until rows fill them
            self._values = _grown(self._values, size)
            self._ints = _grown(self._ints, size)
            self._gone = _grown(self._gone, size)
        self._keys.extend([""] * (n - len(reuse)))
        return np.array(reuse + list(range(start, need)), dtype=np.int64)

    def put_many(
        self,
        keys: list[str],
        values: np.ndarray,
        tags: np.ndarray | None = None,
        sizes: np.ndarray | None = None,
    ) -> None:
        """:meth:`put` for many keys at once (what loading a bank does): their band keys computed in one
        pass and merged straight into the sorted arrays. Keys already there are replaced; a key
        repeated in ``keys`` keeps its last values.

        >>> idx = MinHashRows(threshold=0.3, num_perm=4)
        >>> v = np.array([[1, 2, 3, 4], [1, 2, 0, 0]], dtype=np.uint64)
        >>> idx.put_many(["a", "b"], v, tags=np.array([7, 8]))
        >>> [idx.key(r) for r in idx.query(v[0])], idx.tags(np.array([0, 1])).tolist()
        (['a', 'b'], [7, 8])
        """
        v = np.asarray(values, dtype=np.uint64).reshape(len(keys), -1)
        last = {k: i for i, k in enumerate(keys)}
        if len(last) < len(keys):
            pick = sorted(last.values())
            keys, v = [keys[i] for i in pick], v[pick]
            tags = None if tags is None else np.asarray(tags)[pick]
            sizes = None if sizes is None else np.asarray(sizes)[pick]
        if self._max is not None and len(v) and int(v.max()) > self._max:
            bad = keys[int(np.flatnonzero(v.max(axis=1) > self._max)[0])]
            raise ValueError(f"{bad}: a MinHash value does not fit in {self._values.dtype}")
        for k in keys:
            self.drop(k)
        rows = self._rows_for(len(keys))
        for k, r in zip(keys, rows.tolist(), strict=True):
            self._keys[r] = k
            self._row[k] = r
        self._values[rows] = v
        self._ints[rows, 0] = 0 if tags is None else tags
        self._ints[rows, 1] = 0 if sizes is None else sizes
        if len(keys):  # the new keys sorted in, and the rows dropped above purged
            self.merge(self.band_keys(v).ravel(), np.repeat(rows, self.bands).astype(np.int32))

    def put(self, key: str, values: np.ndarray, tag: int = 0, size: int = 0) -> None:
        """Index ``key`` with its values, a tag (the bank: its original recall) and a size (the bank: its
        shingle count); a key already there is replaced."""
        v = np.asarray(values, dtype=np.uint64)
        if self._max is not None and int(v.max(initial=0)) > self._max:
            raise ValueError(f"{key}: a MinHash value does not fit in {self._values.dtype}")
        self.drop(key)
        row = int(self._rows_for(1)[0])
        self._keys[row] = key
        self._row[key] = row
        self._values[row] = v
        self._ints[row, 0], self._ints[row, 1] = tag, size
        pending = self._pending
        for k in self._band_keys(v):
            if (bucket := pending.get(k)) is None:
                pending[k] = [row]
            else:
                bucket.append(row)
        self._pending_n += self.bands
        self._maybe_merge()

    def drop(self, key: str) -> None:
        """Forget ``key`` (nothing happens when it is not there); its row is reused after the next merge."""
        row = self._row.pop(key, None)
        if row is None:
            return
        for k in self._band_keys(self._values[row]):
            bucket = self._pending.get(k)
            if bucket is not None and row in bucket:
                bucket.remove(row)
                self._pending_n -= 1
                if not bucket:
                    del self._pending[k]
        self._dropped += 1
        self._gone[row] = True
        self._maybe_merge()

    def _maybe_merge(self) -> None:
        if self._pending_n + self._dropped >= max(MIN_PENDING, len(self._sorted_keys) // 32):
            self.merge()

    def merge(self, keys: np.ndarray | None = None, rows: np.ndarray | None = None) -> None:
        """Fold the waiting band keys (and ``keys`` of ``rows``, in any order) into the sorted arrays and
        purge dropped rows (done when enough wait). Only the new keys are sorted; they go in at their
        places in one pass (at 280,000 merged keys, 16,384 new ones: ~3.5 ms, sorting all ~15 ms)."""
        new_k, new_r = [], []
        if self._pending:
            counts = [len(b) for b in self._pending.values()]
            new_k.append(np.repeat(np.fromiter(self._pending.keys(), np.int64, len(counts)), counts))
            new_r.append(np.fromiter((r for b in self._pending.values() for r in b), np.int32, sum(counts)))
        if keys is not None and rows is not None:
            new_k.append(np.asarray(keys, dtype=np.int64))
            new_r.append(np.asarray(rows, dtype=np.int32))
        k, r = self._sorted_keys, self._sorted_rows
        dropped = np.flatnonzero(self._gone[: len(self._keys)])
        if len(dropped):
            keep = ~self._gone[r]
            k, r = k[keep], r[keep]
            self._gone[dropped] = False
        if new_k:
            nk, nr = np.concatenate(new_k), np.concatenate(new_r)
            order = np.argsort(nk, kind="stable")
            nk, nr = nk[order], nr[order]
            at = np.searchsorted(k, nk, "right")  # after equal keys: the order a stable sort of all gives
            k, r = np.insert(k, at, nk), np.insert(r, at, nr)
        self._sorted_keys, self._sorted_rows = k, r
        self._free.extend(dropped[::-1].tolist())
        self._pending, self._pending_n, self._dropped = {}, 0, 0

    def query(self, values: np.ndarray) -> np.ndarray:
        """The rows of every key sharing at least one band with ``values``, in row order."""
        qk = self._row_keys(values)
        sk, parts = self._sorted_keys, []
        if len(sk):  # one search for every band; the end of a bucket only for the bands found
            lo = np.searchsorted(sk, qk)
            hit = np.flatnonzero(sk[np.minimum(lo, len(sk) - 1)] == qk)
            if len(hit):
                hi = np.searchsorted(sk, qk[hit], "right").tolist()
                parts = [self._sorted_rows[a:b] for a, b in zip(lo[hit].tolist(), hi, strict=True)]
        if self._pending:
            pending = self._pending
            parts += [np.array(bucket, dtype=np.int32) for k in qk.tolist() if (bucket := pending.get(k))]
        if not parts:
            return np.zeros(0, dtype=np.int64)
        if sum(len(x) for x in parts) > DENSE_ANSWER:  # crowded buckets: mark rows instead of sorting
            seen = np.zeros(len(self._keys), dtype=bool)
            for x in parts:
                seen[x] = True
            return np.flatnonzero(seen & ~self._gone[: len(seen)])
        at = np.concatenate(parts) if len(parts) > 1 else parts[0]
        return np.unique(at[~self._gone[at]]).astype(np.int64)

    def jaccards(self, at: np.ndarray, values: np.ndarray) -> np.ndarray:
        """Estimated Jaccard similarity of ``values`` with the values of each row ``at``."""
        same = self._values[at] == np.asarray(values, dtype=np.uint64)
        return np.asarray(same.mean(axis=1), dtype=np.float64)

    def tags(self, at: np.ndarray) -> np.ndarray:
        return self._ints[at, 0]

    def sizes(self, at: np.ndarray) -> np.ndarray:
        return self._ints[at, 1]

    def key(self, row: int) -> str:
        return self._keys[row]

    def values_of(self, key: str) -> np.ndarray:
        """A copy of ``key``'s values (KeyError when it is not there).

        >>> idx = MinHashRows(threshold=0.3, num_perm=4)
        >>> idx.put("a", np.array([1, 2, 3, 4], dtype=np.uint64)); idx.values_of("a").tolist()
        [1, 2, 3, 4]
        """
        return self._values[self._row[key]].copy()

    def __len__(self) -> int:
        return len(self._row)
