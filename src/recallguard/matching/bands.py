"""A MinHash LSH index that keeps each key's values as a matrix row, for the fingerprint bank.

datasketch's ``MinHashLSH`` picks the bands and rows for a similarity threshold; this index keeps the
band tables itself, holding row numbers, and the values in one matrix, so that a query takes the union
of whole buckets at once and compares its values with every candidate's in one gather. A product
removed thousands of times (one seller's copies with SKU suffixes) fills the same buckets: datasketch
adds their keys one by one and a MinHash object is built per candidate (~90 ms a screening for 5,000
copies); here it is a few set unions and one numpy comparison.

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
from datasketch import MinHashLSH


class MinHashRows:
    """Keys by the bands of their MinHash values (LSH), with the values, a tag and a size per key."""

    def __init__(self, threshold: float, num_perm: int, capacity: int = 1024) -> None:
        probe = MinHashLSH(threshold=threshold, num_perm=num_perm)  # the band layout for the threshold
        self.bands, self.rows = probe.b, probe.r
        self._tables: list[dict[bytes, set[int]]] = [{} for _ in range(self.bands)]
        self._values = np.zeros((capacity, num_perm), dtype=np.uint64)
        self._ints = np.zeros((capacity, 2), dtype=np.int64)  # tag, size
        self._row: dict[str, int] = {}
        self._keys: list[str] = []
        self._free: list[int] = []

    def _cut(self, values: np.ndarray) -> list[bytes]:
        r, v = self.rows, np.asarray(values, dtype=np.uint64)  # one byte layout whatever the hash width
        return [v[i * r : (i + 1) * r].tobytes() for i in range(self.bands)]

    def put(self, key: str, values: np.ndarray, tag: int = 0, size: int = 0) -> None:
        """Index ``key`` with its values, a tag (the bank: its original recall) and a size (the bank: its
        shingle count); a key already there is replaced."""
        self.drop(key)
        row = self._free.pop() if self._free else len(self._keys)
        if row == len(self._keys):
            self._keys.append(key)
        self._keys[row] = key
        if row >= len(self._values):  # grow by half again: amortised O(1) per key
            more = max(1024, len(self._values) // 2)
            self._values = np.vstack([self._values, np.zeros((more, self._values.shape[1]), np.uint64)])
            self._ints = np.vstack([self._ints, np.zeros((more, 2), np.int64)])
        self._row[key] = row
        self._values[row], self._ints[row] = values, (tag, size)
        for table, band in zip(self._tables, self._cut(values), strict=True):
            table.setdefault(band, set()).add(row)

    def drop(self, key: str) -> None:
        """Forget ``key`` (nothing happens when it is not there); its row is reused."""
        row = self._row.pop(key, None)
        if row is None:
            return
        for table, band in zip(self._tables, self._cut(self._values[row]), strict=True):
            bucket = table.get(band)
            if bucket is not None:
                bucket.discard(row)
                if not bucket:
                    del table[band]
        self._free.append(row)

    def query(self, values: np.ndarray) -> np.ndarray:
        """The rows of every key sharing at least one band with ``values``, in row order."""
        out: set[int] = set()
        for table, band in zip(self._tables, self._cut(values), strict=True):
            if (bucket := table.get(band)) is not None:
                out |= bucket
        return np.array(sorted(out), dtype=np.int64)

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

    def __len__(self) -> int:
        return len(self._row)
