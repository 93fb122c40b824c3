"""The category-ban rule file format (YAML), validated into ``CategoryRule`` objects.

One file holds one rule (a mapping) or several (a list, or a mapping with a ``rules`` list). Every
error names the file, the rule and the field. The format is documented in docs/category-bans.md.

>>> rule = rule_from_dict({"id": "demo-lawn-darts", "authority": "CPSC", "title": "Lawn darts",
...     "legal_basis": "16 CFR 1500.18(a)(4)", "terms": {"en": ["lawn darts"], "zh": ["草坪飞镖"]}},
...     "demo.yaml")
>>> rule.id, [t.text for t in rule.terms], rule.thresholds.block
('demo-lawn-darts', ['lawn darts', '草坪飞镖'], 0.85)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from recallguard.domain.policy import Thresholds
from recallguard.errors import RuleFileError
from recallguard.matching.rules.attributes import ATTRIBUTES, fold

_ID = re.compile(r"^[a-z0-9][a-z0-9\-]{1,79}$")
_LANG = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$")
_KEYS = {
    "id", "authority", "title", "description", "legal_basis", "url", "evidence", "terms",
    "related_terms", "required_any", "support_terms", "exclusions", "not_the_product", "attributes", "scores",
    "thresholds", "exemplars", "fields",
}  # fmt: skip
_COND_KEYS = {"attribute", "gt", "ge", "lt", "le", "use", "weight", "veto", "required", "evidence"}
FIELDS = ("title", "description", "category", "brand", "model")


@dataclass(frozen=True)
class Term:
    """A phrase in one language (``lang``); ``text`` is folded. ``regex`` terms start with ``re:``."""

    text: str
    lang: str
    regex: bool = False


@dataclass(frozen=True)
class TermGroup:
    """A named group: hit when any of its terms is found, or any of its named attribute conditions holds."""

    name: str
    terms: tuple[Term, ...]
    attributes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Condition:
    """A test on a parsed listing attribute, e.g. ``size_mm le 31.7`` or ``incline_deg gt 10``."""

    attribute: str
    gt: float | None = None
    ge: float | None = None
    lt: float | None = None
    le: float | None = None
    use: str = "any"  # any | min | max: which stated value must satisfy it
    weight: float = 0.1
    veto: bool = False  # stated values that fail it mean "not this product"
    required: bool = False  # no stated value, or a failing one, means no match
    evidence: str = ""

    def holds(self, value: float) -> bool:
        """True when ``value`` satisfies every bound."""
        return (
            (self.gt is None or value > self.gt)
            and (self.ge is None or value >= self.ge)
            and (self.lt is None or value < self.lt)
            and (self.le is None or value <= self.le)
        )


@dataclass(frozen=True)
class Scores:
    term: float = 0.6  # a strong term names the banned product
    related: float = 0.45  # a related term with every required group
    extra_term: float = 0.05  # each further distinct strong term
    support: float = 0.1  # each supporting term or required group hit
    support_cap: float = 0.2
    exclusion_penalty: float = 0.25  # an exclusion next to a strong term


@dataclass(frozen=True)
class CategoryRule:
    """A ban on a whole kind of product, screened like a recall (``recall_number`` ``rule:<id>``)."""

    id: str
    authority: str
    title: str
    legal_basis: str
    source: str
    description: str = ""
    url: str = ""
    evidence: str = ""
    terms: tuple[Term, ...] = ()
    related_terms: tuple[Term, ...] = ()
    required_any: tuple[TermGroup, ...] = ()
    support_terms: tuple[Term, ...] = ()
    exclusions: tuple[Term, ...] = ()
    not_the_product: tuple[Term, ...] = ()  # the listing says it is not the product: veto any hit
    attributes: tuple[Condition, ...] = ()
    scores: Scores = field(default_factory=Scores)
    thresholds: Thresholds = field(default_factory=lambda: Thresholds(block=0.85, review=0.5))
    exemplars: tuple[dict[str, Any], ...] = ()
    fields: tuple[str, ...] = FIELDS

    @property
    def recall_number(self) -> str:
        """The recall number a hit carries: ``rule:<id>``."""
        return f"rule:{self.id}"


def _terms(value: Any, where: str, src: str, literal_only: bool = False) -> tuple[Term, ...]:
    if value is None:
        return ()
    if isinstance(value, list):
        value = {"en": value}
    if not isinstance(value, dict):
        raise RuleFileError(src, where, "expected a mapping of language code to a list of phrases")
    out: list[Term] = []
    for lang, phrases in value.items():
        if not isinstance(lang, str) or not _LANG.match(lang):
            raise RuleFileError(src, f"{where}.{lang}", "not a language code (e.g. en, zh, es, de)")
        if not isinstance(phrases, list):
            raise RuleFileError(src, f"{where}.{lang}", "expected a list of phrases")
        for i, phrase in enumerate(phrases):
            if not isinstance(phrase, str) or not phrase.strip():
                raise RuleFileError(src, f"{where}.{lang}[{i}]", "expected a non-empty phrase")
            if phrase.startswith("re:"):
                if literal_only:
                    raise RuleFileError(
                        src, f"{where}.{lang}[{i}]", "regular expressions are not allowed here"
                    )
                try:
                    re.compile(phrase[3:])
                except re.error as e:
                    raise RuleFileError(src, f"{where}.{lang}[{i}]", f"bad regular expression: {e}") from None
                out.append(Term(phrase[3:], lang, regex=True))
            elif not re.search(r"[^\W_]", fold(phrase)):  # nothing a listing's words could match
                raise RuleFileError(src, f"{where}.{lang}[{i}]", "a phrase needs a letter or digit")
            else:
                out.append(Term(fold(phrase), lang))
    return tuple(out)


def _number(value: Any, where: str, src: str, lo: float = float("-inf"), hi: float = float("inf")) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not lo <= value <= hi:
        raise RuleFileError(src, where, f"expected a number in [{lo:g}, {hi:g}], got {value!r}")
    return float(value)


def _condition(value: Any, where: str, src: str) -> Condition:
    if not isinstance(value, dict):
        raise RuleFileError(src, where, "expected a mapping with 'attribute' and bounds")
    unknown = set(value) - _COND_KEYS
    if unknown:
        raise RuleFileError(
            src, f"{where}.{sorted(unknown)[0]}", f"unknown key; allowed: {sorted(_COND_KEYS)}"
        )
    name = value.get("attribute")
    if name not in ATTRIBUTES:
        raise RuleFileError(
            src, f"{where}.attribute", f"unknown attribute {name!r}; known: {', '.join(ATTRIBUTES)}"
        )
    bounds = {k: _number(value[k], f"{where}.{k}", src) for k in ("gt", "ge", "lt", "le") if k in value}
    if not bounds:
        raise RuleFileError(src, where, "needs at least one bound: gt, ge, lt or le")
    use = value.get("use", "any")
    if use not in ("any", "min", "max"):
        raise RuleFileError(src, f"{where}.use", "expected any, min or max")
    return Condition(
        attribute=name,
        use=use,
        weight=_number(value.get("weight", 0.1), f"{where}.weight", src, 0, 1),
        veto=bool(value.get("veto", False)),
        required=bool(value.get("required", False)),
        evidence=str(value.get("evidence", "")),
        **bounds,
    )


def _items(value: Any, where: str, src: str) -> list[Any]:
    """A list field (absent or null: empty); anything else is refused naming the field."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise RuleFileError(src, where, f"expected a list, got {type(value).__name__}")
    return value


def _text(data: dict[str, Any], key: str, src: str, required: bool = False) -> str:
    value = data.get(key, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise RuleFileError(src, key, "required text" if required else "expected text")
    return value.strip()


def rule_from_dict(data: Any, source: str) -> CategoryRule:
    """Validate one rule mapping (from YAML) into a ``CategoryRule``; ``RuleFileError`` names the field."""
    if not isinstance(data, dict):
        raise RuleFileError(source, "(rule)", "expected a mapping")
    rid = data.get("id")
    if not isinstance(rid, str) or not _ID.match(rid):
        raise RuleFileError(source, "id", "required: lower-case letters, digits and '-', 2–80 characters")
    src = f"{source} (rule {rid})"
    unknown = set(data) - _KEYS
    if unknown:
        raise RuleFileError(src, sorted(unknown)[0], f"unknown key; allowed: {', '.join(sorted(_KEYS))}")
    terms = _terms(data.get("terms"), "terms", src, literal_only=True)
    related = _terms(data.get("related_terms"), "related_terms", src, literal_only=True)
    if not terms and not related:
        raise RuleFileError(src, "terms", "a rule needs terms or related_terms")
    attributes = _items(data.get("attributes"), "attributes", src)
    conditions = tuple(_condition(c, f"attributes[{i}]", src) for i, c in enumerate(attributes))
    groups: list[TermGroup] = []
    for i, g in enumerate(_items(data.get("required_any"), "required_any", src)):
        if not isinstance(g, dict):
            raise RuleFileError(src, f"required_any[{i}]", "expected a mapping with name and terms")
        attrs = tuple(_items(g.get("attributes"), f"required_any[{i}].attributes", src))
        for a in attrs:
            if not isinstance(a, str) or a not in {c.attribute for c in conditions}:
                raise RuleFileError(src, f"required_any[{i}].attributes", f"no condition on attribute {a!r}")
        group_terms = _terms(g.get("terms"), f"required_any[{i}].terms", src)
        if not group_terms and not attrs:
            raise RuleFileError(src, f"required_any[{i}]", "a group needs terms or attributes")
        groups.append(TermGroup(str(g.get("name") or f"group {i + 1}"), group_terms, attrs))
    scores_in = data.get("scores") or {}
    if not isinstance(scores_in, dict) or set(scores_in) - set(Scores.__dataclass_fields__):
        raise RuleFileError(
            src, "scores", f"expected a mapping with keys {', '.join(Scores.__dataclass_fields__)}"
        )
    scores = Scores(**{k: _number(v, f"scores.{k}", src, 0, 1) for k, v in scores_in.items()})
    th = data.get("thresholds") or {}
    if not isinstance(th, dict) or set(th) - {"block", "review"}:
        raise RuleFileError(src, "thresholds", "expected a mapping with block and review")
    block = _number(th.get("block", 0.85), "thresholds.block", src, 0, 1)
    review = _number(th.get("review", 0.5), "thresholds.review", src, 0, 1)
    if review > block:
        raise RuleFileError(src, "thresholds", "review must not be above block")
    authority = data.get("authority")
    if not isinstance(authority, str) or not re.match(r"^[A-Z][A-Z0-9_\-]{1,19}$", authority):
        raise RuleFileError(src, "authority", "required: an authority code such as CPSC or SAFETYGATE")
    fields = tuple(_items(data.get("fields"), "fields", src) or FIELDS)
    if not all(isinstance(f, str) and f in FIELDS for f in fields):
        raise RuleFileError(src, "fields", f"listing fields to read; allowed: {', '.join(FIELDS)}")
    exemplars = data.get("exemplars") or []
    if not isinstance(exemplars, list) or not all(isinstance(e, dict) and "title" in e for e in exemplars):
        raise RuleFileError(src, "exemplars", "expected a list of listings with at least a title")
    return CategoryRule(
        id=rid,
        authority=authority,
        title=_text(data, "title", src, required=True),
        legal_basis=_text(data, "legal_basis", src, required=True),
        source=source,
        description=_text(data, "description", src),
        url=_text(data, "url", src),
        evidence=_text(data, "evidence", src),
        terms=terms,
        related_terms=related,
        required_any=tuple(groups),
        support_terms=_terms(data.get("support_terms"), "support_terms", src),
        exclusions=_terms(data.get("exclusions"), "exclusions", src),
        not_the_product=_terms(data.get("not_the_product"), "not_the_product", src),
        attributes=conditions,
        scores=scores,
        thresholds=Thresholds(block=block, review=review),
        exemplars=tuple(exemplars),
        fields=fields,
    )


def load_rule_file(path: Path) -> list[CategoryRule]:
    """Every rule in one YAML file (a rule, a list of rules, or ``{rules: [...]}``)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise RuleFileError(str(path), "(file)", f"cannot read: {e.strerror or e}") from None
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        raise RuleFileError(str(path), "(file)", f"not valid YAML: {e}") from None
    except RecursionError:  # nesting deeper than the parser's stack
        raise RuleFileError(str(path), "(file)", "not valid YAML: nested too deeply") from None
    if isinstance(data, dict) and "rules" in data and "id" not in data:
        data = data["rules"]
    items = data if isinstance(data, list) else [data]
    if not items or data is None:
        raise RuleFileError(str(path), "(file)", "holds no rule")
    return [rule_from_dict(item, str(path)) for item in items]
