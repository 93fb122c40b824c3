"""Listing-side index keys: what the store indexes per listing so that a new recall finds its candidate
listings with a few lookups instead of screening the whole catalogue.

The keys are read off the matcher's own ``listing_profile`` (no second normalisation), one set per
listing, each ``(kind, key)``:

- ``gtin``: the profile's GTINs (field and title);
- ``model``: every canonical model number (title, model field, description), the folded key of each
  field model (letter/digit swaps, ``evasion.model_key``) and, for titles with spaced-out characters
  ``evasion.model_candidates``, and for a code cut in two the joined codes (``index.cut_codes``) — what
  ``TargetIndex.candidates`` looks up;
- ``brand``: the normalised brand field; ``sound``: its sound key (``brands.sound_key``), for brands
  that sound alike;
- ``token``: the title's normalised words, its tokens and the description's tokens (title brand
  n-grams, the fuzzy brand lookup of title words, the text blocker); leetspeak words whose letters and
  digits alternate are there decoded too (``profiles.undisguised``).

``fuzzy_vocab`` gives the distinct brand and word keys with their sorted letters (anagram key), so a
misspelt or scrambled brand or word is found from the target side: every spelling one edit away has
one of a few hundred anagram keys (``fuzzy_neighbourhood``); the words found are then checked with the
matcher's own fuzzy lookup.

The target side (which keys a recall's targets ask for) lives in ``recallguard.service.rescan``.

>>> from recallguard.domain.models import Listing
>>> ks = listing_keys(Listing("L1", "BABESIDE doll stroller BS-100", brand="Babeside"))
>>> sorted(k for k in ks if k[0] in ("brand", "model"))
[('brand', 'babeside'), ('model', '100'), ('model', '85100'), ('model', 'BS100')]
>>> ("token", "stroller") in ks
True
"""

from __future__ import annotations

import string
from collections.abc import Iterable

from recallguard.domain.models import Listing
from recallguard.matching import evasion
from recallguard.matching.brands import MIN_FUZZY_LEN, anagram_key, sound_key
from recallguard.matching.glued import marked_parts
from recallguard.matching.index import cut_codes, may_cut_code, spaced_out
from recallguard.matching.profiles import ListingProfile, listing_profile

KINDS = ("gtin", "model", "brand", "sound", "token")
#: Bump when the keys a listing gets change: stored keys of an older version must be rebuilt.
KEYS_VERSION = 6  # 4: "™", camel case, capital codes, ASCII text of listings in other languages; 5: market
# suffixes of model numbers ("SG-5US" also keys SG5), placeholder brands ("Generic") key no brand,
# "Christmas" keyed whole (it was "christma"); 6: a word run into a code or a camel-case word of two parts
# also keys its parts ("rossignol2018": rossignol, "HeadSki": head, ski), a label on a code is read off
# ("No.BR-11" also keys BR11) and label words ("SKU", "Nr", "UPC") key nothing, listings in other languages
# also key the English of whom or what a product is for ("enfants": children)
MAX_KEY_LEN = 200
_ALPHABET = frozenset(string.ascii_lowercase + string.digits + "'")


def profile_keys(lp: ListingProfile) -> set[tuple[str, str]]:
    """The index keys of one listing profile (see the module docstring).

    >>> from recallguard.matching.profiles import listing_profile
    >>> ks = profile_keys(listing_profile(Listing("L", "Helmet 0 12345 67890 5")))
    >>> sorted(v for k, v in ks if k == "gtin")
    ['00012345678905']
    """
    out: set[tuple[str, str]] = {("gtin", g) for g in lp.gtins}
    out.update(("model", m) for m in lp.all_models)
    out.update(("model", evasion.model_key(m)) for m in lp.field_models)
    title = lp.listing.title
    if spaced_out(title):
        out.update(("model", k) for k in evasion.model_candidates(f"{title} {lp.listing.model}"))
    if may_cut_code(title):
        for code in cut_codes(title):
            out.update((("model", code), ("model", evasion.fold_swaps(code))))
    if lp.brand_norm:
        out.add(("brand", lp.brand_norm))
        out.add(("sound", sound_key(lp.brand_norm.replace(" ", ""))))
    words = lp.title_norm.split()
    out.update(("token", w) for w in words)
    out.update(("token", t) for t in lp.title_tokens)
    out.update(("token", t) for t in lp.desc_tokens)
    out.update(("token", w) for w in marked_parts(title))  # a brand run into a code or a word (glued.py)

    return {(k, v) for k, v in out if v and len(v) <= MAX_KEY_LEN}


def fuzzy_vocab(keys: Iterable[tuple[str, str]]) -> set[tuple[str, str, str]]:
    """(kind, word, anagram key) of the brand and word keys a fuzzy lookup may correct (``BrandIndex``:
    at least ``MIN_FUZZY_LEN`` letters): the store keeps each distinct one once, so a misspelt or
    scrambled brand or word is found through its letters, then checked exactly.

    >>> sorted(fuzzy_vocab([("brand", "babe side"), ("token", "doll"), ("token", "bs"), ("model", "BS100")]))
    [('brand', 'babe side', 'abbdeeis'), ('token', 'doll', 'dllo')]
    """
    out = set()
    for kind, word in keys:
        key = word.replace(" ", "")
        if len(key) >= MIN_FUZZY_LEN and (kind == "brand" or (kind == "token" and word.isalpha())):
            out.add((kind, word, anagram_key(key)))
    return out


def listing_keys(listing: Listing) -> set[tuple[str, str]]:
    """The index keys of one listing (computed through the matcher's ``listing_profile``)."""
    return profile_keys(listing_profile(listing))


def fuzzy_neighbourhood(form: str) -> set[str]:
    """Anagram keys of every word a fuzzy lookup (``BrandIndex``: one edit on either side, or the same
    letters scrambled) could take for ``form``: its letters, one letter dropped, one added, one changed.

    >>> n = fuzzy_neighbourhood("marin")
    >>> [anagram_key(w) in n for w in ("mrain", "marine", "mari", "maxin")]
    [True, True, True, True]
    >>> anagram_key("moron") in n
    False
    """
    key = form.replace(" ", "")
    if len(key) < MIN_FUZZY_LEN:
        return set()
    alphabet = _ALPHABET | set(key)
    base = sorted(key)
    out = {"".join(base)}
    for c in set(key):
        i = base.index(c)
        less = base[:i] + base[i + 1 :]
        out.add("".join(less))
        out.update("".join(sorted([*less, a])) for a in alphabet)
    out.update("".join(sorted([*base, a])) for a in alphabet)
    return out
