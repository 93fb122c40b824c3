"""The compliance report a regulator receives: per authority (optionally one recall), what was found
and done, how fast (time to action against the SLA), and whether the audit log verifies.

Figures are read from the store in one transaction: listings found (active block/review matches),
restricted (a restriction or delisting in force), in review (a review match with nothing in force),
re-listings caught (matches the fingerprint bank made), reversed actions and appeals; one SLA clock per
found listing (``enforcement.sla``). Rendering: :func:`render_html` (Jinja2 with inline SVG charts) and
``service.report_pdf.render_pdf`` (reportlab).

>>> from recallguard.store import Store
>>> rep = compliance_report(Store("sqlite://"), "CPSC", verification=AuditCheck(True, 0, 0, "intact"))
>>> rep.totals.found, rep.authority_name
(0, 'U.S. Consumer Product Safety Commission')
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from recallguard.domain.authorities import authority_for
from recallguard.domain.models import ActionKind, DecisionKind, RecallStatus
from recallguard.enforcement.sla import SlaState, evaluate
from recallguard.enforcement.state_machine import IN_FORCE
from recallguard.errors import NotFoundError
from recallguard.store import Store
from recallguard.store.enforcement_tables import EnforcementRepo
from recallguard.store.review_tables import ReviewRepo

RELISTING_MARK = "re-listing of removed listing"
"""How the fingerprint bank's evidence starts (a re-listing caught at publish time)."""

HISTOGRAM_EDGES_S: tuple[float, ...] = (0, 300, 900, 1800, 3600, 7200, 14400, 28800, 86400, 172800)
HISTOGRAM_LABELS: tuple[str, ...] = (
    "<5m", "5-15m", "15-30m", "30-60m", "1-2h", "2-4h", "4-8h", "8-24h", "1-2d", ">2d",
)  # fmt: skip
PERCENTILES: tuple[int, ...] = (50, 90, 95, 99)
MANY = 10**9


@dataclass(frozen=True)
class AuditCheck:
    """The audit-log verification shown in the report (``Enforcer.verify_stored()``)."""

    ok: bool
    events: int
    signatures: int
    message: str
    key_id: str = ""


@dataclass
class Figures:
    found: int = 0
    restricted: int = 0
    in_review: int = 0
    relistings: int = 0
    reversed: int = 0
    sla_met: int = 0
    sla_breached: int = 0
    sla_open: int = 0


@dataclass
class RecallLine:
    recall_number: str
    title: str
    priority: bool
    status: str
    recall_date: datetime | None
    url: str
    hazard: str
    figures: Figures = field(default_factory=Figures)


@dataclass
class TimeToAction:
    """Time-to-action distribution in seconds: percentiles and a histogram over fixed bins."""

    count: int = 0
    percentiles: dict[int, float] = field(default_factory=dict)
    mean: float | None = None
    maximum: float | None = None
    histogram: list[tuple[str, int]] = field(default_factory=list)


@dataclass
class ComplianceReport:
    authority: str
    authority_name: str
    countries: list[str]
    sla_hours: float
    working_days: bool
    recall: str | None
    generated_at: datetime
    recalls: list[RecallLine]
    totals: Figures
    time_to_action: TimeToAction
    verification: AuditCheck
    appeals: dict[str, int]


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of ``values`` (non-empty).

    >>> percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90)
    9
    """
    ordered = sorted(values)
    k = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[k - 1]


def distribution(seconds: Sequence[float]) -> TimeToAction:
    """Percentiles, mean, maximum and the histogram of times to action.

    >>> d = distribution([60, 600, 4000]); d.percentiles[50], d.histogram[0], d.histogram[4]
    (600, ('<5m', 1), ('1-2h', 1))
    """
    bins = [0] * len(HISTOGRAM_LABELS)
    for s in seconds:
        i = sum(1 for edge in HISTOGRAM_EDGES_S[1:] if s >= edge)
        bins[i] += 1
    hist = list(zip(HISTOGRAM_LABELS, bins, strict=True))
    if not seconds:
        return TimeToAction(histogram=hist)
    return TimeToAction(
        count=len(seconds),
        percentiles={p: percentile(seconds, p) for p in PERCENTILES},
        mean=sum(seconds) / len(seconds),
        maximum=max(seconds),
        histogram=hist,
    )


def compliance_report(
    store: Store,
    authority: str,
    *,
    verification: AuditCheck,
    recall: str | None = None,
    now: datetime | None = None,
) -> ComplianceReport:
    """Gather the report of ``authority`` (and only ``recall`` when given) from the store."""
    auth = authority_for(authority)
    code = auth.code
    at = now or datetime.now(UTC)
    with store.transaction() as uow:
        enf = EnforcementRepo(uow.session)
        recalls = [r for r in uow.recalls.list() if r.authority == code]
        if recall is not None:
            recalls = [r for r in recalls if r.recall_number == recall]
            if not recalls:
                raise NotFoundError(f"no {code} recall {recall}")
        matches = enf.query_matches(authority=code, recall_number=recall, limit=MANY)
        actions = [
            a for a in enf.query_actions(authority=code, limit=MANY) if recall in (None, a.recall_number)
        ]
        cases = [c for c in enf.sla_cases(code) if recall in (None, c.recall_number)]
        appeals = [a for a in ReviewRepo(uow.session).appeals() if a.authority == code]
    lines = {
        r.recall_number: RecallLine(
            r.recall_number, r.title, r.priority, RecallStatus(r.status).value,
            r.recall_date, r.url, r.hazard,
        )
        for r in recalls
    }  # fmt: skip
    in_force = {
        (a.listing_id, a.recall_number)
        for a in actions
        if a.state in IN_FORCE and a.kind in (ActionKind.RESTRICT, ActionKind.DELIST)
    }
    totals = Figures()
    for m in matches:
        fig = lines[m.recall_number].figures if m.recall_number in lines else None
        keyed = (m.listing_id, m.recall_number)
        adds = Counter(
            found=1,
            restricted=int(keyed in in_force),
            in_review=int(m.decision == DecisionKind.REVIEW and keyed not in in_force),
            relistings=int(RELISTING_MARK in m.evidence),
        )
        for name, n in adds.items():
            setattr(totals, name, getattr(totals, name) + n)
            if fig is not None:
                setattr(fig, name, getattr(fig, name) + n)
    for a in actions:
        if a.state.value == "reversed":
            totals.reversed += 1
            if a.recall_number in lines:
                lines[a.recall_number].figures.reversed += 1
    tta: list[float] = []
    for c in cases:
        st = evaluate(c, at)
        name = {SlaState.MET: "sla_met", SlaState.BREACHED: "sla_breached", SlaState.OPEN: "sla_open"}[
            st.state
        ]
        setattr(totals, name, getattr(totals, name) + 1)
        if c.recall_number in lines:
            fig = lines[c.recall_number].figures
            setattr(fig, name, getattr(fig, name) + 1)
        if st.time_to_action is not None:
            tta.append(max(0.0, st.time_to_action.total_seconds()))
    ordered = sorted(lines.values(), key=lambda x: (not x.priority, x.recall_number))
    return ComplianceReport(
        authority=code,
        authority_name=auth.name,
        countries=sorted(auth.countries),
        sla_hours=auth.sla_hours,
        working_days=auth.working_days,
        recall=recall,
        generated_at=at,
        recalls=ordered,
        totals=totals,
        time_to_action=distribution(tta),
        verification=verification,
        appeals=dict(Counter(a.state for a in appeals if recall in (None, a.recall_number))),
    )


def human_duration(seconds: float | None) -> str:
    """``3725`` → ``'1h 2m'``; None → ``'—'``.

    >>> human_duration(3725), human_duration(42), human_duration(None)
    ('1h 2m', '42s', '—')
    """
    if seconds is None:
        return "—"
    s = round(seconds)
    if s < 60:
        return f"{s}s"
    d, rem = divmod(s, 86400)
    h, rem = divmod(rem, 3600)
    m = rem // 60
    if d:
        return f"{d}d {h}h"
    return f"{h}h {m}m" if h else f"{m}m"


TEMPLATES = Path(__file__).with_name("templates")


def render_html(report: ComplianceReport) -> str:
    """The report as one self-contained HTML page (inline CSS and SVG charts, no scripts)."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    from recallguard.service.report_charts import bar_chart, sla_segments, stacked_bar

    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
    env.filters["duration"] = human_duration
    tpl = env.get_template("compliance_report.html")
    hist_svg = bar_chart(report.time_to_action.histogram, "Time to action (listings)", width=640)
    t = report.totals
    sla_svg = stacked_bar(sla_segments(t.sla_met, t.sla_open, t.sla_breached), "SLA clocks", width=640)
    return tpl.render(r=report, hist_svg=hist_svg, sla_svg=sla_svg)
