"""``GET /v1/gate``: may listing L be sold to a buyer in country C? Answered from the in-memory gate."""

from __future__ import annotations

import json

from fastapi import APIRouter, Depends, Query, Request, Response

from recallguard.api.deps import Permit
from recallguard.api.schemas import ErrorPublic, GatePublic
from recallguard.enforcement.auth import Principal

router = APIRouter(prefix="/v1", tags=["gate"])


@router.get(
    "/gate",
    summary="Sale gate: may this listing be sold to a buyer in this country?",
    response_model=GatePublic,
    responses={401: {"model": ErrorPublic}, 403: {"model": ErrorPublic}},
)
async def gate(
    request: Request,
    listing_id: str = Query(min_length=1, max_length=200),
    country: str = Query(min_length=2, max_length=2, pattern="^[A-Za-z]{2}$", description="ISO 3166 alpha-2"),
    _: Principal = Depends(Permit("gate:read")),
) -> Response:
    """Refused (``allowed: false``) from the moment a restriction covering ``country`` is approved; each
    reason names the recall, authority and action (and ``rule_id`` for a category ban)."""
    answer = request.app.state.enforcer.gate.check(listing_id, country)
    request.app.state.metrics.gate_answers.labels("true" if answer.allowed else "false").inc()
    return Response(json.dumps(answer.as_dict()), media_type="application/json")
