"""recallguard's own recall format: ``{"format": "recallguard.recalls/1", "recalls": [...]}``.

Each recall is an object with the fields of the domain ``Recall`` (``recall_number`` and ``title``
required; dates as ISO 8601, UTC when no zone is given), plus an optional ``targets`` list of target
objects (fields of the domain ``Target``) that replace the targets extracted from the prose. A
top-level ``authority`` is the default for recalls that do not name one. See docs/sources-cpsc.md.

>>> batch = parse_own({"format": FORMAT_ID, "authority": "CPSC",
...                    "recalls": [{"recall_number": "26561", "title": "Toys"}]}, "mine.json")
>>> batch.recalls[0].key, batch.bad
('CPSC:26561', [])
"""

from __future__ import annotations

import copy
import dataclasses
from datetime import datetime
from typing import Any

from recallguard.domain.models import BadRecord, Recall, RecallStatus
from recallguard.errors import ValidationFailed
from recallguard.sources.cpsc import parse_cpsc_datetime
from recallguard.sources.registry import RecallBatch, RecallFormat, register

FORMAT_ID = "recallguard.recalls/1"
FORMAT_NAME = "recallguard"

_TEXT_FIELDS = ("recall_number", "authority", "title", "url", "description", "hazard", "remedy")
_TEXT_FIELDS_2 = ("number_of_units", "consumer_contact")
_LIST_FIELDS = (
    "product_names", "remedy_options", "manufacturers", "importers", "distributors", "retailers",
    "manufacturer_countries", "upcs", "images", "injuries", "in_conjunction",
)  # fmt: skip


def sniff_own(data: Any) -> bool:
    """An object whose ``format`` is ``recallguard.recalls/1``.

    >>> sniff_own({"format": "recallguard.recalls/1", "recalls": []}), sniff_own([])
    (True, False)
    """
    return isinstance(data, dict) and data.get("format") == FORMAT_ID


def _text(rec: dict[str, Any], key: str) -> str:
    value = rec.get(key)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValidationFailed(f"expected text, got {type(value).__name__}", field=key)
    return str(value).strip()


def _texts(rec: dict[str, Any], key: str) -> list[str]:
    value = rec.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationFailed("expected a list of strings", field=key)
    return [v.strip() for v in value if v.strip()]


def _date(rec: dict[str, Any], key: str) -> datetime | None:
    try:
        return parse_cpsc_datetime(rec.get(key))
    except ValueError as e:
        raise ValidationFailed(str(e), field=key) from None


def parse_own_record(rec: Any, default_authority: str = "") -> Recall:
    """One recall object of the own format; raises ValidationFailed naming the field."""
    if not isinstance(rec, dict):
        raise ValidationFailed(f"expected an object, got {type(rec).__name__}", field="(record)")
    values: dict[str, Any] = {k: _text(rec, k) for k in (*_TEXT_FIELDS, *_TEXT_FIELDS_2)}
    values.update({k: _texts(rec, k) for k in _LIST_FIELDS})
    values["authority"] = (values["authority"] or default_authority).upper()
    for required in ("recall_number", "title", "authority"):
        if not values[required]:
            raise ValidationFailed(f"missing {required}", field=required)
    values["recall_date"] = _date(rec, "recall_date")
    values["last_publish_date"] = _date(rec, "last_publish_date")
    status = rec.get("status", RecallStatus.ACTIVE.value)
    try:
        values["status"] = RecallStatus(status)
    except ValueError:
        raise ValidationFailed(f"unknown status {status!r}", field="status") from None
    priority = rec.get("priority", False)
    if not isinstance(priority, bool):
        raise ValidationFailed("expected true or false", field="priority")
    targets = rec.get("targets")
    if targets is not None and (
        not isinstance(targets, list) or not all(isinstance(t, dict) for t in targets)
    ):
        raise ValidationFailed("expected a list of target objects", field="targets")
    raw = rec.get("raw")
    if raw is not None and not isinstance(raw, dict):
        raise ValidationFailed("expected an object", field="raw")
    kept = copy.deepcopy(rec)  # the record as published, ``targets`` overrides included
    return Recall(**values, priority=priority, raw=kept)


def parse_own(data: Any, source: str = "recallguard") -> RecallBatch:
    """Every recall of an own-format document; unreadable ones become ``BadRecord`` entries."""
    batch = RecallBatch(format=FORMAT_NAME)
    recalls = data.get("recalls") if isinstance(data, dict) else None
    if not isinstance(recalls, list):
        batch.bad.append(BadRecord(source, "document", "recalls", "expected a list of recalls"))
        return batch
    default_authority = str(data.get("authority") or "")
    for index, rec in enumerate(recalls):
        try:
            batch.recalls.append(parse_own_record(rec, default_authority))
        except ValidationFailed as e:
            number = rec.get("recall_number") if isinstance(rec, dict) else None
            batch.bad.append(
                BadRecord(
                    source,
                    f"record {index} (recall_number {number or '?'})",
                    e.field,
                    str(e),
                    str(rec)[:2000],
                )
            )
    return batch


def dump_own(recalls: list[Recall], authority: str = "") -> dict[str, Any]:
    """Recalls as an own-format document (the inverse of ``parse_own``; ``raw`` is not repeated).

    >>> doc = dump_own([Recall("1", "CPSC", "Toys")])
    >>> parse_own(doc).recalls[0].title
    'Toys'
    """
    out: list[dict[str, Any]] = []
    for r in recalls:
        rec: dict[str, Any] = {}
        for f in dataclasses.fields(Recall):
            value = getattr(r, f.name)
            if f.name == "raw":
                if isinstance(value.get("targets"), list):
                    rec["targets"] = copy.deepcopy(value["targets"])
                continue
            if isinstance(value, datetime):
                value = value.isoformat()
            elif isinstance(value, RecallStatus):
                value = value.value
            elif isinstance(value, list):
                value = list(value)
            rec[f.name] = value
        out.append(rec)
    doc: dict[str, Any] = {"format": FORMAT_ID, "recalls": out}
    if authority:
        doc["authority"] = authority
    return doc


register(RecallFormat(name=FORMAT_NAME, sniff=sniff_own, parse=parse_own))
