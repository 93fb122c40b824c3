"""Reports for regulators: the compliance report (HTML with inline SVG charts, or PDF) and the DSA
statements of reasons (JSON or CSV). A regulator gets only its own authority (the default for it).

GET /v1/reports/compliance.html?authority=CPSC[&recall=26561]
GET /v1/reports/compliance.pdf?authority=CPSC[&recall=26561]
GET /v1/reports/statements.json?authority=SAFETYGATE&since=2026-01-01
GET /v1/reports/statements.csv?authority=SAFETYGATE&since=2026-01-01
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse

from recallguard.api.deps import Permit, get_enforcer
from recallguard.domain.authorities import authority_for
from recallguard.enforcement.auth import Principal
from recallguard.enforcement.permissions import authority_filter
from recallguard.errors import PermissionDenied, UsageError
from recallguard.service.reports import AuditCheck, ComplianceReport, compliance_report, render_html
from recallguard.service.statements import parse_since, statements, to_csv, to_json

router = APIRouter(prefix="/v1/reports", tags=["reports"])
AuthorityQ = Query(default=None, max_length=32, description="CPSC, SAFETYGATE, HC (a regulator: its own).")
RecallQ = Query(default=None, max_length=200, description="Only this recall number.")
SinceQ = Query(default=None, max_length=40, description="Statements applied on or after this date.")


def scoped_authority(principal: Principal, authority: str | None, required: bool = True) -> str | None:
    """The authority a request may report on: a regulator's own (asking for another is forbidden);
    for other roles the one named (``required``: it must be named)."""
    mine = authority_filter(principal)
    if mine:
        if authority and authority.upper() != mine:
            raise PermissionDenied(f"a regulator of {mine} may not see reports of {authority.upper()}")
        return mine
    if not authority:
        if required:
            raise UsageError("name the authority: ?authority=CPSC (or SAFETYGATE, HC)")
        return None
    return authority_for(authority).code


def _report(
    request: Request, principal: Principal, authority: str | None, recall: str | None
) -> ComplianceReport:
    enf = get_enforcer(request)
    code = scoped_authority(principal, authority)
    assert code is not None
    enf.sign_if_due(force=True)  # the head is signed first (as at export), so every event is covered
    rep = enf.verify_stored()
    check = AuditCheck(rep.ok, rep.events, rep.signatures, rep.message(), enf.key.key_id)
    return compliance_report(enf.store, code, verification=check, recall=recall)


def _filename(report: ComplianceReport, ext: str) -> str:
    recall = f"-{re.sub(r'[^A-Za-z0-9_-]+', '-', report.recall)}" if report.recall else ""
    return f"compliance-{report.authority}{recall}-{report.generated_at:%Y%m%d}.{ext}"


@router.get(
    "/compliance.html",
    summary="Compliance report of an authority (HTML with charts and the audit-log verification)",
    response_class=HTMLResponse,
)
def compliance_html(
    request: Request,
    authority: str | None = AuthorityQ,
    recall: str | None = RecallQ,
    principal: Principal = Depends(Permit("reports:read")),
) -> HTMLResponse:
    report = _report(request, principal, authority, recall)
    return HTMLResponse(
        render_html(report),
        headers={"Content-Disposition": f'inline; filename="{_filename(report, "html")}"'},
    )


@router.get(
    "/compliance.pdf",
    summary="Compliance report of an authority (PDF)",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
def compliance_pdf(
    request: Request,
    authority: str | None = AuthorityQ,
    recall: str | None = RecallQ,
    principal: Principal = Depends(Permit("reports:read")),
) -> Response:
    from recallguard.service.report_pdf import render_pdf

    report = _report(request, principal, authority, recall)
    return Response(
        render_pdf(report),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{_filename(report, "pdf")}"'},
    )


def _statements(
    request: Request, principal: Principal, authority: str | None, since: str | None
) -> list[dict[str, object]]:
    code = scoped_authority(principal, authority, required=False)
    return statements(get_enforcer(request).store, code, parse_since(since))


def _stamp(authority: str | None) -> str:
    return f"statements-{authority or 'all'}-{datetime.now(UTC):%Y%m%d}"


@router.get(
    "/statements.json",
    summary="DSA statements of reasons, one per action (EU Transparency Database fields)",
    response_class=Response,
    responses={200: {"content": {"application/json": {}}}},
)
def statements_json(
    request: Request,
    authority: str | None = AuthorityQ,
    since: str | None = SinceQ,
    principal: Principal = Depends(Permit("reports:read")),
) -> Response:
    """``{"statements": [...]}`` — the body of the Transparency Database's multiple endpoint."""
    items = _statements(request, principal, authority, since)
    name = _stamp(scoped_authority(principal, authority, required=False))
    return Response(
        to_json(items),
        media_type="application/json",
        headers={"Content-Disposition": f'inline; filename="{name}.json"'},
    )


@router.get(
    "/statements.csv",
    summary="DSA statements of reasons as CSV (lists as JSON arrays)",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
def statements_csv(
    request: Request,
    authority: str | None = AuthorityQ,
    since: str | None = SinceQ,
    principal: Principal = Depends(Permit("reports:read")),
) -> Response:
    items = _statements(request, principal, authority, since)
    name = _stamp(scoped_authority(principal, authority, required=False))
    return Response(
        to_csv(items),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )
