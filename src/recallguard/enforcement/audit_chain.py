"""Hash chaining of audit events: each event's hash covers its content and the previous hash, so an
altered, removed, inserted or reordered event breaks the chain.

>>> h1 = event_hash("", {"kind": "recall.imported", "subject": "CPSC:26561", "actor": "cli",
...                      "reason": "", "data": {}, "at": "2026-01-01T00:00:00+00:00", "seq": 1})
>>> len(h1)
64
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

GENESIS = ""


def canonical_json(payload: dict[str, Any]) -> bytes:
    """The byte form that is hashed: sorted keys, no whitespace, UTF-8."""
    return json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode()


def event_hash(prev_hash: str, payload: dict[str, Any]) -> str:
    """SHA-256 over the previous hash and the canonical event payload (hex)."""
    h = hashlib.sha256()
    h.update(prev_hash.encode())
    h.update(b"\n")
    h.update(canonical_json(payload))
    return h.hexdigest()
