"""The generic recall CSV: one recall a row, for any authority without its own feed format.

Required columns: ``authority``, ``recall_number``, ``title``. Optional: ``date``, ``brand``,
``product_name``, ``product_type``, ``model_numbers``, ``gtins``, ``batch_numbers``, ``hazard``,
``remedy``, ``countries``, ``url``, ``description``, ``manufacturer_countries``, ``images``,
``in_conjunction``, ``status`` (active | withdrawn), ``priority`` (yes | no). List columns are separated
by ``;`` or ``|``. ``countries`` (ISO codes) is the authority's jurisdiction and is required for an
authority recallguard does not know. Unknown columns are kept in ``Recall.raw``. See
docs/sources-other.md.

>>> text = ("authority,recall_number,title,brand,gtins,countries\\n"
...         "ACCC,PRA-1,Magnet set,Acme,4006381333931,AU\\n")
>>> b = parse_generic_csv(text)
>>> r = b.recalls[0]
>>> r.key, generic_csv_targets(r)[0].gtins, csv_authorities(b)["ACCC"].countries
('ACCC:PRA-1', ['04006381333931'], frozenset({'AU'}))
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from typing import Any

from recallguard.domain.authorities import AUTHORITIES
from recallguard.domain.identifiers import normalize_gtin
from recallguard.domain.models import Authority, BadRecord, IdentifierRange, Recall, RecallStatus, Target
from recallguard.sources.registry import RecallBatch, RecallFormat, register

REQUIRED = ("authority", "recall_number", "title")
COLUMNS = (
    *REQUIRED,
    *("date", "brand", "product_name", "product_type", "model_numbers", "gtins", "batch_numbers", "hazard"),
    *("remedy", "countries", "url", "description", "manufacturer_countries", "images", "in_conjunction"),
    *("status", "priority"),
)
_SPLIT = re.compile(r"\s*[;|]\s*")
_CODE = re.compile(r"^[A-Z][A-Z0-9_\-]{1,19}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_MAX_FIELD = 20_000


class _FieldError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _items(row: dict[str, str], key: str) -> list[str]:
    return [x for x in _SPLIT.split(row.get(key, "")) if x]


def _countries(row: dict[str, str], key: str) -> list[str]:
    out = [c.upper() for c in _items(row, key)]
    for c in out:
        if not _COUNTRY.match(c):
            raise _FieldError(key, f"not a two-letter ISO country code: {c[:20]!r}")
    return out


def _recall(row: dict[str, str]) -> Recall:
    for key in REQUIRED:
        if not row.get(key):
            raise _FieldError(key, "required column is empty")
    for key, value in row.items():
        if len(value) > _MAX_FIELD:
            raise _FieldError(key, f"value longer than {_MAX_FIELD} characters")
    authority = row["authority"].upper()
    if not _CODE.match(authority):
        raise _FieldError(
            "authority", f"not an authority code (letters, digits, '-', '_'): {authority[:30]!r}"
        )
    countries = _countries(row, "countries")
    if authority not in AUTHORITIES and not countries:
        raise _FieldError("countries", f"unknown authority {authority!r} needs its countries (ISO codes)")
    date = None
    if row.get("date"):
        try:
            date = datetime.fromisoformat(row["date"].replace("Z", "+00:00"))
        except ValueError:
            raise _FieldError("date", f"not an ISO date (YYYY-MM-DD): {row['date'][:40]!r}") from None
        if date.tzinfo:  # naive UTC, like the other feeds
            date = date.astimezone(UTC).replace(tzinfo=None)
    gtins = []
    for g in _items(row, "gtins"):
        norm = normalize_gtin(g)
        if norm is None:
            raise _FieldError("gtins", f"not a GTIN/UPC/EAN (length or check digit): {g[:30]!r}")
        gtins.append(norm)
    status = (row.get("status") or "active").lower()
    if status not in ("active", "withdrawn"):
        raise _FieldError("status", f"expected 'active' or 'withdrawn', got {status[:20]!r}")
    priority = (row.get("priority") or "no").lower()
    if priority not in ("yes", "no", "true", "false", "1", "0"):
        raise _FieldError("priority", f"expected yes/no, got {priority[:20]!r}")
    url = row.get("url", "")
    if url and not url.startswith(("http://", "https://")):
        raise _FieldError("url", f"not an http(s) URL: {url[:60]!r}")
    product = row.get("product_name", "")
    return Recall(
        recall_number=row["recall_number"],
        authority=authority,
        title=row["title"],
        recall_date=date,
        url=url,
        description=row.get("description", ""),
        product_names=[product] if product else [],
        hazard=row.get("hazard", ""),
        remedy=row.get("remedy", ""),
        remedy_options=[row["remedy"]] if row.get("remedy") else [],
        manufacturers=[row["brand"]] if row.get("brand") else [],
        manufacturer_countries=_countries(row, "manufacturer_countries"),
        upcs=gtins,
        images=_items(row, "images"),
        in_conjunction=_items(row, "in_conjunction"),
        status=RecallStatus(status),
        priority=priority in ("yes", "true", "1"),
        raw=dict(row),
    )


def parse_generic_csv(data: Any, source: str = "recalls.csv") -> RecallBatch:
    """Parse the generic recall CSV (text); bad rows become ``BadRecord`` and the rest go on.

    >>> b = parse_generic_csv("authority,recall_number,title,date\\nHC,1,Crib,2026-13-01\\nHC,2,Gate,\\n")
    >>> [r.key for r in b.recalls], b.bad[0].location, b.bad[0].field
    (['HC:2'], 'line 2 (recall_number 1)', 'date')
    """
    text = data.decode("utf-8-sig", "replace") if isinstance(data, bytes) else str(data).lstrip("\ufeff")
    batch = RecallBatch(format="generic-csv")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [(h or "").strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        batch.bad.append(
            BadRecord(source, "line 1 (header)", missing[0], f"missing columns: {', '.join(missing)}")
        )
        return batch
    reader.fieldnames = header
    seen: set[str] = set()
    line = 1
    for row in reader:
        line = reader.line_num
        where = f"line {line}"
        extra = row.pop(None, None)
        clean = {k: " ".join((v or "").split()) for k, v in row.items() if k}
        if clean.get("recall_number"):
            where += f" (recall_number {clean['recall_number'][:40]})"
        if extra:
            batch.bad.append(
                BadRecord(source, where, "(row)", f"{len(extra)} more cells than columns", str(row))
            )
            continue
        try:
            recall = _recall(clean)
        except _FieldError as e:
            batch.bad.append(BadRecord(source, where, e.field, str(e), str(clean)[:500]))
            continue
        if recall.key in seen:
            batch.bad.append(BadRecord(source, where, "recall_number", f"duplicate recall {recall.key}"))
            continue
        seen.add(recall.key)
        batch.recalls.append(recall)
    return batch


def generic_csv_targets(recall: Recall) -> list[Target]:
    """One target from a row's structured columns.

    >>> r = parse_generic_csv("authority,recall_number,title,brand,model_numbers,batch_numbers\\n"
    ...                       "HC,9,Heater,Acme,H-1; H-2,L100\\n").recalls[0]
    >>> t = generic_csv_targets(r)[0]
    >>> t.brand, t.model_numbers, t.ranges[0].start
    ('Acme', ['H-1', 'H-2'], 'L100')
    """
    row = {k: str(v) for k, v in recall.raw.items() if isinstance(k, str) and isinstance(v, str)}
    text = " ".join(
        dict.fromkeys(p for p in (recall.title, row.get("product_name", ""), recall.description) if p)
    )
    return [
        Target(
            recall_number=recall.recall_number,
            authority=recall.authority,
            brand=row.get("brand", ""),
            product_name=row.get("product_name", "") or recall.title,
            product_type=row.get("product_type", ""),
            model_numbers=_items(row, "model_numbers"),
            gtins=list(recall.upcs),
            ranges=[
                IdentifierRange(kind="batch", start=b, end=b, text=b) for b in _items(row, "batch_numbers")
            ],
            manufacturer_countries=list(recall.manufacturer_countries),
            hazard=recall.hazard,
            remedy=recall.remedy,
            text=text,
            images=list(recall.images),
            priority=recall.priority,
        )
    ]


def csv_authorities(batch: RecallBatch) -> dict[str, Authority]:
    """Authorities named in a batch that recallguard does not know, with the countries the rows give.

    >>> csv_authorities(parse_generic_csv("authority,recall_number,title,countries\\nCPSC,1,x,US\\n"))
    {}
    """
    found: dict[str, set[str]] = {}
    for r in batch.recalls:
        if r.authority not in AUTHORITIES:
            found.setdefault(r.authority, set()).update(_countries(r.raw, "countries"))
    return {code: Authority(code, code, frozenset(countries)) for code, countries in found.items()}


def sniff_generic_csv(data: Any) -> bool:
    """True for text whose first line is a CSV header with the required columns."""
    if not isinstance(data, str | bytes):
        return False
    text = data.decode("utf-8-sig", "replace") if isinstance(data, bytes) else data.lstrip("\ufeff")
    first = text.lstrip().split("\n", 1)[0]
    try:
        header = {h.strip().lower() for h in next(csv.reader([first]))}
    except (csv.Error, StopIteration):
        return False
    return all(c in header for c in REQUIRED)


register(RecallFormat(name="generic-csv", sniff=sniff_generic_csv, parse=parse_generic_csv))
