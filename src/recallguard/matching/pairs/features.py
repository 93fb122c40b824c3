"""Pair features a reviewer would look at, computed from two prepared records.

A :class:`Featurizer` is fitted once on the records of the tables (word and character n-gram IDF),
prepares each record once, then turns a pair into a fixed-order vector of floats (NaN = unknown).

>>> from recallguard.matching.pairs.records import ProductRecord
>>> a = ProductRecord("a", "Gudook space heater KY-055", brand="gudook")
>>> b = ProductRecord("b", "Gudook space heater KY-056", brand="Gudook")
>>> f = Featurizer.fit([a, b])
>>> v = dict(zip(f.feature_names, f.pair_features(f.prepare(a), f.prepare(b))))
>>> v["code_conflict"], v["brand_sim"]
(1.0, 1.0)
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from recallguard.matching.pairs.prepare import PreparedRecord, analyze, char_ngrams, tfidf_vector
from recallguard.matching.pairs.records import ProductRecord

NAN = float("nan")
BASE_FEATURES = """title_ratio title_token_set title_token_sort title_partial title_jaccard title_word_cos
    title_char_cos text_word_cos idf_shared idf_only_max idf_only_min rare_shared_max len_ratio
    desc_cos desc_missing title_desc_cos brand_sim brand_missing brand_in_other first_word_equal
    code_match code_match_len code_conflict code_best_sim code_variant code_count_min
    code_unmatched_max model_field_match model_field_conflict brand_code_conflict gtin_equal
    gtin_conflict head_equal head_in_other accessory_xor accessory_both for_other_brand unit_agree
    unit_conflict number_jaccard pack_conflict price_ratio category_sim core_token_set
    core_contain_min core_contain_max core_first_equal number_conflict""".split()
SEMANTIC_FEATURES = ["semantic_cos", "semantic_title_cos"]


class Featurizer:
    """Corpus statistics plus the feature function; picklable state is ``to_dict``/``from_dict``."""

    def __init__(
        self, word_idf: dict[str, float], char_idf: dict[str, float], n_docs: int, semantic: Any = None
    ) -> None:
        self.word_idf = word_idf
        self.char_idf = char_idf
        self.n_docs = n_docs
        self.default_idf = math.log((n_docs + 1) / 1) + 1.0
        self.semantic = semantic  # an object with .encode(list[str]) -> np.ndarray (rows L2-normalised)
        self.feature_names = BASE_FEATURES + (SEMANTIC_FEATURES if semantic is not None else [])

    @classmethod
    def fit(cls, records: Iterable[ProductRecord], semantic: Any = None) -> Featurizer:
        """Fit word and character-trigram IDF on ``records`` (both tables of a task).

        >>> Featurizer.fit([ProductRecord("1", "red bike")]).n_docs
        1
        """
        word_df: dict[str, int] = {}
        char_df: dict[str, int] = {}
        n = 0
        for rec in records:
            p = analyze(rec)
            n += 1
            for w in set(p.words) | set(p.description.split()[:200]):
                word_df[w] = word_df.get(w, 0) + 1
            for g in set(char_ngrams(p.title)):
                char_df[g] = char_df.get(g, 0) + 1
        word_idf = {w: math.log((n + 1) / (c + 1)) + 1.0 for w, c in word_df.items() if c >= 1}
        char_idf = {g: math.log((n + 1) / (c + 1)) + 1.0 for g, c in char_df.items() if c >= 2}
        return cls(word_idf, char_idf, n, semantic)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able state (the semantic model is referenced by name in the model metadata)."""
        return {"word_idf": self.word_idf, "char_idf": self.char_idf, "n_docs": self.n_docs}

    @classmethod
    def from_dict(cls, data: dict[str, Any], semantic: Any = None) -> Featurizer:
        """Inverse of :meth:`to_dict`."""
        return cls(data["word_idf"], data["char_idf"], int(data["n_docs"]), semantic)

    def fingerprint(self) -> str:
        """A short hash of the fitted state, part of the model's version hash."""
        blob = json.dumps([sorted(self.word_idf.items())[:2000], self.n_docs, self.feature_names])
        return hashlib.sha256(blob.encode()).hexdigest()[:12]

    def idf(self, word: str) -> float:
        return self.word_idf.get(word, self.default_idf)

    def prepare(self, record: ProductRecord) -> PreparedRecord:
        """Analyse one record and attach its TF-IDF vectors (and embedding when semantic is on)."""
        p = analyze(record)
        text_words = [*p.words, *p.brand.split(), *p.description.split()[:60]]
        p.vectors["title_word"] = tfidf_vector(p.words, self.word_idf, self.default_idf)
        p.vectors["title_char"] = tfidf_vector(char_ngrams(p.title), self.char_idf, self.default_idf)
        p.vectors["text_word"] = tfidf_vector(text_words, self.word_idf, self.default_idf)
        p.vectors["desc"] = tfidf_vector(p.description.split()[:200], self.word_idf, self.default_idf)
        return p

    def prepare_many(self, records: Sequence[ProductRecord]) -> list[PreparedRecord]:
        """Prepare records in bulk (embeddings computed in one batch when semantic is on)."""
        prepared = [self.prepare(r) for r in records]
        if self.semantic is not None and prepared:
            full = self.semantic.encode([f"{p.brand} {p.title} {p.description[:200]}" for p in prepared])
            titles = self.semantic.encode([p.title for p in prepared])
            for p, e, t in zip(prepared, full, titles, strict=True):
                p.embedding = (e, t)
        return prepared

    def pair_features(self, a: PreparedRecord, b: PreparedRecord) -> list[float]:
        """The feature vector of one pair, in ``feature_names`` order."""
        out = _text_features(self, a, b)
        out += _brand_features(a, b)
        code = _code_features(a, b)
        out += code
        brand_agrees = out[BASE_FEATURES.index("brand_sim")] >= 0.85
        out.append(1.0 if brand_agrees and code[2] == 1.0 else 0.0)  # brand_code_conflict
        out += _other_features(a, b)
        out += _core_features(self, a, b)
        if self.semantic is not None:
            if a.embedding is None:
                a = self.prepare_many([a.record])[0]
            if b.embedding is None:
                b = self.prepare_many([b.record])[0]
            assert a.embedding is not None and b.embedding is not None
            ea, ta = a.embedding
            eb, tb = b.embedding
            out += [float(np.dot(ea, eb)), float(np.dot(ta, tb))]
        return out

    def matrix(self, left: Sequence[PreparedRecord], right: Sequence[PreparedRecord]) -> np.ndarray:
        """Feature matrix of the pairs (left[i], right[i]).

        >>> f = Featurizer.fit([ProductRecord("1", "red bike")])
        >>> a, b = f.prepare(ProductRecord("1", "red bike")), f.prepare(ProductRecord("2", "bike"))
        >>> f.matrix([a], [b]).shape
        (1, 48)
        """
        rows = [self.pair_features(a, b) for a, b in zip(left, right, strict=True)]
        return np.asarray(rows, dtype=np.float64).reshape(len(rows), len(self.feature_names))


def cosine(u: dict[str, float], v: dict[str, float]) -> float:
    """Dot product of two L2-normalised sparse vectors."""
    if len(u) > len(v):
        u, v = v, u
    return sum(w * v.get(t, 0.0) for t, w in u.items())


def _text_features(f: Featurizer, a: PreparedRecord, b: PreparedRecord) -> list[float]:
    sa, sb = a.word_set, b.word_set
    shared, union = sa & sb, sa | sb
    idf_shared = math.fsum(f.idf(w) for w in shared)
    idf_union = math.fsum(f.idf(w) for w in union) or 1.0
    only_a = math.fsum(f.idf(w) for w in sa - sb) / (math.fsum(f.idf(w) for w in sa) or 1.0)
    only_b = math.fsum(f.idf(w) for w in sb - sa) / (math.fsum(f.idf(w) for w in sb) or 1.0)
    has_da, has_db = bool(a.description), bool(b.description)
    desc_cos = cosine(a.vectors["desc"], b.vectors["desc"]) if has_da and has_db else NAN
    td = [
        cosine(a.vectors["title_word"], b.vectors["desc"]) if has_db else NAN,
        cosine(b.vectors["title_word"], a.vectors["desc"]) if has_da else NAN,
    ]
    td_known = [x for x in td if not math.isnan(x)]
    return [
        fuzz.ratio(a.title, b.title) / 100.0,
        fuzz.token_set_ratio(a.title, b.title) / 100.0,
        fuzz.token_sort_ratio(a.title, b.title) / 100.0,
        fuzz.partial_ratio(a.title, b.title) / 100.0,
        len(shared) / (len(union) or 1),
        cosine(a.vectors["title_word"], b.vectors["title_word"]),
        cosine(a.vectors["title_char"], b.vectors["title_char"]),
        cosine(a.vectors["text_word"], b.vectors["text_word"]),
        idf_shared / idf_union,
        max(only_a, only_b),
        min(only_a, only_b),
        max((f.idf(w) for w in shared), default=0.0),
        min(len(sa), len(sb)) / (max(len(sa), len(sb)) or 1),
        desc_cos,
        float((not has_da) + (not has_db)),
        max(td_known) if td_known else NAN,
    ]


def _brand_features(a: PreparedRecord, b: PreparedRecord) -> list[float]:
    names_a = a.brand_names or []
    names_b = b.brand_names or []
    if names_a and names_b:
        sim = max(fuzz.ratio(x, y) for x in names_a for y in names_b) / 100.0
        compact_a, compact_b = {x.replace(" ", "") for x in names_a}, {x.replace(" ", "") for x in names_b}
        if compact_a & compact_b or any(
            x.startswith(y) or y.startswith(x)
            for x in compact_a
            for y in compact_b
            if min(len(x), len(y)) >= 3
        ):
            sim = max(sim, 0.95)
    else:
        sim = NAN
    in_other = NAN
    if names_a or names_b:
        hits = [n for n in names_a if _phrase_in(n, b)] + [n for n in names_b if _phrase_in(n, a)]
        in_other = 1.0 if hits else 0.0
    return [
        sim,
        float((not names_a) + (not names_b)),
        in_other,
        float(bool(a.first_word) and a.first_word == b.first_word),
    ]


def _phrase_in(phrase: str, p: PreparedRecord) -> bool:
    return f" {phrase} " in f" {' '.join(p.words)} " or phrase.replace(" ", "").upper() in p.canon_text


def code_found(code: str, p: PreparedRecord) -> bool:
    """True when a canonical code is one of ``p``'s codes or (4+ chars) written inside its text.

    >>> code_found("KY055", analyze(ProductRecord("x", "heater ky 055 b")))
    True
    """
    return code in p.codes or (len(code) >= 4 and code in p.canon_text)


def _code_features(a: PreparedRecord, b: PreparedRecord) -> list[float]:
    ca, cb = a.codes, b.codes
    if not ca or not cb:
        unknown = [NAN] * 5
        return [*unknown[:2], 0.0, NAN, 0.0, float(min(len(ca), len(cb))), NAN, NAN, 0.0]
    found_a = [c for c in ca if code_found(c, b)]
    found_b = [c for c in cb if code_found(c, a)]
    matched = found_a + found_b
    best = max(Levenshtein.normalized_similarity(x, y) for x in ca for y in cb)
    variant = any(
        x != y
        and min(len(x), len(y)) >= 3
        and (x.startswith(y) or y.startswith(x) or Levenshtein.distance(x, y) == 1)
        for x in ca
        for y in cb
    )
    unmatched = max(1 - len(found_a) / len(ca), 1 - len(found_b) / len(cb))
    ma, mb = a.model_codes, b.model_codes
    field_match = NAN
    field_conflict = 0.0
    if ma or mb:
        field_match = float(any(code_found(c, b) for c in ma) or any(code_found(c, a) for c in mb))
        if ma and mb and not field_match:
            field_conflict = 1.0
    return [
        float(bool(matched)),
        float(max((len(c) for c in matched), default=0)),
        0.0 if matched else 1.0,
        best,
        float(variant and not matched),
        float(min(len(ca), len(cb))),
        unmatched,
        field_match,
        field_conflict,
    ]


def _core_features(f: Featurizer, a: PreparedRecord, b: PreparedRecord) -> list[float]:
    """Titles without either side's brand words: the product's own name, compared."""
    brand_words = set(a.brand.split()) | set(b.brand.split())
    for p in (a, b):
        if not p.brand and p.first_word:
            brand_words.add(p.first_word)  # the first word of a brandless title is usually its brand
    core_a = [w for w in a.words if w not in brand_words]
    core_b = [w for w in b.words if w not in brand_words]
    if not core_a or not core_b:
        return [NAN, NAN, NAN, NAN, NAN]
    sa, sb = set(core_a), set(core_b)

    def contained(x: set[str], y: set[str]) -> float:
        total = math.fsum(f.idf(w) for w in x) or 1.0
        return math.fsum(f.idf(w) for w in x & y) / total

    ca, cb = contained(sa, sb), contained(sb, sa)
    na = {w.lstrip("v") for w in a.words if w.lstrip("v").isdigit()}
    nb = {w.lstrip("v") for w in b.words if w.lstrip("v").isdigit()}
    return [
        fuzz.token_set_ratio(" ".join(core_a), " ".join(core_b)) / 100.0,
        min(ca, cb),
        max(ca, cb),
        float(core_a[0] == core_b[0]),
        float(not na & nb) if na and nb else NAN,
    ]


def _other_features(a: PreparedRecord, b: PreparedRecord) -> list[float]:
    gtin_equal = float(bool(a.gtins & b.gtins)) if a.gtins and b.gtins else NAN
    gtin_conflict = float(not a.gtins & b.gtins) if a.gtins and b.gtins else 0.0
    if a.head and b.head:
        head_equal = float(a.head == b.head)
        head_in = float(
            a.head in b.word_set
            or b.head in a.word_set
            or a.head + "s" in b.word_set
            or b.head + "s" in a.word_set
        )
    else:
        head_equal = head_in = NAN
    brand_first_a = a.brand.split()[0] if a.brand else b.first_word
    brand_first_b = b.brand.split()[0] if b.brand else a.first_word
    for_other = float(
        (brand_first_b in a.for_words and not a.brand.startswith(brand_first_b))
        or (brand_first_a in b.for_words and not b.brand.startswith(brand_first_a))
    )
    shared_units = set(a.units) & set(b.units)
    agree = sum(1 for u in shared_units if a.units[u] & b.units[u])
    conflict = sum(1 for u in shared_units if not a.units[u] & b.units[u] and u != "pack")
    pack_conflict = float("pack" in shared_units and not a.units["pack"] & b.units["pack"])
    na, nb = a.numbers, b.numbers
    number_jaccard = len(na & nb) / len(na | nb) if na and nb else NAN
    pa, pb = a.record.price, b.record.price
    price_ratio = min(pa, pb) / max(pa, pb) if pa and pb else NAN
    ka, kb = a.record.category.lower(), b.record.category.lower()
    category_sim = fuzz.token_set_ratio(ka, kb) / 100.0 if ka and kb else NAN
    return [
        gtin_equal,
        gtin_conflict,
        head_equal,
        head_in,
        float(a.accessory != b.accessory),
        float(a.accessory and b.accessory),
        for_other,
        float(agree),
        float(conflict),
        number_jaccard,
        pack_conflict,
        price_ratio,
        category_sim,
    ]
