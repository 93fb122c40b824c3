"""Text every store can hold: what a hostile or broken producer sends is made storable at the edge.

JSON may carry a lone UTF-16 surrogate (``"\\ud800"``): a valid Python ``str`` that no UTF-8 encoder,
hash or database accepts. PostgreSQL refuses NUL characters in text. One such character in one
record used to make a whole import fail; :func:`scrub` replaces lone surrogates with U+FFFD and drops
NULs (a NUL inside a word — ``"mag\\x00net"`` — would only hide it from the matcher), recursively
through lists and mappings, leaving every other value alone.

>>> scrub({"title": "Mag\\x00net set \\ud800", "tags": ["ok", 3]})
{'title': 'Magnet set �', 'tags': ['ok', 3]}
>>> scrub("plain") == "plain"
True
"""

from __future__ import annotations

import re
from typing import Any

_BAD = re.compile("[\x00\ud800-\udfff]")


def scrub_text(text: str) -> str:
    """One string made storable (unchanged, and not copied, when it already is).

    >>> scrub_text("a\\x00b\\udc80")
    'ab�'
    """
    if not _BAD.search(text):
        return text
    return _BAD.sub(lambda m: "" if m.group(0) == "\x00" else "\ufffd", text)


def scrub(value: Any, _depth: int = 0) -> Any:
    """``value`` (decoded JSON, a CSV row, a Parquet row) with every string made storable."""
    if isinstance(value, str):
        return scrub_text(value)
    if _depth > 200:  # deeper than any record: leave it to the validator, which refuses it
        return value
    if isinstance(value, dict):
        return {scrub(k, _depth + 1): scrub(v, _depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v, _depth + 1) for v in value]
    return value
