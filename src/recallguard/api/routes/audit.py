"""The audit log for regulators: export (JSON lines), stored-log verification, the public key, SLAs."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse

from recallguard.api.deps import Permit, get_enforcer
from recallguard.api.schemas import AuditVerifyPublic, SlaCasePublic
from recallguard.enforcement.auth import Principal
from recallguard.enforcement.permissions import authority_filter
from recallguard.enforcement.sla import SlaState, evaluate
from recallguard.store.enforcement_tables import EnforcementRepo

router = APIRouter(prefix="/v1", tags=["audit"])


@router.get(
    "/audit/export",
    summary="The audit log as JSON lines (hash, prev_hash, signatures)",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/x-ndjson": {}}}},
)
def export(request: Request, principal: Principal = Depends(Permit("audit:export"))) -> StreamingResponse:
    """The head is signed first. A regulator's export shows its authority's events; the others are
    redacted to their hashes, so the file still verifies with ``recallguard audit verify --file``."""
    lines = get_enforcer(request).export(principal)
    return StreamingResponse((line + "\n" for line in lines), media_type="application/x-ndjson")


@router.get(
    "/audit/verify",
    summary="Verify the stored audit log and its signed heads",
    response_model=AuditVerifyPublic,
)
def verify(request: Request, _: Principal = Depends(Permit("audit:verify"))) -> AuditVerifyPublic:
    rep = get_enforcer(request).verify_stored()
    return AuditVerifyPublic(
        ok=rep.ok,
        events=rep.events,
        signatures=rep.signatures,
        first_bad_seq=rep.first_bad_seq,
        message=rep.message(),
    )


@router.get(
    "/audit/public-key",
    summary="The Ed25519 public key that verifies signed heads (PEM)",
    response_class=Response,
)
def public_key(request: Request, _: Principal = Depends(Permit("public"))) -> Response:
    enf = get_enforcer(request)
    return Response(
        enf.key.public_pem(), media_type="application/x-pem-file", headers={"X-Key-Id": enf.key.key_id}
    )


@router.get(
    "/sla",
    summary="SLA clocks: deadline, open / met / breached, time to action",
    response_model=list[SlaCasePublic],
)
def sla(
    request: Request,
    state: SlaState | None = None,
    limit: int = Query(default=1000, ge=1, le=100_000),
    principal: Principal = Depends(Permit("sla:read")),
) -> list[SlaCasePublic]:
    now = datetime.now(UTC)
    with get_enforcer(request).store.transaction() as uow:
        cases = EnforcementRepo(uow.session).sla_cases(authority_filter(principal))
    out = []
    for c in cases:
        st = evaluate(c, now)
        if state and st.state != state:
            continue
        out.append(
            SlaCasePublic(
                listing_id=c.listing_id,
                recall_number=c.recall_number,
                authority=c.authority,
                priority=c.priority,
                started_at=c.started_at,
                deadline=st.deadline,
                state=st.state.value,
                acted_at=c.acted_at,
                time_to_action_s=st.time_to_action.total_seconds() if st.time_to_action is not None else None,
            )
        )
    return out[:limit]
