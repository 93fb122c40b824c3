"""Listing events the stream tests publish."""

from __future__ import annotations

import os
from typing import Any

REDIS_URL = os.environ.get("RECALLGUARD_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def listing(i: int) -> dict[str, Any]:
    """Listing ``L<i>``; every fifth one is an offer of the recalled BABESIDE doll stroller (BS-100)."""
    if i % 5 == 0:
        return {
            "listing_id": f"L{i}",
            "title": f"BABESIDE doll stroller toy BS-100 pink {i}",
            "ship_to": ["US"],
        }
    return {"listing_id": f"L{i}", "title": f"Garden hose {i} m with brass nozzle", "price": 12.5}
