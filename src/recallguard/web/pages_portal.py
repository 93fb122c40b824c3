"""The regulator portal: a regulator (tied to one authority) sees its recalls and the listings they
concern — found, restricted, in review, re-listings caught, time to action and SLA status, with charts —
submits a priority list (CSV upload or picked recalls) and downloads the reports. An admin picks the
authority with ``?authority=``."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from recallguard.api.deps import get_enforcer
from recallguard.domain.authorities import AUTHORITIES
from recallguard.enforcement.auth import Principal
from recallguard.enforcement.permissions import authority_filter
from recallguard.errors import NotFoundError, RecallguardError
from recallguard.service.report_charts import bar_chart, sla_segments, stacked_bar
from recallguard.service.reports import distribution
from recallguard.web import portal
from recallguard.web.render import redirect, render
from recallguard.web.security import PagePermit

router = APIRouter(include_in_schema=False)
MAX_CSV_BYTES = 256 * 1024
REPORTS = (
    ("Compliance report (HTML)", "/v1/reports/compliance.html"),
    ("Compliance report (PDF)", "/v1/reports/compliance.pdf"),
    ("Statements of reasons (JSON)", "/v1/reports/statements.json"),
    ("Statements of reasons (CSV)", "/v1/reports/statements.csv"),
)


def _authority(principal: Principal, requested: str | None) -> str:
    """The regulator's own authority; an admin's choice (CPSC by default)."""
    mine = authority_filter(principal)
    code = mine or (requested or "CPSC").upper()
    if code not in AUTHORITIES and not mine:
        raise NotFoundError(f"unknown authority {code}")
    return code


def _histogram(times: list[timedelta]) -> list[tuple[str, int]]:
    """Times to action in the compliance report's bins (one histogram for the portal and the report)."""
    return distribution([t.total_seconds() for t in times]).histogram


def _segments(restricted: int, review: int, found: int) -> list[tuple[str, int, str]]:
    return [("restricted", restricted, "restricted"), ("in review", review, "review"),
            ("other matches", max(found - restricted - review, 0), "other")]  # fmt: skip


@router.get("/portal", response_class=HTMLResponse)
def portal_page(
    request: Request, authority: str | None = None, principal: Principal = Depends(PagePermit("portal:read"))
) -> Response:
    code = _authority(principal, authority)
    with get_enforcer(request).store.transaction() as uow:
        stats = portal.recall_stats(uow, code)
    active = [s for s in stats if s.found or s.recall.priority]
    quiet = [s for s in stats if not (s.found or s.recall.priority)]
    times = [t for s in stats for t in s.times]
    totals = {
        k: sum(getattr(s, k) for s in stats) for k in ("found", "restricted", "in_review", "relistings")
    }
    sla = {k: sum(s.sla.get(k, 0) for s in stats) for k in ("met", "open", "breached")}
    ctx = {
        "authority": code,
        "authority_name": AUTHORITIES[code].name if code in AUTHORITIES else code,
        "active": active,
        "quiet": quiet,
        "all_recalls": sorted(stats, key=lambda s: s.recall.recall_number),
        "totals": totals,
        "sla": sla,
        "tta_chart": bar_chart(_histogram(times), f"Time to action, {code} (all recalls)"),
        "state_chart": stacked_bar(
            _segments(totals["restricted"], totals["in_review"], totals["found"]), f"Listings found, {code}"
        ),
        "sla_chart": stacked_bar(
            sla_segments(sla["met"], sla["open"], sla["breached"]), f"SLA clocks, {code}"
        ),
        "reports": REPORTS,
        "median": portal.fmt_duration(sorted(times)[len(times) // 2] if times else None),
        "admin_choice": authority_filter(principal) is None,
        "authorities": sorted(AUTHORITIES),
    }
    return render(request, "portal.html", ctx, principal=principal)


@router.get("/portal/recalls/{recall_number}", response_class=HTMLResponse)
def recall_page(
    request: Request,
    recall_number: str,
    authority: str | None = None,
    principal: Principal = Depends(PagePermit("portal:read")),
) -> Response:
    code = _authority(principal, authority)
    with get_enforcer(request).store.transaction() as uow:
        stats = next(
            (s for s in portal.recall_stats(uow, code) if s.recall.recall_number == recall_number), None
        )
        if stats is None:
            raise NotFoundError(f"no recall {code}:{recall_number}")
        rows = portal.listings_of_recall(uow, code, recall_number)
    statuses = {st.case.listing_id: st for st in stats.statuses}
    ctx = {
        "authority": code,
        "s": stats,
        "rows": rows,
        "statuses": statuses,
        "tta_chart": bar_chart(_histogram(stats.times), f"Time to action, recall {recall_number}"),
        "state_chart": stacked_bar(
            _segments(stats.restricted, stats.in_review, stats.found), f"Listings, recall {recall_number}"
        ),
        "reports": REPORTS,
        "now": datetime.now(UTC),
    }
    return render(request, "portal_recall.html", ctx, principal=principal)


@router.post("/portal/priority")
async def priority_page(
    request: Request,
    recall_number: list[str] = Form(default=[]),
    authority: str | None = Form(None, max_length=32),
    file: UploadFile | None = File(None),
    principal: Principal = Depends(PagePermit("priority:submit")),
) -> RedirectResponse:
    from starlette.concurrency import run_in_threadpool

    from recallguard.service.priority import read_priority_file, set_priority
    from recallguard.service.screening import default_screener

    code = _authority(principal, authority)
    back = "/portal" + (f"?authority={code}" if authority_filter(principal) is None else "")
    numbers = [n.strip() for n in recall_number if n.strip()]
    if file is not None and file.filename:
        data = await file.read(MAX_CSV_BYTES + 1)
        if len(data) > MAX_CSV_BYTES:
            return redirect(back, f"The CSV file is larger than {MAX_CSV_BYTES // 1024} KB.")
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "priority.csv"
            path.write_bytes(data)
            try:
                numbers += read_priority_file(path, code).get(code, [])
            except RecallguardError as e:
                return redirect(
                    back, f"The CSV file was not used: {str(e).replace(str(path), file.filename)}"
                )
    if not numbers:
        return redirect(back, "Pick recalls or upload a CSV file with a recall_number column.")
    enf = get_enforcer(request)
    try:
        report = await run_in_threadpool(
            set_priority, enf.store, code, numbers, actor=principal.actor,
            factory=enf.screener_factory or default_screener,
        )  # fmt: skip
    except RecallguardError as e:
        return redirect(back, f"The priority list was not saved: {e}")
    await run_in_threadpool(enf.refresh_gate)
    msg = (f"Priority list saved: {len(report.numbers)} recalls ({len(report.marked)} newly marked, "
           f"{len(report.unmarked)} unmarked); {report.rescreened} listings screened again.")  # fmt: skip
    if report.warnings:
        msg += " " + " ".join(report.warnings)
    return redirect(back, msg)
