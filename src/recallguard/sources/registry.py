"""The recall feed formats recallguard reads, detected by content.

Each format module registers a ``RecallFormat``: a ``sniff`` that looks at the parsed JSON (or the
raw text for CSV) and a ``parse`` that turns it into a ``RecallBatch``. ``load_recalls`` in
``recallguard.sources.loader`` tries them in order.

>>> [f.name for f in FORMATS] == [f.name for f in FORMATS]
True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from recallguard.domain.models import BadRecord, Recall


@dataclass
class RecallBatch:
    """Recalls parsed from one feed or file, with the records that failed (kept and counted)."""

    recalls: list[Recall] = field(default_factory=list)
    bad: list[BadRecord] = field(default_factory=list)
    format: str = ""


@dataclass(frozen=True)
class RecallFormat:
    name: str
    sniff: Callable[[Any], bool]  # receives parsed JSON, or a str for non-JSON text
    parse: Callable[[Any, str], RecallBatch]  # (data, source name) -> batch


FORMATS: list[RecallFormat] = []


def register(fmt: RecallFormat) -> None:
    """Add a format (idempotent by name)."""
    if all(f.name != fmt.name for f in FORMATS):
        FORMATS.append(fmt)
