"""Fuzzy lookup of known brands: exact forms, one-edit forms (SymSpell-style deletes, which also
catch swapped neighbouring letters) and anagram keys (scrambled letters), all as dict lookups; and,
asked separately (``sounds_like``: for a brand field, not for title words, where "garden" would sound
like Gordon), sound keys (Metaphone: "Cybeks" for Cybex, "Julz" for Joolz).

>>> b = BrandIndex(sounds=True)
>>> b.add("cervelo", 0); b.add("black diamond", 1); b.add("marin", 2)
>>> b.lookup("cerevlo")
[('cervelo', 'misspelt', 0.85)]
>>> b.lookup("mrain")
[('marin', 'misspelt', 0.85)]
>>> b.lookup("cervelo")
[('cervelo', 'exact', 1.0)]
>>> b.add("joolz", 3); b.lookup("julz"), b.sounds_like("julz")
([], [('joolz', 'sounds alike', 0.75)])
"""

from __future__ import annotations

from collections import defaultdict

import jellyfish
from rapidfuzz.distance import DamerauLevenshtein

MIN_FUZZY_LEN = 4
#: A sound key shorter than this says little ("RK" is Rocky, rake and rock); a sound-alike must also keep
#: this share of the letters (Damerau-Levenshtein similarity)
MIN_SOUND_KEY = 3
MIN_SOUND_SIM = 0.6


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def sound_key(word: str) -> str:
    """The Metaphone key of a word of ``MIN_FUZZY_LEN`` letters or more, when it is long enough to say
    something (``MIN_SOUND_KEY``); '' otherwise.

    >>> sound_key("cybeks"), sound_key("rocky"), sound_key("x100")
    ('SBKS', '', '')
    """
    if len(word) < MIN_FUZZY_LEN or not word.isalpha():
        return ""
    key: str = jellyfish.metaphone(word)
    return key if len(key) >= MIN_SOUND_KEY else ""


def anagram_key(word: str) -> str:
    """Letters sorted: 'acnheer' and 'anceher' share 'aceehnr'."""
    return "".join(sorted(word.replace(" ", "")))


class BrandIndex:
    """Maps brand forms (normalised strings) to the ids of the targets that carry them."""

    def __init__(self, sounds: bool = False) -> None:
        """``sounds``: also index forms by their sound key, for :meth:`sounds_like`."""
        self.sounds = sounds
        self.exact: dict[str, set[int]] = defaultdict(set)
        self._del: dict[str, set[str]] = defaultdict(set)
        self._anagram: dict[str, set[str]] = defaultdict(set)
        self._sound: dict[str, set[str]] = defaultdict(set)
        self._cache: dict[str, list[tuple[str, str, float]]] = {}
        self._sound_cache: dict[str, list[tuple[str, str, float]]] = {}

    def add(self, form: str, target_id: int) -> None:
        """Index one brand form of a target."""
        if not form:
            return
        self._cache.clear()
        self._sound_cache.clear()
        self.exact[form].add(target_id)
        key = form.replace(" ", "")
        if len(key) >= MIN_FUZZY_LEN:
            self._del[key].add(form)
            for d in _deletes(key):
                self._del[d].add(form)
            self._anagram[anagram_key(key)].add(form)
            if self.sounds and (sound := sound_key(key)):
                self._sound[sound].add(form)

    def lookup(self, word: str) -> list[tuple[str, str, float]]:
        """Known brand forms ``word`` may be: (form, how, similarity), best first (memoised: words repeat)."""
        hit = self._cache.get(word)
        if hit is None:
            if len(self._cache) > 500_000:
                self._cache.clear()
            hit = self._cache[word] = self._lookup(word)
        return hit

    def _lookup(self, word: str) -> list[tuple[str, str, float]]:
        if word in self.exact:
            return [(word, "exact", 1.0)]
        key = word.replace(" ", "")
        if len(key) < MIN_FUZZY_LEN:
            return []
        found: dict[str, tuple[str, float]] = {}
        for cand in (key, *_deletes(key)):
            for form in self._del.get(cand, ()):
                if abs(len(form.replace(" ", "")) - len(key)) <= 1:
                    found.setdefault(form, ("misspelt", 0.85))
        if len(key) >= 5:
            for form in self._anagram.get(anagram_key(key), ()):
                if form[0] == key[0] or form[-1] == key[-1]:
                    found.setdefault(form, ("scrambled", 0.75))
        return sorted(((f, how, s) for f, (how, s) in found.items()), key=lambda x: (-x[2], x[0]))

    def sounds_like(self, word: str) -> list[tuple[str, str, float]]:
        """Known brand forms that sound like ``word`` and keep most of its letters (an index built with
        ``sounds``; memoised).

        >>> b = BrandIndex(sounds=True); b.add("cybex", 0); b.sounds_like("cybeks"), b.sounds_like("sikes")
        ([('cybex', 'sounds alike', 0.75)], [])
        """
        hit = self._sound_cache.get(word)
        if hit is None:
            if len(self._sound_cache) > 500_000:
                self._sound_cache.clear()
            key = word.replace(" ", "")
            hit = self._sound_cache[word] = [
                (form, "sounds alike", 0.75)
                for form in sorted(self._sound.get(sound_key(key), ()))
                if DamerauLevenshtein.normalized_similarity(key, form.replace(" ", "")) >= MIN_SOUND_SIM
            ]
        return hit

    def targets(self, form: str) -> set[int]:
        """The targets carrying an exact brand form."""
        return self.exact.get(form, set())
