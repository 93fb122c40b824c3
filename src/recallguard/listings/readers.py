"""Read listing files (JSONL, CSV, Parquet) into validated domain listings.

Each reader yields ``Listing`` for good records and ``BadRecord`` (naming file, line and field) for
bad ones, so the good ones still load and the bad ones can be quarantined and counted.

>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "l.jsonl"
>>> _ = p.write_text('{"listing_id": "A", "title": "Kids helmet"}\\n{"listing_id": "B"}\\n')
>>> [type(r).__name__ for r in read_listings(p)]
['Listing', 'BadRecord']
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from recallguard.domain.models import BadRecord, Listing
from recallguard.errors import InputError
from recallguard.listings.schema import STORABLE, ListingIn

FORMATS = ("jsonl", "csv", "parquet")


def detect_format(path: Path) -> str:
    """The listing file format, from the suffix or else the first bytes."""
    suffix = path.suffix.lower().lstrip(".")
    if suffix in ("jsonl", "ndjson", "json"):
        return "jsonl"
    if suffix in ("csv", "tsv"):
        return "csv"
    if suffix in ("parquet", "pq"):
        return "parquet"
    if path.is_dir():
        return "parquet"
    try:
        with path.open("rb") as f:
            head = f.read(4)
    except OSError as e:
        raise InputError(f"{path}: cannot read listings file: {e}") from e
    if head == b"PAR1":
        return "parquet"
    if head.lstrip()[:1] in (b"{", b"["):
        return "jsonl"
    return "csv"


def validate_record(
    raw: dict[str, Any], source: str, location: str, storable: bool = False
) -> Listing | BadRecord:
    """Validate one raw record; a ``BadRecord`` names the first failing field. ``storable``: the reader
    knows the record holds no NUL and no lone surrogate (``domain.safe_text``), so it is not scrubbed."""
    try:
        return ListingIn.model_validate(raw, context=STORABLE if storable else None).to_domain()
    except ValidationError as e:
        err = e.errors()[0]
        fld = ".".join(str(p) for p in err.get("loc", ())) or "?"
        lid = raw.get("listing_id") if isinstance(raw, dict) else None
        where = f"{location} (listing_id {lid!r})" if lid else location
        return BadRecord(source, where, fld, err.get("msg", str(e)), _dump(raw))


def _dump(raw: Any) -> str:
    try:
        return json.dumps(raw, ensure_ascii=False, default=str)[:10_000]
    except (TypeError, ValueError):
        return repr(raw)[:10_000]


def _read_jsonl(path: Path) -> Iterator[Listing | BadRecord]:
    src = str(path)
    with path.open("r", encoding="utf-8", errors="replace") as f:
        first = f.read(1)
        f.seek(0)
        if first == "[":  # a JSON array of listings
            try:
                rows = json.load(f)
            except json.JSONDecodeError as e:
                raise InputError(f"{src}: not valid JSON: {e}") from e
            except (ValueError, RecursionError) as e:  # a 5,000-digit number, nesting past the stack
                raise InputError(
                    f"{src}: JSON this reader refuses: {str(e)[:200] or type(e).__name__}"
                ) from None
            for i, row in enumerate(rows, 1):
                if not isinstance(row, dict):
                    yield BadRecord(src, f"record {i}", "<record>", "expected a JSON object", _dump(row))
                else:
                    yield validate_record(row, src, f"record {i}")
            return
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                yield BadRecord(src, f"line {lineno}", "<json>", f"invalid JSON: {e.msg}", line[:10_000])
                continue
            except (ValueError, RecursionError) as e:  # a 5,000-digit number, nesting past the stack
                why = str(e)[:200] or type(e).__name__
                yield BadRecord(
                    src, f"line {lineno}", "<json>", f"JSON this reader refuses: {why}", line[:10_000]
                )
                continue
            if not isinstance(row, dict):
                yield BadRecord(src, f"line {lineno}", "<record>", "expected a JSON object", line[:10_000])
                continue
            # JSON writes a NUL or a lone surrogate only as a \u escape (raw control characters are refused)
            yield validate_record(row, src, f"line {lineno}", storable="\\u" not in line)


def _read_csv(path: Path) -> Iterator[Listing | BadRecord]:
    src = str(path)
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    with path.open("r", encoding="utf-8-sig", errors="replace", newline="") as f:
        dialect: Any = "excel-tab" if path.suffix.lower() == ".tsv" else "excel"
        reader = csv.DictReader(f, dialect=dialect)
        if not reader.fieldnames or "listing_id" not in reader.fieldnames:
            raise InputError(f"{src}: CSV header must name a listing_id column (got {reader.fieldnames})")
        for row in reader:
            lineno = reader.line_num
            clean = {k: v for k, v in row.items() if k is not None}
            if None in row:
                yield BadRecord(src, f"line {lineno}", "<row>", "more values than header columns", _dump(row))
                continue
            yield validate_record(clean, src, f"line {lineno}")


def _read_parquet(path: Path, batch_size: int = 65_536) -> Iterator[Listing | BadRecord]:
    import pyarrow.dataset as ds

    src = str(path)
    try:
        dataset = ds.dataset(str(path), format="parquet")
    except Exception as e:  # pyarrow raises several types for unreadable files
        raise InputError(f"{src}: not a readable Parquet file or folder: {e}") from e
    if "listing_id" not in dataset.schema.names:
        raise InputError(f"{src}: Parquet schema must have a listing_id column")
    n = 0
    for batch in dataset.to_batches(batch_size=batch_size):
        for row in batch.to_pylist():
            n += 1
            yield validate_record(row, src, f"row {n}")


def read_listings(path: str | Path, fmt: str | None = None) -> Iterator[Listing | BadRecord]:
    """Listings and bad records from a JSONL, CSV or Parquet file (format from suffix or content)."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such listings file")
    kind = fmt or detect_format(p)
    if kind == "jsonl":
        return _read_jsonl(p)
    if kind == "csv":
        return _read_csv(p)
    if kind == "parquet":
        return _read_parquet(p)
    raise InputError(f"{p}: unknown listings format {kind!r}; expected one of {FORMATS}")
