"""Product-type words in the languages sellers write in, mapped to English canonical types.

The table lives in ``data/product_terms.yaml`` (maintained by hand; see its header for the rules).
Latin and Cyrillic terms are matched as whole words after transliteration and accent folding with
``unidecode``; Chinese, Japanese and Korean terms are matched as substrings, longest first.

>>> translate_product_terms("儿童电动滑板车 Kinderwagen poussette")
['electric scooter', 'stroller']
>>> product_types("Kids bike helmet with casco")
['bicycle', 'helmet']
>>> transliterate("Разор самокат")
'Razor samokat'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml
from unidecode import unidecode

# Scripts written without spaces between words: matched as substrings, not as words.
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f]")
_WORD_SPLIT = re.compile(r"[^a-z0-9]+")


def transliterate(text: str) -> str:
    """ASCII transliteration (unidecode) of non-Latin scripts and accented letters; ASCII passes as is.

    >>> transliterate("Šcooter Ракета")
    'Scooter Raketa'
    """
    return text if text.isascii() else unidecode(text)


def fold_words(text: str) -> list[str]:
    """Lower-case ASCII words of ``text``: CJK removed, the rest transliterated, punctuation dropped.

    >>> fold_words("Poussette-Bébé  d'été 电池")
    ['poussette', 'bebe', 'd', 'ete']
    """
    if not text.isascii():
        text = unidecode(_CJK.sub(" ", text))
    return [w for w in _WORD_SPLIT.split(text.lower()) if w]


@dataclass(frozen=True)
class _Entry:
    product_type: str
    english: bool  # the term is (also) an English word: not a translation


class TermTable:
    """The compiled term table: word phrases, compound heads and CJK substrings."""

    def __init__(self, types: dict[str, dict[str, list[str]]]) -> None:
        self.phrases: dict[tuple[str, ...], _Entry] = {}
        self.suffixes: list[tuple[str, _Entry]] = []
        cjk: dict[str, _Entry] = {}
        english_words = {
            tuple(fold_words(t)) for per_lang in types.values() for t in per_lang.get("en", []) or []
        }
        for ptype, per_lang in types.items():
            for lang, terms in per_lang.items():
                for term in terms or []:
                    if _CJK.search(term):
                        cjk.setdefault(term, _Entry(ptype, False))
                        continue
                    suffix = term.startswith("*")
                    words = tuple(fold_words(term.lstrip("*")))
                    if not words:
                        continue
                    entry = _Entry(ptype, lang == "en" or words in english_words)
                    if suffix:
                        self.suffixes.append((words[0], entry))
                    else:
                        self.phrases.setdefault(words, entry)
        self.cjk = cjk
        # Alternatives longest first: at each position the regex takes the longest term.
        self.cjk_re = re.compile("|".join(re.escape(t) for t in sorted(cjk, key=lambda t: -len(t))))
        self.max_words = max((len(k) for k in self.phrases), default=1)
        # first words of the phrases of two words or more: only there is a longer match worth looking for
        self._heads = frozenset(k[0] for k in self.phrases if len(k) > 1)
        self.suffixes.sort(key=lambda kv: -len(kv[0]))
        self._words: dict[str, _Entry | None] = {}

    def _word(self, word: str) -> _Entry | None:
        """The entry one word names, memoised: the compound heads are tried one by one."""
        if word in self._words:
            return self._words[word]
        if len(self._words) > 200_000:
            self._words.clear()
        hit = self._words[word] = self._lookup_word(word)
        return hit

    def _lookup_word(self, word: str) -> _Entry | None:
        hit = self.phrases.get((word,))
        if hit is None and len(word) > 4:
            for cut in ("es", "s"):
                if word.endswith(cut) and (hit := self.phrases.get((word[: -len(cut)],))):
                    break
        if hit is None and len(word) > 6:
            for head, entry in self.suffixes:
                if word.endswith(head) and len(word) > len(head) + 2:
                    return entry
        return hit

    def find(self, text: str) -> list[tuple[int, _Entry]]:
        """(position, entry) for every term in ``text``; longest match wins where terms overlap."""
        found: list[tuple[int, _Entry]] = []
        if not text.isascii() and _CJK.search(text):
            found.extend((m.start(), self.cjk[m.group(0)]) for m in self.cjk_re.finditer(text))
        words = fold_words(text)
        heads, phrases, end = self._heads, self.phrases, len(words)
        i = 0
        while i < end:
            n, hit = 1, None
            if words[i] in heads:  # the longest phrase starting here, if any
                for n in range(min(self.max_words, end - i), 1, -1):
                    if (hit := phrases.get(tuple(words[i : i + n]))) is not None:
                        break
            if hit is None:
                n, hit = 1, self._word(words[i])
            if hit is not None:
                # Word positions come after CJK positions: order within each group is kept.
                found.append((len(text) + i, hit))
            i += n
        found.sort(key=lambda pe: pe[0])
        return found


@lru_cache(maxsize=1)
def _packaged() -> dict[str, Any]:
    raw = resources.files("recallguard.matching").joinpath("data/product_terms.yaml").read_text("utf-8")
    # libyaml's parser when PyYAML has it (its wheels do): 7x faster than the pure-Python one, which cost
    # every command and server ~0.15 s at start; packaged data only (rule files stay on ``safe_load``)
    doc: dict[str, Any] = yaml.load(raw, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return doc


@lru_cache(maxsize=1)
def term_table() -> TermTable:
    """The packaged term table, loaded once."""
    return TermTable(_packaged()["types"])


@lru_cache(maxsize=1)
def word_synonyms() -> dict[str, tuple[str, ...]]:
    """English words that name the same product (the table's ``synonyms``): word → the others.

    >>> word_synonyms()["pram"], word_synonyms()["rucksack"]
    (('stroller', 'pushchair'), ('backpack', 'knapsack'))
    """
    out: dict[str, tuple[str, ...]] = {}
    for group in _packaged().get("synonyms", []):
        for word in group:
            out[word] = tuple(w for w in group if w != word)
    return out


@lru_cache(maxsize=1)
def word_table() -> TermTable:
    """The table's ``words`` (whom or what a product is for, in other languages), loaded once."""
    return TermTable(_packaged().get("words", {}))


def translate_words(text: str) -> list[str]:
    """The English words for what ``text`` says in other languages of whom or what a product is for, in
    order ("enfants" → children, "elektrisch" → electric); product types are
    :func:`translate_product_terms`'.

    >>> translate_words("Casques vélo enfants, trottinette électrique pliante")
    ['children', 'electric', 'folding']
    """
    if not text:
        return []
    return _unique([e.product_type for _, e in word_table().find(text)])


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def translate_product_terms(text: str) -> list[str]:
    """English canonical product types named in ``text`` by words in other languages, in order.

    English words are not translations and are left out (see :func:`product_types`).

    >>> translate_product_terms("Casque vélo enfant 儿童头盔")
    ['helmet', 'bicycle']
    >>> translate_product_terms("bicycle helmet")
    []
    """
    if not text:
        return []
    return _unique([e.product_type for _, e in term_table().find(text) if not e.english])


_CJK_RUN = re.compile(f"(?:{_CJK.pattern})+")


def cjk_in_english(text: str) -> str:
    """``text`` with each run of Chinese, Japanese or Korean characters replaced by the English product
    types it names, in place, and dropped where it names none (sales words such as 包邮 "free
    shipping" or 正品 "genuine", which no recall's words can match). Other text is left as it is.

    >>> cjk_in_english("正品 Three-Wheeled 儿童滑板车 with Foot Brake 包邮")
    'Three-Wheeled scooter with Foot Brake'
    """
    if text.isascii() or not _CJK.search(text):
        return text
    table = term_table()

    def english(m: re.Match[str]) -> str:
        types = _unique([table.cjk[t].product_type for t in table.cjk_re.findall(m.group(0))])
        return f" {' '.join(types)} " if types else " "

    return " ".join(_CJK_RUN.sub(english, text).split())


def product_types(text: str) -> list[str]:
    """Every canonical product type named in ``text``, in English or another language.

    >>> product_types("Baby stroller / Kinderwagen / 婴儿车 + car seat")
    ['stroller', 'car seat']
    """
    if not text:
        return []
    return _unique([e.product_type for _, e in term_table().find(text)])
