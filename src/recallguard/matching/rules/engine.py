"""Screening listings against category-ban rules, fast.

A ``RuleSet`` compiles every rule once. Screening a listing first folds its text and looks its words up
in one set of trigger words (and its CJK text for the few CJK trigger phrases): a clean listing costs a
few microseconds and never reaches a rule. Candidate rules then match their phrases with compiled
regular expressions, parse attributes (sizes, counts, grades, angles...) and score.

>>> rules = RuleSet.load()
>>> m = rules.screen(Listing("L1", "216pcs 5mm Magnetic Balls N52 desk toy"))[0]
>>> m.recall_number, m.decision.value
('rule:cpsc-magnet-sets', 'block')
>>> rules.screen(Listing("L2", "Fridge magnets, set of 12 fruit shapes"))
[]
"""

from __future__ import annotations

import re
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from recallguard.domain.models import DecisionKind, Listing, Match
from recallguard.errors import RuleFileError
from recallguard.matching.evasion import split_run_together
from recallguard.matching.rules.attributes import UNITS, ListingAttributes, fold, parse_attributes
from recallguard.matching.rules.model import FIELDS, CategoryRule, Condition, Term, load_rule_file

VERSION = "rules-1"
_TOKEN = re.compile(r"[^\W_]+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "@": "a",
                       "$": "s", "!": "i", "|": "l", "€": "e"})  # fmt: skip
# leet inside a word: b4lls, m@gnetic, $peks, ball$
_LEET_INSIDE = re.compile(r"[a-z][0134578@!|€]+[a-z]|[@$€][a-z]|[a-z]{2}[$@]")
_LOOKALIKE = re.compile(r"[\u0370-\u04ff]")  # Greek and Cyrillic letters that may stand for Latin ones


def _known(word: str, vocab: Container[str] | None) -> bool:
    return vocab is None or word in vocab or word.removesuffix("s") in vocab


def _undisguise_word(word: str, vocab: Container[str] | None) -> str | None:
    """The word undisguised ("b@lls," → "balls", "m-agnetic" → "magnetic"), or None."""
    tokens = _TOKEN.findall(word)
    if _LEET_INSIDE.search(word):
        decoded = _TOKEN.findall(word.translate(_LEET))
        if any(_known(t, vocab) for t in decoded if t not in tokens):
            return " ".join(decoded)
    if len(tokens) > 1 and min(map(len, tokens)) == 1 and all(t.isalpha() for t in tokens):
        joined = "".join(tokens)
        if _known(joined, vocab):
            return joined
    return None


def _listing_text(listing: Listing, fields: Sequence[str], vocab: Container[str] | None) -> str:
    """The listing's ``fields`` as the rules read them: the title's words run together in camel case
    written apart ("SmallMagnetBallsSet", as a hashtag; descriptions are prose and long), folded, then
    undisguised."""
    texts = [getattr(listing, f) or "" for f in fields]
    texts = [split_run_together(t) if f == "title" else t for f, t in zip(fields, texts, strict=True)]
    return undisguise(fold(" \n ".join(texts)), vocab)


def undisguise(text: str, vocab: Container[str] | None = None) -> str:
    """Folded ``text``, followed by its undisguised form when sellers disguised words in it: leetspeak
    inside words ("b@lls", "magnet1c"), words split by separators or spaces ("m-agnetic", "b a l l s"),
    Latin words written with Cyrillic or Greek lookalikes. With ``vocab`` (the rules' words) only words
    that decode to one of them are decoded, so model numbers ("f100xwh1") stay as they are. Phrases are
    then found in either form; quantities and sizes ("216pcs", "5mm", "N52") are never decoded.

    >>> undisguise("216pcs 5mm m-agnetic b@lls, n52")
    '216pcs 5mm m-agnetic b@lls, n52 \\n 216pcs 5mm magnetic balls n52'
    >>> undisguise("216pcs 5mm light-up magnetic balls x100f1", vocab={"magnetic", "ball"})
    '216pcs 5mm light-up magnetic balls x100f1'
    """
    words = text.split(" ")
    out: list[str] = []
    changed = False
    run: list[str] = []  # consecutive one-letter words: "b a l l s"
    for w in [*words, ""]:
        if len(w) == 1 and w.isalpha():
            run.append(w)
            continue
        if run:
            joined = "".join(run)
            if len(run) >= 3 and _known(joined, vocab):
                out.append(joined)
                changed = True
            else:
                out.extend(run)
            run = []
        if w.isalpha() or not w:
            out.append(w)
            continue
        plain = _undisguise_word(w, vocab)
        changed = changed or plain is not None
        out.append(w if plain is None else plain)
    alt = " ".join(out).rstrip() if changed else text
    if _LOOKALIKE.search(alt):
        from recallguard.matching.evasion import skeleton  # confusables: Cyrillic а in "mаgnetic"

        alt = skeleton(alt)
    return text if alt == text else f"{text} \n {alt}"


def _variants(word: str) -> tuple[str, ...]:
    return (word, word + "s", word + "es")


class _Matcher:
    """Finds a list of terms in folded text: Latin terms as whole-word sequences over the listing's tokens
    (any separator, optional plural "s"/"es", also written as one word), CJK terms as substrings and
    ``re:`` terms as one regular expression. Word lookups are dict hits, so long term lists stay cheap."""

    def __init__(self, terms: Iterable[Term]) -> None:
        self.by_first: dict[str, list[tuple[tuple[str, ...], ...]]] = {}
        self.cjk: list[str] = []
        regexes: list[str] = []
        for t in terms:
            if t.regex:
                regexes.append(f"(?:{t.text})")
            elif _CJK.search(t.text):
                self.cjk.append(t.text)
            else:
                words = _TOKEN.findall(t.text)
                forms = [tuple(_variants(w)) for w in words]
                for first in forms[0]:
                    self.by_first.setdefault(first, []).append(tuple(forms[1:]))
                if len(words) > 1:
                    for joined in _variants("".join(words)):
                        self.by_first.setdefault(joined, []).append(())
        self.regex = re.compile("|".join(regexes)) if regexes else None
        self.empty = not (self.by_first or self.cjk or self.regex)

    def find(self, text: str, tokens: Sequence[str]) -> list[str]:
        """The terms found, as written in the listing, first occurrence first."""
        hits: list[str] = []
        if self.by_first:
            by_first = self.by_first
            n = len(tokens)
            for j, tok in enumerate(tokens):
                rests = by_first.get(tok)
                if rests is None:
                    continue
                best = 0
                for rest in rests:
                    k = len(rest)
                    if k >= best and j + k < n and all(tokens[j + 1 + i] in rest[i] for i in range(k)):
                        best = k + 1
                if best:
                    hits.append(" ".join(tokens[j : j + best]))
        for term in self.cjk:
            if term in text:
                hits.append(term)
        if self.regex is not None:
            hits.extend(m.group(0) for m in self.regex.finditer(text))
        return list(dict.fromkeys(hits))


@dataclass
class _Compiled:
    rule: CategoryRule
    strong: _Matcher
    related: _Matcher
    groups: list[_Matcher]
    support: _Matcher
    exclusions: _Matcher
    not_the_product: _Matcher

    @classmethod
    def build(cls, rule: CategoryRule) -> _Compiled:
        return cls(
            rule,
            _Matcher(rule.terms),
            _Matcher(rule.related_terms),
            [_Matcher(g.terms) for g in rule.required_any],
            _Matcher(rule.support_terms),
            _Matcher(rule.exclusions),
            _Matcher(rule.not_the_product),
        )


def _value(cond: Condition, values: list[float]) -> float | None:
    """The stated value that satisfies ``cond`` (per ``use``), or None."""
    if cond.use == "min":
        return min(values) if cond.holds(min(values)) else None
    if cond.use == "max":
        return max(values) if cond.holds(max(values)) else None
    return next((v for v in values if cond.holds(v)), None)


def _describe(cond: Condition, value: float) -> str:
    if cond.evidence:
        return cond.evidence.format(value=value)
    unit = UNITS.get(cond.attribute, "")
    if cond.attribute == "magnet_grade":
        return f"N{value:g}"
    if cond.attribute == "piece_count":
        return f"{value:g} pieces"
    return f"{cond.attribute.replace('_', ' ')} {value:g} {unit}".strip()


def shipped_rule_files() -> list[Path]:
    """The YAML rule files shipped with recallguard (package ``recallguard.rules``)."""
    root = resources.files("recallguard.rules")
    return sorted(Path(str(p)) for p in root.iterdir() if p.name.endswith((".yaml", ".yml")))


@lru_cache(maxsize=1)
def shipped_rules() -> tuple[CategoryRule, ...]:
    """The shipped rules, parsed once a process (screening and reconciliation both read them; a rule
    is frozen).

    >>> shipped_rules() is shipped_rules() and len(shipped_rules()) > 0
    True
    """
    return tuple(r for p in shipped_rule_files() for r in load_rule_file(p))


class RuleSet:
    """Compiled category-ban rules; ``screen`` is a screener check ``(Listing) -> list[Match]``."""

    def __init__(self, rules: Sequence[CategoryRule]) -> None:
        self.rules = list(rules)
        self._compiled = [_Compiled.build(r) for r in self.rules]
        self._by_word: dict[str, list[int]] = {}
        self._cjk: list[tuple[str, int]] = []
        self._vocab: set[str] = set()  # every word of every literal phrase: what undisguising may yield
        for rule in self.rules:
            phrases = [*rule.terms, *rule.related_terms, *rule.support_terms, *rule.exclusions]
            phrases += [t for g in rule.required_any for t in g.terms]
            for term in phrases:
                if not term.regex:
                    self._vocab.update(_TOKEN.findall(term.text))
                    self._vocab.add("".join(_TOKEN.findall(term.text)))
        for i, rule in enumerate(self.rules):
            for term in (*rule.terms, *rule.related_terms):
                if _CJK.search(term.text):
                    self._cjk.append((term.text, i))
                else:
                    words = _TOKEN.findall(term.text)
                    for key in (*_variants(words[0]), *_variants("".join(words))):
                        self._by_word.setdefault(key, []).append(i)

    @classmethod
    def load(cls, paths: Sequence[Path] | None = None, include_shipped: bool = True) -> RuleSet:
        """The shipped rules plus those in ``paths`` (files, or folders of ``*.yaml``); a rule given by
        path replaces a shipped rule with the same id; two given rules with one id are an error."""
        shipped = shipped_rules() if include_shipped else ()
        given: dict[str, CategoryRule] = {}
        for path in paths or ():
            path = Path(path)
            if not path.exists():
                raise RuleFileError(str(path), "(file)", "no such file or folder")
            files = sorted([*path.glob("*.yaml"), *path.glob("*.yml")]) if path.is_dir() else [path]
            for f in files:
                for rule in load_rule_file(f):
                    if rule.id in given:
                        raise RuleFileError(
                            str(f), "id", f"rule {rule.id!r} is also in {given[rule.id].source}"
                        )
                    given[rule.id] = rule
        return cls([r for r in shipped if r.id not in given] + list(given.values()))

    def candidates(self, text: str, tokens: Sequence[str] | None = None) -> set[int]:
        """Indexes of the rules whose trigger words occur in folded ``text`` (the cheap prefilter)."""
        found: set[int] = set()
        by_word = self._by_word
        for word in set(_TOKEN.findall(text) if tokens is None else tokens):
            hit = by_word.get(word)
            if hit:
                found.update(hit)
        if self._cjk and _CJK.search(text):
            found.update(i for term, i in self._cjk if term in text)
        return found

    def screen(self, listing: Listing) -> list[Match]:
        """Matches (block or review) of ``listing`` against every rule, best first."""
        text = _listing_text(listing, FIELDS, self._vocab)
        tokens = _TOKEN.findall(text)
        found = self.candidates(text, tokens)
        if not found:
            return []
        views: dict[tuple[str, ...], tuple[str, list[str], ListingAttributes]] = {}
        out = []
        for i in sorted(found):
            c = self._compiled[i]
            view = views.get(c.rule.fields)
            if view is None:
                vtext = (
                    text if c.rule.fields == FIELDS else _listing_text(listing, c.rule.fields, self._vocab)
                )
                view = views[c.rule.fields] = (
                    vtext,
                    tokens if vtext is text else _TOKEN.findall(vtext),
                    parse_attributes(vtext),
                )
            match = self._score(c, listing, *view)
            if match is not None:
                out.append(match)
        return sorted(out, key=lambda m: -m.score)

    def _score(
        self, c: _Compiled, listing: Listing, text: str, tokens: list[str], attrs: ListingAttributes
    ) -> Match | None:
        rule, s = c.rule, c.rule.scores
        strong = c.strong.find(text, tokens)
        related = [] if strong else c.related.find(text, tokens)
        if not strong and not related:
            return None
        if not c.not_the_product.empty and c.not_the_product.find(text, tokens):
            return None  # an accessory for the product, the product without its banned part…
        satisfied: dict[str, tuple[Condition, float]] = {}
        for cond in rule.attributes:
            values = attrs.values.get(cond.attribute, [])
            value = _value(cond, values) if values else None
            if value is None and (cond.required or (cond.veto and values)):
                return None
            if value is not None:
                satisfied[cond.attribute] = (cond, value)
        group_hits: list[str] = []
        groups_met = 0
        for group, matcher in zip(rule.required_any, c.groups, strict=True):
            hits = matcher.find(text, tokens)
            by_attribute = any(a in satisfied for a in group.attributes)
            if not hits and not by_attribute and not strong:
                return None  # a related term needs every required group
            groups_met += bool(hits or by_attribute)
            group_hits.extend(hits[:1])
        excluded = c.exclusions.find(text, tokens)
        if excluded and not strong:
            return None
        support = c.support.find(text, tokens)
        score = s.term + s.extra_term * min(len(strong) - 1, 2) if strong else s.related
        score += min(s.support * (len(support) + groups_met), s.support_cap)
        score += sum(cond.weight for cond, _ in satisfied.values())
        score -= s.exclusion_penalty if excluded else 0.0
        score = round(max(0.0, min(1.0, score)), 4)
        if score >= rule.thresholds.block:
            decision = DecisionKind.BLOCK
        elif score >= rule.thresholds.review:
            decision = DecisionKind.REVIEW
        else:
            return None
        parts = ["terms: " + ", ".join(repr(t) for t in (strong or related)[:4])]
        parts += [_describe(cond, v) for cond, v in satisfied.values()]
        if group_hits:
            parts.append("context: " + ", ".join(repr(h) for h in group_hits[:3]))
        if excluded:
            parts.append("despite: " + ", ".join(repr(h) for h in excluded[:2]))
        evidence = "; ".join(parts)
        return Match(
            listing_id=listing.listing_id,
            recall_number=rule.recall_number,
            authority=rule.authority,
            score=score,
            decision=decision,
            evidence=f"{rule.evidence or rule.title}: {evidence}",
            features={"rule_strong_terms": float(len(strong)), "rule_attributes": float(len(satisfied))},
            model_version=VERSION,
        )
