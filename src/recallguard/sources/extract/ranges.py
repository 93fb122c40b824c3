"""Serial, lot, batch and date-code ranges, prefixes and manufacture-date windows in recall prose.

>>> [(r.kind, r.start, r.end) for r in identifier_ranges("serial numbers 1000 through 2000")]
[('serial', '1000', '2000')]
>>> [(r.kind, r.prefix) for r in identifier_ranges("Serial numbers beginning with VCT1406 are included")]
[('serial', 'VCT1406')]
>>> [(r.kind, r.start, r.end) for r in identifier_ranges("manufactured between January 2024 and March 2025")]
[('manufacture_date', '2024-01', '2025-03')]
"""

from __future__ import annotations

import re

from recallguard.domain.models import IdentifierRange
from recallguard.sources.extract.prose import MONTH_RE, MONTHS, quoted_spans

_KIND_WORDS = (
    r"(serial|lot|batch|date[- ]code|production code|manufacturing code|product identifier|tracking)"
)
_NUM_WORD = r"(?:\s*(?:numbers?|nos?\.?|#|codes?|\(s\)))*"
_CODE = r"[A-Z0-9][A-Z0-9\-]*[A-Z0-9]|[A-Z0-9]"
_RANGE = re.compile(
    _KIND_WORDS + r"s?" + _NUM_WORD + r"\s*(?:from|between|ranging from|in the range)?\s*(" + _CODE + r")"
    r"\s*(?:through|thru|to|until|-|–|and)\s*(" + _CODE + r")\b",
    re.I,
)
_LIST = re.compile(_KIND_WORDS + r"s?" + _NUM_WORD + r"\s*(?:is|are|of)?\s*[:#]?\s*", re.I)
_PREFIX = re.compile(
    r"\b(?:beginning|starting|begin|begins|start|starts)\s+with\s*(?:the\s+)?"
    r"(?:following\s+)?(?:prefix(?:es)?|letters?|numbers?|characters?|digits?)?\s*:?\s*",
    re.I,
)
_MASKED = re.compile(
    r"(?<![A-Za-z0-9*\-])([A-Z0-9][A-Z0-9*\-]*?)(?:\*+|X{3,})[A-Z0-9*]*?(?:X{3,}|\*+)?(?![A-Za-z0-9])"
)
_SERIAL_TOKEN = re.compile(r"(?<![A-Z0-9])[A-Z0-9]{4,14}(?![A-Z0-9])")
_DATE = r"(?:" + MONTH_RE + r"\s+(?:\d{1,2},\s*)?(?:19|20)\d{2}|\d{1,2}/(?:19|20)\d{2}|(?:19|20)\d{2})"
_MADE = re.compile(
    r"\b(?:manufactured|produced|made|manufacture dates?|production dates?|"
    r"dates? of (?:production|manufacture))\s*:?\s*(?:between|from|in|of|on|during)?\s*(" + _DATE + r")"
    r"(?:\s*(?:and|through|thru|to|until|-|–)\s*(" + _DATE + r"))?",
    re.I,
)
_CODE_RE = re.compile(_CODE)
_KEYWORDS = (
    "serial",
    "lot",
    "batch",
    "code",
    "identifier",
    "tracking",
    "with",
    "manufactur",
    "produc",
    "made",
)
_SEPARATOR = re.compile(r"\s*(?:,|;|\band\b|\bor\b|&)\s*(?:\band\b|\bor\b)?\s*", re.I)


def _kind(word: str) -> str:
    w = word.lower().replace("-", " ")
    if w.startswith(("date code", "production code", "manufacturing code")):
        return "date_code"
    if w.startswith(("lot", "tracking")):
        return "lot"
    if w.startswith("batch"):
        return "batch"
    return "serial"


def _has_digit(code: str) -> bool:
    return any(c.isdigit() for c in code)


def _codes_from(text: str, pos: int) -> list[str]:
    """Codes (each with a digit) listed from ``pos``, separated by commas, 'and', 'or'."""
    out: list[str] = []
    while (m := _CODE_RE.match(text, pos)) and _has_digit(m.group(0)):
        out.append(m.group(0))
        sep = _SEPARATOR.match(text, m.end())
        if not sep or sep.end() == m.end():
            break
        pos = sep.end()
    return out


def _month(value: str, end: bool) -> str:
    v = value.strip()
    m = re.fullmatch(r"(\d{1,2})/((?:19|20)\d{2})", v)
    if m:
        return f"{m.group(2)}-{int(m.group(1)):02d}"
    m = re.fullmatch(MONTH_RE + r"\s+(?:\d{1,2},\s*)?((?:19|20)\d{2})", v, re.I)
    if m:
        return f"{m.group(1)}-{MONTHS[v.split()[0].lower()]:02d}"
    return f"{v}-12" if end else f"{v}-01"


def _kind_before(text: str, pos: int) -> str:
    words = re.findall(_KIND_WORDS, text[max(0, pos - 120) : pos], re.I)
    return _kind(words[-1]) if words else "serial"


def identifier_ranges(text: str) -> list[IdentifierRange]:
    """Every range, exact code list, prefix and manufacture window named in ``text``."""
    text = text or ""
    out: list[IdentifierRange] = []
    low = text.lower()
    if not any(k in low for k in _KEYWORDS) and "XXX" not in text:
        return out
    covered: list[tuple[int, int]] = []
    for m in _RANGE.finditer(text):
        start, end = m.group(2), m.group(3)
        if _has_digit(start) and _has_digit(end) and len(start) == len(end):
            out.append(IdentifierRange(_kind(m.group(1)), start=start, end=end, text=m.group(0)))
            covered.append(m.span())
    for m in _PREFIX.finditer(text):
        kind = _kind_before(text, m.start())
        codes = [c for c in _codes_from(text, m.end()) if _has_digit(c)]
        if not codes and "prefix" in m.group(0).lower():
            codes = _window_codes(text, m.end())
        for c in codes:
            out.append(IdentifierRange(kind, prefix=c, text=m.group(0) + c))
        covered.append((m.start(), m.end() + 1))
    for m in _LIST.finditer(text):
        if any(a <= m.start() < b for a, b in covered):
            continue
        for c in _codes_from(text, m.end()):
            if _has_digit(c) and not re.search(r"X{3,}$", c):
                out.append(IdentifierRange(_kind(m.group(1)), start=c, end=c, text=m.group(0) + c))
    for m in _MASKED.finditer(text):
        stem = m.group(1).split("*")[0].rstrip("-") if "*" in m.group(1) else m.group(1)
        if len(stem) >= 3 and _has_digit(stem) and re.search(r"X{3,}$", m.group(0)):
            out.append(IdentifierRange(_kind_before(text, m.start()), prefix=stem, text=m.group(0)))
    for m in _MADE.finditer(text):
        first, last = m.group(1), m.group(2) or m.group(1)
        out.append(
            IdentifierRange(
                "manufacture_date", start=_month(first, False), end=_month(last, True), text=m.group(0)
            )
        )
    return _dedupe(out)


def _window_codes(text: str, pos: int, width: int = 300) -> list[str]:
    """Serial-like codes in the text after a 'following prefixes' phrase, outside quoted strings."""
    window_end = min(len(text), pos + width)
    quotes = quoted_spans(text)
    out: list[str] = []
    for m in re.finditer(
        r"(?:(?<=[a-z])|(?<![A-Za-z0-9]))([A-Z0-9]{4,14})(?![A-Za-z0-9])", text[pos:window_end]
    ):
        code = m.group(1)
        at = pos + m.start(1)
        if any(a <= at < b for a, b in quotes) or code.isdigit() or code.isalpha():
            continue
        out.append(code)
    return out


def _dedupe(ranges: list[IdentifierRange]) -> list[IdentifierRange]:
    seen: set[tuple[str, str | None, str | None, str | None]] = set()
    out: list[IdentifierRange] = []
    for r in ranges:
        key = (r.kind, r.start, r.end, r.prefix)
        if key not in seen:
            seen.add(key)
            out.append(r)
    return out
