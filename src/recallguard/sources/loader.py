"""Reading a recall file or payload: decode, detect the format by content, parse.

>>> batch = load_recalls_data([{"RecallID": 1, "RecallNumber": "26561", "Title": "Toys"}], "feed")
>>> batch.format, [r.key for r in batch.recalls]
('cpsc-api', ['CPSC:26561'])
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from recallguard.domain.safe_text import scrub
from recallguard.errors import InputError
from recallguard.sources.registry import FORMATS, RecallBatch, RecallFormat


def detect_format(data: Any) -> RecallFormat | None:
    """The first registered format whose sniff accepts ``data`` (parsed JSON, or a str for text)."""
    import recallguard.sources  # noqa: F401  (registers the built-in formats)

    for fmt in FORMATS:
        try:
            if fmt.sniff(data):
                return fmt
        except Exception:  # a sniff that chokes on foreign data simply does not claim it
            continue
    return None


def load_recalls_data(data: Any, source: str) -> RecallBatch:
    """Parse already-decoded data (a JSON value, or CSV text as a str) with the format it matches.

    Raises InputError when no registered format recognises the content. Lone surrogates and NULs in
    text are made storable first (``domain.safe_text``), so one such character costs no record.
    """
    data = scrub(data)
    fmt = detect_format(data)
    if fmt is None:
        names = ", ".join(f.name for f in FORMATS) or "none registered"
        raise InputError(f"{source}: not a recall format recallguard knows (tried: {names})")
    batch = fmt.parse(data, source)
    batch.format = batch.format or fmt.name
    return batch


def read_recall_text(path: str | Path) -> str:
    """The text of a recall file (UTF-8, BOM tolerated); InputError when it cannot be read."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as e:
        raise InputError(f"{p}: cannot read: {e.strerror or e}") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(f"{p}: not UTF-8 text (byte {e.start})") from None


def load_recalls(path: str | Path) -> RecallBatch:
    """Read a recall file (CPSC API JSON, own format, or any other registered format).

    Bad records are in ``batch.bad``; an unreadable file, invalid JSON or an unknown format raises
    InputError naming the file.

    >>> import tempfile, os
    >>> with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
    ...     _ = f.write('[{"RecallID": 1, "RecallNumber": "7", "Title": "Helmets Recalled"}]')
    >>> load_recalls(f.name).recalls[0].title
    'Helmets Recalled'
    >>> os.unlink(f.name)
    """
    p = Path(path)
    text = read_recall_text(p)
    if not text.strip():
        raise InputError(f"{p}: empty file")
    stripped = text.lstrip()
    if stripped[0] in "[{":
        try:
            data: Any = json.loads(text)
        except json.JSONDecodeError as e:
            raise InputError(f"{p}: not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})") from None
        except (ValueError, RecursionError) as e:  # a 5,000-digit number, nesting past the stack
            raise InputError(f"{p}: JSON this reader refuses: {str(e)[:200] or type(e).__name__}") from None
        return load_recalls_data(data, p.name)
    fmt = detect_format(text)  # CSV and other text formats sniff the text itself
    if fmt is None:
        raise InputError(f"{p}: neither JSON nor a recall text format recallguard knows")
    return load_recalls_data(text, p.name)
