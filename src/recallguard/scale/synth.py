"""A synthetic listing catalogue for benchmarks: millions of realistic listings in Parquet, fast.

Each chunk of rows is drawn with numpy (category, noun, brand, model-number shape, price, seller,
ship-to profile, site, language) and its strings are assembled with Arrow compute kernels, so no
Python loop runs per listing. A chunk is one Parquet row group; its random stream is seeded with
``(seed, chunk index)``, so the same seed and chunk size give the same catalogue byte for byte.

With recalled products (see ``recalled_products``), a small share of listings are offers of those
products written the way sellers write them (brand dropped, model number re-punctuated, lower case);
their ids and recall numbers go to ``_truth.csv`` beside the part files.

>>> import tempfile
>>> out = tempfile.mkdtemp()
>>> summary = write_catalogue(out, 1000, seed=1, chunk_rows=500)
>>> summary.listings, len(summary.files)
(1000, 1)
"""

from __future__ import annotations

import csv
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from recallguard.scale import vocab
from recallguard.scale.recalled import RecalledProduct

SCHEMA = pa.schema(
    [
        ("listing_id", pa.string()),
        ("title", pa.string()),
        ("description", pa.string()),
        ("brand", pa.string()),
        ("model", pa.string()),
        ("gtin", pa.string()),
        ("category", pa.string()),
        ("price", pa.float64()),
        ("currency", pa.string()),
        ("seller_id", pa.string()),
        ("site", pa.string()),
        ("ship_to", pa.list_(pa.string())),
        ("image_urls", pa.list_(pa.string())),
        ("language", pa.string()),
    ]
)


def _weights(w: Sequence[float] | np.ndarray) -> np.ndarray:
    a = np.asarray(w, dtype=np.float64)
    return a / a.sum()


def _arr(values: Sequence[str]) -> pa.Array:
    return pa.array(list(values), pa.string())


def _join(*parts: pa.Array | str) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


@dataclass
class Catalogue:
    """The fixed vocabularies of one generator (brands, sellers' ship-to profiles…), built once."""

    seed: int = 0
    n_brands: int = 5_000
    n_sellers: int = 200_000
    recalled: Sequence[RecalledProduct] = ()
    recalled_share: float = 0.001

    def __post_init__(self) -> None:
        cats = vocab.CATEGORIES
        self.cat_w = _weights([c.weight for c in cats])
        self.cat_names = _arr([c.name for c in cats])
        self.noun_counts = np.array([len(c.nouns) for c in cats])
        self.noun_offsets = np.concatenate([[0], np.cumsum(self.noun_counts)[:-1]])
        self.nouns = _arr([n for c in cats for n in c.nouns])
        self.price_mu = np.log([c.price_median for c in cats])
        self.b2b_share = np.array([c.b2b_share for c in cats])
        self.brands = _arr(vocab.make_brands(self.n_brands, self.seed))
        self.brand_w = _weights(1.0 / np.arange(1, self.n_brands + 1) ** 0.9)
        self.adjs, self.colors = _arr(vocab.ADJECTIVES), _arr(vocab.COLORS)
        self.packs, self.tags, self.features = _arr(vocab.PACKS), _arr(vocab.LEAD_TAGS), _arr(vocab.FEATURES)
        self.langs = _arr([lang for lang, _, _ in vocab.LANGUAGES])
        self.lang_w = _weights([w for _, w, _ in vocab.LANGUAGES])
        self.lang_phrases = [_arr(p) for _, _, p in vocab.LANGUAGES]
        self.currencies = _arr([c for c, _ in vocab.CURRENCIES])
        self.cur_w = _weights([w for _, w in vocab.CURRENCIES])
        letters = [chr(65 + i) for i in range(26)]
        self.prefixes = _arr(
            [a + b for a in letters for b in letters]
            + [a + b + c for a in letters[:8] for b in letters for c in letters[:6]]
        )
        self.model_seps, self.model_sufs = (
            _arr(["", "-", "-", " "]),
            _arr(["", "", "", "A", "B", "S", "-W", "PRO"]),
        )
        rng = np.random.default_rng([self.seed, 1])
        codes, cw = [c for c, _ in vocab.COUNTRIES], _weights([w for _, w in vocab.COUNTRIES])
        profiles: list[list[str]] = [["*"]] * 300 + [["US"]] * 100
        for _ in range(600):
            k = int(rng.integers(1, 6))
            profiles.append(list(rng.choice(codes, size=k, replace=False, p=cw)))
        self.ship_profiles = pa.array(profiles, pa.list_(pa.string()))
        if self.recalled:
            self.r_numbers = _arr([p.recall_number for p in self.recalled])
            self.r_brands = _arr([p.brand for p in self.recalled])
            self.r_names = _arr([p.name for p in self.recalled])
            self.r_models = _arr([p.models[0] if p.models else "" for p in self.recalled])
            self.r_loose = _arr(
                [p.models[0].replace("-", "").replace(" ", "") if p.models else "" for p in self.recalled]
            )

    def chunk(self, start: int, n: int, chunk_index: int) -> tuple[pa.Table, pa.Table | None]:
        """Rows ``start .. start+n-1`` as an Arrow table, and the truth rows for recalled listings."""
        rng = np.random.default_rng([self.seed, 1000 + chunk_index])
        idx = np.arange(start, start + n, dtype=np.int64)
        ids = _join("SYN", pc.utf8_lpad(pc.cast(pa.array(idx), pa.string()), 10, "0"))
        cat = rng.choice(len(self.cat_w), size=n, p=self.cat_w)
        noun_i = self.noun_offsets[cat] + (rng.random(n) * self.noun_counts[cat]).astype(np.int64)
        noun = self.nouns.take(noun_i)
        brand_i = rng.choice(len(self.brand_w), size=n, p=self.brand_w)
        unbranded = rng.random(n) < 0.08
        brand = pc.if_else(pa.array(unbranded), "", self.brands.take(brand_i))
        model = _join(
            self.prefixes.take(rng.integers(0, len(self.prefixes), n)),
            self.model_seps.take(rng.integers(0, len(self.model_seps), n)),
            pc.cast(pa.array(rng.integers(10, 99_999, n)), pa.string()),
            self.model_sufs.take(rng.integers(0, len(self.model_sufs), n)),
        )
        site_b2b = rng.random(n) < self.b2b_share[cat]
        lang_i = rng.choice(len(self.lang_w), size=n, p=self.lang_w)
        phrase = self._phrases(rng, lang_i)
        adj = self.adjs.take(rng.integers(0, len(self.adjs), n))
        color = self.colors.take(rng.integers(0, len(self.colors), n))
        brand_sp = pc.if_else(pa.array(unbranded), "", _join(brand, " "))
        model_in_title = pa.array(rng.random(n) < 0.6)
        model_part = pc.if_else(model_in_title, _join(" ", model), "")
        tags = self.tags.take(rng.integers(0, len(self.tags), n))
        packs = self.packs.take(rng.integers(0, len(self.packs), n))
        title_a = _join(tags, brand_sp, adj, " ", noun, model_part, color, packs, phrase)
        brand_tail = pc.if_else(pa.array(unbranded), "", _join(" ", brand))
        title_b = _join(tags, adj, " ", noun, " for Kids and Adults", color, brand_tail, model_part, phrase)
        title = pc.if_else(pa.array(rng.random(n) < 0.8), title_a, title_b)
        desc = _join(
            adj,
            " ",
            noun,
            pc.if_else(pa.array(unbranded), " from our factory", _join(" by ", brand)),
            ". ",
            self.features.take(rng.integers(0, len(self.features), n)),
            ". ",
            self.features.take(rng.integers(0, len(self.features), n)),
            ".",
            pc.if_else(pa.array(site_b2b), " MOQ 100 pieces, sample available.", ""),
        )
        price = np.round(
            np.exp(self.price_mu[cat] + 0.6 * rng.standard_normal(n)) * np.where(site_b2b, 0.4, 1), 2
        )
        model_field = pc.if_else(pa.array(rng.random(n) < 0.55), model, "")
        truth = None
        if self.recalled:
            rec = rng.random(n) < self.recalled_share
            if rec.any():
                title, brand, model_field, truth = self._recalled(
                    rng, rec, ids, title, brand, model_field, adj
                )
        seller = _join(
            "S",
            pc.utf8_lpad(
                pc.cast(pa.array((self.n_sellers * rng.random(n) ** 3).astype(np.int64)), pa.string()), 7, "0"
            ),
        )
        table = pa.Table.from_arrays(
            [
                ids,
                title,
                desc,
                brand,
                model_field,
                self._gtins(rng, n),
                self.cat_names.take(cat),
                pa.array(price),
                pc.if_else(
                    pa.array(site_b2b),
                    "USD",
                    self.currencies.take(rng.choice(len(self.cur_w), n, p=self.cur_w)),
                ),
                seller,
                pc.if_else(pa.array(site_b2b), "b2b", "b2c"),
                self.ship_profiles.take(rng.integers(0, len(self.ship_profiles), n)),
                self._images(rng, ids),
                self.langs.take(lang_i),
            ],
            schema=SCHEMA,
        )
        return table, truth

    def _phrases(self, rng: np.random.Generator, lang_i: np.ndarray) -> pa.Array:
        out = np.empty(len(lang_i), dtype=object)
        for li, phrases in enumerate(self.lang_phrases):
            rows = np.nonzero(lang_i == li)[0]
            out[rows] = phrases.take(rng.integers(0, len(phrases), len(rows))).to_numpy(zero_copy_only=False)
        return pa.array(out, pa.string())

    def _gtins(self, rng: np.random.Generator, n: int) -> pa.Array:
        """Valid EAN-13s (check digit computed) for about a quarter of the listings."""
        body = rng.integers(0, 10, size=(n, 12))
        body[:, 0] = np.where(rng.random(n) < 0.5, 6, 0)
        body[:, 1] = np.where(body[:, 0] == 6, 9, body[:, 1])
        check = (10 - (body * np.tile([1, 3], 6)).sum(axis=1) % 10) % 10
        num = (body * (10 ** np.arange(12, 0, -1))).sum(axis=1) + check
        text = pc.utf8_lpad(pc.cast(pa.array(num), pa.string()), 13, "0")
        return pc.if_else(pa.array(rng.random(n) < 0.25), text, "")

    def _images(self, rng: np.random.Generator, ids: pa.Array) -> pa.Array:
        counts = rng.integers(0, 4, len(ids))
        offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
        rows = np.repeat(np.arange(len(ids)), counts)
        k = np.arange(len(rows)) - offsets[rows]
        urls = _join(
            "https://img.synth.example/", ids.take(rows), "/", pc.cast(pa.array(k), pa.string()), ".jpg"
        )
        return pa.ListArray.from_arrays(pa.array(offsets), urls)

    def _recalled(
        self,
        rng: np.random.Generator,
        rec: np.ndarray,
        ids: pa.Array,
        title: pa.Array,
        brand: pa.Array,
        model: pa.Array,
        adj: pa.Array,
    ) -> tuple[pa.Array, pa.Array, pa.Array, pa.Table]:
        n = len(rec)
        p = rng.integers(0, len(self.r_numbers), n)
        rb, rn, rm, rl = (a.take(p) for a in (self.r_brands, self.r_names, self.r_models, self.r_loose))
        style = rng.integers(0, 4, n)
        variants = [
            _join(rb, " ", rn, " ", rm),
            _join(adj, " ", rn, " ", rl),
            pc.utf8_lower(_join(rb, " ", rn, " ", rm, " hot sale")),
            _join(rn, " compatible ", rb, " ", rm),
        ]
        t = variants[0]
        for s in (1, 2, 3):
            t = pc.if_else(pa.array(style == s), variants[s], t)
        mask = pa.array(rec)
        title = pc.if_else(mask, pc.utf8_trim_whitespace(pc.replace_substring(t, "  ", " ")), title)
        brand = pc.if_else(mask, pc.if_else(pa.array(style == 1), "", rb), brand)
        model = pc.if_else(mask, rm, model)
        rows = np.nonzero(rec)[0]
        truth = pa.table({"listing_id": ids.take(rows), "recall_number": self.r_numbers.take(p[rows])})
        return title, brand, model, truth


_DICT_COLUMNS = ["brand", "category", "currency", "site", "language", "seller_id"]


def _ahead(
    cat: Catalogue, n: int, chunk_rows: int, depth: int = 2
) -> Iterator[tuple[int, tuple[pa.Table, pa.Table | None]]]:
    """Chunks in order, the next ``depth`` drawn on threads while the caller writes (Arrow and numpy
    release the GIL, so drawing and Parquet encoding overlap); memory stays bounded to ``depth`` chunks."""
    starts = list(range(0, n, chunk_rows))
    with ThreadPoolExecutor(max_workers=depth) as pool:
        pending: deque[tuple[int, Future[tuple[pa.Table, pa.Table | None]]]] = deque()
        for ci, start in enumerate(starts):
            pending.append((start, pool.submit(cat.chunk, start, min(chunk_rows, n - start), ci)))
            if len(pending) > depth:
                s, fut = pending.popleft()
                yield s, fut.result()
        while pending:
            s, fut = pending.popleft()
            yield s, fut.result()


@dataclass
class SynthSummary:
    """What ``write_catalogue`` wrote."""

    listings: int
    files: list[Path] = field(default_factory=list)
    recalled: int = 0
    seconds: float = 0.0

    @property
    def per_second(self) -> float:
        return self.listings / self.seconds if self.seconds else 0.0


def write_catalogue(
    out_dir: str | Path,
    n: int,
    *,
    seed: int = 0,
    recalled: Sequence[RecalledProduct] = (),
    recalled_share: float = 0.001,
    chunk_rows: int = 131_072,
    rows_per_file: int = 1_048_576,
    compression: str = "snappy",
    progress: Callable[[int, int], None] | None = None,
) -> SynthSummary:
    """Write ``n`` listings as ``part-NNNNN.parquet`` files (one row group per chunk) under ``out_dir``.

    >>> import tempfile
    >>> write_catalogue(tempfile.mkdtemp(), 10, seed=2).listings
    10
    """
    t0 = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cat = Catalogue(seed=seed, recalled=recalled, recalled_share=recalled_share)
    per_file = max(chunk_rows, rows_per_file // chunk_rows * chunk_rows)
    summary = SynthSummary(listings=n)
    writer: pq.ParquetWriter | None = None
    truth_f = (out / "_truth.csv").open("w", newline="") if recalled else None
    truth_w = csv.writer(truth_f) if truth_f else None
    if truth_w:
        truth_w.writerow(["listing_id", "recall_number"])
    try:
        for start, (table, truth) in _ahead(cat, n, chunk_rows):
            if start % per_file == 0:
                if writer:
                    writer.close()
                path = out / f"part-{start // per_file:05d}.parquet"
                writer = pq.ParquetWriter(path, SCHEMA, compression=compression, use_dictionary=_DICT_COLUMNS)
                summary.files.append(path)
            assert writer is not None
            writer.write_table(table, row_group_size=len(table))
            if truth is not None and truth_w:
                truth_w.writerows(zip(*(c.to_pylist() for c in truth.columns), strict=True))
                summary.recalled += len(truth)
            if progress:
                progress(start + len(table), n)
    finally:
        if writer:
            writer.close()
        if truth_f:
            truth_f.close()
    summary.seconds = time.perf_counter() - t0
    return summary
