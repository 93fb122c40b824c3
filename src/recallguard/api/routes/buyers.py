"""Buyer notification over REST: import the marketplace's orders, list the buyers of a recall's
actioned listings (last N months, the authority's countries only), purge data past retention. The
server also purges every ``RECALLGUARD_BUYER_PURGE_S`` seconds (this router's lifespan).

POST /v1/buyers/import?source=orders.csv     body: the CSV (text/csv)
GET  /v1/buyers?recall=26561[&authority=CPSC][&months=6][&format=csv]
POST /v1/buyers/purge
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import asdict
from typing import Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from recallguard.api.deps import Permit, get_enforcer
from recallguard.enforcement.auth import Principal
from recallguard.errors import InputError
from recallguard.service.buyers import buyers_of_recall, import_orders, lines_csv, purge_expired

log = logging.getLogger("recallguard.api")
MAX_ORDERS_BYTES = 50 * 1024 * 1024


@contextlib.asynccontextmanager
async def purge_timer(app: FastAPI) -> AsyncIterator[None]:
    """Purge buyer data past retention every ``buyer_purge_s`` seconds while the server runs."""
    task = asyncio.create_task(_purge_loop(app))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _purge_loop(app: FastAPI) -> None:
    enf = app.state.enforcer
    every = float(enf.settings.buyer_purge_s)
    if not every:
        return
    while True:
        try:
            await run_in_threadpool(
                purge_expired, enf.store, retention_days=enf.settings.buyer_retention_days, actor="timer"
            )
        except Exception:  # the next round retries
            log.exception("purging expired buyer data failed")
        await asyncio.sleep(every)


router = APIRouter(prefix="/v1/buyers", tags=["buyers"], lifespan=purge_timer)


@router.post("/import", summary="Import orders (CSV: listing_id, order_date, buyer_country, buyer_ref)")
async def import_(
    request: Request,
    source: str = Query(default="orders.csv", max_length=200, description="A name for the file."),
    principal: Principal = Depends(Permit("buyers:import")),
) -> dict[str, Any]:
    """Bad rows are answered (line, field, error) and quarantined; the rest load. Idempotent."""
    body = await request.body()
    if len(body) > MAX_ORDERS_BYTES:
        raise InputError(f"{source}: larger than {MAX_ORDERS_BYTES // 2**20} MB; import it in parts")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{source}: not UTF-8 text") from None
    enf = get_enforcer(request)
    res = await run_in_threadpool(
        import_orders, enf.store, text, source=source, actor=principal.actor,
        retention_days=enf.settings.buyer_retention_days,
    )  # fmt: skip
    return {
        "loaded": res.loaded,
        "duplicates": res.duplicates,
        "expired": res.expired,
        "rejected": [{"location": b.location, "field": b.field, "error": b.error} for b in res.bad],
    }


@router.get("", summary="Buyers of a recall's actioned listings in the last months (to notify)")
def buyers(
    request: Request,
    recall: str = Query(max_length=200),
    authority: str | None = Query(default=None, max_length=32),
    months: int = Query(default=6, ge=1, le=120),
    format: Literal["json", "csv"] = "json",
    principal: Principal = Depends(Permit("buyers:read")),
) -> Any:
    lines = buyers_of_recall(
        get_enforcer(request).store, recall, authority=authority, months=months, actor=principal.actor
    )
    if format == "csv":
        return Response(lines_csv(lines), media_type="text/csv; charset=utf-8")
    return {"recall": recall, "months": months, "buyers": [asdict(x) for x in lines]}


@router.post("/purge", summary="Delete buyer data past the retention period now")
def purge(request: Request, principal: Principal = Depends(Permit("buyers:purge"))) -> dict[str, int]:
    enf = get_enforcer(request)
    n = purge_expired(enf.store, retention_days=enf.settings.buyer_retention_days, actor=principal.actor)
    return {"deleted": n, "retention_days": enf.settings.buyer_retention_days}
