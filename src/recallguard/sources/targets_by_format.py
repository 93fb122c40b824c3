"""Targets of any recall, by the format it was published in: one place that picks the extractor.

CPSC recalls (and the project's own format) carry their products in prose, so their targets come from
``recallguard.sources.extract.extract_targets``. Safety Gate notifications, Health Canada records and
generic CSV rows carry structured fields; their targets come from ``safety_gate_targets``,
``health_canada_targets`` and ``generic_csv_targets``, and prose extraction only fills what the
structured fields leave empty:

- identifiers (model numbers, GTINs, SKUs, batch ranges) and distinctive phrases come from the prose only
  when the structured fields give none of that kind;
- the product type comes from the prose when the record gives none; for Health Canada, whose
  ``Category`` is a department ("Orthopaedics"), the prose product type comes first;
- the brand comes from the prose only for generic CSV rows without a ``brand`` cell and for Safety Gate
  notifications that do not say the brand is unknown (``brandKnown: false``). Health Canada records have
  no brand field and the prose guesser would take the title's first word ("Urinary Catheter Trays"), so
  none is guessed: a wrong brand costs more matches than a missing one.

The format is read from the recall as stored (``raw`` keeps the record as published), so recalls read
back from the store dispatch the same way.

>>> from recallguard.domain.models import Recall
>>> r = Recall("9", "ACCC", "Acme Heater", raw={"authority": "ACCC", "recall_number": "9",
...            "title": "Acme Heater", "brand": "Acme", "model_numbers": "H-1; H-2"})
>>> recall_format(r), [t.model_numbers for t in targets_for_recall(r)]
('generic-csv', [['H-1', 'H-2']])
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from recallguard.domain.models import Recall, Target
from recallguard.sources.extract import extract_targets

CPSC_PROSE = "prose"
SAFETY_GATE = "safety-gate"
HEALTH_CANADA = "health-canada"
GENERIC_CSV = "generic-csv"

#: Keys of the project's own format that a generic CSV row never has (its own columns are other names).
_OWN_FORMAT_KEYS = frozenset(
    ("recall_date", "last_publish_date", "product_names", "remedy_options", "manufacturers", "importers",
     "distributors", "retailers", "upcs", "injuries", "number_of_units", "consumer_contact", "targets", "raw")
)  # fmt: skip
_IDENTIFIER_FIELDS = ("model_numbers", "gtins", "skus", "ranges", "phrases")


def recall_format(recall: Recall) -> str:
    """The published format of a recall, from its ``raw`` record: ``safety-gate``, ``health-canada``,
    ``generic-csv`` or ``prose`` (CPSC API records, the own format, anything else).

    >>> recall_format(Recall("SR/1/26", "SAFETYGATE", "Lamp", raw={"reference": "SR/1/26", "product": {}}))
    'safety-gate'
    >>> recall_format(Recall("26561", "CPSC", "Toys", raw={"RecallNumber": "26561"}))
    'prose'
    """
    raw: Any = recall.raw
    if not isinstance(raw, dict) or not raw:
        return CPSC_PROSE
    if isinstance(raw.get("targets"), list) and raw["targets"]:
        return CPSC_PROSE  # own-format overrides: extract_targets honours them
    if "reference" in raw and isinstance(raw.get("product"), dict):
        return SAFETY_GATE
    if "NID" in raw and ("Title" in raw or "Product" in raw):
        return HEALTH_CANADA
    if (
        all(isinstance(raw.get(k), str) for k in ("authority", "recall_number", "title"))
        and all(isinstance(v, str) for v in raw.values())
        and not _OWN_FORMAT_KEYS & raw.keys()
    ):
        return GENERIC_CSV
    return CPSC_PROSE


def _union(a: list[Any], b: list[Any]) -> list[Any]:
    out = list(a)
    for x in b:
        if x not in out:
            out.append(x)
    return out


def merge_prose(structured: Target, prose: list[Target], *, brand: bool, type_first: bool = False) -> Target:
    """``structured`` with the gaps filled from the prose targets (see the module docstring).

    >>> s = Target("1", "HC", product_name="Kettle", product_type="Kitchen")
    >>> p = [Target("1", "HC", brand="Brew", product_type="kettle", model_numbers=["K1"])]
    >>> m = merge_prose(s, p, brand=False, type_first=True)
    >>> m.brand, m.product_type, m.model_numbers
    ('', 'kettle', ['K1'])
    """
    if not prose:
        return structured
    changes: dict[str, Any] = {}
    for name in _IDENTIFIER_FIELDS:
        if not getattr(structured, name):
            merged: list[Any] = []
            for t in prose:
                merged = _union(merged, getattr(t, name))
            if merged:
                changes[name] = merged
    prose_type = next((t.product_type for t in prose if t.product_type), "")
    if prose_type and (type_first or not structured.product_type):
        changes["product_type"] = prose_type
    if brand and not structured.brand:
        first = next((t for t in prose if t.brand), None)
        if first is not None:
            changes["brand"] = first.brand
            changes["brand_aliases"] = _union(list(structured.brand_aliases), first.brand_aliases)
    if not structured.sold_at:
        changes["sold_at"] = _union([], [s for t in prose for s in t.sold_at])
    return dataclasses.replace(structured, **changes) if changes else structured


def _safety_gate(recall: Recall) -> list[Target]:
    from recallguard.sources.safety_gate import safety_gate_targets

    product = recall.raw.get("product") if isinstance(recall.raw, dict) else None
    brand_unknown = isinstance(product, dict) and product.get("brandKnown") is False
    prose = extract_targets(recall)
    return [merge_prose(t, prose, brand=not brand_unknown) for t in safety_gate_targets(recall)]


def _health_canada(recall: Recall) -> list[Target]:
    from recallguard.sources.health_canada import health_canada_targets

    prose = extract_targets(recall)
    return [merge_prose(t, prose, brand=False, type_first=True) for t in health_canada_targets(recall)]


def _generic_csv(recall: Recall) -> list[Target]:
    from recallguard.sources.generic_csv import generic_csv_targets

    prose = extract_targets(recall)
    return [merge_prose(t, prose, brand=True) for t in generic_csv_targets(recall)]


EXTRACTORS: dict[str, Callable[[Recall], list[Target]]] = {
    CPSC_PROSE: extract_targets,
    SAFETY_GATE: _safety_gate,
    HEALTH_CANADA: _health_canada,
    GENERIC_CSV: _generic_csv,
}


def targets_for_recall(recall: Recall) -> list[Target]:
    """The targets of one recall by its format, with ``priority`` carried over from the recall.

    >>> t = targets_for_recall(Recall("7", "HC", "Kettle", priority=True,
    ...                               raw={"NID": "7", "Title": "Kettle", "Product": "Brew kettle K1"}))
    >>> [(x.product_name, x.priority) for x in t]
    [('Kettle', True)]
    """
    out = EXTRACTORS[recall_format(recall)](recall)
    for t in out:
        t.priority = t.priority or recall.priority
    return out
