"""One product, several authorities: the stored recalls grouped into products (``domain.links``).

Two recalls are the same product when one names the other (CPSC ``Inconjunctions``), or when recalls of
different authorities share a GTIN, a brand and model number, or a brand and a near-identical name.
``product_groups(store)`` returns the groups with more than one authority, each with its recalls (status,
priority, title) and the links that joined them.

>>> from recallguard.store import Store
>>> from recallguard.domain.models import Recall, Target
>>> store = Store("sqlite://")
>>> with store.transaction() as uow:
...     _ = uow.recalls.upsert(Recall("1", "CPSC", "Acme kettle"), [Target("1", "CPSC", brand="Acme",
...                            gtins=["4006381333931"])])
...     _ = uow.recalls.upsert(Recall("9", "HC", "Acme kettle recalled"), [Target("9", "HC", brand="Acme",
...                            gtins=["4006381333931"])])
>>> [(g["product"], [r["recall"] for r in g["recalls"]]) for g in product_groups(store)]
[('Acme kettle', ['CPSC:1', 'HC:9'])]
"""

from __future__ import annotations

from typing import Any

from recallguard.domain.links import link_recalls
from recallguard.domain.models import Recall, Target
from recallguard.store import Store


def _product(recalls: list[Recall], targets: dict[str, list[Target]]) -> str:
    """A name for the group: the shortest product name among its recalls' targets (else a title)."""
    names = [t.product_name for r in recalls for t in targets.get(r.key, []) if t.product_name]
    names = names or [n for r in recalls for n in r.product_names] or [r.title for r in recalls]
    return min(names, key=lambda n: (len(n), n))


def product_groups(store: Store, *, several_only: bool = True) -> list[dict[str, Any]]:
    """Product groups of the stored recalls as JSON-ready dicts; only those of several authorities
    unless ``several_only`` is False. Largest groups first."""
    with store.transaction() as uow:
        recalls = uow.recalls.list()
        targets = uow.recalls.all_targets()
    by_key = {r.key: r for r in recalls}
    by_recall: dict[str, list[Target]] = {}
    for t in targets:
        by_recall.setdefault(f"{t.authority}:{t.recall_number}", []).append(t)
    out = []
    for g in link_recalls(recalls, targets):
        if several_only and not g.several_authorities:
            continue
        members = [by_key[k] for k in g.recall_keys]
        out.append(
            {
                "group_id": g.group_id,
                "product": _product(members, by_recall),
                "authorities": g.authorities,
                "recalls": [
                    {
                        "recall": r.key,
                        "authority": r.authority,
                        "recall_number": r.recall_number,
                        "status": r.status.value,
                        "priority": r.priority,
                        "date": r.recall_date.date().isoformat() if r.recall_date else "",
                        "title": r.title,
                        "url": r.url,
                    }
                    for r in members
                ],
                "links": [{"a": lk.a, "b": lk.b, "reason": lk.reason, "detail": lk.detail} for lk in g.links],
            }
        )
    return out
