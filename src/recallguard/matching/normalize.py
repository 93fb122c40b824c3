"""Text normalisation for matching: Unicode, case, punctuation, plurals, marketing noise and
model-number-like tokens.

Everything here is a pure function on strings, cheap enough for the screening hot path (the
expensive evasion-robust forms live in ``recallguard.matching.evasion`` and run only when a string
needs them).

>>> normalize_text("Kids’ HELMETS—Size M (2-Pack)")
"kids' helmets size m 2 pack"
>>> normalize_text("Razor™ Electric Scooters")
'razor electric scooters'
>>> tokens("Best Gift Junior Batting Helmets")
['junior', 'batting', 'helmet']
>>> sorted(model_tokens("Hampton Halwin Ceiling Fan AK626H-MBK 52 inch 2025"))
['AK626H', 'AK626HMBK']
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from recallguard.domain.identifiers import canonical_model, is_plausible_model

#: Entries of the caches keyed by a whole text (a title, a description): they serve the repeated calls
#: of one screening; a marketplace's titles are nearly all distinct, so a bigger cache only holds memory
#: (200,000 entries grew a server by ~7 MB per 1,000 screenings until full).
TEXT_CACHE = 8192

_PUNCT = re.compile(r"[^\w'\s]+|_", re.UNICODE)
_SPACES = re.compile(r"\s+")
_INVISIBLE = dict.fromkeys(
    [
        0x200B,
        0x200C,
        0x200D,
        0x2060,
        0xFEFF,
        0x00AD,
        0x202A,
        0x202B,
        0x202C,
        0x202D,
        0x202E,
        0x2066,
        0x2067,
        0x2068,
        0x2069,
        0x200E,
        0x200F,
    ]
)
# Typographic marks, before NFKC: it would write "™" as "TM" and "℠" as "SM", glued to the word they mark.
_APOS = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "™": " ", "℠": " ", "®": " ", "©": " "})

# Words sellers add to titles that say nothing about the product.
NOISE = frozenset(
    """new hot sale best gift high quality top rated upgraded limited stock free shipping fast delivery
    original genuine authentic premium durable portable 2019 2020 2021 2022 2023 2024 2025 2026 2027
    wholesale bulk order moq oem odm factory direct price custom logo drop shipping dropshipping pcs pc
    lot set of the a an and or with for of in on to by from at as is are was were it its this that
    product products item items brand branded style type version edition sold recalled recall
    cheap discount deal deals offer promo promotion latest popular selling seller bestseller quality
    us usa ship shipping delivery stock express fashion sku nr mpn asin upc ean
    generic unbranded nonbranded brandless noname""".split()
)
#: Words sellers add to a title to be found, that describe whom or what for, not which product (audience,
#: occasion, place of use, colour, size, generic qualities, quantity: "… for Kids Adults, Lightweight
#: Foldable, Gift for Christmas Birthday, Black", "2-Pack", "12 Count"). A title's descriptor counts for a
#: recall whose text uses it and never against one that does not, and is never read as a misspelling:
#: eight of them took the blocks of recalled products' titles from 0.87 to 0.73. Words that tell products
#: apart ("case", "replacement", "compatible", parts) are not here, nor are qualities that name products
#: too ("light": lights are recalled).
DESCRIPTORS = frozenset(
    """kid kids child children boy girl men man women woman adult teen teenager youth toddler infant baby
    unisex family senior student beginner gift christmas xmas birthday holiday valentine halloween easter
    thanksgiving party present home indoor outdoor outdoors office travel garden school daily everyday
    lightweight heavy duty foldable adjustable compact waterproof comfortable comfort soft sturdy
    strong cute fun funny cool large small medium big mini size multi multifunctional universal easy
    quick luxury classic modern vintage retro stylish black white red blue green pink grey gray yellow
    orange purple silver gold brown beige multicolor colorful color colour piece pair
    pack count ct pk pkg qty quantity bundle""".split()
)
#: Brand-field values that name no brand: the marketplaces' own placeholders (Amazon's "Generic", eBay's
#: "Unbranded" and "Does not apply") and the sellers' ("No Brand", "N/A", "OEM", "Unknown"), normalised.
#: A listing so marked declares no brand; it does not declare another one.
NO_BRAND = frozenset(
    w.strip()
    for w in """generic|generics|generic brand|unbranded|un branded|non branded|nonbranded|no brand|nobrand|
    no brands|brandless|without brand|oem|odm|oem odm|n a|na|none|null|nil|unknown|no name|noname|
    not applicable|does not apply|not specified|unspecified|other|others|white label|private label|
    generic unbranded|unbranded generic|no label|no""".split("|")
)
STOPWORDS = frozenset(
    "the a an and or with for of in on to by from at as is are was were it its this that these those".split()
)
_KEEP_S = frozenset(
    """glass gas bus plus less loss boss class chess dress mattress harness press cross moss grass brass
    canvas atlas series species news physics gymnastics tennis lens bias chassis its this his yes ous
    kids mini bass pass compass fuss christmas xmas""".split()
)


def named_brand(brand: str) -> str:
    """``brand`` as a listing's brand field declares it: "" where the field holds a placeholder that names
    no brand (``NO_BRAND``), so "Generic" is read as a listing without a brand, not as another brand.

    >>> named_brand("Generic"), named_brand("N/A"), named_brand("Does Not Apply"), named_brand("Razor")
    ('', '', '', 'Razor')
    """
    if not brand or len(brand) > 24:
        return brand
    return "" if normalize_text(brand) in NO_BRAND else brand


def strip_invisible(text: str) -> str:
    """Remove zero-width and bidi control characters sellers use to break up words."""
    return text.translate(_INVISIBLE)


@lru_cache(maxsize=TEXT_CACHE)
def normalize_text(text: str) -> str:
    """NFKC, invisible characters removed, lower case, punctuation to spaces (apostrophes kept)."""
    if not text:
        return ""
    if text.isascii():  # NFKC leaves ASCII as it is, and no invisible or typographic character is ASCII
        return " ".join(_PUNCT.sub(" ", text.replace("`", "'").lower()).split())
    t = unicodedata.normalize("NFKC", strip_invisible(text).translate(_APOS)).lower()
    t = _PUNCT.sub(" ", t)
    return _SPACES.sub(" ", t).strip()


def singular(word: str) -> str:
    """A cheap English singular: helmets → helmet, batteries → battery, boxes → box.

    >>> [singular(w) for w in ["helmets", "batteries", "boxes", "glass", "bus"]]
    ['helmet', 'battery', 'box', 'glass', 'bus']
    """
    if len(word) <= 3 or word in _KEEP_S or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "xes", "sses", "zes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


@lru_cache(maxsize=500_000)
def _token(word: str) -> str:
    return singular(word.strip("'").removesuffix("'s"))


def word_token(word: str) -> str:
    """The token of one normalised word, marketing words included (memoised).

    >>> word_token("scooters"), word_token("kids'")
    ('scooter', 'kids')
    """
    return _token(word)


@lru_cache(maxsize=500_000)
def _kept_token(word: str) -> str:
    """The token of one normalised word, or '' when it is marketing noise or a stop word."""
    t = _token(word)
    return "" if not t or t in NOISE or word in NOISE else t


#: Marketing words long enough that one slip of the keyboard still names them ("Ugraded", "Facory").
_LONG_NOISE = tuple(sorted(w for w in NOISE if len(w) >= 6))


@lru_cache(maxsize=100_000)
def misspelt_noise(word: str) -> bool:
    """Whether ``word`` is a marketing word with one letter dropped, added, changed or swapped: a title
    word that says nothing about the product, as the word spelt right says nothing.

    >>> [misspelt_noise(w) for w in ("ugraded", "facory", "upgraded", "trainer")]
    [True, True, False, False]
    """
    if len(word) < 5 or word in NOISE or not word.isalpha():
        return False
    return (
        process.extractOne(word, _LONG_NOISE, scorer=DamerauLevenshtein.distance, score_cutoff=1) is not None
    )


def tokens(text: str, drop_noise: bool = True) -> list[str]:
    """Normalised, singular word tokens; marketing noise and stop words dropped by default."""
    words = normalize_text(text).split()
    return list(filter(None, map(_kept_token if drop_noise else _token, words)))


_MODEL_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-./]*[A-Za-z0-9]|[0-9]")
_SEPARATORS = re.compile(r"[\-./]")
_UNITS = frozenset("oz in mm cm m ft lb lbs kg g ml l v w x no qty size".split())
_SHORT_CODE = re.compile(r"^[A-Za-z]{1,2}-\d{1,2}$")
_PURE_SIZE = re.compile(
    r"^\d+(\.\d+)?(mm|cm|in|inch|ft|oz|lb|lbs|kg|g|ml|l|v|w|mah|gb|tb|pcs|pc|pk|x)$", re.I
)

_YEAR = re.compile(r"^(19[5-9]|20[0-4])[0-9]$")
#: A market's code at the end of a model number ("SG-5US", "E300-EU", "XL4 USA" is two tokens): the same
#: product made for that market, so the code without it is read too. Revision marks ("V2", a letter) are
#: not: they may name the remedied product.
MARKET_SUFFIX = re.compile(r"^(.*[0-9][A-Za-z0-9]*?)[-_./]?(?:US|USA|EU|UK|CA|AU|NA|JP|INTL)$", re.I)

_DIGIT = re.compile(r"[0-9]")


def has_digit(text: str) -> bool:
    """Whether ``text`` holds a digit (any Unicode digit; ASCII text takes a regular-expression scan).

    >>> has_digit("KY-055"), has_digit("helmet"), has_digit("５")
    (True, False, True)
    """
    if text.isascii():
        return _DIGIT.search(text) is not None
    return any(c.isdigit() for c in text)


#: A label written onto a code ("No.BR-11", "Art.-Nr.4711", "SKU-E300", "Ref.X9"): the code is also read
#: without it ("#" and ":" already end a token).
CODE_LABEL = re.compile(r"(?i)(?:art\.?-?nr|no|nr|ref|mod|model|sku|item|part|pn|mpn)[.-]+(?=[A-Za-z0-9])")


@lru_cache(maxsize=200_000)
def _written_models(raw: str) -> tuple[str, ...]:
    """The canonical model numbers one written token stands for: itself, the parts of a compound code
    ('AK626H-MBK' → AK626HMBK, AK626H), and the code without a market's suffix ('SG-5US' → SG5US, SG5).
    Tokens repeat across listings, so this is memoised.

    >>> [_written_models(w) for w in ("SG-5US", "E300-EU", "E300S", "2025US", "No.BR-11")]
    [('SG5US', '5US', 'SG5'), ('E300EU', 'E300'), ('E300S',), ('2025US',), ('NOBR11', 'BR11')]
    """
    if _DIGIT.search(raw) is None or _PURE_SIZE.match(raw):
        return ()
    out: list[str] = []
    if _SHORT_CODE.match(raw) or is_plausible_model(raw):  # "H-4": short, but written as a code
        out.append(canonical_model(raw))
    if "-" in raw or "." in raw or "/" in raw:
        for part in _SEPARATORS.split(raw):
            if len(part) >= 3 and is_plausible_model(part):
                out.append(canonical_model(part))
    if (label := CODE_LABEL.match(raw)) is not None and len(raw) > label.end():  # "No.BR-11", "SKU-E300"
        out.extend(c for c in _written_models(raw[label.end() :]) if c not in out)
    if (market := MARKET_SUFFIX.match(raw)) is not None:
        base = market.group(1)
        code = canonical_model(base)
        if code not in out and not code.isdigit() and (_SHORT_CODE.match(base) or is_plausible_model(base)):
            out.append(code)
    return tuple(out)


@lru_cache(maxsize=TEXT_CACHE)
def model_tokens(text: str) -> frozenset[str]:
    """Canonical model-number candidates written in ``text``: whole tokens with a digit, and for
    compound codes ('AK626H-MBK', '885S-01/02') also their parts, and codes broken by a space ("BS 100"),
    though not a word and a year ("BRP 2017").

    >>> sorted(model_tokens("Acme BS 100 helmet")), sorted(model_tokens("BRP 2017 snowmobile"))
    (['100', 'BS100'], [])
    """
    if not text or not has_digit(text):
        return frozenset()
    out: set[str] = set()
    found: list[str] = _MODEL_RE.findall(strip_invisible(text))  # ASCII tokens only
    for k in range(len(found) - 1):  # model numbers broken by a space: "BS 100"
        a = found[k]
        if len(a) <= 5 and a.isalpha() and (a.isupper() or len(a) <= 3):
            b = found[k + 1]
            if (
                len(b) <= 8
                and _DIGIT.search(b) is not None
                and a.lower() not in NOISE
                and a.lower() not in _UNITS
                and not _PURE_SIZE.match(b)
                and not _YEAR.match(b)  # "BRP 2017 Ski-Doo": a model year, not model BRP2017
            ):
                joined = canonical_model(a + b)
                if is_plausible_model(joined):
                    out.add(joined)
    out.update(*map(_written_models, found))
    return frozenset(out)
