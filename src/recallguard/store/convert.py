"""Conversions between domain dataclasses and the JSON / column values the store keeps, and the
content hashes that make re-imports idempotent.

>>> from recallguard.domain.models import Recall, Target
>>> r = Recall("26561", "CPSC", "Doll recall", product_names=["Doll"])
>>> recall_from_json(recall_to_json(r), {}).product_names
['Doll']
>>> t = Target("26561", "CPSC", brand="BABESIDE")
>>> target_from_json(target_to_json(t)) == t
True
"""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import UTC, datetime
from typing import Any

from recallguard.domain.models import IdentifierRange, Listing, Recall, RecallStatus, Target
from recallguard.enforcement.audit_chain import canonical_json

_RECALL_DATES = ("recall_date", "last_publish_date")
LISTING_COLUMNS = (
    "title",
    "description",
    "brand",
    "model",
    "gtin",
    "category",
    "price",
    "currency",
    "seller_id",
    "site",
    "ship_to",
    "image_urls",
    "language",
    "extra",
)


def utc(value: datetime | None) -> datetime | None:
    """A timezone-aware UTC datetime (naive values, as SQLite returns them, are taken as UTC).

    >>> utc(datetime(2026, 1, 1)).isoformat()
    '2026-01-01T00:00:00+00:00'
    """
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def now() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


def sha256_json(value: Any) -> str:
    """Hex SHA-256 of the canonical JSON form of ``value``.

    >>> sha256_json({"b": 1, "a": 2}) == sha256_json({"a": 2, "b": 1})
    True
    """
    return hashlib.sha256(canonical_json({"v": value})).hexdigest()


def recall_to_json(recall: Recall) -> dict[str, Any]:
    """Every normalised field of a recall (not ``raw``) as JSON values."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(recall):
        if f.name == "raw":
            continue
        v = getattr(recall, f.name)
        if isinstance(v, datetime):
            v = v.isoformat()
        elif isinstance(v, RecallStatus):
            v = v.value
        out[f.name] = v
    return out


def recall_from_json(data: dict[str, Any], raw: dict[str, Any]) -> Recall:
    """The domain recall back from its stored JSON."""
    names = {f.name for f in dataclasses.fields(Recall)}
    kw = {k: v for k, v in data.items() if k in names and k != "raw"}
    for k in _RECALL_DATES:
        if kw.get(k):
            kw[k] = datetime.fromisoformat(kw[k])
    kw["status"] = RecallStatus(kw.get("status", "active"))
    return Recall(raw=raw, **kw)


def recall_hash(recall: Recall, targets: list[Target]) -> str:
    """Content hash of a recall as published, as normalised, and of its targets: same hash, no change."""
    return sha256_json(
        {"raw": recall.raw, "norm": recall_to_json(recall), "targets": [target_to_json(t) for t in targets]}
    )


def target_to_json(target: Target) -> dict[str, Any]:
    """Every field of a target as JSON values."""
    return dataclasses.asdict(target)


def target_from_json(data: dict[str, Any]) -> Target:
    """The domain target back from its stored JSON."""
    names = {f.name for f in dataclasses.fields(Target)}
    kw = {k: v for k, v in data.items() if k in names}
    kw["ranges"] = [IdentifierRange(**r) for r in kw.get("ranges", [])]
    return Target(**kw)


def listing_values(listing: Listing) -> dict[str, Any]:
    """The stored column values of a listing's content (no timestamps)."""
    return {"listing_id": listing.listing_id, **{c: getattr(listing, c) for c in LISTING_COLUMNS}}


def listing_hash(listing: Listing) -> str:
    """Content hash of a listing: same id and hash means nothing changed.

    >>> listing_hash(Listing("L1", "Helmet")) == listing_hash(Listing("L1", "Helmet"))
    True
    """
    return sha256_json(listing_values(listing))


def listing_from_row(row: Any) -> Listing:
    """The domain listing back from a ``ListingRow`` (created_at / updated_at: when stored / changed)."""
    return Listing(
        listing_id=row.listing_id,
        **{c: getattr(row, c) for c in LISTING_COLUMNS},
        created_at=utc(row.created_at),
        updated_at=utc(row.updated_at),
    )
