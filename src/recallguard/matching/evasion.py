"""Evasion-robust text forms: what a disguised listing says once the disguise is taken off.

Sellers of removed listings come back with homoglyphs ("Rаzor" with a Cyrillic а), zero-width and
bidi characters, leetspeak ("R4z0r"), model numbers broken up ("K Y 0 5 5", "KY.O55"), misspelt or
sound-alike brands and product words in other languages. Each function here undoes one family of
tricks and is cheap on clean ASCII text (the expensive paths run only when a string needs them).

Confusables: the Unicode confusables data (UTS #39 ``confusables.txt``) as shipped by the maintained
PyPI package ``confusable-homoglyphs``, reduced to a map from each non-ASCII character to its ASCII
lookalike, plus a few lower-case Cyrillic and Greek letters that look Latin in common fonts.

>>> skeleton("Rаzоr Ѕcooter")   # Cyrillic а, о and Ѕ
'razor scooter'
>>> sorted(model_keys("Scooter K Y 0 5 5"))
['KY055']
>>> brand_match("Razr", ["Razor", "Graco"])[:2]
('Razor', 0.8)
>>> translate_product_terms("儿童滑板车")
['scooter']
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from recallguard.domain.identifiers import canonical_model, is_plausible_model
from recallguard.matching.evasion_terms import translate_product_terms, transliterate
from recallguard.matching.normalize import CODE_LABEL, MARKET_SUFFIX, NOISE, TEXT_CACHE

__all__ = [
    "BrandIndex",
    "brand_match",
    "clean_text",
    "fold_swaps",
    "leet_variants",
    "model_candidates",
    "model_key",
    "model_keys",
    "skeleton",
    "split_run_together",
    "translate_product_terms",
]

# Format controls (zero-width, bidi, soft hyphen, invisible fillers, tags) and variation selectors.
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f"
    "\u3164\ufe00-\ufe0f\ufeff\uffa0\U000e0000-\U000e007f\U000e0100-\U000e01ef]"
)
# Combining marks left over after NFKC (overlays, stacked accents): removed.
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Trade and service marks, taken off before NFKC, which writes them as letters glued to the word they
# mark ("Razor™" → "RazorTM").
_MARKS = str.maketrans({"™": " ", "℠": " "})

# Letters that look Latin in common fonts but are missing from confusables.txt's ASCII prototypes.
_EXTRA_CONFUSABLES = {
    "к": "k", "м": "m", "т": "t", "н": "h", "в": "b", "ё": "e", "ј": "j", "і": "i", "ѕ": "s", "ԁ": "d",
    "κ": "k", "τ": "t", "ε": "e", "η": "n", "χ": "x", "ω": "w", "ȷ": "j", "ʀ": "r", "Ι": "I", "Ӏ": "I",
    "І": "I", "ꓲ": "I", "Ј": "J", "Ѕ": "S", "Ь": "b", "ß": "ss",
}  # fmt: skip
_NO_CONFUSABLE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]")


@lru_cache(maxsize=1)
def _confusables() -> tuple[dict[int, str], dict[int, str]]:
    """(strict, full): each non-ASCII confusable code point → its ASCII prototype (letters before
    digits). ``strict`` is confusables.txt only; ``full`` adds the extra lookalikes and Latin letters
    with their accents removed."""
    raw = resources.files("confusable_homoglyphs").joinpath("confusables.json").read_text("utf-8")
    data: dict[str, list[dict[str, str]]] = json.loads(raw)
    strict: dict[int, str] = {}
    for char, glyphs in data.items():
        if len(char) != 1 or char.isascii() or _NO_CONFUSABLE.match(char):
            continue
        options = [g["c"].strip("\u200e") for g in glyphs]
        options = [o for o in options if o and o.isascii() and o.isalnum() and len(o) <= 2]
        if not options:
            continue
        upper = "CAPITAL" in unicodedata.name(char, "")
        options.sort(key=lambda o: (not o.isalpha(), o.isupper() != upper, len(o)))
        strict[ord(char)] = options[0]
    full = dict(strict)
    for cp in list(range(0xC0, 0x250)) + list(range(0x1E00, 0x1F00)):
        base = _COMBINING.sub("", unicodedata.normalize("NFD", chr(cp)))
        if base.isascii() and base.isalpha():
            full.setdefault(cp, base)
    full.update({ord(k): v for k, v in _EXTRA_CONFUSABLES.items()})
    return strict, full


def clean_text(s: str) -> str:
    """Zero-width and bidi controls removed, NFKC (fullwidth → ASCII, ligatures split), stray
    combining marks dropped, whitespace collapsed. Case and script are kept.

    >>> clean_text("Ra\\u200bzor\\u202e  ＫＹ－０５５\\u00a0scooter™")
    'Razor KY-055 scooter'
    >>> clean_text("plain ascii   text")
    'plain ascii text'
    """
    if s.isascii():
        if _CONTROL.search(s):
            s = _CONTROL.sub(" ", s)
        return " ".join(s.split())
    s = unicodedata.normalize("NFKC", _INVISIBLE.sub("", s).translate(_MARKS))
    s = _COMBINING.sub("", s)
    return " ".join(s.split())


def _fold_word(word: str, strict: dict[int, str], full: dict[int, str]) -> str:
    mapped = word.translate(full)
    if any(c.isascii() and c.isalpha() for c in word) or word.translate(strict).isascii():
        return mapped  # mixed-script word, or every letter has a Latin lookalike (whole-script)
    return word


@lru_cache(maxsize=TEXT_CACHE)
def skeleton(s: str) -> str:
    """A UTS #39-style skeleton for comparing with Latin-script targets: cleaned, confusable
    letters mapped to their ASCII prototypes, Latin accents removed, lower case.

    A word is mapped when it mixes scripts or when all its letters are confusable with Latin ones
    (whole-script confusable), so genuine Russian or Greek words are left as they are (they go
    through transliteration instead).

    >>> skeleton("ＲΑΖΟＲ Рrо")
    'razor pro'
    >>> skeleton("Детский самокат")
    'детский самокат'
    >>> skeleton("Crème brûlée")
    'creme brulee'
    """
    s = clean_text(s)
    if s.isascii():
        return s.lower()
    strict, full = _confusables()
    return " ".join(w if w.isascii() else _fold_word(w, strict, full) for w in s.split(" ")).lower()


# Words run together in camel case ("RazorElectricScooterE300", "BRPSki-DooSnowmobiles800R"), so that a
# filter on words finds none. Boundaries: a lower-case letter before a capital or a digit, a capital
# that starts a word after capitals ("BRP|Ski"), a digit before a word ("800|Snowmobiles"), and a capital
# after a letter or digit and a mark ("Stylin'|Scooter™|Free"). A word is split only with two boundaries or
# more, one of them between letters: one is how many brands and codes are written ("KitchenAid", "iPhone",
# "Aer2"), and a brand that a recall writes so must still meet itself; codes in lower case ("u021aa00")
# have no boundary between letters.
_CAMEL_HINT = re.compile(r"[a-z][A-Z]")  # a word of three parts has one (a quick scan: most titles lack it)
_CASE_BOUNDARY = re.compile(r"[a-z][A-Z]|[A-Z][A-Z][a-z]")
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z])(?=[A-Z0-9])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[0-9])(?=[A-Z][a-z])")
_MARK_BOUNDARY = re.compile(r"(?<=[A-Za-z0-9])[^\sA-Za-z0-9'-]+(?=[A-Z])|(?<=[a-z])'(?=[A-Z])")


def split_run_together(text: str) -> str:
    """``text`` with words run together in camel case written apart; other text as it is.

    >>> split_run_together("RazorElectricScooterE300 for kids")
    'Razor Electric Scooter E300 for kids'
    >>> split_run_together("BRPSki-DooSnowmobiles800R")
    'BRP Ski-Doo Snowmobiles 800R'
    >>> split_run_together("KitchenAid stand mixer, iPhone case, Joolz Aer2, c032aa00")
    'KitchenAid stand mixer, iPhone case, Joolz Aer2, c032aa00'
    """
    if _CAMEL_HINT.search(text) is None:
        return text
    out = []
    for w in text.split(" "):
        n = len(_CAMEL_BOUNDARY.findall(w)) + len(_MARK_BOUNDARY.findall(w))
        split = n >= 2 and _CASE_BOUNDARY.search(w) is not None
        out.append(_CAMEL_BOUNDARY.sub(" ", _MARK_BOUNDARY.sub(" ", w)) if split else w)
    return " ".join(out)


_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g",
                       "@": "a", "$": "s", "!": "i", "|": "l", "€": "e"})  # fmt: skip
_LEET_WORD = re.compile(r"[A-Za-z0-9@$!|€]*[A-Za-z][A-Za-z0-9@$!|€]*")
_LEET_CHARS = frozenset("0134578 9@$!|€".replace(" ", ""))


def leet_variants(text: str) -> list[str]:
    """The text, followed by its leetspeak-decoded form when it has one. Decoding is an
    alternative: model numbers keep their digits in the first form.

    >>> leet_variants("R4z0r A5 $cooter")
    ['R4z0r A5 $cooter', 'Razor As Scooter']
    >>> leet_variants("Razor scooter")
    ['Razor scooter']
    """

    def decode(m: re.Match[str]) -> str:
        w = m.group(0)
        letters = sum(c.isalpha() for c in w)
        if letters < 1 or not any(c in _LEET_CHARS for c in w):
            return w
        out = w.translate(_LEET)
        return out.capitalize() if w[0] in "$@" and len(w) > 1 and w[1:2].islower() else out

    decoded = _LEET_WORD.sub(decode, text)
    return [text] if decoded == text else [text, decoded]


# Letter/digit swaps folded into one class: O/Q→0, I/L→1, S→5, B→8, Z→2.
_SWAPS = str.maketrans("OQILSBZ", "0011582")
_FRAGMENT = re.compile(r"[A-Za-z0-9]+")


@lru_cache(maxsize=TEXT_CACHE)
def model_key(value: str) -> str:
    """The lookup key of one model number: canonical form with letter/digit swaps folded.

    >>> model_key("KY-055"), model_key("ky.o55"), model_key("K Y 0 5 5")
    ('KY055', 'KY055', 'KY055')
    """
    return canonical_model(skeleton(value)).upper().translate(_SWAPS)


def fold_swaps(code: str) -> str:
    """:func:`model_key` of a code already canonical (upper-case letters and digits): swaps folded.

    >>> fold_swaps("W8O301") == model_key("W8O 301")
    True
    """
    return code.translate(_SWAPS)


# Words and units that are never part of a model number written apart ("15 FEET", "1 AND 2", "children
# over 3 years": a boilerplate phrase of many listings must not read as model OVER3), and marketing words.
_NOT_MODEL_PARTS = frozenset(
    [
        "AND", "OR", "FOR", "WITH", "OF", "THE", "TO", "IN", "ON", "BY", "AT", "X", "PCS", "PC", "PACK",
        "SET", "SETS", "LOT", "FT", "FEET", "INCH", "INCHES", "CM", "MM", "M", "KG", "G", "LB", "LBS",
        "OZ", "ML", "L", "GB", "TB", "MB", "KB", "W", "V", "A", "MAH", "PPM", "DPI", "HZ", "FPS", "MP",
        "NEW", "NO", "SIZE", "AGE", "AGES", "YEARS", "YEAR", "TOY", "KIDS", "OVER", "UNDER", "UP", "ABOVE",
        "BELOW", "PLUS", "FROM", "ONLY", "ABOUT", "APPROX", "MONTHS", "MONTH", "MOS", "DAYS", "DAY", "HOURS",
        "HRS", "MINS", "MIN", "MAX", "PIECES", "PIECE", "PER", "EACH", "QTY", "ALL", "IS", "ARE", "BE", "IT",
        "US", "WE", "YOU", "OUR", "AS", "AN", "IF", "SO",
    ]
) | frozenset(w.upper() for w in NOISE if w.isalpha())  # fmt: skip


def _model_tokens(text: str) -> list[str]:
    """Whitespace tokens, with runs of spaced-out single characters ("K Y 0 5 5") kept as one."""
    out: list[str] = []
    run: list[str] = []
    for tok in text.split():
        if len(tok) == 1 and tok.isalnum():
            run.append(tok)
            continue
        if run:
            out.append(" ".join(run))
            run = []
        out.append(tok)
    if run:
        out.append(" ".join(run))
    return out


@lru_cache(maxsize=TEXT_CACHE)
def model_candidates(text: str) -> dict[str, str]:
    """Model-number keys written in ``text``, each with the text as written: whole tokens, their
    parts, the code without a market's suffix or a seller's label ("No.SG-5"), and two or three short
    tokens written apart ("KY 055", "K Y 0 5 5", "KY.O55").

    >>> model_candidates("KY.O55 scooter")
    {'KY055': 'KY.O55', '055': 'O55'}
    >>> model_candidates("XL4UK kayak")
    {'X14UK': 'XL4UK', 'X14': 'XL4'}
    """
    if not text:
        return {}
    out: dict[str, str] = {}
    toks = _model_tokens(skeleton(text).upper())
    canon = [canonical_model(t) for t in toks]
    # a code holds a digit: a token without one (nor its parts) is none, nor is a group of such tokens
    # (canonical tokens are ASCII letters and digits: one not all letters holds a digit)
    digit = [x != "" and not x.isalpha() for x in canon]

    def emit(value: str, written: str) -> None:
        if 3 <= len(value) <= 20 and any(c.isdigit() for c in value) and is_plausible_model(value):
            out.setdefault(value.translate(_SWAPS), written)

    for i, tok in enumerate(toks):
        if digit[i]:
            emit(canon[i], tok)
            if (market := MARKET_SUFFIX.match(tok)) is not None:  # "SG-5US": the SG-5 made for a market
                emit(canonical_model(market.group(1)), market.group(1))
            if (label := CODE_LABEL.match(tok)) is not None:  # "NO.SG-5": a seller's label on the code
                emit(canonical_model(tok[label.end() :]), tok[label.end() :])
            parts = _FRAGMENT.findall(tok)
            if len(parts) > 1 and " " not in tok:
                for part in parts:
                    emit(part, part)
        elif not any(digit[i : i + 3]):
            continue  # no group of two or three tokens from here holds a digit
        for n in (2, 3):
            group = canon[i : i + n]
            if (
                len(group) == n
                and any(digit[i : i + n])
                and all(0 < len(c) <= (4 if c.isalpha() else 6) and c not in _NOT_MODEL_PARTS for c in group)
            ):
                emit("".join(group), " ".join(toks[i : i + n]))
    return out


def model_keys(s: str) -> set[str]:
    """Every model-number lookup key in ``s`` (see :func:`model_key` for the folding).

    >>> sorted(model_keys("Helmet PR-SS 0O49"))
    ['0049', 'PR550049']
    """
    return set(model_candidates(s))


def _brand_key(s: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", skeleton(s))


@dataclass
class BrandIndex:
    """Known brands prepared for :func:`brand_match`: exact keys, leet-free keys, phonetic keys."""

    brands: list[str]
    exact: dict[str, str] = field(default_factory=dict)
    phonetic: dict[str, list[str]] = field(default_factory=dict)
    by_length: dict[int, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        brands, self.brands = self.brands, []
        for brand in brands:
            self.add(brand)

    def add(self, brand: str) -> None:
        """Make one more brand known (a no-op for a brand already known under the same key)."""
        import jellyfish

        key = _brand_key(brand)
        if len(key) < 2 or key in self.exact:
            return
        self.brands.append(brand)
        self.exact[key] = brand
        self.by_length.setdefault(len(key), []).append(key)
        if key.isalpha() and len(key) >= 4:
            self.phonetic.setdefault(jellyfish.metaphone(key), []).append(key)


def _allowed_edits(n: int) -> int:
    return 0 if n < 4 else 1 if n < 8 else 2


@lru_cache(maxsize=TEXT_CACHE)
def candidate_keys(candidate: str) -> tuple[str, str, tuple[tuple[str, str, str | None], ...]]:
    """What :func:`brand_match` compares of a candidate, whatever the brands (memoised: one listing's
    words are tried against many brands): its plain key, its words run together when it has several
    ('' when not), and the keys it may disguise a brand as, in the order tried: (key, how, the key's
    metaphone when it is all letters, else None).

    >>> candidate_keys("R4z0r")
    ('r4z0r', '', (('r4z0r', 'exact', None), ('razor', 'leetspeak', 'RSR')))
    """
    import jellyfish

    cleaned = clean_text(candidate)
    plain = re.sub(r"[^a-z0-9]+", "", cleaned.lower())
    keys: list[tuple[str, str]] = []
    sk = _brand_key(candidate)
    if sk != plain:
        keys.append((sk, "homoglyph"))
    if not candidate.isascii():
        keys.append((re.sub(r"[^a-z0-9]+", "", transliterate(candidate).lower()), "transliteration"))
    keys.append((plain, "exact"))
    for variant in leet_variants(cleaned)[1:]:
        keys.append((_brand_key(variant), "leetspeak"))
    words = cleaned.lower().split()
    return (
        plain,
        "".join(words) if len(words) > 1 else "",
        tuple((k, how, jellyfish.metaphone(k) if k.isalpha() else None) for k, how in keys),
    )


def brand_match(candidate: str, known_brands: Iterable[str] | BrandIndex) -> tuple[str | None, float, str]:
    """The known brand ``candidate`` is, or disguises: (brand, similarity 0–1, how).

    ``how`` is one of exact, spacing, homoglyph, transliteration, leetspeak, misspelling,
    sound-alike, none. Build a :class:`BrandIndex` once for repeated calls.

    >>> brand_match("Ѕресіаlіzеd", ["Specialized"])
    ('Specialized', 1.0, 'homoglyph')
    >>> brand_match("Sepcialized", ["Specialized"])
    ('Specialized', 0.91, 'misspelling')
    >>> brand_match("Kraco", ["Graco"])
    ('Graco', 0.8, 'sound-alike')
    >>> brand_match("Nike", ["Graco"])
    (None, 0.0, 'none')
    """
    from rapidfuzz.distance import DamerauLevenshtein
    from rapidfuzz.process import extractOne

    index = known_brands if isinstance(known_brands, BrandIndex) else BrandIndex(list(known_brands))
    plain, joined, keys = candidate_keys(candidate)
    if plain in index.exact:
        return index.exact[plain], 1.0, "exact"
    if joined and joined in index.exact:  # words apart: "Baby Trend" for "BabyTrend"
        return index.exact[joined], 1.0, "spacing"
    for key, how, _ in keys:
        if key in index.exact and how != "exact":
            return index.exact[key], 1.0, how
    best: tuple[str | None, float, str] = (None, 0.0, "none")
    for key, _how, sound in keys:
        if len(key) < 4:
            continue
        pool = [k for n in range(len(key) - 2, len(key) + 3) for k in index.by_length.get(n, [])]
        hit = extractOne(key, pool, scorer=DamerauLevenshtein.distance, score_cutoff=2)
        if hit is not None:
            found, dist = hit[0], int(hit[1])
            sim = round(1.0 - dist / max(len(key), len(found)), 2)
            if dist <= _allowed_edits(min(len(key), len(found))) and found[0] == key[0] and sim > best[1]:
                best = (index.exact[found], sim, "misspelling")
        if sound is not None and best[0] is None:
            for found in index.phonetic.get(sound, []):
                sim = round(DamerauLevenshtein.normalized_similarity(key, found), 2)
                if sim >= 0.6 and sim > best[1]:
                    best = (index.exact[found], sim, "sound-alike")
    return best
