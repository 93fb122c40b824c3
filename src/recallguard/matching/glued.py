"""A recalled brand glued to the words after it ("razorelectric scooter", "#RazorScooter"), written apart;
a brand or word spelt out letter by letter ("R a z o r", "R.a.z.o.r"), written whole.

Hashtags and titles typed without spaces hide a brand from a filter on words: "RazorScooter" is no word
the recalls use. A word is taken apart only when it is unknown as written and reads as a recalled
brand followed by words the recalls or sellers use (or such words followed by the brand), each of three
letters or more, three parts at most. Only the brands' own forms count (a brand of several words glued
into one, "RockyMountain", too, and alone, "rockymountain"; not a company's single words or a product
line's lead word), so everyday compounds stay whole. Where a digit or the case marks the brand's end, a
brand that is also a plain word of the recalls counts too: a brand run into a year or a code
("rossignol2018", "RedlineD640", unless the recalls write that code) and a camel-case word of two parts
("HeadSki"); never a lower-case word ("headphones").

>>> glue = GlueSplitter({"razor", "rocky mountain"}, {"electric", "scooter", "bike"})
>>> glue.text("#RazorElectric scooter, razorscooters, RockyMountainBike")
'#Razor Electric scooter, razor scooters, Rocky Mountain Bike'
>>> glue.text("Razorback electrician, rockymountain")
'Razorback electrician, rocky mountain'
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
#: letters run into a digit ("rossignol2018", "RedlineD640", "gyroorc3"): a brand and a code or a year
_INTO_DIGIT = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]{4,})(?=([0-9][A-Za-z0-9]*))")
#: a word of two parts by its case ("HeadSki", "BellSlope")
_TWO_PARTS = re.compile(r"(?<![A-Za-z0-9'])([A-Z][a-z]{2,})([A-Z][a-z]{2,})(?![A-Za-z0-9'])")
_MARKED_HINT = re.compile(r"[A-Za-z]{4}[0-9]|[a-z][A-Z][a-z]")
MAX_CODE_LETTERS = 3  # a code's letters before its digits ("D640", "RC4", "c3")
MIN_BRAND_BEFORE_CODE = 4


class GlueSplitter:
    """Writes apart words made of a recalled brand and known words (see the module doc)."""

    def __init__(
        self,
        brands: Collection[str],
        known: Collection[str],
        plain_brands: Collection[str] = (),
        codes: Collection[str] = (),
    ) -> None:
        #: a brand's letters → the brand as written apart ("rockymountain" → "rocky mountain")
        self.brands: dict[str, str] = _joined(brands)
        #: with the brands that are also plain words ("Head", "Bell"): read only where the case or a digit
        #: marks where the brand ends ("HeadSki", "Flow2014"), never inside a lower-case word
        self.marked_brands: dict[str, str] = _joined(plain_brands) | self.brands
        #: the recalls' own codes in lower case ("pro2000"): a code a recall writes is not taken apart
        self.codes = frozenset(c.lower() for c in codes)
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
        if w in self.brands:  # a brand of several words run together ("rockymountain") is written apart
            return self.brands[w] if " " in self.brands[w] else ""
        if w in self.known or self._is_known(w):
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

    def marked(self, text: str) -> str:
        """``text`` with a brand run into a code or a year ("rossignol2018", "RedlineD640") or into a word
        by its case ("HeadSki") written apart; the same string when there was none.

        >>> glue = GlueSplitter({"redline"}, {"ski", "boot"}, plain_brands={"head"}, codes={"pro2000"})
        >>> glue.marked("redline2018 bicycle, RedlineD640, HeadSki Boots, headski, Pro2000, SuperSki")
        'redline 2018 bicycle, Redline D640, Head Ski Boots, headski, Pro2000, SuperSki'
        """
        if not text or _MARKED_HINT.search(text) is None:  # one scan: most titles have neither
            return text
        return _TWO_PARTS.sub(self._brand_word, _INTO_DIGIT.sub(self._brand_code, text))

    def _brand_code(self, m: re.Match[str]) -> str:
        letters = m.group(1)
        lower = letters.lower()
        if len(lower) < MIN_BRAND_BEFORE_CODE or f"{lower}{m.group(2).lower()}" in self.codes:
            return letters
        if lower in self.marked_brands:
            cut = len(letters)
        else:  # a brand, then the code's own letters ("D" of "D640")
            cut = next((len(letters) - k for k in range(1, MAX_CODE_LETTERS + 1)
                        if len(letters) - k >= MIN_BRAND_BEFORE_CODE
                        and lower[: len(letters) - k] in self.marked_brands), 0)  # fmt: skip
        if not cut:
            return letters
        return f"{letters[:cut]} {letters[cut:]}" if cut < len(letters) else f"{letters} "

    def _brand_word(self, m: re.Match[str]) -> str:
        left, right = m.group(1), m.group(2)
        lo, ro = left.lower(), right.lower()
        if f"{lo}{ro}" in self.known or f"{lo}{ro}" in self.marked_brands:
            return m.group(0)
        brands = self.marked_brands
        if (lo in brands and self._is_word(ro)) or (ro in brands and self._is_word(lo)):
            return f"{left} {right}"
        return m.group(0)

    def _is_word(self, w: str) -> bool:
        return w in self.known or self._is_known(w)

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
        title = self.text(self.marked(split_run_together(self.spelt_out(listing.title))))  # by case first
        return listing if title == listing.title else replace(listing, title=title)


def _joined(brands: Collection[str]) -> dict[str, str]:
    """A brand's letters → the brand as written apart, for brands of three letters or more."""
    out: dict[str, str] = {}
    for b in sorted(brands):
        bare = b.removesuffix("'s").replace("'", "")
        joined = bare.replace(" ", "")
        if len(joined) >= MIN_PART and joined.isalpha():
            out.setdefault(joined, bare)
    return out


_INTO_DIGIT_LOWER = re.compile(r"(?<![a-z0-9])([a-z]{4,})(?=[0-9])")


def marked_parts(text: str) -> set[str]:
    """The words a brand run into a code ("rossignol2018", "RedlineD640") or into a word by its case
    ("HeadSki") could be, in lower case, whatever the recalls: what a listing is keyed by so that a new
    recall's brand finds it (:meth:`GlueSplitter.marked` decides, with the recalls at hand).

    >>> sorted(marked_parts("Redline D640, RedlineD640 and HeadSki boots"))
    ['head', 'redli', 'redlin', 'redline', 'redlined', 'ski']
    """
    out: set[str] = set()
    if _MARKED_HINT.search(text) is None:
        return out
    for letters in _INTO_DIGIT_LOWER.findall(text.lower()):
        out.update(letters[: len(letters) - k] for k in range(MAX_CODE_LETTERS + 1)
                   if len(letters) - k >= MIN_BRAND_BEFORE_CODE)  # fmt: skip
    for left, right in _TWO_PARTS.findall(text):
        out.update((left.lower(), right.lower()))
    return out
