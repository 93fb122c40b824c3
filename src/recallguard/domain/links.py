"""One product, several authorities: group recalls of the same product into product groups.

Two recalls are linked when
- one names the other (CPSC ``Inconjunctions`` URLs, or ``AUTHORITY:NUMBER`` keys) — any authorities;
- they come from different authorities and share a GTIN, with brands that do not conflict;
- they come from different authorities, have the same brand and share a model number;
- they come from different authorities, have the same brand (or one names the other's brand) and
  near-identical product names.
Links are transitive (union-find). Pure: lists in, groups out; no I/O.

>>> from recallguard.domain.models import Recall, Target
>>> a = Recall("26568", "CPSC", "Joolz Aer2 Car Seat Adapter Sets",
...            in_conjunction=["https://recalls-rappels.canada.ca/en/alert-recall/joolz-aer2"])
>>> b = Recall("82001", "HC", "Joolz Aer2 car seat adapter set recalled",
...            url="https://recalls-rappels.canada.ca/en/alert-recall/joolz-aer2")
>>> c = Recall("SR/1/26", "SAFETYGATE", "Car seat adapter", manufacturers=["Joolz"], upcs=["08718041234567"])
>>> t = Target("26568", "CPSC", brand="Joolz", gtins=["08718041234567"])
>>> [g.recall_keys for g in link_recalls([a, b, c], [t]) if len(g.recall_keys) > 1]
[['CPSC:26568', 'HC:82001', 'SAFETYGATE:SR/1/26']]
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from recallguard.domain.identifiers import canonical_model, normalize_gtin
from recallguard.domain.models import Recall, Target

_CORPORATE = frozenset(
    (
        "inc",
        "incorporated",
        "llc",
        "ltd",
        "limited",
        "co",
        "corp",
        "corporation",
        "company",
        "gmbh",
        "ag",
        "bv",
        "nv",
        "sa",
        "sas",
        "sarl",
        "srl",
        "spa",
        "plc",
        "pty",
        "kg",
        "oy",
        "ab",
        "as",
        "the",
        "brand",
        "international",
        "intl",
        "group",
        "holdings",
    )
)
_STOP = frozenset(
    (
        "a",
        "an",
        "and",
        "or",
        "the",
        "of",
        "for",
        "with",
        "to",
        "in",
        "on",
        "by",
        "from",
        "due",
        "recall",
        "recalls",
        "recalled",
        "recalling",
        "hazard",
        "hazards",
        "risk",
        "risks",
        "injury",
        "injuries",
        "sold",
        "only",
        "new",
        "model",
        "models",
        "set",
        "sets",
    )
)
_TOKEN = re.compile(r"[0-9a-z]+")


@dataclass(frozen=True)
class RecallLink:
    """Why two recalls are the same product: ``reason`` is in_conjunction, gtin, model or name."""

    a: str
    b: str
    reason: str
    detail: str = ""


@dataclass
class ProductGroup:
    """Recalls of one product (one or more authorities) and the links that joined them."""

    group_id: str
    recall_keys: list[str]
    authorities: list[str]
    links: list[RecallLink] = field(default_factory=list)

    @property
    def several_authorities(self) -> bool:
        """True when more than one regulator recalled this product."""
        return len(self.authorities) > 1


def _tokens(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode().lower()
    return _TOKEN.findall(folded)


def normalize_brand(brand: str) -> str:
    """A brand without case, accents, punctuation or corporate suffixes.

    >>> normalize_brand("Joolz B.V."), normalize_brand("ACME Toys, Inc.")
    ('joolz', 'acme toys')
    """
    folded = unicodedata.normalize("NFKD", brand or "").encode("ascii", "ignore").decode().lower()
    words = re.sub(r"(?<=\b[a-z])\.(?=[a-z]\b)", "", folded)  # B.V. -> bv
    return " ".join(t for t in _TOKEN.findall(words) if t not in _CORPORATE)


def _url_key(url: str) -> str:
    u = re.sub(r"^[a-z]+://(www\.)?", "", (url or "").strip().lower()).split("?")[0].split("#")[0]
    return u.rstrip("/")


class _Union:
    def __init__(self, keys: Iterable[str]) -> None:
        self.parent = {k: k for k in keys}

    def find(self, k: str) -> str:
        while self.parent[k] != k:
            self.parent[k] = self.parent[self.parent[k]]
            k = self.parent[k]
        return k

    def join(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


@dataclass
class _Facts:
    recall: Recall
    brands: set[str] = field(default_factory=set)
    gtins: set[str] = field(default_factory=set)
    models: set[str] = field(default_factory=set)
    names: list[list[str]] = field(default_factory=list)
    text: str = ""


def _facts(recall: Recall, targets: Sequence[Target]) -> _Facts:
    f = _Facts(recall)
    for t in targets:
        f.brands.update(normalize_brand(b) for b in (t.brand, *t.brand_aliases))
        f.gtins.update(g for g in (normalize_gtin(x) for x in t.gtins) if g)
        f.models.update(m for m in (canonical_model(x) for x in t.model_numbers) if len(m) >= 4)
        if t.product_name:
            f.names.append([w for w in _tokens(t.product_name) if w not in _STOP])
    if not targets:
        f.brands.update(normalize_brand(m) for m in recall.manufacturers)
    f.brands.discard("")
    f.gtins.update(g for g in (normalize_gtin(x) for x in recall.upcs) if g)
    for name in (recall.title, *recall.product_names):
        f.names.append([w for w in _tokens(name) if w not in _STOP])
    f.names = [n for n in f.names if n]
    f.text = " " + " ".join(_tokens(" ".join((recall.title, *recall.product_names)))) + " "
    return f


def _brand_match(a: _Facts, b: _Facts, strict: bool) -> str | None:
    """The shared brand; with ``strict`` False, a missing brand on one side is no conflict ("")."""
    shared = a.brands & b.brands
    if shared:
        return min(shared)
    for x, y in ((a, b), (b, a)):  # one side has no brand but names the other's brand in its text
        if not y.brands:
            for brand in sorted(x.brands):
                if f" {brand} " in y.text:
                    return brand
    if not strict and (not a.brands or not b.brands):
        return ""
    return None


def _name_similarity(a: list[str], b: list[str]) -> float:
    sa, sb = set(a), set(b)
    shared = len(sa & sb)
    jaccard = shared / len(sa | sb)
    containment = shared / min(len(sa), len(sb)) if shared >= 3 else 0.0
    return max(jaccard, containment)


def link_recalls(
    recalls: Sequence[Recall], targets: Sequence[Target] = (), *, name_similarity: float = 0.85
) -> list[ProductGroup]:
    """Group ``recalls`` into products; every recall is in exactly one group (singletons included).

    Groups are sorted largest first, then by id; ``group_id`` is the smallest recall key in the group.
    """
    by_recall: dict[str, list[Target]] = defaultdict(list)
    for t in targets:
        by_recall[f"{t.authority}:{t.recall_number}"].append(t)
    facts = {r.key: _facts(r, by_recall.get(r.key, [])) for r in recalls}
    union = _Union(facts)
    links: list[RecallLink] = []

    def link(a: str, b: str, reason: str, detail: str) -> None:
        if a != b:
            links.append(RecallLink(min(a, b), max(a, b), reason, detail))
            union.join(a, b)

    by_url = {_url_key(r.url): r.key for r in recalls if r.url}
    for r in recalls:
        for ref in r.in_conjunction:
            other = by_url.get(_url_key(ref)) or (
                ref.strip().upper() if ref.strip().upper() in facts else None
            )
            if other:
                link(r.key, other, "in_conjunction", ref)

    def cross(keys: Iterable[str]) -> list[tuple[str, str]]:
        ks = sorted(set(keys))
        return [
            (a, b)
            for i, a in enumerate(ks)
            for b in ks[i + 1 :]
            if facts[a].recall.authority != facts[b].recall.authority
        ]

    index: dict[tuple[str, str], set[str]] = defaultdict(set)
    for key, f in facts.items():
        for g in f.gtins:
            index["gtin", g].add(key)
        for m in f.models:
            index["model", m].add(key)
        for brand in f.brands:
            index["brand", brand].add(key)
    for (kind, value), keys in sorted(index.items()):
        if kind == "brand" or len(keys) < 2:
            continue
        for a, b in cross(keys):
            shared = _brand_match(facts[a], facts[b], strict=kind == "model")
            if shared is not None:
                link(a, b, kind, value if not shared else f"{value} ({shared})")
    # names: compare only recalls that share a brand, or where one names the other's brand
    unbranded = [k for k, f in facts.items() if not f.brands]
    for (kind, brand), keys in sorted(index.items()):
        if kind != "brand":
            continue
        pool = keys | {k for k in unbranded if f" {brand} " in facts[k].text}
        for a, b in cross(pool):
            best = max((_name_similarity(x, y) for x in facts[a].names for y in facts[b].names), default=0.0)
            if best >= name_similarity and _brand_match(facts[a], facts[b], strict=True) is not None:
                link(a, b, "name", f"{brand}: similarity {best:.2f}")

    members: dict[str, list[str]] = defaultdict(list)
    for key in facts:
        members[union.find(key)].append(key)
    groups = []
    for root, group_keys in members.items():
        group_keys.sort()
        inside = set(group_keys)
        groups.append(
            ProductGroup(
                group_id=root,
                recall_keys=group_keys,
                authorities=sorted({facts[k].recall.authority for k in group_keys}),
                links=sorted({lk for lk in links if lk.a in inside}, key=lambda x: (x.a, x.b, x.reason)),
            )
        )
    return sorted(groups, key=lambda g: (-len(g.recall_keys), g.group_id))


def group_of(groups: Sequence[ProductGroup], recall_key: str) -> ProductGroup | None:
    """The group holding ``recall_key`` (e.g. ``CPSC:26568``), or None.

    >>> group_of([ProductGroup("CPSC:1", ["CPSC:1"], ["CPSC"])], "CPSC:1").group_id
    'CPSC:1'
    """
    return next((g for g in groups if recall_key in g.recall_keys), None)
