"""A recalled brand glued to the words after it ("razorelectric scooter", "#RazorScooter"), written apart;
a brand or word spelt out letter by letter ("R a z o r", "R.a.z.o.r"), written whole.

Hashtags and titles typed without spaces hide a brand from a filter on words: "RazorScooter" is no word
the recalls use. A word is taken apart only when it is unknown as written and reads as a recalled
brand followed by words the recalls or sellers use (or such words followed by the brand), each of three
letters or more, three parts at most. Only the brands' own forms count (a brand of several words glued
into one, "RockyMountain", too; not a company's single words or a product line's lead word), so
everyday compounds stay whole.

>>> glue = GlueSplitter({"razor", "rocky mountain"}, {"electric", "scooter", "bike"})
>>> glue.text("#RazorElectric scooter, razorscooters, RockyMountainBike")
'#Razor Electric scooter, razor scooters, Rocky Mountain Bike'
>>> glue.text("Razorback electrician")
'Razorback electrician'
>>> glue.spelt_out("R a z o r  E.L.E.C.T.R.I.C scooter, a b c")
'Razor ELECTRIC scooter, a b c'
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import replace

from recallguard.domain.models import Listing
from recallguard.matching.evasion import split_run_together
from recallguard.matching.normalize import NOISE, singular

MIN_PART = 3  # shorter parts ("tv", "go", "or") meet too many words by chance
MAX_PARTS = 3
_WORD = re.compile(r"[A-Za-z]{7,}")
#: three letters or more, each alone, apart by a space, a dot, a dash or a star ("R a z o r", "R.a.z.o.r")
_SPELT = re.compile(r"(?<![A-Za-z0-9])[A-Za-z](?:[ .*-]{1,2}[A-Za-z](?![A-Za-z0-9])){2,}")
_SPELT_HINT = re.compile(r"\b[A-Za-z][ .*-]{1,2}[A-Za-z][ .*-]{1,2}[A-Za-z]\b")  # the same, scanned faster
_MEMO_LIMIT = 200_000


class GlueSplitter:
    """Writes apart words made of a recalled brand and known words (see the module doc)."""

    def __init__(self, brands: Collection[str], known: Collection[str]) -> None:
        #: a brand's letters → the brand as written apart ("rockymountain" → "rocky mountain")
        self.brands: dict[str, str] = {}
        for b in sorted(brands):
            bare = b.removesuffix("'s").replace("'", "")
            joined = bare.replace(" ", "")
            if len(joined) >= MIN_PART and joined.isalpha():
                self.brands.setdefault(joined, bare)
        self.known = frozenset(w for w in {*known, *NOISE} if len(w) >= MIN_PART and w.isalpha())
        self._memo: dict[str, str] = {}  # lower-case word → its parts joined by spaces ('' when whole)

    def split_word(self, word: str) -> str:
        """``word`` written apart ('' when it stays whole), in the case it was written.

        >>> GlueSplitter({"razor"}, {"electric", "scooter"}).split_word("ElectricRazor")
        'Electric Razor'
        """
        lower = word.lower()
        got = self._memo.get(lower)
        if got is None:
            if len(self._memo) > _MEMO_LIMIT:
                self._memo.clear()
            got = self._memo[lower] = self._split(lower)
        if not got:
            return ""
        out, k = [], 0
        for part in got.split():
            out.append(word[k : k + len(part)])
            k += len(part)
        return " ".join(out)

    def _split(self, w: str) -> str:
        if w in self.known or w in self.brands or self._is_known(w):
            return ""
        brands = self.brands
        for i in range(len(w) - MIN_PART, MIN_PART - 1, -1):  # the longest brand first
            left, right = w[:i], w[i:]
            if left in brands and (rest := self._words(right, MAX_PARTS - 1)):
                return f"{brands[left]} {rest}"
            if right in brands and (rest := self._words(left, MAX_PARTS - 1)):
                return f"{rest} {brands[right]}"
        return ""

    def _is_known(self, w: str) -> bool:
        return singular(w) in self.known

    def _words(self, s: str, parts: int) -> str:
        """``s`` as up to ``parts`` known words, written apart ('' when it is not)."""
        if len(s) >= MIN_PART and (s in self.known or self._is_known(s)):
            return s
        if parts < 2:
            return ""
        for i in range(len(s) - MIN_PART, MIN_PART - 1, -1):
            head = s[:i]
            if head in self.known and (tail := self._words(s[i:], parts - 1)):
                return f"{head} {tail}"
        return ""

    def spelt_out(self, text: str) -> str:
        """``text`` with brands and words spelt out letter by letter written whole, where the letters are
        a recalled brand or a word the recalls use; the same string when there were none.

        >>> GlueSplitter({"black diamond"}, {"helmet"}).spelt_out("B-l-a-c-k D-i-a-m-o-n-d climbing")
        'Black Diamond climbing'
        """

        def whole(m: re.Match[str]) -> str:
            letters = "".join(c for c in m.group(0) if c.isalpha())
            lower = letters.lower()
            form = self.brands.get(lower) or (lower if lower in self.known else "") or self._split(lower)
            if not form:
                return m.group(0)
            out, k = [], 0
            for part in form.split():
                out.append(letters[k : k + len(part)])
                k += len(part)
            return " ".join(out)

        return _SPELT.sub(whole, text) if _SPELT_HINT.search(text) else text

    def text(self, text: str) -> str:
        """``text`` with its glued words written apart; the same string when there were none."""
        words = _WORD.findall(text) if text else ()
        if not words:
            return text
        memo = self._memo
        if all(memo.get(w.lower()) == "" for w in words):  # the common case: every word known whole
            return text
        found = {w: s for w in set(words) if (s := self.split_word(w))}
        if not found:
            return text
        return _WORD.sub(lambda m: found.get(m.group(0)) or m.group(0), text)

    def listing(self, listing: Listing) -> Listing:
        """``listing`` with its title's spelt-out words written whole and its glued words written apart
        (camel-case words of three parts or more
        by their case, :func:`~recallguard.matching.evasion.split_run_together`, then the rest by the
        recalls' words); the same object when there were none.

        >>> GlueSplitter({"razor"}, {"scooter"}).listing(Listing("L1", "RazorScooter E300")).title
        'Razor Scooter E300'
        """
        title = self.text(split_run_together(self.spelt_out(listing.title)))  # camel-case words first
        return listing if title == listing.title else replace(listing, title=title)
