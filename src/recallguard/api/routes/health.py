"""``/healthz`` and Prometheus ``/metrics`` (public)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy import text

from recallguard.api.deps import Permit, get_enforcer
from recallguard.enforcement.auth import Principal
from recallguard.service.bank import current_bank

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="Liveness and store reachability")
def healthz(request: Request, _: Principal = Depends(Permit("public"))) -> dict[str, object]:
    """``{"status": "ok", ...}`` when the store answers."""
    enf = get_enforcer(request)
    with enf.store.engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return {
        "status": "ok",
        "mode": "production" if enf.settings.production else "development",
        "gate_listings": len(enf.gate),
    }


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
def metrics(request: Request, _: Principal = Depends(Permit("public"))) -> Response:
    enf = get_enforcer(request)
    bank = current_bank()
    body = request.app.state.metrics.render(
        gate_size=len(enf.gate), bank_entries=len(bank.bank) if bank is not None else None
    )
    return Response(body, media_type="text/plain; version=0.0.4; charset=utf-8")
