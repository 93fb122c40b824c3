"""Per-pair explanations: the features that decided a score, in words a reviewer reads.

Contributions are LightGBM's exact tree SHAP values (``pred_contrib``) in margin space; each becomes a
sentence built from the two records' own evidence ("model numbers conflict: KY-055 vs KY-056").

>>> from recallguard.matching.pairs.records import ProductRecord
>>> from recallguard.matching.pairs.prepare import analyze
>>> describe("code_conflict", 1.0, analyze(ProductRecord("a", "Gudook KY-055 heater")),
...          analyze(ProductRecord("b", "Gudook KY-056 heater")))
'model numbers conflict: KY-055 vs KY-056'
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from unidecode import unidecode

from recallguard.domain.identifiers import canonical_model
from recallguard.matching.pairs.features import code_found
from recallguard.matching.pairs.model import PairScorer
from recallguard.matching.pairs.prepare import _RAW_TOKEN, PreparedRecord
from recallguard.matching.pairs.records import ProductRecord


@dataclass
class Reason:
    """One feature's part in a score: positive ``contribution`` pushed toward a match."""

    feature: str
    value: float
    contribution: float
    text: str

    def __str__(self) -> str:
        sign = "+" if self.contribution >= 0 else "-"
        return f"{self.text} ({sign}{abs(self.contribution):.2f})"


@dataclass
class Explanation:
    """A calibrated probability with the reasons behind it, strongest first."""

    probability: float
    reasons: list[Reason]

    def summary(self, top: int = 4) -> str:
        """One line for an evidence column: '0.03: model numbers conflict: KY-055 vs KY-056 (-3.10); ...'."""
        return f"{self.probability:.2f}: " + "; ".join(str(r) for r in self.reasons[:top])


def explain(
    scorer: PairScorer, a: ProductRecord | PreparedRecord, b: ProductRecord | PreparedRecord, top: int = 6
) -> Explanation:
    """Score one pair and name the ``top`` features that moved it most.

    >>> from recallguard.matching.pairs.model import PairScorer
    >>> isinstance(explain.__doc__, str)
    True
    """
    f = scorer.featurizer
    pa = a if isinstance(a, PreparedRecord) else f.prepare_many([a])[0]
    pb = b if isinstance(b, PreparedRecord) else f.prepare_many([b])[0]
    X = np.asarray([f.pair_features(pa, pb)], dtype=np.float64)
    contrib = np.asarray(scorer.booster.predict(X, pred_contrib=True))[0]
    prob = float(scorer.predict_proba(X)[0])
    merged: dict[str, Reason] = {}  # features telling the same story are merged into one reason
    for i, name in enumerate(f.feature_names):
        value = float(X[0, i])
        text = describe(name, value, pa, pb)
        if text in merged:
            merged[text].contribution += float(contrib[i])
        else:
            merged[text] = Reason(name, value, float(contrib[i]), text)
    reasons = sorted(
        (r for r in merged.values() if abs(r.contribution) >= 1e-3), key=lambda r: -abs(r.contribution)
    )
    return Explanation(prob, reasons[:top])


def _raw_codes(p: PreparedRecord) -> dict[str, str]:
    out = {canonical_model(m): m for m in p.record.model_numbers}
    for tok in _RAW_TOKEN.findall(unidecode(p.record.title)):
        out.setdefault(canonical_model(tok), tok)
    return out


def _codes(p: PreparedRecord, which: list[str]) -> str:
    raw = _raw_codes(p)
    return ", ".join(raw.get(c, c) for c in sorted(which)[:3]) or "none"


def describe(name: str, value: float, a: PreparedRecord, b: PreparedRecord) -> str:
    """The sentence for one feature of the pair (a, b)."""
    unknown = isinstance(value, float) and math.isnan(value)
    if name in ("code_conflict", "brand_code_conflict", "model_field_conflict"):
        if value >= 0.5:
            return f"model numbers conflict: {_codes(a, list(a.codes))} vs {_codes(b, list(b.codes))}"
        return "no model-number conflict" if not unknown else "model numbers unknown on one side"
    if name in (
        "code_match",
        "code_match_len",
        "model_field_match",
        "code_unmatched_max",
        "code_best_sim",
        "code_variant",
        "code_count_min",
    ):
        shared = [c for c in a.codes if code_found(c, b)]
        if shared:
            return f"model number agrees: {_codes(a, shared)}"
        if not a.codes or not b.codes:
            return "model number only on one side" if a.codes or b.codes else "no model numbers"
        return f"model numbers differ: {_codes(a, list(a.codes))} vs {_codes(b, list(b.codes))}"
    if name in ("gtin_equal", "gtin_conflict"):
        if a.gtins & b.gtins:
            return f"GTIN agrees: {sorted(a.gtins & b.gtins)[0]}"
        return "GTINs differ" if a.gtins and b.gtins else "GTIN only on one side or none"
    if name in ("brand_sim", "brand_in_other", "brand_missing", "first_word_equal"):
        if a.brand and b.brand:
            agree = name != "brand_sim" or value >= 0.85
            return f"brand agrees: {a.brand}" if agree else f"brands differ: {a.brand} vs {b.brand}"
        known = a.brand or b.brand
        if known:
            return f"brand {known} {'named' if value >= 0.5 else 'not named'} by the other side"
        verb = "agree" if a.first_word == b.first_word else "differ"
        return f"first words {verb}: {a.first_word} / {b.first_word}"
    if name in ("accessory_xor", "accessory_both", "for_other_brand"):
        side = a if a.accessory else b
        if name == "for_other_brand" and value >= 0.5:
            return f"accessory for the other product: '{side.title[:60]}'"
        if a.accessory != b.accessory:
            return f"accessory cue on one side only: '{side.title[:60]}'"
        return "both accessories" if a.accessory else "no accessory cue"
    if name in ("head_equal", "head_in_other"):
        if a.head and b.head:
            return (
                f"product type agrees: {a.head}"
                if value >= 0.5
                else f"product types differ: {a.head} vs {b.head}"
            )
        return "product type unknown"
    if name in ("unit_agree", "unit_conflict", "pack_conflict", "number_jaccard"):
        units_shared = sorted(set(a.units) & set(b.units))
        pretty = "; ".join(f"{_fmt(a.units[u])} vs {_fmt(b.units[u])} {u}" for u in units_shared[:3])
        verb = "conflict" if "conflict" in name and value else "compared"
        return f"sizes/quantities {verb}: {pretty or 'none shared'}"
    if name == "price_ratio":
        return (
            "price missing"
            if unknown
            else f"prices {a.record.price:g} vs {b.record.price:g} (ratio {value:.2f})"
        )
    if name.startswith("semantic"):
        return f"semantic similarity {value:.2f}"
    if name.startswith("desc") or name == "title_desc_cos":
        return "description missing" if unknown else f"description similarity {value:.2f}"
    if unknown:
        return f"{name} unknown"
    if name in ("idf_only_max", "idf_only_min", "title_jaccard", "idf_shared"):
        only_a: list[str] = sorted(a.word_set - b.word_set, key=lambda w: (-len(w), w))[:3]
        only_b: list[str] = sorted(b.word_set - a.word_set, key=lambda w: (-len(w), w))[:3]
        if not only_a and not only_b:
            return "same words in both titles"
        return f"words on one side only: {' '.join(only_a) or '-'} vs {' '.join(only_b) or '-'}"
    if name == "rare_shared_max":
        words_shared = a.word_set & b.word_set
        return f"rare word shared: {max(words_shared, key=len) if words_shared else 'none'} (idf {value:.1f})"
    return f"title similarity ({name.replace('title_', '').replace('_', ' ')}) {value:.2f}"


def _fmt(values: set[float]) -> str:
    return "/".join(f"{v:g}" for v in sorted(values))
