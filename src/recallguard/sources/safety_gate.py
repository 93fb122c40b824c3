"""EU Safety Gate notifications (the detail format of the public Safety Gate API) → recalls and targets.

One notification is a JSON object with ``reference`` (e.g. ``SR/01950/26``), ``product`` (name, brands,
barcodes, model types, batch numbers, photos), ``risk``, ``measureTaken``, ``traceability`` and
``onlineTraderProductIdentifierReference``. A file or API answer may hold one notification or a list.
The authority is ``SAFETYGATE`` (jurisdiction: the EU/EEA countries).

>>> batch = parse_safety_gate({"id": 1, "reference": "SR/00001/26", "product": {
...     "nameSpecific": "Magnetic balls", "brands": [{"brand": "Acme"}],
...     "barcodes": [{"barcode": "4006381333931"}], "modelTypes": [{"modelType": "MB-216"}]}})
>>> r = batch.recalls[0]
>>> r.key, r.title
('SAFETYGATE:SR/00001/26', 'Magnetic balls (Acme)')
>>> t = safety_gate_targets(r)[0]
>>> t.brand, t.gtins, t.model_numbers
('Acme', ['04006381333931'], ['MB-216'])
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from recallguard.domain.identifiers import normalize_gtin
from recallguard.domain.models import BadRecord, IdentifierRange, Recall, Target
from recallguard.sources.registry import RecallBatch, RecallFormat, register

AUTHORITY = "SAFETYGATE"
PUBLIC_BASE = "https://ec.europa.eu/safety-gate-alerts"
ALERT_URL = PUBLIC_BASE + "/screen/webReport/alertDetail/{id}"
PHOTO_URL = PUBLIC_BASE + "/public/api/notification/image/{id}"
_RANGE = re.compile(r"^\s*(?:from\s+)?(\S+)\s+(?:to|-|–|through)\s+(\S+)\s*$", re.IGNORECASE)


class _FieldError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _obj(value: Any, field: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _FieldError(field, f"expected an object, got {type(value).__name__}")
    return value


def _list(value: Any, field: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _FieldError(field, f"expected a list, got {type(value).__name__}")
    return value


def _text(value: Any, field: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _FieldError(field, f"expected text, got {type(value).__name__}")
    return " ".join(str(value).split())


def _entries(container: dict[str, Any], key: str, inner: str, field: str) -> list[str]:
    """Values of a list of ``{inner: value}`` objects (plain strings are accepted too)."""
    out: list[str] = []
    for i, item in enumerate(_list(container.get(key), field)):
        where = f"{field}[{i}]"
        value = (
            _text(item.get(inner, item.get("name")), where) if isinstance(item, dict) else _text(item, where)
        )
        if value and value not in out:
            out.append(value)
    return out


def _english(versions: Any, field: str) -> dict[str, Any]:
    """The English version of a multilingual block (else the first one)."""
    items = [v for v in _list(versions, field) if isinstance(v, dict)]
    for v in items:
        lang = v.get("language")
        if isinstance(lang, dict) and str(lang.get("key", "")).upper() == "EN":
            return v
    return items[0] if items else {}


def _date(value: Any, field: str) -> datetime | None:
    """ISO 8601 timestamp → naive UTC datetime (the CPSC feed's dates are naive too)."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise _FieldError(field, f"expected an ISO date, got {type(value).__name__}")
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _FieldError(field, f"not an ISO date: {value[:40]!r}") from None
    return dt.astimezone(UTC).replace(tzinfo=None) if dt.tzinfo else dt


def _humanize(name: str) -> str:
    return name.replace("_", " ").capitalize()


def _recall(rec: dict[str, Any]) -> Recall:
    reference = _text(rec.get("reference"), "reference")
    if not reference:
        raise _FieldError("reference", "missing notification reference")
    product = _obj(rec.get("product"), "product")
    name = _text(product.get("nameSpecific"), "product.nameSpecific")
    en = _english(product.get("versions"), "product.versions")
    generic = _text(en.get("name"), "product.versions.name")
    brands = _entries(product, "brands", "brand", "product.brands")
    if not (name or generic or _text(product.get("name"), "product.name")):
        raise _FieldError("product.nameSpecific", "notification names no product")
    title = name or generic or _text(product.get("name"), "product.name")
    if brands:
        title = f"{title} ({', '.join(brands)})"
    _text(_obj(product.get("productCategory"), "product.productCategory").get("name"), "productCategory")
    _entries(product, "modelTypes", "modelType", "product.modelTypes")  # validated here, used by targets
    _entries(product, "batchNumbers", "batchNumber", "product.batchNumbers")
    risk = _obj(rec.get("risk"), "risk")
    risk_en = _english(risk.get("versions"), "risk.versions")
    risk_types = [
        _humanize(_text(t.get("name"), "risk.riskType")) for t in _list(risk.get("riskType"), "risk.riskType")
    ]
    hazard = _text(risk_en.get("riskDescription"), "risk.versions.riskDescription") or "; ".join(risk_types)
    measures = _obj(rec.get("measureTaken"), "measureTaken")
    remedy_options: list[str] = []
    for i, m in enumerate(_list(measures.get("measures"), "measureTaken.measures")):
        cat = _obj(_obj(m, f"measureTaken.measures[{i}]").get("measureCategory"), "measureCategory")
        label = _humanize(_text(cat.get("name"), f"measureTaken.measures[{i}].measureCategory"))
        if label and label not in remedy_options:
            remedy_options.append(label)
    trace = _obj(rec.get("traceability"), "traceability")
    origin = _text(_obj(trace.get("countryOrigin"), "traceability.countryOrigin").get("key"), "countryOrigin")
    ident = rec.get("id")
    photos = [p for p in _list(product.get("photos"), "product.photos") if isinstance(p, dict)]
    return Recall(
        recall_number=reference,
        authority=AUTHORITY,
        title=title,
        recall_date=_date(rec.get("publicationDate") or rec.get("creationDate"), "publicationDate"),
        last_publish_date=_date(rec.get("modificationDate"), "modificationDate"),
        url=ALERT_URL.format(id=ident) if isinstance(ident, int | str) and str(ident) else "",
        description=_text(en.get("description") or product.get("description"), "product.description"),
        product_names=[n for n in (name, generic) if n],
        hazard=hazard,
        remedy="; ".join(remedy_options),
        remedy_options=remedy_options,
        manufacturers=brands,
        manufacturer_countries=[origin] if origin else [],
        upcs=[
            g for g in (normalize_gtin(b) for b in _entries(product, "barcodes", "barcode", "barcodes")) if g
        ],
        images=[PHOTO_URL.format(id=p["id"]) for p in photos if isinstance(p.get("id"), int | str)],
        retailers=[
            " ".join(f"{x.get('onlineTrader', '')}: {x.get('uniqueProductIdentifier', '')}".split())
            for x in _list(rec.get("onlineTraderProductIdentifierReference"), "onlineTraderProductIdentifier")
            if isinstance(x, dict)
        ],
        raw=rec,
    )


def parse_safety_gate(data: Any, source: str = "safety-gate") -> RecallBatch:
    """Parse one notification or a list of them; bad records become ``BadRecord`` and the rest go on.

    >>> b = parse_safety_gate([{"reference": "SR/1/26", "product": {"nameSpecific": "Toy"}}, {"product": 3}])
    >>> len(b.recalls), str(b.bad[0])
    (1, "safety-gate: record 2: field 'reference': missing notification reference")
    """
    records = data if isinstance(data, list) else [data]
    batch = RecallBatch(format="safety-gate")
    for i, rec in enumerate(records, start=1):
        where = f"record {i}"
        if not isinstance(rec, dict):
            batch.bad.append(BadRecord(source, where, "(record)", "expected a JSON object", repr(rec)[:500]))
            continue
        if rec.get("reference"):
            where += f" (reference {str(rec.get('reference'))[:40]})"
        try:
            batch.recalls.append(_recall(rec))
        except _FieldError as e:
            batch.bad.append(BadRecord(source, where, e.field, str(e), repr(rec)[:500]))
        except (TypeError, ValueError, AttributeError, KeyError) as e:  # anything else malformed
            batch.bad.append(
                BadRecord(source, where, "(record)", f"malformed notification: {e}", repr(rec)[:500])
            )
    return batch


def _batch_range(value: str) -> IdentifierRange:
    m = _RANGE.match(value)
    if m:
        return IdentifierRange(kind="batch", start=m.group(1), end=m.group(2), text=value)
    return IdentifierRange(kind="batch", start=value, end=value, text=value)


def _category(product: dict[str, Any]) -> str:
    cat = product.get("productCategory")
    return _humanize(str(cat.get("name") or "")) if isinstance(cat, dict) else ""


def safety_gate_targets(recall: Recall) -> list[Target]:
    """Targets straight from a notification's structured fields (no prose extraction needed).

    Barcodes that are valid GTINs go to ``gtins``; other barcodes (internal codes) to ``skus``;
    batch numbers become ``IdentifierRange`` (a single batch or a "X to Y" range).

    >>> r = parse_safety_gate({"reference": "SR/2/26", "product": {"nameSpecific": "Lamp",
    ...     "barcodes": [{"barcode": "BCD25"}], "batchNumbers": [{"batchNumber": "L1 to L9"}]}}).recalls[0]
    >>> t = safety_gate_targets(r)[0]
    >>> t.skus, (t.ranges[0].start, t.ranges[0].end)
    (['BCD25'], ('L1', 'L9'))
    """
    product = recall.raw.get("product") or {}
    if not isinstance(product, dict):
        product = {}
    brands = _entries(product, "brands", "brand", "product.brands")
    barcodes = _entries(product, "barcodes", "barcode", "product.barcodes")
    gtins = [g for g in (normalize_gtin(b) for b in barcodes) if g]
    skus = [b for b in barcodes if normalize_gtin(b) is None]
    for ref in _list(recall.raw.get("onlineTraderProductIdentifierReference"), "onlineTrader"):
        ident = (
            _text(ref.get("uniqueProductIdentifier"), "uniqueProductIdentifier")
            if isinstance(ref, dict)
            else ""
        )
        if ident and " " not in ident and any(ch.isdigit() for ch in ident) and ident not in skus:
            skus.append(ident)  # ASIN-like identifiers; free text such as "TIKTOK shop" is not one
    en = _english(product.get("versions"), "product.versions")
    text = " ".join(dict.fromkeys(p for p in [recall.title, *recall.product_names, recall.description] if p))
    return [
        Target(
            recall_number=recall.recall_number,
            authority=recall.authority,
            brand=brands[0] if brands else "",
            brand_aliases=brands[1:],
            product_name=recall.product_names[0] if recall.product_names else recall.title,
            product_type=_text(en.get("name"), "product.versions.name") or _category(product),
            model_numbers=_entries(product, "modelTypes", "modelType", "product.modelTypes"),
            gtins=gtins,
            skus=skus,
            ranges=[
                _batch_range(b) for b in _entries(product, "batchNumbers", "batchNumber", "batchNumbers")
            ],
            sold_at=list(recall.retailers),
            manufacturer_countries=list(recall.manufacturer_countries),
            hazard=recall.hazard,
            remedy=recall.remedy,
            text=text,
            images=list(recall.images),
            priority=recall.priority,
        )
    ]


def sniff_safety_gate(data: Any) -> bool:
    """True for a Safety Gate notification (or a list whose first item is one)."""
    first = data[0] if isinstance(data, list) and data else data
    return isinstance(first, dict) and "reference" in first and isinstance(first.get("product"), dict)


register(RecallFormat(name="safety-gate", sniff=sniff_safety_gate, parse=parse_safety_gate))
