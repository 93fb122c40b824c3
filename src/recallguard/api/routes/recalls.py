"""Recalls and matches, as each role may see them."""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Depends, Query, Request
from pydantic import BaseModel, Field

from recallguard.api.deps import Permit, get_enforcer
from recallguard.api.schemas import ActionPublic, MatchPublic, RecallPublic
from recallguard.domain.models import RecallStatus
from recallguard.enforcement.auth import Principal
from recallguard.enforcement.permissions import authority_filter, may_see_authority
from recallguard.errors import NotFoundError

router = APIRouter(prefix="/v1", tags=["recalls"])


@router.get(
    "/recalls", summary="Recalls (a regulator sees its authority's only)", response_model=list[RecallPublic]
)
def recalls(
    request: Request,
    status: RecallStatus | None = None,
    authority: str | None = None,
    limit: int = Query(default=100, ge=1, le=1000),
    offset: int = Query(default=0, ge=0, le=2**53),  # past it the store overflows (SQLite INTEGER)
    principal: Principal = Depends(Permit("recalls:read")),
) -> list[RecallPublic]:
    with get_enforcer(request).store.transaction() as uow:
        items = uow.recalls.list(status)
    mine = authority_filter(principal)
    items = [
        r
        for r in items
        if (not mine or r.authority == mine) and (not authority or r.authority == authority.upper())
    ]
    return [RecallPublic.from_domain(r) for r in items[offset : offset + limit]]


@router.get("/recalls/{authority}/{recall_number}", summary="One recall", response_model=RecallPublic)
def recall(
    request: Request,
    authority: str,
    recall_number: str,
    principal: Principal = Depends(Permit("recalls:read")),
) -> RecallPublic:
    if not may_see_authority(principal, authority):
        raise NotFoundError(f"no recall {authority}:{recall_number}")
    with get_enforcer(request).store.transaction() as uow:
        r = uow.recalls.get(authority.upper(), recall_number)
    if r is None:
        raise NotFoundError(f"no recall {authority}:{recall_number}")
    return RecallPublic.from_domain(r)


@router.get(
    "/matches", summary="Active matches (block and review), filtered", response_model=list[MatchPublic]
)
def matches(
    request: Request,
    authority: str | None = None,
    recall_number: str | None = None,
    listing_id: str | None = None,
    decision: str | None = Query(default=None, pattern="^(block|review)$"),
    limit: int = Query(default=100, ge=1, le=1000),
    offset: int = Query(default=0, ge=0, le=2**53),  # past it the store overflows (SQLite INTEGER)
    principal: Principal = Depends(Permit("matches:read")),
) -> list[MatchPublic]:
    from recallguard.api.accountability import public_matches
    from recallguard.store.enforcement_tables import EnforcementRepo

    mine = authority_filter(principal)
    if mine and authority and authority.upper() != mine:
        return []
    with get_enforcer(request).store.transaction() as uow:
        found = EnforcementRepo(uow.session).query_matches(
            authority=mine or (authority.upper() if authority else None),
            recall_number=recall_number,
            listing_id=listing_id,
            decision=decision,
            limit=limit,
            offset=offset,
        )
        return public_matches(uow, found)


class MatchApproval(BaseModel):
    listing_id: str = Field(min_length=1, max_length=200)
    authority: str = Field(min_length=1, max_length=32)
    recall_number: str = Field(min_length=1, max_length=200)
    reason: str = Field(default="", max_length=2000)


@router.post(
    "/matches/approve",
    summary="A reviewer confirms a review match: restrict the listing now",
    response_model=ActionPublic,
)
def approve_match(
    request: Request,
    body: MatchApproval,
    tasks: BackgroundTasks,
    principal: Principal = Depends(Permit("actions:decide")),
) -> ActionPublic:
    """Creates (or reinstates) the restriction for the authority's countries, approved: the gate refuses
    the listing from this answer on; the marketplace is notified in the background."""
    enf = get_enforcer(request)
    new = enf.approve_match(
        body.listing_id, body.authority.upper(), body.recall_number, principal.actor, body.reason
    )
    if enf.connector is not None:
        tasks.add_task(enf.dispatch, [new])
    return ActionPublic.from_domain(new)
