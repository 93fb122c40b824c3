"""Leetspeak undone word by word, where the decoded word is one the recalls use.

Sellers write "R4z0r 3l3ctr1c 5c00t3r" so that a word filter misses them. Decoding every word with a
digit would destroy model numbers ("E300", "KY055", "R7583BPS"), which are the strongest evidence the
matcher has; so a word is decoded only when its decoded form is a known word — a word of the recalls'
brands, product names and texts, or of sellers' marketing words ("upgraded", "premium") — and the word
as written is not known (a recall's own model code stays a code).

Words with two letters or more ("B1k3", "Cro55") are decoded wherever they are. A word with one letter
("70p", "B47", "5k1") reads as well as a model number as it does as leetspeak: it is decoded in a brand
field, and in a title only when another word of the same title was decoded (the seller writes in
leetspeak). All-digit words ("537") are never decoded.

>>> decoder = LeetDecoder({"razor", "electric", "scooter", "top"})
>>> decoder.text("R4z0r 3l3ctr1c 5c00t3r E300 70p")
'razor electric scooter E300 top'
>>> decoder.text("Scooter E300 70p")
'Scooter E300 70p'
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import replace

from recallguard.domain.models import Listing
from recallguard.matching.normalize import NOISE, singular

#: Leetspeak characters and the letters they stand for; "1" is tried as "i", then as "l".
_AS_I = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g",
                       "@": "a", "$": "s"})  # fmt: skip
_AS_L = str.maketrans({"1": "l"})
_LEET_CHARS = frozenset("01345789@$")
_WORD = re.compile(r"[A-Za-z0-9@$]+(?:'[A-Za-z0-9@$]+)?")  # "Ch1ldr3n'5" is one word
#: a decoded word shorter than this stays as written: "3D", "A4" and "T5" are no leetspeak
MIN_DECODED = 3
_MEMO_LIMIT = 200_000


class LeetDecoder:
    """Decodes leetspeak words into ``known`` words (lower-case, singular tokens; see module doc)."""

    def __init__(self, known: Collection[str]) -> None:
        self.known = frozenset(known) | NOISE
        self._memo: dict[str, str] = {}  # written word → its decoded form ('' when it has none)

    def decode_word(self, word: str) -> str:
        """The known word ``word`` stands for, or '' when it is not leetspeak for one.

        >>> decoder = LeetDecoder({"cross", "child", "ky055"})
        >>> decoder.decode_word("Cro55"), decoder.decode_word("Ch1ld'5"), decoder.decode_word("KY055")
        ('cross', "child's", '')
        """
        got = self._memo.get(word)
        if got is None:
            if len(self._memo) > _MEMO_LIMIT:
                self._memo.clear()
            got = self._memo[word] = self._decode(word)
        return got

    def _decode(self, word: str) -> str:
        lower = word.lower()
        if len(word) < 2 or _LEET_CHARS.isdisjoint(word) or not any(c.isalpha() for c in word):
            return ""
        if self._is_known(lower):
            return ""  # a recall's own code ("e300") or a word as it is
        first = lower.translate(_AS_I)
        for decoded in (first, first.translate(_AS_L) if "1" in lower else ""):
            bare = decoded.replace("'", "")
            if len(bare) >= MIN_DECODED and bare.isalpha() and self._is_known(decoded):
                return decoded
        return ""

    def _is_known(self, word: str) -> bool:
        if word in self.known:
            return True
        stem = singular(word.strip("'").removesuffix("'s"))
        return stem in self.known

    def text(self, text: str, *, field: bool = False) -> str:
        """``text`` with its leetspeak words decoded (``field``: a brand field, where one-letter words
        are decoded too). Text without a leetspeak character comes back as it is.

        >>> LeetDecoder({"scott"}).text("5C077", field=True), LeetDecoder({"scott"}).text("5C077")
        ('scott', '5C077')
        """
        if not text or _LEET_CHARS.isdisjoint(text):
            return text
        found: dict[str, str] = {}
        strong = field  # one-letter words count once a word of two letters or more is leetspeak
        for w in _WORD.findall(text):
            if w.isalpha() or w.isdigit():
                continue
            if d := self.decode_word(w):
                found[w] = d
                strong = strong or sum(c.isalpha() for c in w) >= 2
        if not found or not strong:
            return text
        return _WORD.sub(lambda m: found.get(m.group(0)) or m.group(0), text)

    def listing(self, listing: Listing) -> Listing:
        """``listing`` with its title and brand decoded; the same object when there was nothing to decode.

        >>> x = Listing("L1", "B1cycl3 h3lm3t", brand="G1r0")
        >>> LeetDecoder({"bicycle", "helmet", "giro"}).listing(x).title
        'bicycle helmet'
        """
        title = self.text(listing.title)
        brand = self.text(listing.brand, field=True) if listing.brand else listing.brand
        if title is listing.title and brand is listing.brand:
            return listing
        return replace(listing, title=title, brand=brand)
