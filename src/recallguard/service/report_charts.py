"""Charts of the compliance report as inline SVG, generated on the server (no scripts, no fonts to
load): a bar chart of the time-to-action histogram and a stacked bar of SLA met / breached / open.
Every text is XML-escaped; each chart carries ``role="img"`` and a ``<title>`` for screen readers.

>>> svg = bar_chart([("<5m", 3), ("5-15m", 1)], title="Time to action")
>>> svg.startswith("<svg") and ">Time to action</title>" in svg
True
"""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape

BAR = "#1f5f8b"
MET, BREACHED, OPEN = "#2e7d32", "#c62828", "#8a6d00"


def bar_chart(
    bins: Sequence[tuple[str, int]], *, title: str, width: int = 640, height: int = 240, color: str = BAR
) -> str:
    """A vertical bar chart of (label, count) pairs with counts above the bars."""
    left, bottom, top = 36, 36, 24
    plot_h = height - bottom - top
    n = max(1, len(bins))
    slot = (width - left - 8) / n
    peak = max([c for _, c in bins] + [1])
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="chart-title-{_slug(title)}">',
        f'<title id="chart-title-{_slug(title)}">{escape(title)}</title>',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 4}" y2="{top + plot_h}" stroke="#333"/>',
    ]
    for i, (label, count) in enumerate(bins):
        h = plot_h * count / peak
        x = left + i * slot + slot * 0.15
        w = slot * 0.7
        y = top + plot_h - h
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" fill="{color}">'
            f"<title>{escape(label)}: {count}</title></rect>"
        )
        cx = x + w / 2
        parts.append(
            f'<text x="{cx:.1f}" y="{y - 4:.1f}" font-size="12" text-anchor="middle" '
            f'fill="#111">{count}</text>'
        )
        parts.append(
            f'<text x="{cx:.1f}" y="{top + plot_h + 16:.1f}" font-size="11" text-anchor="middle" '
            f'fill="#111">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def sla_chart(met: int, breached: int, open_: int, *, width: int = 640, height: int = 70) -> str:
    """One horizontal stacked bar: SLA met, breached and still open, with a legend.

    >>> "met 2" in sla_chart(2, 1, 0)
    True
    """
    total = met + breached + open_
    title = f"SLA: met {met}, breached {breached}, open {open_}"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="chart-title-sla">',
        f'<title id="chart-title-sla">{escape(title)}</title>',
    ]
    x = 0.0
    bar_w = width - 8
    for _name, n, color in (("met", met, MET), ("breached", breached, BREACHED), ("open", open_, OPEN)):
        w = bar_w * n / total if total else 0.0
        if w > 0:
            parts.append(f'<rect x="{4 + x:.1f}" y="4" width="{w:.1f}" height="28" fill="{color}"/>')
        x += w
    if not total:
        parts.append(f'<rect x="4" y="4" width="{bar_w}" height="28" fill="#ddd"/>')
    lx = 4
    for name, n, color in (("met", met, MET), ("breached", breached, BREACHED), ("open", open_, OPEN)):
        parts.append(f'<rect x="{lx}" y="44" width="12" height="12" fill="{color}"/>')
        parts.append(f'<text x="{lx + 16}" y="55" font-size="12" fill="#111">{name} {n}</text>')
        lx += 130
    parts.append("</svg>")
    return "".join(parts)


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")[:40]
