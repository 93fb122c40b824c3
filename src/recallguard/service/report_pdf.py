"""The compliance report as PDF, with reportlab (pure Python): the same sections as the HTML page,
charts drawn with ``reportlab.graphics`` (a bar chart of time to action, a stacked SLA bar).

>>> from recallguard.service.reports import AuditCheck, compliance_report
>>> from recallguard.store import Store
>>> rep = compliance_report(Store("sqlite://"), "CPSC", verification=AuditCheck(True, 0, 0, "intact"))
>>> render_pdf(rep)[:5]
b'%PDF-'
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing, Rect, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from recallguard.service.reports import ComplianceReport, Figures, human_duration

GREEN, RED, AMBER, BLUE = (colors.HexColor(c) for c in ("#2e7d32", "#c62828", "#8a6d00", "#1f5f8b"))


def histogram_drawing(
    bins: list[tuple[str, int]], width: float = 170 * mm, height: float = 60 * mm
) -> Drawing:
    """A reportlab bar chart of (label, count) pairs."""
    d = Drawing(width, height)
    chart = VerticalBarChart()
    chart.x, chart.y = 30, 25
    chart.width, chart.height = width - 40, height - 40
    chart.data = [[c for _, c in bins] or [0]]
    chart.categoryAxis.categoryNames = [label for label, _ in bins] or [""]
    chart.categoryAxis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0
    peak = max([c for _, c in bins] + [1])
    chart.valueAxis.valueMax = peak
    chart.valueAxis.valueStep = max(1, peak // 5)
    chart.bars[0].fillColor = BLUE
    chart.barLabelFormat = "%d"
    chart.barLabels.fontSize = 7
    chart.barLabels.nudge = 6
    d.add(chart)
    return d


def sla_drawing(met: int, breached: int, open_: int, width: float = 170 * mm) -> Drawing:
    """One stacked bar (met / breached / open) with a legend."""
    d = Drawing(width, 40)
    total = met + breached + open_
    x = 0.0
    for n, color in ((met, GREEN), (breached, RED), (open_, AMBER)):
        w = width * n / total if total else 0
        if w:
            d.add(Rect(x, 18, w, 16, fillColor=color, strokeColor=None))
        x += w
    if not total:
        d.add(Rect(0, 18, width, 16, fillColor=colors.lightgrey, strokeColor=None))
    lx = 0.0
    for name, n, color in (("met", met, GREEN), ("breached", breached, RED), ("open", open_, AMBER)):
        d.add(Rect(lx, 2, 8, 8, fillColor=color, strokeColor=None))
        d.add(String(lx + 11, 2, f"{name} {n}", fontSize=8))
        lx += 80
    return d


def render_pdf(report: ComplianceReport) -> bytes:
    """The report as PDF bytes (A4)."""
    buf = io.BytesIO()
    styles = getSampleStyleSheet()
    small = ParagraphStyle("small", parent=styles["BodyText"], fontSize=8, leading=10)
    r = report
    title = f"Compliance report: {r.authority_name} ({r.authority})"
    doc = SimpleDocTemplate(
        buf, pagesize=A4, title=title, author="recallguard", leftMargin=18 * mm, rightMargin=18 * mm
    )
    v = r.verification
    verdict = "VERIFIED" if v.ok else "FAILED"
    key = f" with the Ed25519 key {v.key_id}" if v.key_id else ""
    story: list[Any] = [
        Paragraph(escape(title), styles["Title"]),
        Paragraph(
            escape(
                (f"Recall {r.recall} · " if r.recall else "")
                + f"Buyer countries: {', '.join(r.countries)} · SLA {r.sla_hours:g} "
                + ("working-day hours" if r.working_days else "hours")
                + f" (priority: half) · Generated {r.generated_at:%Y-%m-%d %H:%M} UTC"
            ),
            small,
        ),
        Paragraph("Audit log verification", styles["Heading2"]),
        Paragraph(
            f'<font color="{"#1b5e20" if v.ok else "#b71c1c"}"><b>{verdict}</b></font>: {escape(v.message)}',
            styles["BodyText"],
        ),
        Paragraph(
            escape(f"{v.events} events checked, {v.signatures} signed chain heads verified{key}."), small
        ),
        Paragraph("Summary", styles["Heading2"]),
    ]
    t = r.totals
    sla = [t.sla_met, t.sla_breached, t.sla_open]
    summary: list[list[object]] = [
        [
            "Recalls",
            "Found",
            "Restricted",
            "In review",
            "Re-listings",
            "Reversed",
            "SLA met",
            "Breached",
            "Open",
        ],
        [len(r.recalls), t.found, t.restricted, t.in_review, t.relistings, t.reversed, *sla],
    ]
    story += [_table(summary), Spacer(1, 4 * mm)]
    if r.appeals:
        appeals = ", ".join(f"{k} {n}" for k, n in sorted(r.appeals.items()))
        story.append(Paragraph(escape(f"Appeals: {appeals}."), small))
    story += [Paragraph("SLA status", styles["Heading2"]), sla_drawing(t.sla_met, t.sla_breached, t.sla_open)]
    story.append(Paragraph("Time to action", styles["Heading2"]))
    d = r.time_to_action
    if d.count:
        head: list[object] = [*(f"p{p}" for p in sorted(d.percentiles)), "mean", "max"]
        vals = [human_duration(d.percentiles[p]) for p in sorted(d.percentiles)]
        story.append(_table([head, [*vals, human_duration(d.mean), human_duration(d.maximum)]]))
        story.append(Paragraph(escape(f"{d.count} listings acted on."), small))
    else:
        story.append(Paragraph("No listing has been acted on yet.", small))
    story.append(histogram_drawing(d.histogram))
    story.append(Paragraph("Recalls", styles["Heading2"]))
    rows: list[list[object]] = [
        ["Recall", "Title", "Found", "Restr.", "Review", "Re-list", "Met", "Breach", "Open"]
    ]
    priority_rows = []
    for i, line in enumerate(r.recalls, 1):
        f = line.figures
        label = line.recall_number + (" (priority)" if line.priority else "")
        if line.status != "active":
            label += f" ({line.status})"
        rows.append([Paragraph(escape(label), small), Paragraph(escape(line.title), small), *_counts(f)])
        if line.priority:
            priority_rows.append(i)
    if len(rows) == 1:
        rows.append(["—", "No recalls of this authority are stored.", "", "", "", "", "", "", ""])
    widths = [28 * mm, 62 * mm] + [10 * mm] * 7
    story.append(_table(rows, widths, highlight=priority_rows))
    doc.build(story)
    return buf.getvalue()


def _counts(f: Figures) -> list[object]:
    return [f.found, f.restricted, f.in_review, f.relistings, f.sla_met, f.sla_breached, f.sla_open]


def _table(
    rows: list[list[object]], widths: list[float] | None = None, highlight: Sequence[int] = ()
) -> Table:
    tbl = Table(rows, colWidths=widths, repeatRows=1)
    style = [
        ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef3")),
        ("FONTSIZE", (0, 0), (-1, -1), 8),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
    for i in highlight:
        style.append(("BACKGROUND", (0, i), (-1, i), colors.HexColor("#fff3cd")))
    tbl.setStyle(TableStyle(style))
    return tbl
