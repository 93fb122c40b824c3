"""Product records for pair scoring, and reading them from entity-matching CSV tables.

A :class:`ProductRecord` is the one shape both sides of a pair take: a row of a public benchmark
table, a marketplace :class:`~recallguard.domain.models.Listing` or a recall
:class:`~recallguard.domain.models.Target`. Columns are mapped to fields by common names
(title/name, brand/manufacturer, modelno/model, description, category, price) or explicitly.

>>> r = ProductRecord.from_row({"id": "7", "name": "Sony DSC-W170", "price": "129.9"},
...                            resolve_mapping(["id", "name", "price"]))
>>> (r.record_id, r.title, r.price)
('7', 'Sony DSC-W170', 129.9)
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from recallguard.domain.identifiers import normalize_gtin
from recallguard.domain.models import Listing, Target
from recallguard.errors import InputError, UsageError

FIELDS = ("title", "brand", "model", "description", "category", "price", "gtin")
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "record_id", "listing_id", "product_id"),
    "title": ("title", "name", "product_name", "productname"),
    "brand": ("brand", "manufacturer", "maker", "vendor"),
    "model": ("modelno", "model", "model_number", "modelnumber", "mpn"),
    "description": ("description", "desc", "details"),
    "category": ("category", "product_type", "type"),
    "price": ("price",),
    "gtin": ("gtin", "upc", "ean", "gtin13", "gtin14"),
}


@dataclass
class ProductRecord:
    """One product offer or recalled product, reduced to the fields pair features look at."""

    record_id: str
    title: str
    brand: str = ""
    model: str = ""
    description: str = ""
    category: str = ""
    price: float | None = None
    gtins: list[str] = field(default_factory=list)
    model_numbers: list[str] = field(default_factory=list)
    brand_aliases: list[str] = field(default_factory=list)

    @classmethod
    def from_row(cls, row: Mapping[str, str | None], mapping: Mapping[str, str]) -> ProductRecord:
        """Build from a CSV/JSON row, ``mapping`` naming the column of each field.

        >>> ProductRecord.from_row({"id": "1", "title": "x", "brand": "Acme"},
        ...                        {"id": "id", "title": "title", "brand": "brand"}).brand
        'Acme'
        """

        def get(name: str) -> str:
            col = mapping.get(name)
            value = row.get(col) if col else None
            return "" if value is None else str(value).strip()

        gtin = normalize_gtin(get("gtin")) if get("gtin") else None
        model = get("model")
        return cls(
            record_id=get("id"),
            title=get("title"),
            brand=get("brand"),
            model=model,
            description=get("description"),
            category=get("category"),
            price=parse_price(get("price")),
            gtins=[gtin] if gtin else [],
            model_numbers=[model] if model else [],
        )

    @classmethod
    def from_listing(cls, listing: Listing) -> ProductRecord:
        """A marketplace listing as a pair side.

        >>> ProductRecord.from_listing(Listing("L1", "Gudook KY-055 heater", model="KY-055")).model_numbers
        ['KY-055']
        """
        gtin = normalize_gtin(listing.gtin) if listing.gtin else None
        return cls(
            record_id=listing.listing_id,
            title=listing.title,
            brand=listing.brand,
            model=listing.model,
            description=listing.description,
            category=listing.category,
            price=listing.price,
            gtins=[gtin] if gtin else [],
            model_numbers=[listing.model] if listing.model else [],
        )

    @classmethod
    def from_target(cls, target: Target) -> ProductRecord:
        """A recall target as a pair side: its product name is the title, its prose the description.

        >>> t = Target("26561", "CPSC", brand="Gudook", product_name="Space heater", model_numbers=["KY-055"])
        >>> ProductRecord.from_target(t).model
        'KY-055'
        """
        return cls(
            record_id=target.target_id,
            title=target.product_name,
            brand=target.brand,
            model=target.model_numbers[0] if target.model_numbers else "",
            description=target.text,
            category=target.product_type,
            gtins=[g for g in (normalize_gtin(x) for x in target.gtins) if g],
            model_numbers=list(target.model_numbers),
            brand_aliases=list(target.brand_aliases),
        )


def parse_price(text: str) -> float | None:
    """A price from text such as "$1,299.00" or "154.10"; None when absent, zero or unreadable.

    >>> parse_price("$1,299.00"), parse_price(""), parse_price("n/a")
    (1299.0, None, None)
    """
    cleaned = "".join(ch for ch in text if ch.isdigit() or ch == ".")
    if not cleaned:
        return None
    try:
        value = float(cleaned)
    except ValueError:
        return None
    return value if value > 0 and math.isfinite(value) else None


def resolve_mapping(columns: Sequence[str], overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """Map product fields to the table's columns by common names, ``overrides`` winning.

    >>> resolve_mapping(["id", "title", "manufacturer", "price"])
    {'id': 'id', 'title': 'title', 'brand': 'manufacturer', 'price': 'price'}
    >>> resolve_mapping(["id", "nm"], {"title": "nm"})
    {'id': 'id', 'title': 'nm'}
    """
    lower = {c.strip().lower(): c for c in columns}
    mapping: dict[str, str] = {}
    for name, aliases in FIELD_ALIASES.items():
        if overrides and name in overrides:
            mapping[name] = overrides[name]
            continue
        for alias in aliases:
            if alias in lower:
                mapping[name] = lower[alias]
                break
    return mapping


def parse_field_options(options: Iterable[str]) -> dict[str, str]:
    """``["title=name", "model=mpn"]`` as a field→column mapping; unknown fields are usage errors.

    >>> parse_field_options(["title=name"])
    {'title': 'name'}
    """
    out: dict[str, str] = {}
    for opt in options:
        name, sep, column = opt.partition("=")
        name = name.strip().lower()
        if not sep or not column.strip():
            raise UsageError(f"--field {opt!r}: expected FIELD=COLUMN, e.g. title=name")
        if name not in FIELD_ALIASES:
            raise UsageError(f"--field {opt!r}: unknown field {name!r}; one of {', '.join(FIELD_ALIASES)}")
        out[name] = column.strip()
    return out


def read_table(path: str | Path, overrides: Mapping[str, str] | None = None) -> dict[str, ProductRecord]:
    """Read a table of products (CSV with a header) keyed by id.

    Raises :class:`InputError` naming the file and column when the file is unreadable, the id or title
    column cannot be found, or a column named by ``overrides`` is missing.
    """
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            columns = list(reader.fieldnames or [])
            mapping = resolve_mapping(columns, {k: v for k, v in (overrides or {}).items() if v in columns})
            for required in ("id", "title"):
                if required not in mapping:
                    hint = "/".join(FIELD_ALIASES[required])
                    raise InputError(
                        f"{path}: no {required} column (looked for {hint}; map one with --field "
                        f"{required}=COLUMN); header is {columns}"
                    )
            records: dict[str, ProductRecord] = {}
            for row in reader:
                rec = ProductRecord.from_row(row, mapping)
                records[rec.record_id] = rec
    except OSError as e:
        raise InputError(f"{path}: cannot read: {e}") from e
    except (csv.Error, UnicodeDecodeError) as e:
        raise InputError(f"{path}: not a readable CSV: {e}") from e
    return records


def read_tables(
    left: str | Path, right: str | Path, overrides: Mapping[str, str] | None = None
) -> tuple[dict[str, ProductRecord], dict[str, ProductRecord]]:
    """Read both tables of a task; a ``--field`` override applies to each table holding its column and
    must name a column of at least one of them (else :class:`InputError` naming both files)."""
    tables = read_table(left, overrides), read_table(right, overrides)
    for name, col in (overrides or {}).items():
        headers = [_header(left), _header(right)]
        if all(col not in h for h in headers):
            raise InputError(
                f"--field {name}={col}: no column {col!r} in {left} ({headers[0]}) or {right} ({headers[1]})"
            )
    return tables


def _header(path: str | Path) -> list[str]:
    with Path(path).open(newline="", encoding="utf-8-sig") as fh:
        return next(csv.reader(fh), [])


def read_pairs(
    path: str | Path,
    left: Mapping[str, ProductRecord],
    right: Mapping[str, ProductRecord],
    *,
    need_label: bool,
) -> tuple[list[tuple[str, str]], list[int]]:
    """Read ``ltable_id, rtable_id[, label]`` pairs, checking every id exists in its table.

    Returns (pairs, labels); labels is empty when ``need_label`` is False and the file has none.
    Raises :class:`InputError` naming file, line and column for a missing column or unknown id.
    """
    path = Path(path)
    pairs: list[tuple[str, str]] = []
    labels: list[int] = []
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            columns = [c.strip() for c in reader.fieldnames or []]
            wanted = ["ltable_id", "rtable_id"] + (["label"] if need_label else [])
            missing = [c for c in wanted if c not in columns]
            if missing:
                raise InputError(f"{path}: missing column(s) {', '.join(missing)}; header is {columns}")
            has_label = "label" in columns
            for lineno, row in enumerate(reader, start=2):
                lid, rid = (row.get("ltable_id") or "").strip(), (row.get("rtable_id") or "").strip()
                if lid not in left:
                    raise InputError(
                        f"{path}: line {lineno}: column ltable_id: unknown id {lid!r} in left table"
                    )
                if rid not in right:
                    raise InputError(
                        f"{path}: line {lineno}: column rtable_id: unknown id {rid!r} in right table"
                    )
                pairs.append((lid, rid))
                if has_label:
                    raw = (row.get("label") or "").strip()
                    if raw not in ("0", "1", "0.0", "1.0"):
                        raise InputError(f"{path}: line {lineno}: column label: expected 0 or 1, got {raw!r}")
                    labels.append(int(float(raw)))
    except OSError as e:
        raise InputError(f"{path}: cannot read: {e}") from e
    return pairs, labels
