"""Evidence terms of a match, marked in the listing's and the recall's texts (``<mark>``).

The matcher's evidence is prose such as ``model KY055 in title/model; brand Gudook (brand field
exact); product name 'Gudook Adult Bike Helmets' 100% in title``. The terms are the identifiers it
names (models, GTINs — matched whatever separators the texts use), the brand, and the words of quoted
product names. Texts are HTML-escaped before marking, so a listing cannot inject markup.

>>> terms = evidence_terms("model KY055 in title/model; brand Gudook (brand field exact)")
>>> str(mark("Gudook helmet KY-055 <b>", terms))
'<mark>Gudook</mark> helmet <mark>KY-055</mark> &lt;b&gt;'
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

_IDENT = re.compile(
    r"\b(?:model|GTIN|UPC|EAN|SKU|serial|batch|lot)\s+([A-Za-z0-9][A-Za-z0-9\-/.]{1,40})", re.I
)
_BRAND = re.compile(r"\bbrand\s+(.+?)\s*\(", re.I)
_QUOTED = re.compile(r"""'([^']{2,120})'|"([^"]{2,120})\"""")
_TERMS = re.compile(r"terms?:\s*([^;]+)", re.I)
STOPWORDS = frozenset(
    "the and for with from set sets of in on to a an by or kit pack pcs piece pieces model size new "
    "recall recalled product products".split()
)


def evidence_terms(evidence: str) -> list[str]:
    """Identifiers, brands and distinctive words the evidence names, longest first.

    >>> evidence_terms("GTIN 669028116546 matches; product name 'Boon NURSH 8 oz Bottles' 100% in title")
    ['669028116546', 'Bottles', 'NURSH', 'Boon']
    """
    found: list[str] = []
    found += [m.group(1).rstrip(".,") for m in _IDENT.finditer(evidence)]
    found += [m.group(1).strip() for m in _BRAND.finditer(evidence)]
    for m in _TERMS.finditer(evidence):
        found += [q.strip(" '\"") for q in m.group(1).split(",")]
    for m in _QUOTED.finditer(evidence):
        phrase = m.group(1) or m.group(2) or ""
        found += [w for w in re.split(r"[\s,()]+", phrase) if len(w) >= 3 and w.lower() not in STOPWORDS]
    unique = {w.lower(): w for w in found if w and len(w) >= 2}
    return sorted(unique.values(), key=lambda w: (-len(w), w.lower()))


def _pattern(term: str) -> str:
    """A regex for ``term``: identifiers match with or without separators (KY055 ~ KY-055 ~ KY 055)."""
    compact = re.sub(r"[\s\-/.]", "", term)
    if any(c.isdigit() for c in compact) and compact.isalnum():
        return r"[\s\-/.]?".join(re.escape(c) for c in compact)
    return re.escape(term)


def mark(text: str, terms: list[str]) -> Markup:
    """``text`` escaped, with every occurrence of ``terms`` wrapped in ``<mark>`` (case-insensitive).

    >>> str(mark("a & b", ["b"]))
    'a &amp; <mark>b</mark>'
    """
    if not text:
        return Markup("")
    if not terms:
        return escape(text)
    rx = re.compile(r"(?<![\w])(?:" + "|".join(_pattern(t) for t in terms) + r")(?![\w])", re.I)
    out: list[str] = []
    pos = 0
    for m in rx.finditer(text):
        out.append(str(escape(text[pos : m.start()])))
        out.append(f"<mark>{escape(m.group(0))}</mark>")
        pos = m.end()
    out.append(str(escape(text[pos:])))
    return Markup("".join(out))
