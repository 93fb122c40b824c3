"""Per-record analysis done once, before any pair is compared: normalised text, tokens, model-number
codes, GTINs, numbers with units, product-type head noun, accessory cues, TF-IDF vectors.

>>> p = analyze(ProductRecord("1", "Replacement strap for Gudook KY-055 watch, 2 pack"))
>>> sorted(p.codes), p.accessory, p.head, p.units
(['KY055'], True, 'strap', {'pack': {2.0}})
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from unidecode import unidecode

from recallguard.domain.identifiers import canonical_model, gtin_candidates
from recallguard.matching.pairs.records import ProductRecord

_WORD = re.compile(r"[a-z0-9]+")
_RAW_TOKEN = re.compile(r"[A-Za-z0-9]+(?:[\-./][A-Za-z0-9]+)*")
_UNIT_WORDS = (
    r"gb|tb|mb|ghz|mhz|hz|mm|cm|inches|inch|in|ft|feet|oz|lbs|lb|kg|g|mah|watts|watt|w|volts|volt|v|ml|l|"
    r"megapixels|megapixel|mp|pk|pack|pcs|pc|pieces|piece|count|ct|rpm|qt|gal|x"
)
_UNIT = re.compile(r"(?<![a-z0-9.])(\d+(?:\.\d+)?)\s?-?\s?(" + _UNIT_WORDS + r"|\")(?![a-z0-9])")
_UNIT_CANON = {
    "inches": "in",
    "inch": "in",
    '"': "in",
    "feet": "ft",
    "lbs": "lb",
    "watts": "w",
    "watt": "w",
    "volts": "v",
    "volt": "v",
    "megapixels": "mp",
    "megapixel": "mp",
    "pk": "pack",
    "pcs": "pack",
    "pc": "pack",
    "pieces": "pack",
    "piece": "pack",
    "count": "pack",
    "ct": "pack",
}
_UNIT_CODE = re.compile(r"\d+(?:\.\d+)?(?:" + _UNIT_WORDS.upper().replace('"', "") + r"|P|K|S|D|TH|ND|RD|ST)")
_ACCESSORY = re.compile(
    r"\b(replacement|compatible|fits|for use with|spare|refill|accessor(?:y|ies)|protector|skin|"
    r"(?:case|cover|strap|band|charger|adapter|adaptor|mount|holder|bag|sleeve|cable|battery|batteries|"
    r"filter|lens cap|stand|dock|remote|parts?|kit|decal|sticker|manual|sheet)s? for)\b"
)
_FOR_WHAT = re.compile(
    r"\b(?:for(?: use with)?|compatible with|fits|works with)\s+(?:the |your |a |an )?([a-z0-9]+)"
)
_HEAD_CUT = re.compile(r"\s(?:for|with|compatible|fits|by|in|-|–|\()\s|[,(/|]")
_NOT_HEAD = set(
    [
        "black",
        "white",
        "silver",
        "blue",
        "red",
        "green",
        "pink",
        "gray",
        "grey",
        "brown",
        "gold",
        "yellow",
        "purple",
        "orange",
        "clear",
        "new",
        "pack",
        "set",
        "edition",
        "version",
        "kit",
        "series",
        "model",
        "inch",
        "size",
        "large",
        "small",
        "medium",
        "mini",
        "pro",
        "plus",
        "ultra",
        "max",
        "the",
        "and",
        "of",
        "pcs",
        "piece",
        "pieces",
        "count",
        "color",
        "colour",
        "women",
        "men",
        "kids",
        "baby",
        "adult",
        "refurbished",
        "original",
        "genuine",
        "oem",
        "premium",
        "deluxe",
        "digital",
        "portable",
        "wireless",
    ]
)
_STOP = {"the", "and", "for", "with", "of", "a", "an", "in", "to", "by", "on", "new", "&"}


@dataclass
class PreparedRecord:
    """What the pair features need from one record, computed once."""

    record: ProductRecord
    title: str  # lower-case ASCII
    words: list[str]
    word_set: frozenset[str]
    canon_text: str  # title + model + brand, letters and digits only, upper case
    codes: set[str]
    model_codes: set[str]  # from the explicit model field / model_numbers only
    gtins: set[str]
    units: dict[str, set[float]]
    numbers: set[str]
    head: str
    accessory: bool
    for_words: set[str]
    brand: str
    brand_names: list[str]
    first_word: str
    description: str
    vectors: dict[str, dict[str, float]] = field(default_factory=dict)
    embedding: tuple[Any, Any] | None = None  # (full-text, title) unit vectors when semantic is on


def norm_text(text: str) -> str:
    """Lower-case ASCII with quotes unified: 'Café 12”' -> 'cafe 12"'.

    >>> norm_text("Café 12”")
    'cafe 12"'
    """
    return unidecode(text or "").lower().replace("''", '"')


def extract_codes(raw: str) -> set[str]:
    """Model-number-like tokens of a text, canonical: letters mixed with digits, or 5+ digit runs.

    >>> sorted(extract_codes("Sony DSC-W170 10.1 MP camera, 4GB, 2699B001 and 880306"))
    ['2699B001', '880306', 'DSCW170']
    """
    out: set[str] = set()
    for tok in _RAW_TOKEN.findall(raw or ""):
        c = canonical_model(tok)
        if not 3 <= len(c) <= 20:
            continue
        has_digit = any(ch.isdigit() for ch in c)
        has_alpha = any(ch.isalpha() for ch in c)
        if not has_digit:
            continue
        if has_alpha:
            if _UNIT_CODE.fullmatch(c) or re.fullmatch(r"[A-Z]\d", c):
                continue
            if sum(ch.isdigit() for ch in c) == 1 and len(c) > 6:  # words such as "PS3GAMES" are not codes
                continue
            out.add(c)
        elif len(c) >= 5 and not re.fullmatch(r"(19|20)\d\d", c) and "." not in tok:
            out.add(c)
    return out


def extract_units(text: str) -> dict[str, set[float]]:
    """Numbers with units, canonical unit names: '2 x 16GB, 15.6"' -> gb {16}, in {15.6}, x {2}.

    >>> extract_units('2 pack 16gb 15.6" 500 ml')
    {'pack': {2.0}, 'gb': {16.0}, 'in': {15.6}, 'ml': {500.0}}
    """
    out: dict[str, set[float]] = {}
    for value, unit in _UNIT.findall(text):
        out.setdefault(_UNIT_CANON.get(unit, unit), set()).add(float(value))
    return out


def head_noun(title: str) -> str:
    """The product-type word of a title: the last plain word before 'for/with/,' etc.

    >>> head_noun("gudook kids bike helmet with lights, blue"), head_noun("case for iphone 12")
    ('helmet', 'case')
    """
    part = _HEAD_CUT.split(" " + title + " ", maxsplit=1)[0]
    for word in reversed(_WORD.findall(part)):
        if len(word) >= 3 and word.isalpha() and word not in _NOT_HEAD:
            return word[:-1] if word.endswith("s") and not word.endswith("ss") else word
    return ""


def analyze(record: ProductRecord) -> PreparedRecord:
    """Everything the pair features need from ``record`` (no corpus statistics)."""
    title = norm_text(record.title)
    words = [w for w in _WORD.findall(title) if w not in _STOP]
    brand = " ".join(_WORD.findall(norm_text(record.brand)))
    brand_names = [
        b for b in [brand, *(" ".join(_WORD.findall(norm_text(a))) for a in record.brand_aliases)] if b
    ]
    model_codes = {canonical_model(m) for m in record.model_numbers if len(canonical_model(m)) >= 2}
    codes = extract_codes(unidecode(record.title)) | model_codes
    gtins = set(record.gtins) | set(gtin_candidates(record.title))
    numbers = {w for w in words if w.isdigit()}
    return PreparedRecord(
        record=record,
        title=title,
        words=words,
        word_set=frozenset(words),
        canon_text=canonical_model(unidecode(f"{record.title} {record.model}")),
        codes=codes,
        model_codes=model_codes,
        gtins=gtins,
        units=extract_units(title),
        numbers=numbers,
        head=head_noun(title),
        accessory=bool(_ACCESSORY.search(title)),
        for_words=set(_FOR_WHAT.findall(title)),
        brand=brand,
        brand_names=brand_names,
        first_word=words[0] if words else "",
        description=norm_text(record.description)[:1000],
    )


def tfidf_vector(terms: list[str], idf: dict[str, float], default_idf: float) -> dict[str, float]:
    """L2-normalised TF-IDF weights of ``terms``.

    >>> v = tfidf_vector(["a", "b"], {"a": 1.0}, 1.0); round(v["a"], 3)
    0.707
    """
    counts: dict[str, int] = {}
    for t in terms:
        counts[t] = counts.get(t, 0) + 1
    vec = {t: (1.0 + math.log(c)) * idf.get(t, default_idf) for t, c in counts.items()}
    norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
    return {t: v / norm for t, v in vec.items()}


def char_ngrams(text: str, n: int = 3) -> list[str]:
    """Character n-grams of the words of ``text``, padded with spaces.

    >>> char_ngrams("ab c")
    [' ab', 'ab ', ' c ']
    """
    out: list[str] = []
    for word in text.split():
        padded = f" {word} "
        out.extend(padded[i : i + n] for i in range(max(1, len(padded) - n + 1)))
    return out
