"""Health Canada recalls (the Government of Canada open-data recalls list) → recalls and targets.

One record is a JSON object with ``NID``, ``Title``, ``URL``, ``Organization`` (e.g. "Consumer
products", "Medical devices"), ``Product``, ``Issue``, ``What you should do``, ``Category``,
``Recall class``, ``Last updated`` (YYYY-MM-DD) and ``Archived`` ("0"/"1"). A file holds a list of
records (a single object is accepted). The authority is ``HC`` (jurisdiction: Canada).

>>> b = parse_health_canada([{"NID": "82280", "Title": "Bone Saw Blade", "URL": "https://x/a",
...     "Organization": "Medical devices", "Product": "Bone Saw Blade", "Issue": "Sterility",
...     "Last updated": "2026-07-03"}])
>>> r = b.recalls[0]
>>> r.key, r.hazard, r.last_publish_date.date().isoformat()
('HC:82280', 'Sterility', '2026-07-03')
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from recallguard.domain.models import BadRecord, Recall, Target
from recallguard.sources.registry import RecallBatch, RecallFormat, register

AUTHORITY = "HC"
_KEYS = (
    "NID",
    "Title",
    "URL",
    "Organization",
    "Product",
    "Issue",
    "Category",
    "Recall class",
    "Last updated",
)


class _FieldError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _text(rec: dict[str, Any], key: str) -> str:
    value = rec.get(key)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _FieldError(key, f"expected text, got {type(value).__name__}")
    return " ".join(str(value).split())


def _date(rec: dict[str, Any], key: str) -> datetime | None:
    value = _text(rec, key)
    if not value:
        return None
    try:
        return datetime.fromisoformat(value[:10])
    except ValueError:
        raise _FieldError(key, f"not a YYYY-MM-DD date: {value[:40]!r}") from None


def _recall(rec: dict[str, Any]) -> Recall:
    nid = _text(rec, "NID")
    if not nid:
        raise _FieldError("NID", "missing recall id")
    title = _text(rec, "Title")
    product = _text(rec, "Product")
    if not (title or product):
        raise _FieldError("Title", "record has neither a title nor a product")
    url = _text(rec, "URL")
    if url and not url.startswith(("http://", "https://")):
        raise _FieldError("URL", f"not an http(s) URL: {url[:60]!r}")
    archived = _text(rec, "Archived")
    if archived not in ("", "0", "1"):
        raise _FieldError("Archived", f"expected '0' or '1', got {archived[:20]!r}")
    remedy = _text(rec, "What you should do")
    return Recall(
        recall_number=nid,
        authority=AUTHORITY,
        title=title or product,
        last_publish_date=_date(rec, "Last updated"),
        url=url,
        description=" ".join(x for x in (_text(rec, "Organization"), _text(rec, "Category")) if x),
        product_names=[product] if product else [title],
        hazard=_text(rec, "Issue"),
        remedy=remedy,
        remedy_options=[remedy] if remedy else [],
        raw=rec,
    )


def parse_health_canada(data: Any, source: str = "health-canada") -> RecallBatch:
    """Parse Health Canada recall records; bad records become ``BadRecord`` and the rest go on.

    >>> b = parse_health_canada([{"NID": "1", "Title": "Crib"}, {"NID": "2", "Title": ["x"]}])
    >>> len(b.recalls), str(b.bad[0])
    (1, "health-canada: record 2 (NID 2): field 'Title': expected text, got list")
    """
    records = data if isinstance(data, list) else [data]
    batch = RecallBatch(format="health-canada")
    for i, rec in enumerate(records, start=1):
        where = f"record {i}"
        if not isinstance(rec, dict):
            batch.bad.append(BadRecord(source, where, "(record)", "expected a JSON object", repr(rec)[:500]))
            continue
        if isinstance(rec.get("NID"), str | int) and str(rec.get("NID")):
            where += f" (NID {str(rec['NID'])[:20]})"
        try:
            batch.recalls.append(_recall(rec))
        except _FieldError as e:
            batch.bad.append(BadRecord(source, where, e.field, str(e), repr(rec)[:500]))
    return batch


def health_canada_targets(recall: Recall) -> list[Target]:
    """One target per record: the product name and category (HC open data carries no identifiers).

    >>> r = parse_health_canada({"NID": "7", "Title": "Kettle", "Product": "Acme kettle",
    ...                          "Category": "Kitchen"}).recalls[0]
    >>> health_canada_targets(r)[0].product_type
    'Kitchen'
    """
    category = recall.raw.get("Category")
    text = " ".join(dict.fromkeys(p for p in [recall.title, *recall.product_names] if p))
    return [
        Target(
            recall_number=recall.recall_number,
            authority=recall.authority,
            product_name=recall.product_names[0] if recall.product_names else recall.title,
            product_type=category if isinstance(category, str) else "",
            hazard=recall.hazard,
            remedy=recall.remedy,
            text=text,
            priority=recall.priority,
        )
    ]


def sniff_health_canada(data: Any) -> bool:
    """True for Health Canada open-data records (or a list whose first item is one)."""
    first = data[0] if isinstance(data, list) and data else data
    return isinstance(first, dict) and "NID" in first and sum(k in first for k in _KEYS) >= 3


register(RecallFormat(name="health-canada", sniff=sniff_health_canada, parse=parse_health_canada))
