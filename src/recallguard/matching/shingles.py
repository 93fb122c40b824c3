"""Text fingerprints of the fingerprint bank: evasion-folded character shingles and their MinHash.

A listing's text (title, description, translated product words) and its title without marketing words
are folded (homoglyphs, leetspeak, spacing, punctuation and case undone), cut into 6-character shingles
and MinHashed with 64 fixed permutations; the bank stores these values with each removed listing and
compares a new listing's with them (``matching.fingerprints``).

>>> a, _ = shingle_values(listing_text(Listing("L1", "Joolz Aer2 car seat adapter")))
>>> b, _ = shingle_values(listing_text(Listing("L2", "J00lz  Aer-2 car seat adaptor")))
>>> bool((a == b).mean() > 0.5)
True
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from functools import lru_cache

import numpy as np

from recallguard.domain.models import Listing
from recallguard.matching.evasion import clean_text, skeleton
from recallguard.matching.evasion_terms import translate_product_terms
from recallguard.matching.minhash import minhash32

NUM_PERM = 64
SHINGLE = 6
_FOLD = str.maketrans("o0il1!|s5$a4@e3t7b8g9z2", "00111115554443377889922")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_MARKETING = re.compile(
    r"\b(new|hot|sale|best|gift|high quality|premium|durable|portable|original|upgraded|limited stock|"
    r"free shipping|fast delivery|factory (direct|price)|custom logo|drop shipping|bulk order|wholesale|"
    r"\d+\s?pcs|20\d\d)\b",
    re.I,
)
SEED = 7  # the permutations every stored fingerprint was made with


def fold_for_shingles(text: str) -> str:
    """Text reduced to what survives disguise: skeleton, letters and look-alike digits in one
    class, no spaces or punctuation.

    >>> fold_for_shingles("R4z0r  Ѕcooter") == fold_for_shingles("razor scooter")
    True
    """
    return _NON_ALNUM.sub("", skeleton(text)).translate(_FOLD)


@lru_cache(maxsize=1024)
def shingle_values(text: str) -> tuple[np.ndarray, int]:
    """The MinHash values (``uint32``, read-only) of the folded text's character shingles, and how many
    shingles it has (an empty text: no shingles, every value ``minhash.EMPTY``). Remembered for the last
    1,024 texts: a listing blocked at publish time is screened against the bank and then fingerprinted
    into it, the same two texts hashed twice otherwise.

    >>> v, n = shingle_values("Joolz Aer2 adapter")
    >>> v.shape, v.dtype.name, n, v.flags.writeable
    ((64,), 'uint32', 11, False)
    >>> shingle_values("")[1], shingle_values("--")[1]
    (0, 0)
    """
    return folded_values(fold_for_shingles(text))


@lru_cache(maxsize=1024)
def folded_values(folded: str) -> tuple[np.ndarray, int]:
    """:func:`shingle_values` of a text already folded, remembered by the folded form: a listing's text
    and its title fold to the same letters when it has no description and no marketing words, and are
    then hashed once.

    >>> folded_values(fold_for_shingles("Joolz Aer2 adapter")) is shingle_values("JOOLZ  aer2 adapter!")
    True
    """
    raw = folded.encode()  # ASCII letters and digits only: a byte is a character
    # a text shorter than a shingle is its one shingle
    grams = {raw[i : i + SHINGLE] for i in range(max(1, len(raw) - SHINGLE + 1))} if raw else set()
    values = minhash32(grams, NUM_PERM, SEED)
    values.setflags(write=False)
    return values, len(grams)


def contained(j: np.ndarray, stored: np.ndarray, query: int) -> np.ndarray:
    """Share of the stored shingles found in the query, from Jaccard and both set sizes:
    |A∩B| = J(|A|+|B|)/(1+J). Catches a removed title buried in keyword stuffing (0 where the stored
    title has fewer than 15 shingles: too few to tell).

    >>> contained(np.array([0.25, 0.25]), np.array([20, 10]), 80).round(2).tolist()
    [1.0, 0.0]
    """
    share = np.minimum(1.0, j * (stored + query) / ((1.0 + j) * np.maximum(stored, 1)))
    return np.where(stored < 15, 0.0, share)


@lru_cache(maxsize=8192)
def title_words(title: str) -> tuple[str, ...]:
    """A title's words, each folded as for shingles (disguises undone), empty ones dropped. Remembered
    for the last 8,192 titles and brands: a bank loads many copies of one removed product.

    >>> title_words("SUG1FT  Original, pink") == title_words("sugift original pink")
    True
    >>> len(title_words("SUG1FT  Original, pink"))
    3
    """
    return tuple(w for w in (fold_for_shingles(x) for x in clean_text(title).split()) if w)


def stuffed_around(words: Sequence[str], head: Sequence[str], brands: Collection[str]) -> int:
    """How many distinct known ``brands`` the words around ``head`` name, where ``words`` holds ``head``
    word for word (0 when it does not, or ``head`` is a single word).

    >>> words = ["joolz", "toy", "acme", "stroller", "zeta"]
    >>> stuffed_around(words, ["toy", "acme"], {"joolz", "zeta", "acme"})
    2
    """
    n = len(head)
    if n < 2:
        return 0
    for i in range(len(words) - n + 1):
        if words[i] == head[0] and list(words[i : i + n]) == list(head):
            rest = {w for w in (*words[:i], *words[i + n :]) if w in brands}
            return len(rest - set(head))
    return 0


def listing_text(listing: Listing) -> str:
    """The text a listing is fingerprinted by: title, description and translated product words."""
    text = f"{listing.title} {listing.description}"
    return f"{text} {' '.join(translate_product_terms(text))}"


def title_text(listing: Listing) -> str:
    """The title a listing's title shingles are taken from: without sellers' marketing words, with
    translated product words.

    >>> title_text(Listing("L", "Hot Sale Joolz stroller")).split()
    ['Joolz', 'stroller']
    """
    title = _MARKETING.sub(" ", clean_text(listing.title))
    return f"{title} {' '.join(translate_product_terms(title))}"
