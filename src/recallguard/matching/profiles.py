"""Precomputed matching views of targets and listings: the normalised pieces the indexes and the
scorer read, computed once per target (at index build) and once per listing (per screen call).

>>> from recallguard.domain.models import Listing, Target
>>> t = target_profile(Target("26561", "CPSC", brand="BABESIDE", product_name="Doll and Stroller Toys",
...                           product_type="doll and stroller toy", model_numbers=["BS-100"]))
>>> sorted(t.models), t.brand_norm
(['BS100'], 'babeside')
>>> lp = listing_profile(Listing("L1", "BABESIDE doll stroller set BS 100"))
>>> "BS100" in lp.all_models
True
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

from recallguard.domain.identifiers import (
    canonical_model,
    gtin_candidates,
    is_plausible_model,
    normalize_gtin,
)
from recallguard.domain.models import Listing, Target
from recallguard.matching import evasion
from recallguard.matching.evasion_terms import cjk_in_english, translate_words
from recallguard.matching.normalize import has_digit, model_tokens, named_brand, normalize_text, tokens

ACCESSORY_CUES = (
    "compatible with",
    "replacement",
    "for use with",
    "fits ",
    "spare ",
    "accessory",
    "accessories",
    "adapter for",
    "charger for",
    "case for",
    "cover for",
    "strap for",
    "bag for",
    "mount for",
    "parts for",
    "part for",
    "skin for",
    "sticker for",
    "decal for",
    "protector for",
    "holder for",
    "pad for",
    "pads for",
    "battery for",
    "manual for",
    "kit for",
    "storage bag",
    "carrying case",
)
_ACCESSORY_RE = re.compile(
    r"\b(" + "|".join(re.escape(c.strip()) for c in ACCESSORY_CUES) + r")\b|^\w+( \w+)? for \w", re.I
)


# a cue's words as plain substrings: a title without any of them skips the expression above
_CUE_WORDS = re.compile("for|compatible|replacement|fits|spare|accessor|storage bag|carrying case")


def accessory_cue(text: str) -> str:
    """The accessory / compatibility phrase in ``text`` ('' when none).

    >>> accessory_cue("Replacement Strap for Nomic Ice Axe"), accessory_cue("Nomic Ice Axe")
    ('replacement', '')
    """
    t = normalize_text(text)
    if _CUE_WORDS.search(t) is None:
        return ""
    m = _ACCESSORY_RE.search(t)
    return m.group(0).strip() if m else ""


_OBJECT_CUE = re.compile(r"\bfor\b|\bfits\b|\bwith\b")  # "<what it is> for / fits / compatible with <what>"
_CUE_FILLER = frozenset("for with use compatible fit fits replacement spare accessory accessories".split())


def accessory_words(text: str) -> frozenset[str]:
    """What an accessory listing sells, in words: the title up to its accessory cue, less the cue's own
    words; none for a cue that does not say what the part is for ("replacement", "accessory") or has
    nothing before it.

    >>> sorted(accessory_words("Protective Case for Delair Pool Ladder"))
    ['case', 'protective']
    >>> accessory_words("Compatible with Delair Pool Ladder"), accessory_words("Dotline Replacement Step")
    (frozenset(), frozenset())
    """
    t = normalize_text(text)
    m = _ACCESSORY_RE.search(t) if _CUE_WORDS.search(t) is not None else None
    if m is None or _OBJECT_CUE.search(m.group(0)) is None:
        return frozenset()  # "replacement", "accessory": the words before it are the product, not the part
    head = t[: m.end()]
    if m.end() < len(t) and t[m.end()].isalnum():  # "case for d|elair": the cue ends mid-word
        head = head.rsplit(" ", 1)[0]
    return frozenset(tokens(head)) - _CUE_FILLER


_CORPORATE = frozenset(
    """cpsc announce announces recall recalls recalled inc llc ltd co corp corporation company usa us
    america american international intl group products product industries sa gmbh the of and trading
    direct store stores limited brands brand design designs manufacturing mfg enterprises holdings
    north""".split()
)
_GENERIC_LEAD = frozenset(
    """model year children's child kids kid baby infant toddler adult youth women's men's portable
    electric battery powered cordless wooden plastic metal mini small large light led set sets pack""".split()
)

GENERIC_HEADS = _CORPORATE | _GENERIC_LEAD  # words that begin company names without naming one


def brand_forms(t: Target) -> dict[str, float]:
    """Normalised brand forms of a target with their strength: the brand (1.0), company aliases and
    forms without corporate words (0.9), a product-name lead word (0.8), a multi-word brand's first
    word (0.7).

    >>> sorted(brand_forms(Target("1", "CPSC", brand="Black Diamond", brand_aliases=["Cervelo SA"])).items())
    [('black', 0.7), ('black diamond', 1.0), ('cervelo', 0.9), ('cervelo sa', 0.9), ('diamond', 0.7)]
    """
    out: dict[str, float] = {}

    def put(form: str, w: float) -> None:
        if form and len(form) >= 2 and out.get(form, 0.0) < w:
            out[form] = w

    for i, b in enumerate([t.brand, *t.brand_aliases]):
        full = normalize_text(b)
        put(full, 1.0 if i == 0 else 0.9)
        core = [w for w in full.split() if w not in _CORPORATE]
        put(" ".join(core), 1.0 if i == 0 else 0.9)
        if len(core) > 1:
            for w in core:
                if len(w) >= 4 and w not in _GENERIC_LEAD and not w.isdigit():
                    put(w, 0.7)
    lead = normalize_text(t.product_name).split()[:1]
    if (
        lead
        and len(lead[0]) >= 4
        and lead[0] not in _GENERIC_LEAD
        and not lead[0].isdigit()
        and tokens(lead[0])[:1] != tokens(t.product_type)[:1]
        and lead[0] not in normalize_text(t.product_type)
    ):
        put(lead[0], 0.8)
    return out


@dataclass
class TargetProfile:
    target: Target
    brand_norm: str
    brand_forms: dict[str, float]  # normalised brand forms and their strength
    brand_tokens: frozenset[str]
    name_tokens: tuple[str, ...]
    type_tokens: frozenset[str]
    text_tokens: frozenset[str]
    models: frozenset[str]
    gtins: frozenset[str]
    name_norm: str
    is_accessory: bool
    key_tokens: frozenset[str] = field(default_factory=frozenset)  # indexed for candidates
    text_models: frozenset[str] = frozenset()  # model-like codes anywhere in the recall text
    name_weights: tuple[tuple[str, float], ...] = ()  # (token, idf) set by the index
    name_mass: float = 0.0
    type_weights: tuple[tuple[str, float], ...] = ()
    type_mass: float = 0.0
    brand_far: dict[str, bool] = field(default_factory=dict)  # listing brand → unlike every form (memo)


@dataclass
class ListingProfile:
    listing: Listing
    title_norm: str
    title_tokens: tuple[str, ...]
    desc_tokens: frozenset[str]
    brand_norm: str
    field_models: frozenset[str]  # from the model field and the title
    all_models: frozenset[str]  # plus the description
    gtins: frozenset[str]
    accessory: str
    declared_model: str = ""  # the model field, whole and canonical ('' when absent or implausible)
    accessory_words: frozenset[str] = frozenset()  # what an accessory listing sells ("protective case")
    fixed_tokens: frozenset[str] = frozenset()  # misspelt title words mapped to known target words
    # set by ``TargetIndex.correct_tokens`` before candidates are looked up and scored:
    title_set: frozenset[str] = frozenset()  # title tokens plus their corrections
    content_idf: tuple[tuple[str, float], ...] = ()  # title words worth comparing, with their IDF
    descriptors: tuple[tuple[str, float], ...] = ()  # of those, words of ``DESCRIPTORS``: only count for
    content_alts: tuple[tuple[tuple[str, float], ...], ...] = ()  # misspelt words read several ways
    corrections: dict[str, tuple[str, ...]] = field(default_factory=dict)  # misspelt title token → readings
    synonyms: frozenset[str] = frozenset()  # words recalls use that the title's words are synonyms of
    foreign: bool = False  # written in another language, as the listing says and a product word in it shows
    brand_hits: dict[int, tuple[str, str, float]] = field(default_factory=dict)
    model_key_hits: dict[int, str] = field(default_factory=dict)  # targets whose model matched once folded


def target_profile(t: Target) -> TargetProfile:
    """The matching view of one target."""
    forms = brand_forms(t)
    brand_norm = normalize_text(t.brand)
    brand_tokens = frozenset(w for b in forms for w in b.split() if len(w) > 1)
    # the product name without the brand's words: "Yamaha" alone says nothing about which product
    name_tokens = tuple(
        w for w in tokens(t.product_name or t.product_type) if w not in brand_tokens
    ) or tuple(tokens(t.product_type))
    type_tokens = frozenset(tokens(t.product_type))
    text_tokens = frozenset(
        tokens(" ".join([t.text, t.product_name, t.product_type, t.brand, *t.brand_aliases]))
    )
    models = frozenset(m for m in (canonical_model(x) for x in t.model_numbers) if len(m) >= 2)
    gtins = frozenset(g for g in (normalize_gtin(x) for x in t.gtins) if g)
    is_acc = bool(accessory_cue(t.product_name)) or "accessor" in t.product_name.lower()
    key = frozenset(name_tokens) | type_tokens | brand_tokens
    return TargetProfile(
        t, brand_norm, forms, brand_tokens, name_tokens, type_tokens, text_tokens,
        models, gtins, normalize_text(t.product_name), is_acc, key,
        model_tokens(f"{t.product_name} {t.text}") | models,
    )  # fmt: skip


_LEET_CHARS = frozenset("0134578@$!|")
# In ASCII text, a word whose letters and digits alternate at least twice (what ``_interleaved`` asks):
# letter, then a digit among other non-letters, then a letter; or digit, letter, digit. Most titles with
# digits hold only model numbers and sizes ("KY055", "12 inch") and skip the word-by-word check.
_INTERLEAVED_ASCII = re.compile(
    r"[A-Za-z][^\sA-Za-z]*[0-9][^\sA-Za-z]*[A-Za-z]|[0-9][^\s0-9]*[A-Za-z][^\s0-9]*[0-9]"
)


def _interleaved(word: str) -> bool:
    """Letters and digits alternate at least twice ("B1k3", "5c0073r"), unlike model numbers ("KY055").

    >>> _interleaved("H3lm37"), _interleaved("KY055"), _interleaved("2-pack")
    (True, False, False)
    """
    kinds = [c.isdigit() for c in word if c.isalnum()]
    return sum(a != b for a, b in itertools.pairwise(kinds)) >= 2 and sum(not k for k in kinds) >= 2


def _upper_code(word: str) -> bool:
    """A word in capitals that reads as a model number ("GH018L", "B1161X") is taken for a code here, not
    for leetspeak: decoded it would be a made-up word ("ghoibl") that no recall explains, counted against
    every recall. Leetspeak in capitals ("5C0073R") reads as a code too; the screener still reads it where
    it decodes to a word the recalls use (``leet.LeetDecoder``, before the profile).

    >>> _upper_code("GH018L"), _upper_code("5C0073R"), _upper_code("H3lm3t")
    (True, True, False)
    """
    return not any(c.islower() for c in word) and is_plausible_model(canonical_model(word))


def undisguised(text: str, foreign: bool = False) -> str:
    """``text`` with disguises taken off for matching: confusable letters folded to ASCII, product words in
    other languages followed by their English type, leetspeak words followed by their decoded form.
    Clean ASCII text without leetspeak comes back as it is (the cheap path), unless it is ``foreign``
    (the listing says it is written in another language: "casco de bicicleta" is ASCII too).

    >>> undisguised("Rаzоr K1ds sc00ter")
    'Razor k1ds sc00ter kids scooter'
    >>> undisguised("Ninebot casco de bicicleta"), undisguised("Ninebot casco de bicicleta", foreign=True)
    ('Ninebot casco de bicicleta', 'Ninebot casco de bicicleta helmet bicycle')
    """
    return _undisguised(text, foreign)[0]


def _undisguised(text: str, foreign: bool = False) -> tuple[str, bool]:
    """``undisguised``, and whether ``text`` names a product in another language than English."""
    out, named = text, False
    if foreign or not text.isascii():
        english = cjk_in_english(text)  # CJK product words in English, in place; CJK sales words dropped
        out = evasion.skeleton(english)
        types = evasion.translate_product_terms(english)
        named = bool(types) or (english != text and bool(evasion.translate_product_terms(text)))
        types = [*types, *translate_words(english)]  # "enfants": the recall's "children", as it writes it
        if types:
            out = f"{out} {' '.join(types)}"
        if out.lower() == text.lower():
            out = text
        elif text[:1].isupper() and out[:1].islower():
            out = out[:1].upper() + out[1:]
    if not _LEET_CHARS.isdisjoint(out) and (not out.isascii() or _INTERLEAVED_ASCII.search(out)):
        words = [
            w for w in out.split()
            if len(w) >= 3 and not _LEET_CHARS.isdisjoint(w) and _interleaved(w) and not _upper_code(w)
        ]  # fmt: skip
        decoded = [evasion.leet_variants(w)[-1] for w in words]
        extra = [d for w, d in zip(words, decoded, strict=True) if d != w and d.isalpha()]
        if extra:
            out = f"{out} {' '.join(extra)}"
    return out, named


def listing_profile(listing: Listing) -> ListingProfile:
    """The matching view of one listing."""
    written = evasion.split_run_together(listing.title)
    foreign = bool(listing.language) and listing.language[:2].lower() != "en"
    title, named = _undisguised(written, foreign)
    head = f"{written} {listing.model}"
    field_models = model_tokens(head)
    brand = named_brand(listing.brand)  # "Generic", "N/A": no brand declared, not another brand
    if brand and field_models:  # a brand written in digits ("509") is not a model number
        field_models = field_models - {canonical_model(brand)}
    all_models = field_models | model_tokens(listing.description) if listing.description else field_models
    g = normalize_gtin(listing.gtin) if listing.gtin else None
    gtins = {g} if g else set()
    if has_digit(listing.title):
        gtins.update(gtin_candidates(listing.title))
    return ListingProfile(
        listing=listing,
        title_norm=normalize_text(title),
        title_tokens=tuple(tokens(title)),
        desc_tokens=frozenset(tokens(listing.description)) if listing.description else frozenset(),
        brand_norm=normalize_text(undisguised(brand) if brand else ""),
        field_models=field_models,
        all_models=all_models,
        gtins=frozenset(gtins),
        accessory=(cue := accessory_cue(listing.title)),
        declared_model=_declared_model(listing),
        accessory_words=accessory_words(listing.title) if cue else frozenset(),
        # words no recall uses are read as the listing's language only where it names a product in it
        foreign=foreign and named,
    )


def _declared_model(listing: Listing) -> str:
    """The listing's model field as one canonical code, when it reads as a model number.

    >>> _declared_model(Listing("L1", "Sofa", model="JF4426-4PHL")), _declared_model(Listing("L2", "Sofa"))
    ('JF44264PHL', '')
    """
    if not listing.model or not has_digit(listing.model):
        return ""
    code = canonical_model(listing.model)
    return code if is_plausible_model(code) and code != canonical_model(listing.brand) else ""
