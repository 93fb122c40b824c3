"""Model numbers, SKUs and GTINs written in recall prose.

Model numbers come from labelled lists ("model numbers X, Y and Z", "Model No. LK-FDWJ", "item #46310",
"style 4417"), tables introduced by a "Model Number" / "Item #" header, quoted codes and code-shaped
words of the product name. Dates, dimensions, prices, phone numbers, unit counts, battery sizes and
standards are not model numbers.

>>> model_numbers("Generac brand pressure washers with model number G0089111, G0088941 and G0088951.")
['G0089111', 'G0088941', 'G0088951']
>>> model_numbers("models CRF250R/RX/RWE sold in model year 2025-2026")
['CRF250R', 'CRF250RX', 'CRF250RWE']
>>> skus('"SKU: AJ-DJ502571_1" and "B07GF8VD7N" on the box')
['AJ-DJ502571_1', 'B07GF8VD7N']
"""

from __future__ import annotations

import re

from recallguard.domain.identifiers import canonical_model, is_plausible_model, normalize_gtin
from recallguard.sources.extract.product_type import COMMON_WORDS, singular
from recallguard.sources.extract.prose import quoted

_LABEL = re.compile(
    r"\b(?:product\s+)?(?:models?|styles?|items?|parts?|catalog(?:ue)?s?|articles?|ref(?:erence)?)"
    r"(?!\s+years?\b)(?!\s+names?\b)(?:\s*(?:numbers?|nos?\.?|#|num\.?|\(s\)|codes?))*(?:\s*\(s\))?"
    r"(?:\s+(?:include|includes|are|is|of))?\s*[:#,]?\s*",
    re.I,
)
_SKU_LABEL = re.compile(r"\b(?:SKU|DPCI|TCIN|ASIN)s?(?:\s*(?:numbers?|nos?\.?|#))?\s*[:#,]?\s*", re.I)
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-_./]*[A-Za-z0-9]|[A-Za-z0-9]")
_SEP = re.compile(r"\s*(?:,|;|&|\band\b|\bor\b|/)?\s*(?:\band\b|\bor\b)?\s*[\"“”']?\s*", re.I)
_ASIN = re.compile(r"\b(?:B0[0-9A-Z]{8}|X00[0-9A-Z]{7})\b")
_DATE_LIKE = re.compile(
    r"^(?:\d{1,2}/\d{2,4}|\d{4}-\d{4}|\d{1,2}/\d{1,2}/\d{2,4}|(?:19|20)\d{2}-\d{2}(?:-\d{2})?)$"
)
_DIMENSION = re.compile(r"^\d+(?:\.\d+)?(?:x\d+(?:\.\d+)?)+$|^\d+\.\d+$", re.I)
_BATTERY = re.compile(r"^(?:CR|BR|LR|SR|AG|LIR|ML)\d{2,4}$|^AAA?$", re.I)
_STANDARD_BEFORE = re.compile(r"(?:ASTM|CFR|UL|ANSI|ISO|EN|IEC|CSA|FCC ID|Part)\s*$", re.I)
_TABLE_HEADER = re.compile(
    r"(?:Item\s*#|Item Numbers?|Model Numbers?|Model No\.?)\s+(?:UPC|Model Name|Product|Size|Description|"
    r"Theme|Capacity|Colou?r|Price|Unit|[\d.]+\s*[\"”])",
    re.I,
)
_UPPER_CODE = re.compile(r"(?<![A-Za-z0-9\-])[A-Z0-9][A-Z0-9\-/]*[A-Z0-9](?![A-Za-z0-9\-])")
_PLAIN_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-_./]*")
_COMMON_CAPS = frozenset(
    """
    AND OR THE NOT USA LED USB UPC SKU NO NEW TYPE SIZE INCH INCHES OZ LBS
    """.split()
)


def _expand_slashes(code: str) -> list[str]:
    """'CRF250R/RX/RWE' -> CRF250R, CRF250RX, CRF250RWE; '885S-01/02' -> 885S-01, 885S-02."""
    if "/" not in code:
        return [code]
    first, *rest = code.split("/")
    out = [first]
    for alt in rest:
        if not alt:
            continue
        tail = re.search(r"(\d+|[A-Za-z]+)$", first)
        same_class = tail and (alt.isdigit() == tail.group(1).isdigit()) and (alt.isalpha() or alt.isdigit())
        if not tail or not same_class or len(alt) > max(4, len(tail.group(1)) + 2):
            return [code]
        stem = first[: tail.start()] if alt.isdigit() else re.sub(r"[A-Za-z]+$", "", first)
        out.append(stem + alt)
    return out


def is_code(token: str, labelled: bool = False) -> bool:
    """True when a token reads as a model / item code rather than a word, date, size or price."""
    t = token.strip(".-/,;:")
    if not t or _DATE_LIKE.match(t) or _DIMENSION.match(t):
        return False
    if t.upper() in _COMMON_CAPS or re.fullmatch(r"\$?\d{1,3}(?:,\d{3})+", t):
        return False
    has_digit = any(c.isdigit() for c in t)
    if not has_digit:
        # a labelled all-capitals code without digits (Model No. LK-FDWJ); never an ordinary word
        if t.lower() in COMMON_WORDS or singular(t.lower()) in COMMON_WORDS:
            return False  # BIKE, LED, TOYS
        return labelled and t.isupper() and len(canonical_model(t)) >= 3 and ("-" in t or len(t) >= 4)
    if t.isdigit():
        return labelled and 3 <= len(t) <= 10 and normalize_gtin(t) is None
    return is_plausible_model(t) or (labelled and len(canonical_model(t)) >= 2 and not t[0].islower())


def _labelled_list(text: str, start: int, labelled: bool = True) -> list[str]:
    """Codes listed from ``start``: separated by commas, 'and', 'or', '&', spaces (tables)."""
    out: list[str] = []
    pos = start
    while pos < len(text):
        if text[pos] in '"“':  # a quoted value is one code even with a space ("C0001-NB 130-LCUS")
            end = min((i for i in (text.find('"', pos + 1), text.find("”", pos + 1)) if i > 0), default=-1)
            value = text[pos + 1 : end].strip(" .,") if end > 0 else ""
            value = re.sub(r"^(?:TYPE|MODEL|NO\.?)\s+", "", value, flags=re.I)
            if not value or len(value) > 30 or not all(is_code(p, labelled) for p in value.split()):
                break
            out.append(value)
            pos = end + 1
        else:
            m = _CODE.match(text, pos)
            if not m or not is_code(m.group(0), labelled):
                break
            token = m.group(0).rstrip(".")
            if _STANDARD_BEFORE.search(text[max(0, pos - 12) : pos]):
                break
            out.extend(_expand_slashes(token))
            pos = m.end()
            paren = re.match(r"\s*\(([A-Za-z0-9\-]+)\)", text[pos:])
            if paren and is_code(paren.group(1), labelled) and not re.fullmatch(r"\d{1,3}", paren.group(1)):
                out.append(paren.group(1))
                pos += paren.end()
        sep = _SEP.match(text, pos)
        if not sep or (sep.end() == pos and pos < len(text) and not text[pos].isspace()):
            break
        pos = sep.end()
    return out


def model_numbers(text: str) -> list[str]:
    """Model / item / style numbers written in ``text`` (in order, without duplicates)."""
    found: list[str] = []
    unlabelled: list[str] = []
    for m in _LABEL.finditer(text or ""):
        if re.fullmatch(r"(?:items?|parts?|articles?|styles?|reference|ref)", m.group(0).strip(), re.I):
            continue  # "item" alone is a word ("each item"), not a label
        found.extend(_labelled_list(text, m.end()))
    for q in quoted(text):
        q2 = q.strip(" .,")
        if _PLAIN_CODE.fullmatch(q2) and is_code(q2) and not _ASIN.fullmatch(q2) and not q2.isdigit():
            unlabelled.extend(_expand_slashes(q2))
    if _TABLE_HEADER.search(text or ""):
        unlabelled.extend(table_codes(text))
    return _dedupe([*found, *(c for c in unlabelled if not _BATTERY.match(c))])


def table_codes(text: str) -> list[str]:
    """Upper-case codes in a table flattened into prose (after a 'Model Number' / 'Item #' header)."""
    m = _TABLE_HEADER.search(text)
    if not m:
        return []
    body = text[m.start() :]
    digits_ok = "serial" not in body.lower() and "item" in m.group(0).lower()
    out: list[str] = []
    for c in _UPPER_CODE.finditer(body):
        code = c.group(0)
        if code.isdigit():
            if digits_ok and 4 <= len(code) <= 9 and normalize_gtin(code) is None:
                out.append(code)
            continue
        if re.search(r"X{3,}$", code) or not is_code(code):
            continue
        out.extend(_expand_slashes(code))
    return out


def name_codes(name: str) -> list[str]:
    """Code-shaped words of a product name or title ('Acer AES015 Scooters' -> ['AES015'])."""
    out: list[str] = []
    for m in _UPPER_CODE.finditer(name or ""):
        code = m.group(0)
        mixed = any(c.isdigit() for c in code) and any(c.isalpha() for c in code)
        if mixed and is_code(code) and not re.fullmatch(r"\d+[A-Z]{1,3}", code):  # not 24V, 3V, 2PK
            out.extend(_expand_slashes(code))
    return out


def skus(text: str) -> list[str]:
    """SKUs, Amazon ASINs / FNSKUs and retailer item codes written in ``text``."""
    found: list[str] = []
    for m in _SKU_LABEL.finditer(text or ""):
        found.extend(_labelled_list(text, m.end()))
    found.extend(_ASIN.findall(text or ""))
    return _dedupe(found)


_GTIN_RUN = re.compile(r"(?<![\dA-Za-z])\d[\d \-]{6,18}\d(?![\dA-Za-z])")
_GTIN_LABEL = re.compile(r"\b(?:UPC|EAN|GTIN|barcode|bar code)s?\b", re.I)


def gtins(text: str) -> list[str]:
    """Valid GTINs (UPC / EAN, 14-digit form) in prose; 8-digit ones only right after a UPC/EAN label."""
    out: list[str] = []
    for m in _GTIN_RUN.finditer(text or ""):
        digits = re.sub(r"\D", "", m.group(0))
        if len(digits) == 8 and not _GTIN_LABEL.search(text[max(0, m.start() - 25) : m.start()]):
            continue
        if " " in m.group(0).strip() and not _GTIN_LABEL.search(text[max(0, m.start() - 25) : m.start()]):
            continue  # digits split by spaces are a list of numbers unless a UPC label says otherwise
        g = normalize_gtin(digits)
        if g and g not in out:
            out.append(g)
    return out


def _dedupe(codes: object) -> list[str]:
    out: list[str] = []
    seen: set[str] = set()
    for c in codes:  # type: ignore[attr-defined]
        c = str(c).strip(" .,;:-")
        key = canonical_model(c)
        if c and key not in seen:
            seen.add(key)
            out.append(c)
    return out
