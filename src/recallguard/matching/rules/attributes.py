"""Attributes that category-ban rules test, parsed from listing text.

``parse_attributes`` reads sizes (mm, cm, inches → mm), piece counts ("216pcs", "216 pieces", "216个"),
magnet grades ("N35"–"N52"), flux index ("flux index 50 kG²mm²"), incline angles ("30°", "15 degree",
"30度") and expansion factors of water-absorbing beads ("grows 100x", "膨胀100倍"). Text is folded with
``fold`` first (NFKC, lower case, accents and invisible characters removed).

>>> a = parse_attributes(fold("216 pcs 5mm Magnetic Balls N52, 3/16 inch"))
>>> a.values["size_mm"], a.values["piece_count"], a.values["magnet_grade"]
([5.0, 4.7625], [216.0], [52.0])
>>> parse_attributes(fold("婴儿睡篮 30度倾斜 防吐奶")).values["incline_deg"]
[30.0]
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

ATTRIBUTES = ("size_mm", "piece_count", "magnet_grade", "flux_index", "incline_deg", "expansion")
UNITS = {
    "size_mm": "mm",
    "piece_count": "pieces",
    "flux_index": "kG²mm²",
    "incline_deg": "°",
    "expansion": "×",
}

_INVISIBLE = dict.fromkeys([0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x00AD, 0x200E, 0x200F, 0x202A, 0x202C])
# Typographic marks; the trade marks ("™", "℠") are taken off before NFKC, which writes them as letters.
_MARKS = str.maketrans(
    {
        "″": '"',
        "“": '"',
        "”": '"',
        "′": "'",
        "’": "'",
        "‘": "'",
        "×": "x",
        "＊": "*",
        "–": "-",
        "™": " ",
        "℠": " ",
    }
)
_NUM = r"(\d+(?:\.\d+)?(?:\s*/\s*\d+)?|\.\d+)"


def fold(text: str) -> str:
    """Text as rules see it: NFKC, invisible characters and accents removed, lower case, one space.

    >>> fold("Ｍａｇｎｅｔｉｃ  Bälls ５ｍｍ")
    'magnetic balls 5mm'
    """
    text = text or ""
    if text.isascii():  # nothing to normalise, no accents, no invisible characters: the cheap path
        return " ".join(text.lower().split())
    t = (
        unicodedata.normalize("NFKC", text.translate(_INVISIBLE).translate(_MARKS))
        .casefold()
        .translate(_MARKS)
    )
    t = "".join(ch for ch in unicodedata.normalize("NFKD", t) if not unicodedata.combining(ch))
    return " ".join(unicodedata.normalize("NFC", t).split())


def _number(text: str) -> float | None:
    text = text.replace(" ", "")
    try:
        if "/" in text:
            num, den = text.split("/")
            return float(num) / float(den) if float(den) else None
        return float(text)
    except ValueError:
        return None


_MM = {"mm": 1.0, "millimeter": 1.0, "millimetre": 1.0, "毫米": 1.0, "cm": 10.0, "厘米": 10.0, "公分": 10.0}
_MM |= {"inch": 25.4, "inches": 25.4, "in": 25.4, '"': 25.4, "英寸": 25.4, "寸": 25.4, "zoll": 25.4}
_UNIT = r"(mm|millimet(?:er|re)s?|毫米|cm|centimet(?:er|re)s?|厘米|公分|inch(?:es)?|in|\"|英寸|zoll)"
_SIZE = re.compile(
    rf"(?<![a-z0-9.]){_NUM}(?:\s*(?:-|~|to)\s*{_NUM})?((?:\s*[x*]\s*{_NUM})*)\s*{_UNIT}(?![a-z])",
)
_PIECES = re.compile(
    r"(?<![a-z0-9.])(\d{1,3}(?:,\d{3})+|\d+)\s*-?\s*(pcs|pc|pieces?|ct|count|balls|beads|magnets|cubes|spheres|"
    r"个|颗|粒|只|枚|件|片|pz|piezas|stuck|stk|teile|pieces|morceaux)(?![a-z])"
)
_SET_OF = re.compile(r"\b(?:set|pack|box|bag)\s+of\s+(\d{1,3}(?:,\d{3})+|\d+)\b")
_GRADE = re.compile(r"(?<![a-z0-9])n\s?-?(2[4-9]|3\d|4\d|5[0-5])(?:m|h|sh|uh|eh|ah)?(?![\w])")
_FLUX = re.compile(
    r"(?:flux(?:\s+index)?|磁通(?:量)?指数)\s*"
    r"(?:of|is|:|=|>|>=|≥|over|above|greater than|exceeds?|超过|大于)?\s*"
    + _NUM
    + r"|"
    + _NUM
    + r"\s*(?:kg\s*(?:\^?2|²)\s*mm\s*(?:\^?2|²))"
)
_ANGLE = re.compile(
    rf"(?<![a-z0-9.]){_NUM}(?:\s*(?:-|~|to)\s*{_NUM})?\s*-?\s*(?:°|º|degrees?|deg\b|度)(?!\s*[cf]\b)"
)
_ROTATE_BEFORE = re.compile(r"(?:rotat\w*|swivel\w*|turns?|spins?|旋转|转|温度?|恒温)\s*(?:up to|by)?\s*$")
_ROTATE_AFTER = re.compile(r"^\s*(?:rotat|swivel|turn|spin|view|旋转|转|视角|全景)")
_GROW = re.compile(r"grow|expand|swell|absorb|膨胀|变大|长大|吸水|wachsen|quellen|crece|expande")
_FACTOR = re.compile(rf"{_NUM}\s*(?:x|times|fold|倍|mal|veces)(?![a-z])")
_FROM_TO = re.compile(rf"{_NUM}\s*mm\s*(?:to|->|→|grow(?:s|ing)? to|变成|到)\s*{_NUM}\s*mm")


@dataclass
class ListingAttributes:
    """Every value found per attribute name (in text order), and the text each came from."""

    values: dict[str, list[float]] = field(default_factory=dict)
    spans: dict[str, list[str]] = field(default_factory=dict)

    def add(self, name: str, value: float | None, span: str) -> None:
        if value is None:
            return
        self.values.setdefault(name, []).append(round(value, 4))
        self.spans.setdefault(name, []).append(span)


def _sizes(text: str, out: ListingAttributes) -> None:
    for m in _SIZE.finditer(text):
        unit = m.group(5)
        if unit == "in" and (" " in m.group(0) and m.group(1).isdigit()):  # "3 in 1", "5 in stock"
            continue
        factor = next((v for k, v in _MM.items() if unit.startswith(k)), 1.0)
        if unit.startswith("centimet"):
            factor = 10.0
        nums = [m.group(1), m.group(2), *re.findall(_NUM, m.group(3) or "")]
        for n in nums:
            value = _number(n) if n else None
            out.add("size_mm", value * factor if value is not None else None, m.group(0))


def _angles(text: str, out: ListingAttributes) -> None:
    for m in _ANGLE.finditer(text):
        before, after = text[max(0, m.start() - 16) : m.start()], text[m.end() : m.end() + 12]
        if _ROTATE_AFTER.search(after) or _ROTATE_BEFORE.search(before):
            continue
        for n in (m.group(1), m.group(2)):
            value = _number(n) if n else None
            if value is not None and value <= 60:
                out.add("incline_deg", value, m.group(0))


def _expansion(text: str, out: ListingAttributes) -> None:
    seen: set[int] = set()
    for g in _GROW.finditer(text):
        lo = max(0, g.start() - 25)
        window = text[lo : g.end() + 40]
        for m in (*_FACTOR.finditer(window), *_FROM_TO.finditer(window)):
            if lo + m.start() in seen:
                continue
            seen.add(lo + m.start())
            if m.re is _FACTOR:
                value = _number(m.group(1))
            else:
                small, big = _number(m.group(1)), _number(m.group(2))
                value = big / small if small and big and big > small else None
            if value and 1 < value <= 2000:
                out.add("expansion", value, m.group(0))


def parse_attributes(text: str) -> ListingAttributes:
    """All attributes found in already-folded text (see ``fold``)."""
    out = ListingAttributes()
    _sizes(text, out)
    for m in _PIECES.finditer(text):
        out.add("piece_count", float(m.group(1).replace(",", "")), m.group(0))
    for m in _SET_OF.finditer(text):
        out.add("piece_count", float(m.group(1).replace(",", "")), m.group(0))
    for m in _GRADE.finditer(text):
        out.add("magnet_grade", float(m.group(1)), m.group(0))
    for m in _FLUX.finditer(text):
        out.add("flux_index", _number(m.group(1) or m.group(2)), m.group(0))
    _angles(text, out)
    _expansion(text, out)
    return out
