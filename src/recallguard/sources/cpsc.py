"""The CPSC Recalls API JSON (a bare array of records with 22 keys) parsed into domain ``Recall`` objects.

Real quirks survived here: the "poison row" (``RecallID`` 0 with an error message as title) that the
API answers for a too-wide query, empty structured fields, "?" written for a non-breaking space,
dates without a zone (taken as UTC), free-text unit counts, missing keys and wrongly typed values.
A record that cannot be read becomes a ``BadRecord`` naming its index, RecallNumber and field; the
rest of the batch goes on.

>>> batch = parse_cpsc([{"RecallID": 1, "RecallNumber": "26561", "Title": "Toys Recalled Due?to Risk",
...                      "RecallDate": "2026-06-18T00:00:00"}], "feed")
>>> r = batch.recalls[0]
>>> (r.key, r.title, r.recall_date.isoformat())
('CPSC:26561', 'Toys Recalled Due to Risk', '2026-06-18T00:00:00+00:00')
"""

from __future__ import annotations

import copy
import re
from datetime import UTC, datetime
from typing import Any

from recallguard.domain.models import BadRecord, Recall
from recallguard.errors import ValidationFailed
from recallguard.sources.registry import RecallBatch, RecallFormat, register

AUTHORITY = "CPSC"
FORMAT_NAME = "cpsc-api"

# The 22 keys of a CPSC Recalls API record.
CPSC_KEYS = (
    "RecallID", "RecallNumber", "RecallDate", "Description", "URL", "Title", "ConsumerContact",
    "LastPublishDate", "Products", "Inconjunctions", "Images", "Injuries", "Manufacturers", "Retailers",
    "Importers", "Distributors", "SoldAtLabel", "ManufacturerCountries", "ProductUPCs", "Hazards",
    "Remedies", "RemedyOptions",
)  # fmt: skip

_URL = re.compile(r"(?:https?://|www\.)\S+", re.I)
# "?" standing for a non-breaking space or hyphen: between two word characters, after a space or after
# sentence punctuation before a capital. A "?" followed by a space or the end stays a question mark.
_NBSP_Q = re.compile(r"(?<=\w)\?(?=\w)|(?<=[.,;:])\?(?=[\"“(]*[A-Z])")
_NBSP_AFTER_SPACE = re.compile(r"(?<=\s)\?(?=[\w\"“(])")
# Pairs that were written with a non-breaking hyphen rather than a space.
_HYPHEN_PAIRS = re.compile(r"\b(lithium|built|e|x|t|u|d|o|pre|non|self|anti|multi)\?(?=\w)", re.I)
_UNITS = re.compile(r"(\d[\d,]*)")


def repair_text(text: str) -> str:
    """Undo the feed's "?" for a non-breaking space, leaving real question marks and URLs alone.

    >>> repair_text("standard for?bicycle helmets?because")
    'standard for bicycle helmets because'
    >>> repair_text("lithium?ion battery. Why? See https://x.com/sp?seller=A1")
    'lithium-ion battery. Why? See https://x.com/sp?seller=A1'
    >>> repair_text("Reese's Law.?When")
    "Reese's Law. When"
    """
    if not text or "?" not in text:
        return (text or "").replace("\u00a0", " ")
    out: list[str] = []
    pos = 0
    for m in _URL.finditer(text):
        out.append(_repair_plain(text[pos : m.start()]))
        out.append(m.group(0))
        pos = m.end()
    out.append(_repair_plain(text[pos:]))
    return "".join(out).replace("\u00a0", " ")


def _repair_plain(text: str) -> str:
    text = _HYPHEN_PAIRS.sub(lambda m: m.group(1) + "-", text)
    return _NBSP_Q.sub(" ", _NBSP_AFTER_SPACE.sub("", text))


def parse_cpsc_datetime(value: Any) -> datetime | None:
    """A CPSC date ("2026-06-18T00:00:00", no zone) as an aware UTC datetime; None when empty.

    >>> parse_cpsc_datetime("2026-06-18T00:00:00").tzinfo is UTC
    True
    >>> parse_cpsc_datetime("2026-06-18").day, parse_cpsc_datetime("") is None
    (18, True)
    """
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"expected a date string, got {type(value).__name__}")
    text = value.strip().replace("Z", "+00:00")
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not a date: {value!r}") from None
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def parse_unit_count(text: str) -> int | None:
    """The first number in a free-text unit count: 'About 3,840 (In addition, ...)' -> 3840.

    >>> parse_unit_count("About 3,840 (In addition, about 148 were sold in Canada)"), parse_unit_count("")
    (3840, None)
    """
    m = _UNITS.search(text or "")
    return int(m.group(1).replace(",", "")) if m else None


def is_poison_row(rec: Any) -> bool:
    """True for the row the API answers instead of results when a query is too wide.

    >>> is_poison_row({"RecallID": 0, "Title": "Error retrieving Recalls: timeout"})
    True
    >>> is_poison_row({"RecallID": 10826, "RecallNumber": "26565", "Title": "Vaporizers Recalled"})
    False
    """
    if not isinstance(rec, dict):
        return False
    title = rec.get("Title")
    error_title = isinstance(title, str) and title.strip().lower().startswith("error retrieving")
    return error_title or (rec.get("RecallID") in (0, "0") and not rec.get("RecallNumber"))


def sniff_cpsc(data: Any) -> bool:
    """A JSON list whose objects carry CPSC keys (RecallNumber or RecallID).

    >>> sniff_cpsc([{"RecallID": 1, "RecallNumber": "1"}]), sniff_cpsc({"recalls": []})
    (True, False)
    """
    if not isinstance(data, list) or not data:
        return False
    dicts = [r for r in data[:20] if isinstance(r, dict)]
    return bool(dicts) and any("RecallNumber" in r or "RecallID" in r for r in dicts)


def _str_field(rec: dict[str, Any], key: str) -> str:
    value = rec.get(key)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValidationFailed(f"expected text, got {type(value).__name__}", field=key)
    return repair_text(str(value).strip())


def _list_field(rec: dict[str, Any], key: str, inner: str) -> list[str]:
    """Values of ``inner`` in a list of objects (``Products[].Name``); strings are accepted as-is."""
    value = rec.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValidationFailed(f"expected a list, got {type(value).__name__}", field=key)
    out: list[str] = []
    for i, item in enumerate(value):
        if isinstance(item, str):
            text = item
        elif isinstance(item, dict):
            raw = item.get(inner)
            if raw is None:
                continue
            if not isinstance(raw, str | int | float) or isinstance(raw, bool):
                raise ValidationFailed(
                    f"expected text, got {type(raw).__name__}", field=f"{key}[{i}].{inner}"
                )
            text = str(raw)
        else:
            raise ValidationFailed(f"expected an object, got {type(item).__name__}", field=f"{key}[{i}]")
        text = repair_text(text.strip())
        if text and text not in out:
            out.append(text)
    return out


def _date_field(rec: dict[str, Any], key: str) -> datetime | None:
    try:
        return parse_cpsc_datetime(rec.get(key))
    except ValueError as e:
        raise ValidationFailed(str(e), field=key) from None


def parse_cpsc_record(rec: Any) -> Recall:
    """One CPSC API record as a ``Recall``; raises ValidationFailed naming the field when unreadable.

    >>> parse_cpsc_record({"RecallNumber": 26561, "Products": [{"Name": "Toys", "NumberOfUnits": "About 9"}]}
    ...                   ).product_names
    ['Toys']
    """
    if not isinstance(rec, dict):
        raise ValidationFailed(f"expected an object, got {type(rec).__name__}", field="(record)")
    if is_poison_row(rec):
        raise ValidationFailed(f"upstream error row: {rec.get('Title')!r}", field="RecallID")
    number = _str_field(rec, "RecallNumber")
    if not number:
        raise ValidationFailed("missing recall number", field="RecallNumber")
    units = _list_field(rec, "Products", "NumberOfUnits")
    retailers = _list_field(rec, "Retailers", "Name")
    sold_at_label = rec.get("SoldAtLabel")
    if isinstance(sold_at_label, str) and sold_at_label.strip():
        retailers.append(repair_text(sold_at_label.strip()))
    hazards = _list_field(rec, "Hazards", "Name")
    remedies = _list_field(rec, "Remedies", "Name")
    return Recall(
        recall_number=number,
        authority=AUTHORITY,
        title=_str_field(rec, "Title"),
        recall_date=_date_field(rec, "RecallDate"),
        last_publish_date=_date_field(rec, "LastPublishDate"),
        url=_str_field(rec, "URL"),
        description=_str_field(rec, "Description"),
        product_names=_list_field(rec, "Products", "Name"),
        hazard=" ".join(hazards),
        remedy=" ".join(remedies),
        remedy_options=_list_field(rec, "RemedyOptions", "Option"),
        manufacturers=_list_field(rec, "Manufacturers", "Name"),
        importers=_list_field(rec, "Importers", "Name"),
        distributors=_list_field(rec, "Distributors", "Name"),
        retailers=retailers,
        manufacturer_countries=_list_field(rec, "ManufacturerCountries", "Country"),
        upcs=[u for u in (re.sub(r"[\s-]", "", x) for x in _list_field(rec, "ProductUPCs", "UPC")) if u],
        images=_list_field(rec, "Images", "URL"),
        number_of_units="; ".join(units),
        injuries=_list_field(rec, "Injuries", "Name"),
        consumer_contact=_str_field(rec, "ConsumerContact"),
        in_conjunction=_list_field(rec, "Inconjunctions", "URL"),
        raw=copy.deepcopy(rec),
    )


def parse_cpsc(data: Any, source: str = "cpsc") -> RecallBatch:
    """Every record of a CPSC API answer; unreadable ones become ``BadRecord`` entries.

    >>> b = parse_cpsc([{"RecallID": 0, "Title": "Error retrieving Recalls: x"},
    ...                 {"RecallNumber": "1", "Title": "T"}], "api")
    >>> len(b.recalls), b.bad[0].location, b.bad[0].field
    (1, 'record 0 (RecallNumber ?)', 'RecallID')
    """
    batch = RecallBatch(format=FORMAT_NAME)
    if not isinstance(data, list):
        data = [data]
    seen: dict[str, int] = {}
    for index, rec in enumerate(data):
        try:
            recall = parse_cpsc_record(rec)
        except ValidationFailed as e:
            number = rec.get("RecallNumber") if isinstance(rec, dict) else None
            batch.bad.append(
                BadRecord(
                    source=source,
                    location=f"record {index} (RecallNumber {number if number not in (None, '') else '?'})",
                    field=e.field,
                    error=str(e),
                    raw=_short_raw(rec),
                )
            )
            continue
        if recall.recall_number in seen:  # the same recall twice in one answer: the later one wins
            batch.recalls[seen[recall.recall_number]] = recall
            continue
        seen[recall.recall_number] = len(batch.recalls)
        batch.recalls.append(recall)
    return batch


def _short_raw(rec: Any, limit: int = 2000) -> str:
    import json

    try:
        text = json.dumps(rec, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        text = repr(rec)
    return text[:limit]


register(RecallFormat(name=FORMAT_NAME, sniff=sniff_cpsc, parse=parse_cpsc))
