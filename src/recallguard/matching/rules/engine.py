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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from recallguard.domain.models import DecisionKind, Listing, Match
from recallguard.errors import RuleFileError
from recallguard.matching.rules.attributes import UNITS, ListingAttributes, fold, parse_attributes
from recallguard.matching.rules.model import CategoryRule, Condition, Term, load_rule_file

VERSION = "rules-1"
_WORD = re.compile(r"[a-z0-9\u00c0-\u024f\u0400-\u04ff]+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


def _pattern(terms: Iterable[Term]) -> re.Pattern[str] | None:
    """One regex for a list of terms; Latin words match whole, with optional plural and any separator."""
    parts: list[str] = []
    for t in sorted(terms, key=lambda t: -len(t.text)):
        if t.regex:
            parts.append(f"(?P<t{len(parts)}>{t.text})")
        elif _CJK.search(t.text):
            parts.append(f"(?P<t{len(parts)}>{re.escape(t.text)})")
        else:
            words = [re.escape(w) for w in t.text.split()]
            body = r"[\s\-_/]*".join(words)
            parts.append(rf"(?P<t{len(parts)}>(?<![^\W_]){body}(?:s|es)?(?![^\W_]))")
    return re.compile("|".join(parts)) if parts else None


@dataclass
class _Compiled:
    rule: CategoryRule
    terms: list[Term]
    strong: re.Pattern[str] | None
    related: re.Pattern[str] | None
    groups: list[re.Pattern[str] | None]
    support: re.Pattern[str] | None
    exclusions: re.Pattern[str] | None

    @classmethod
    def build(cls, rule: CategoryRule) -> _Compiled:
        return cls(
            rule,
            sorted(rule.terms, key=lambda t: -len(t.text)),
            _pattern(rule.terms),
            _pattern(rule.related_terms),
            [_pattern(g.terms) for g in rule.required_any],
            _pattern(rule.support_terms),
            _pattern(rule.exclusions),
        )


def _hits(pattern: re.Pattern[str] | None, text: str) -> list[str]:
    if pattern is None:
        return []
    return list(dict.fromkeys(m.group(0) for m in pattern.finditer(text)))


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


class RuleSet:
    """Compiled category-ban rules; ``screen`` is a screener check ``(Listing) -> list[Match]``."""

    def __init__(self, rules: Sequence[CategoryRule]) -> None:
        self.rules = list(rules)
        self._compiled = [_Compiled.build(r) for r in self.rules]
        self._by_word: dict[str, list[int]] = {}
        self._cjk: list[tuple[str, int]] = []
        for i, rule in enumerate(self.rules):
            for term in (*rule.terms, *rule.related_terms):
                if _CJK.search(term.text):
                    self._cjk.append((term.text, i))
                else:
                    first = term.text.split()[0] if " " in term.text else term.text
                    first = _WORD.findall(first)[0] if _WORD.findall(first) else first
                    for key in (first, first + "s", first + "es"):
                        self._by_word.setdefault(key, []).append(i)

    @classmethod
    def load(cls, paths: Sequence[Path] | None = None, include_shipped: bool = True) -> RuleSet:
        """The shipped rules plus those in ``paths`` (files, or folders of ``*.yaml``); a rule given by
        path replaces a shipped rule with the same id; two given rules with one id are an error."""
        shipped = [r for p in shipped_rule_files() for r in load_rule_file(p)] if include_shipped else []
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

    def candidates(self, text: str) -> set[int]:
        """Indexes of the rules whose trigger words occur in folded ``text`` (the cheap prefilter)."""
        found: set[int] = set()
        by_word = self._by_word
        for word in set(_WORD.findall(text)):
            hit = by_word.get(word)
            if hit:
                found.update(hit)
        if self._cjk and _CJK.search(text):
            found.update(i for term, i in self._cjk if term in text)
        return found

    def screen(self, listing: Listing) -> list[Match]:
        """Matches (block or review) of ``listing`` against every rule, best first."""
        text = fold(
            " \n ".join((listing.title, listing.description, listing.category, listing.brand, listing.model))
        )
        found = self.candidates(text)
        if not found:
            return []
        attrs: ListingAttributes | None = None
        out = []
        for i in sorted(found):
            c = self._compiled[i]
            rule_text = text
            if c.rule.fields != ("title", "description", "category", "brand", "model"):
                rule_text = fold(" \n ".join(str(getattr(listing, f)) for f in c.rule.fields))
            if attrs is None or rule_text is not text:
                attrs = parse_attributes(rule_text)
            match = self._score(c, listing, rule_text, attrs)
            if match is not None:
                out.append(match)
        return sorted(out, key=lambda m: -m.score)

    def _score(self, c: _Compiled, listing: Listing, text: str, attrs: ListingAttributes) -> Match | None:
        rule, s = c.rule, c.rule.scores
        strong = _hits(c.strong, text)
        related = [] if strong else _hits(c.related, text)
        if not strong and not related:
            return None
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
        for group, pattern in zip(rule.required_any, c.groups, strict=True):
            hits = _hits(pattern, text)
            by_attribute = any(a in satisfied for a in group.attributes)
            if not hits and not by_attribute and not strong:
                return None  # a related term needs every required group
            groups_met += bool(hits or by_attribute)
            group_hits.extend(hits[:1])
        excluded = _hits(c.exclusions, text)
        if excluded and not strong:
            return None
        support = _hits(c.support, text)
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
