"""Recalled products as the synthetic catalogue writes them: brand, product name, model numbers.

Taken from the matcher's targets when the matching layer can build them, so synthetic offers of a
recalled product carry what the matcher looks for; else read straight from the recall (names,
manufacturer, model numbers quoted in the description).

>>> from recallguard.domain.models import Target
>>> p = products_from_targets([Target("26561", "CPSC", brand="BABESIDE", product_name="Doll Stroller",
...                                   model_numbers=["BS-100"])])
>>> (p[0].brand, p[0].models)
('BABESIDE', ('BS-100',))
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from recallguard.domain.models import Recall, Target

_MODEL_RE = re.compile(r"\bmodel(?:\s+(?:numbers?|nos?\.?|#))?\s*:?\s*([A-Z0-9]+(?:[-./][A-Z0-9]+)*)", re.I)


def _model_like(s: str) -> bool:
    return any(c.isdigit() for c in s) or ("-" in s and s.isupper())


@dataclass(frozen=True)
class RecalledProduct:
    """One recalled product the generator can write offers of."""

    recall_number: str
    brand: str
    name: str
    models: tuple[str, ...] = ()


def products_from_targets(targets: Iterable[Target]) -> list[RecalledProduct]:
    """One product per target that names at least a product or a brand."""
    out = []
    for t in targets:
        name = t.product_name or t.product_type
        if not (name or t.brand):
            continue
        if t.brand and name.lower().startswith(t.brand.lower() + " "):
            name = name[len(t.brand) + 1 :]
        out.append(RecalledProduct(t.recall_number, t.brand, name or t.brand, tuple(t.model_numbers[:3])))
    return out


def products_from_recalls(recalls: Sequence[Recall]) -> list[RecalledProduct]:
    """Products of ``recalls``: through the matcher's target builder when there is one.

    >>> r = Recall("1", "CPSC", "Acme Heaters Recalled", product_names=["Acme Space Heater"],
    ...            manufacturers=["Acme Co"], description="Model number AH-200 is printed on the back.")
    >>> products_from_recalls([r])[0].models
    ('AH-200',)
    """
    try:
        from recallguard.matching.build import targets_for

        products = products_from_targets(targets_for(recalls))
        if products:
            return products
    except ImportError:  # a slimmed install without the matching extraction: read the recall text
        pass
    out = []
    for r in recalls:
        models = tuple(dict.fromkeys(m for m in _MODEL_RE.findall(r.description) if _model_like(m)))[:3]
        for name in r.product_names or [r.title]:
            brand, _, rest = name.partition(" ")  # sellers lead with the brand the notice names first
            out.append(RecalledProduct(r.recall_number, brand, rest or name, models))
    return out
