"""Listing-side index keys: what the store indexes per listing so that a new recall finds its candidate
listings with a few lookups instead of screening the whole catalogue.

The keys are read off the matcher's own ``listing_profile`` (no second normalisation), one set per
listing, each ``(kind, key)``:

- ``gtin``: the profile's GTINs (field and title);
- ``model``: every canonical model number (title, model field, description), the folded key of each
  field model (letter/digit swaps, ``evasion.model_key``) and, for titles with spaced-out characters,
  ``evasion.model_candidates`` — what ``TargetIndex.candidates`` looks up;
- ``brand``: the normalised brand field;
- ``token``: the title's normalised words, its tokens and the description's tokens (title brand
  n-grams and the text blocker);
- ``anagram``: sorted letters of the words a fuzzy lookup may correct (the brand field, the first title
  words, long title tokens), so misspelt and scrambled brands and words are found too.

The target side (which keys a recall's targets ask for) lives in ``recallguard.service.rescan``.

>>> from recallguard.domain.models import Listing
>>> ks = listing_keys(Listing("L1", "BABESIDE doll stroller BS-100", brand="Babeside"))
>>> sorted(k for k in ks if k[0] in ("brand", "model"))
[('brand', 'babeside'), ('model', '100'), ('model', '85100'), ('model', 'BS100')]
>>> ("anagram", "abbdeeis") in ks, ("token", "stroller") in ks
(True, True)
"""

from __future__ import annotations

import string

from recallguard.domain.models import Listing
from recallguard.matching import evasion
from recallguard.matching.brands import MIN_FUZZY_LEN, anagram_key
from recallguard.matching.index import _SPACED_OUT, FUZZY_TITLE_WORDS
from recallguard.matching.normalize import NOISE
from recallguard.matching.profiles import ListingProfile, listing_profile

KINDS = ("gtin", "model", "brand", "token", "anagram")
#: Bump when the keys a listing gets change: stored keys of an older version must be rebuilt.
KEYS_VERSION = 1
MAX_KEY_LEN = 200
_ALPHABET = frozenset(string.ascii_lowercase + string.digits + "'")


def profile_keys(lp: ListingProfile) -> set[tuple[str, str]]:
    """The index keys of one listing profile (see the module docstring).

    >>> from recallguard.matching.profiles import listing_profile
    >>> ks = profile_keys(listing_profile(Listing("L", "Helmet 0 12345 67890 5")))
    >>> sorted(v for k, v in ks if k in ("gtin", "anagram"))
    ['00012345678905', 'eehlmt']
    """
    out: set[tuple[str, str]] = {("gtin", g) for g in lp.gtins}
    out.update(("model", m) for m in lp.all_models)
    out.update(("model", evasion.model_key(m)) for m in lp.field_models)
    if _SPACED_OUT.search(lp.listing.title):
        out.update(("model", k) for k in evasion.model_candidates(f"{lp.listing.title} {lp.listing.model}"))
    if lp.brand_norm:
        out.add(("brand", lp.brand_norm))
        _anagram(out, lp.brand_norm)
    words = lp.title_norm.split()
    out.update(("token", w) for w in words)
    out.update(("token", t) for t in lp.title_tokens)
    out.update(("token", t) for t in lp.desc_tokens)
    for w in [w for w in words if w not in NOISE and w.isalpha()][:FUZZY_TITLE_WORDS]:
        _anagram(out, w)  # fuzzy brand lookups of the first title words
    for t in lp.title_tokens:
        if len(t) >= 5 and t.isalpha() and t not in NOISE:
            _anagram(out, t)  # misspelt title words the matcher corrects to target words
    return {(k, v) for k, v in out if v and len(v) <= MAX_KEY_LEN}


def _anagram(out: set[tuple[str, str]], word: str) -> None:
    key = word.replace(" ", "")
    if len(key) >= MIN_FUZZY_LEN:
        out.add(("anagram", anagram_key(key)))


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
