"""Product identifiers in canonical form: GTINs with valid check digits and model numbers that
survive dashes, spaces and dots.

These rules are shared by the sources (extracting identifiers from recall prose) and by the matcher
(indexing and looking them up), so they live in the domain layer.

>>> normalize_gtin("0 12345 67890 5")
'00012345678905'
>>> normalize_gtin("012345678901") is None   # wrong check digit
True
>>> canonical_model("KY-055 b")
'KY055B'
"""

from __future__ import annotations

import re

from stdnum import ean

_DIGITS = re.compile(r"\D+")
_NON_ALNUM = re.compile(r"[^0-9A-Za-z]+")
_DIGIT = re.compile(r"[0-9]")
_QUANTITY = re.compile(r"\d+(INCH|IN|MM|CM|M|FT|LB|LBS|OZ|KG|G|V|W|MAH|PCS|PC|PACK|PK)")


def normalize_gtin(value: str) -> str | None:
    """A GTIN-8/12/13/14 (UPC or EAN) as 14 digits, or None when it is not one (bad check digit)."""
    digits = _DIGITS.sub("", value or "")
    if len(digits) not in (8, 12, 13, 14):
        return None
    try:
        ean.validate(digits)
    except Exception:
        return None
    return digits.zfill(14)


def gtin_candidates(text: str) -> list[str]:
    """Every valid GTIN written in ``text`` (digit runs with optional spaces or dashes)."""
    out: list[str] = []
    for m in re.finditer(r"(?<![\dA-Za-z])\d[\d \-]{6,18}\d(?![\dA-Za-z])", text or ""):
        g = normalize_gtin(m.group(0))
        if g and g not in out:
            out.append(g)
    return out


def canonical_model(value: str) -> str:
    """A model number reduced to upper-case letters and digits: 'ky-055 B' -> 'KY055B'."""
    return _NON_ALNUM.sub("", value or "").upper()


def is_plausible_model(value: str) -> bool:
    """True for strings that look like a model number: has a digit, 3–20 characters once canonical,
    and is not a bare year, size or quantity.

    >>> is_plausible_model("KY-055"), is_plausible_model("2025"), is_plausible_model("12 inch")
    (True, False, False)
    """
    c = canonical_model(value)
    if not (3 <= len(c) <= 20) or _DIGIT.search(c) is None:
        return False
    if c.isdigit() and len(c) == 4 and c[:2] in ("19", "20"):
        return False
    return not _QUANTITY.fullmatch(c)
