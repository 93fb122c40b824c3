"""Listings: publish-time screening (``POST /v1/listings:screen``) and one listing's state.

Screening calls run in the threadpool, at most ``screen_slots`` at a time (first come, first served);
the others wait their turn on the event loop. Every call ends in a write transaction and the store
takes one writer at a time (SQLite's database lock, PostgreSQL's audit-chain lock): more calls at once
only wait for that lock, each holding a pooled connection and a thread, and SQLite hands it to waiters
in no order, so under overload an unlucky call could wait out the 30 s busy timeout (measured: 500s
with "database is locked" and connection-pool timeouts) while later ones pass.

>>> screen_slots("sqlite"), screen_slots("postgresql")
(2, 4)
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Body, Depends, Request
from starlette.concurrency import run_in_threadpool

from recallguard.api.deps import Permit, get_enforcer
from recallguard.api.schemas import ListingDetail, ListingPublic, ScreenResponse
from recallguard.api.screening import screen_listings
from recallguard.enforcement.auth import Principal
from recallguard.enforcement.permissions import authority_filter, may_see_listing
from recallguard.enforcement.state_machine import WORLDWIDE, in_force
from recallguard.errors import NotFoundError, UsageError

router = APIRouter(prefix="/v1", tags=["listings"])


def screen_slots(dialect: str) -> int:
    """How many screening calls run at once: two on SQLite (one screening while the other writes),
    four on PostgreSQL (reads and matching overlap more)."""
    return 2 if dialect == "sqlite" else 4


def _slots(request: Request) -> asyncio.Semaphore:
    """The app's screening semaphore on the running event loop (a test client may run several loops)."""
    state, loop = request.app.state, asyncio.get_running_loop()
    held: tuple[asyncio.AbstractEventLoop, asyncio.Semaphore] | None = getattr(state, "screen_slots", None)
    if held is None or held[0] is not loop:  # no await in between: one semaphore per app and loop
        held = state.screen_slots = (
            loop,
            asyncio.Semaphore(screen_slots(get_enforcer(request).store.engine.dialect.name)),
        )
    return held[1]


SCREEN_EXAMPLE = {
    "listings": [{"listing_id": "L1", "title": "BABESIDE doll stroller BS-100", "ship_to": ["US"]}]
}


@router.post(
    "/listings:screen",
    summary="Store and screen listings now (publish time); answers decisions and actions",
    response_model=ScreenResponse,
)
async def screen(
    request: Request,
    tasks: BackgroundTasks,
    payload: dict[str, Any] | list[dict[str, Any]] = Body(
        description="{'listings': [...]}, a list of listings, or one listing object",
        openapi_examples={"one": {"value": SCREEN_EXAMPLE}},
    ),
    principal: Principal = Depends(Permit("listings:screen")),
) -> ScreenResponse:
    """Each listing is stored, screened against every active recall and check, and acted on in one
    transaction; a block decision restricts it at the gate before this call returns. Bad records are
    listed under ``rejected`` (index, field, error) and quarantined; the others go on."""
    if isinstance(payload, list):
        records = payload
    elif "listings" in payload:
        records = payload["listings"]
        if not isinstance(records, list):
            raise UsageError("listings must be a JSON array")
    else:
        records = [payload]
    if not 1 <= len(records) <= 1000:
        raise UsageError(f"send 1 to 1000 listings per call, not {len(records)}")
    enf = get_enforcer(request)
    async with _slots(request):
        out = await run_in_threadpool(screen_listings, enf, records, principal.actor)
    if enf.connector is not None:  # carry new approvals to the marketplace after answering
        ids = [a.action_id for r in out.results for a in r.actions if a.state == "approved"]
        if ids:
            tasks.add_task(enf.dispatch_ids, ids)
    return out


@router.get(
    "/listings/{listing_id}",
    summary="One listing, its matches, actions and restricted countries",
    response_model=ListingDetail,
)
def listing_detail(
    request: Request, listing_id: str, principal: Principal = Depends(Permit("listings:read"))
) -> ListingDetail:
    """A regulator sees a listing only when its authority's recalls concern it (and only those matches
    and actions); a seller only its own listings."""
    from recallguard.api.accountability import public_actions, public_matches
    from recallguard.store.enforcement_tables import EnforcementRepo

    enf = get_enforcer(request)
    with enf.store.transaction() as uow:
        listing = uow.listings.get(listing_id)
        if listing is None:
            raise NotFoundError(f"no listing {listing_id}")
        matches = uow.matches.active_for_listings([listing_id]).get(listing_id, [])
        actions = EnforcementRepo(uow.session).actions_for_listings([listing_id])
        shown_m, shown_a = public_matches(uow, matches), public_actions(uow, actions)
    concerned = {m.authority for m in matches} | {a.authority for a in actions}
    if not may_see_listing(principal, listing.seller_id, concerned):
        raise NotFoundError(f"no listing {listing_id}")
    auth = authority_filter(principal)
    if auth:
        matches = [m for m in matches if m.authority == auth]
        actions = [a for a in actions if a.authority == auth]
    countries = sorted({c for a in actions if in_force(a) for c in a.countries})
    return ListingDetail(
        listing=ListingPublic.from_domain(listing),
        matches=[m for m in shown_m if not auth or m.authority == auth],
        actions=[a for a in shown_a if not auth or a.authority == auth],
        restricted_countries=[WORLDWIDE] if WORLDWIDE in countries else countries,
    )
