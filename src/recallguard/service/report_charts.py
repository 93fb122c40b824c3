"""Charts drawn on the server as inline SVG (no JavaScript chart library, no fonts to load), used by
the regulator portal's pages and by the compliance report alike: a bar chart of the time-to-action
histogram and a stacked bar of counts by state (listings by state, SLA clocks met / open / breached).

Each chart is an ``<svg role="img">`` with a ``<title>`` and a ``<desc>`` that states every number, so a
screen reader gets the same facts; every text is escaped; the pages also print the numbers in a table.

>>> svg = bar_chart([("<5m", 3), ("5-15m", 1)], "Time to action")
>>> 'role="img"' in svg and "5-15m: 1 listings" in svg
True
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

# colours with ≥ 4.5:1 contrast against white for text, ≥ 3:1 for bars (WCAG 1.4.11)
BAR = "#1f5fa8"
SEGMENTS = {"restricted": "#a61b1b", "review": "#8a5a00", "other": "#4d5b6a", "met": "#1e6b35",
            "open": "#8a5a00", "breached": "#a61b1b"}  # fmt: skip


def _open_svg(width: int, height: int, title: str, desc: str) -> list[str]:
    return [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}: {escape(desc)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title><desc>{escape(desc)}</desc>",
    ]


def bar_chart(data: Sequence[tuple[str, int]], title: str, width: int = 560, height: int = 220) -> Markup:
    """A vertical bar chart of ``(label, listings)`` with value labels; an empty chart says so."""
    total = sum(n for _, n in data)
    desc = "; ".join(f"{label}: {n} listings" for label, n in data) if total else "no data yet"
    top, bottom, left = 24, 44, 8
    plot_h = height - top - bottom
    slot = (width - left * 2) / max(len(data), 1)
    peak = max((n for _, n in data), default=0) or 1
    parts = _open_svg(width, height, title, desc)
    parts.append(
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - left}" y2="{top + plot_h}" stroke="#4d5b6a"/>'
    )
    for i, (label, n) in enumerate(data):
        h = plot_h * n / peak
        x = left + i * slot + slot * 0.15
        w = slot * 0.7
        y = top + plot_h - h
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" fill="{BAR}"/>')
        parts.append(
            f'<text x="{x + w / 2:.1f}" y="{y - 6:.1f}" text-anchor="middle" font-size="13" '
            f'fill="#1a1a1a">{n}</text>'
        )
        parts.append(
            f'<text x="{x + w / 2:.1f}" y="{top + plot_h + 18:.1f}" text-anchor="middle" font-size="12" '
            f'fill="#1a1a1a">{escape(label)}</text>'
        )
    if not total:
        parts.append(
            f'<text x="{width / 2:.1f}" y="{top + plot_h / 2:.1f}" text-anchor="middle" font-size="14" '
            'fill="#4d5b6a">no actions yet</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def stacked_bar(segments: Sequence[tuple[str, int, str]], title: str, width: int = 560) -> Markup:
    """One horizontal bar split into ``(label, count, colour key)`` segments, with a legend.

    >>> "breached: 2" in stacked_bar([("met", 0, "met"), ("breached", 2, "breached")], "SLA clocks")
    True
    """
    total = sum(n for _, n, _ in segments)
    desc = "; ".join(f"{label}: {n}" for label, n, _ in segments)
    parts = _open_svg(width, 64, title, desc)
    x = 0.0
    for _, n, key in segments:
        w = width * n / total if total else 0
        if w:
            parts.append(f'<rect x="{x:.1f}" y="4" width="{w:.1f}" height="24" fill="{SEGMENTS[key]}"/>')
        x += w
    if not total:
        parts.append(f'<rect x="0" y="4" width="{width}" height="24" fill="#e6e9ed"/>')
    lx = 0
    for label, n, key in segments:
        parts.append(f'<rect x="{lx}" y="40" width="14" height="14" fill="{SEGMENTS[key]}"/>')
        text = f"{label}: {n}"
        parts.append(f'<text x="{lx + 20}" y="52" font-size="13" fill="#1a1a1a">{escape(text)}</text>')
        lx += 30 + 8 * len(text)
    parts.append("</svg>")
    return Markup("".join(parts))


def sla_segments(met: int, open_: int, breached: int) -> list[tuple[str, int, str]]:
    """The segments of an SLA chart, in the order every page and report shows them.

    >>> sla_segments(2, 0, 1)[2]
    ('breached', 1, 'breached')
    """
    return [("met", met, "met"), ("open", open_, "open"), ("breached", breached, "breached")]
