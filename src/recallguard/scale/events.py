"""Listing events on the stream: ``{"op": "create"|"update"|"delete", "listing": {...}}``.

An event is one stream entry with a single field ``event`` holding that JSON (or, from producers that
prefer flat entries, the fields ``op`` and ``listing``). The listing is validated with the project's
``ListingIn``; anything that fails is a poison event (``ValidationFailed`` naming the field), which the
worker moves to the dead-letter stream instead of retrying forever.

>>> ev = parse_event({b"event": b'{"op": "create", "listing": {"listing_id": "L1", "title": "Kids helmet"}}'})
>>> ev.op, ev.listing_id, ev.listing.title
('create', 'L1', 'Kids helmet')
>>> encode_event("delete", {"listing_id": "L1"})
{'event': '{"op":"delete","listing":{"listing_id":"L1"}}'}
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Any

from recallguard.domain.models import BadRecord, Listing
from recallguard.errors import ValidationFailed
from recallguard.listings.readers import validate_record

OPS = ("create", "update", "delete")


@dataclass
class ListingEvent:
    """One decoded, validated event; ``listing`` is None for a delete."""

    op: str
    listing_id: str
    listing: Listing | None = None


def _text(v: Any) -> str:
    return v.decode("utf-8", errors="replace") if isinstance(v, bytes) else str(v)


def parse_event(fields: dict[Any, Any], where: str = "event") -> ListingEvent:
    """Decode and validate a stream entry's fields; ``ValidationFailed`` (poison) when malformed."""
    f = {_text(k): v for k, v in fields.items()}
    try:
        if "event" in f:
            body = json.loads(_text(f["event"]))
        elif "op" in f and "listing" in f:
            body = {"op": _text(f["op"]), "listing": json.loads(_text(f["listing"]))}
        else:
            raise ValidationFailed(
                f"{where}: no 'event' field (nor 'op' and 'listing')", location=where, field="event"
            )
    except json.JSONDecodeError as e:
        raise ValidationFailed(f"{where}: invalid JSON: {e.msg}", location=where, field="event") from None
    if not isinstance(body, dict):
        raise ValidationFailed(f"{where}: expected a JSON object", location=where, field="event")
    op = body.get("op")
    if op not in OPS:
        raise ValidationFailed(f"{where}: op must be one of {OPS}, not {op!r}", location=where, field="op")
    raw = body.get("listing")
    if not isinstance(raw, dict):
        raise ValidationFailed(f"{where}: 'listing' must be an object", location=where, field="listing")
    if op == "delete":
        lid = raw.get("listing_id")
        if not isinstance(lid, str | int) or not str(lid).strip():
            raise ValidationFailed(
                f"{where}: delete needs listing.listing_id", location=where, field="listing.listing_id"
            )
        return ListingEvent(op, str(lid).strip())
    rec = validate_record(raw, "stream", where)
    if isinstance(rec, BadRecord):
        raise ValidationFailed(
            f"{where}: field listing.{rec.field}: {rec.error}", location=where, field=f"listing.{rec.field}"
        )
    return ListingEvent(op, rec.listing_id, rec)


def encode_event(op: str, listing: Listing | dict[str, Any]) -> dict[str, str]:
    """The stream entry fields for an event (what ``ListingProducer.publish`` writes)."""
    body = listing_dict(listing) if isinstance(listing, Listing) else listing
    return {
        "event": json.dumps(
            {"op": op, "listing": body}, ensure_ascii=False, separators=(",", ":"), default=str
        )
    }


def listing_dict(listing: Listing) -> dict[str, Any]:
    """The listing as the JSON object producers send (no empty fields, no timestamps)."""
    d = asdict(listing)
    d.pop("created_at", None)
    d.pop("updated_at", None)
    if not d.get("extra"):
        d.pop("extra", None)
    return {k: v for k, v in d.items() if v not in ("", None, [])}


def content_hash(listing: Listing) -> str:
    """A stable hash of what screening reads from a listing: the same content, the same hash.

    >>> content_hash(Listing("L1", "Kids helmet")) == content_hash(Listing("L1", "Kids helmet"))
    True
    >>> content_hash(Listing("L1", "Kids helmet")) == content_hash(Listing("L1", "Kids helmet v2"))
    False
    """
    blob = json.dumps(listing_dict(listing), sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:32]
