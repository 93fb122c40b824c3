"""Charts drawn on the server as inline SVG (no JavaScript chart library): a bar chart of the
time-to-action distribution and a stacked bar of a recall's listings by state.

Each chart is an ``<svg role="img">`` with a ``<title>`` and a ``<desc>`` that states every number, so
a screen reader gets the same facts; the pages also print the numbers in a table.

>>> svg = bar_chart([("< 5 min", 3), ("5–30 min", 1)], "Time to action")
>>> 'role="img"' in svg and "3 listings" in svg
True
"""

from __future__ import annotations

from datetime import timedelta

from markupsafe import Markup, escape

# colours with ≥ 4.5:1 contrast against white for text, ≥ 3:1 for bars (WCAG 1.4.11)
BAR = "#1f5fa8"
SEGMENTS = {"restricted": "#a61b1b", "review": "#8a5a00", "other": "#4d5b6a", "met": "#1e6b35",
            "open": "#8a5a00", "breached": "#a61b1b"}  # fmt: skip

TTA_BUCKETS: list[tuple[str, timedelta | None]] = [
    ("< 5 min", timedelta(minutes=5)),
    ("5–30 min", timedelta(minutes=30)),
    ("30 min–1 h", timedelta(hours=1)),
    ("1–2 h", timedelta(hours=2)),
    ("2–4 h", timedelta(hours=4)),
    ("4–24 h", timedelta(hours=24)),
    ("> 24 h", None),
]


def tta_histogram(times: list[timedelta]) -> list[tuple[str, int]]:
    """Counts of times to action per bucket (``TTA_BUCKETS``).

    >>> tta_histogram([timedelta(minutes=1), timedelta(hours=3), timedelta(days=2)])[:2]
    [('< 5 min', 1), ('5–30 min', 0)]
    """
    counts = [0] * len(TTA_BUCKETS)
    for t in times:
        for i, (_, upper) in enumerate(TTA_BUCKETS):
            if upper is None or t < upper:
                counts[i] += 1
                break
    return [(label, n) for (label, _), n in zip(TTA_BUCKETS, counts, strict=True)]


def bar_chart(data: list[tuple[str, int]], title: str, width: int = 560, height: int = 220) -> Markup:
    """A vertical bar chart with value labels; an empty chart says so."""
    total = sum(n for _, n in data)
    desc = "; ".join(f"{label}: {n} listings" for label, n in data) if total else "no data yet"
    top, bottom, left = 24, 44, 8
    plot_h = height - top - bottom
    slot = (width - left * 2) / max(len(data), 1)
    peak = max((n for _, n in data), default=0) or 1
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}: {escape(desc)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title><desc>{escape(desc)}</desc>",
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - left}" y2="{top + plot_h}" stroke="#4d5b6a"/>',
    ]
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


def stacked_bar(segments: list[tuple[str, int, str]], title: str, width: int = 560) -> Markup:
    """One horizontal bar split into ``(label, count, colour key)`` segments, with a legend.

    >>> "restricted: 2" in stacked_bar([("restricted", 2, "restricted")], "Listings")
    True
    """
    total = sum(n for _, n, _ in segments)
    desc = "; ".join(f"{label}: {n}" for label, n, _ in segments)
    height = 64
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}: {escape(desc)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title><desc>{escape(desc)}</desc>",
    ]
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
