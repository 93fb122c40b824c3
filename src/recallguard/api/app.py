"""``create_app(settings)``: the REST API under ``/v1`` with an OpenAPI document, ``/healthz`` and
Prometheus ``/metrics``. Settings are built inside (never at import time); with no environment it runs
in development mode (local store, generated secrets), ``RECALLGUARD_ENV=production`` refuses defaults.

Every route goes through one permission layer (``Permit``); the app refuses to start when a route lacks
one, and ``route_permissions(app)`` lists them (the authorisation matrix test is generated from it).

>>> from recallguard.api.config import ServiceSettings
>>> app = create_app(ServiceSettings(database_url="sqlite://", data_dir="/tmp/rg-doc-app"))
>>> route_permissions(app)[("GET", "/v1/gate")]
'gate:read'
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

from recallguard import web
from recallguard.api import errors, fastgate
from recallguard.api.config import ServiceSettings, load_service_settings
from recallguard.api.delivery_loop import delivery_loop
from recallguard.api.deps import Permit
from recallguard.api.metrics import Metrics, MetricsMiddleware
from recallguard.api.ratelimit import install_limits
from recallguard.api.routes import (
    actions,
    audit,
    buyers,
    gate,
    health,
    listings,
    notices,
    recalls,
    reports,
    tokens,
)
from recallguard.api.runtime import Enforcer
from recallguard.api.security_headers import SecurityHeaders
from recallguard.errors import ConfigurationError
from recallguard.scale.bulk_gc import HeapKeeper, settle_heap
from recallguard.settings import Settings
from recallguard.store.wal import WalCheckpointer

log = logging.getLogger("recallguard.api")

#: The interpreter's thread switch interval while the server runs (CPython's default is 5 ms). The gate
#: is answered on the event loop thread while publish-time screening runs in the threadpool; a thread
#: wanting the GIL waits up to one interval for a CPU-bound one to give it up, and each database
#: statement of a screening request gives it up and waits again. 1 ms bounds both waits more tightly.
SWITCH_INTERVAL_S = 0.001


def route_permissions(app: FastAPI) -> dict[tuple[str, str], str]:
    """(method, path) → the permission its ``Permit`` dependency checks, for every API route."""
    out: dict[tuple[str, str], str] = {}
    for route, path in _api_routes(app):
        permits = [d.call.permission for d in route.dependant.dependencies if isinstance(d.call, Permit)]
        if len(permits) != 1:
            raise ConfigurationError(f"route {path} must declare exactly one Permit, has {len(permits)}")
        for method in route.methods or ():
            out[(method, path)] = permits[0]
    return out


def _api_routes(app: FastAPI) -> list[tuple[APIRoute, str]]:
    """Every APIRoute with its full path, through included routers (FastAPI >= 0.160 keeps them nested)."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI flattens included routers into app.routes
        return [(r, r.path) for r in app.routes if isinstance(r, APIRoute)]
    out = []
    for ctx in iter_route_contexts(app.routes):
        r = ctx.original_route
        if isinstance(r, APIRoute):
            out.append((r, ctx.path or r.path))
    return out


def create_app(settings: Settings | None = None, *, enforcer: Enforcer | None = None) -> FastAPI:
    """The FastAPI application. ``settings`` default to the environment (read now, not at import)."""
    if settings is None:
        cfg = load_service_settings()
    elif isinstance(settings, ServiceSettings):
        cfg = settings
    else:
        cfg = ServiceSettings(**settings.model_dump())
    enf = enforcer or Enforcer(cfg)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from recallguard.service.bank import close_bank, open_bank

        bank = open_bank(enf.store)  # publish-time screening checks the fingerprint bank too
        app.state.metrics.watch_gc()
        wal = WalCheckpointer(enf.store).start()  # SQLite: no checkpoint (and its fsync) inside a request
        settle_heap()  # long-lived state (gate, bank, modules) out of the collector's way: steadier tails
        enf.settle_heap_after_build = True  # and each screener, once built
        enf.screener_in_background = True  # the refresh loop checks the recall set, requests do not
        switch = sys.getswitchinterval()
        sys.setswitchinterval(min(switch, SWITCH_INTERVAL_S))
        task = asyncio.create_task(_refresh_loop(enf, cfg.gate_refresh_s))
        screener = asyncio.create_task(_screener_loop(enf, cfg.gate_refresh_s))
        outbox = asyncio.create_task(delivery_loop(enf))  # the webhook outbox: resumes pending rows
        app.state.heap_keeper = HeapKeeper()  # and what it keeps later, as it accumulates
        tasks = [task, screener, outbox, asyncio.create_task(_heap_loop(app.state.heap_keeper))]
        if cfg.warm_screener:  # the first screening then finds the indexes built (the gate answers meanwhile)
            tasks.append(asyncio.create_task(asyncio.to_thread(_warm_screener, enf)))
        try:
            yield
        finally:
            sys.setswitchinterval(switch)
            app.state.metrics.unwatch_gc()
            close_bank(bank)
            wal.stop()
            for t in tasks:
                t.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await t

    app = FastAPI(
        title="recallguard",
        version="1",
        summary="Keeps recalled and banned products off online marketplaces.",
        description="REST API: sale gate, publish-time screening, recalls, matches, actions, audit log. "
        "Authenticate with `Authorization: Bearer TOKEN` (`recallguard token create`). Errors: "
        '`{"error": {"code", "message", "details"}}`.',
        lifespan=lifespan,
    )
    app.state.enforcer = enf
    app.state.settings = cfg
    app.state.metrics = Metrics()
    errors.install(app)
    for module in (health, gate, listings, recalls, actions, audit, tokens, reports, notices, buyers):
        app.include_router(module.router)
    web.mount(app)  # the server-rendered pages: sign-in, review queue, regulator portal, seller notices
    app.state.route_permissions = route_permissions(app)  # refuses a route without its Permit
    gate_permission = app.state.route_permissions[("GET", fastgate.PATH)]
    app.add_middleware(
        fastgate.GateFastPath, enforcer=enf, permission=gate_permission, metrics=app.state.metrics
    )
    install_limits(app)  # body size limit, sign-in and per-token gate rate limits (outside the fast path)
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    app.add_middleware(SecurityHeaders, production=cfg.production)  # every answer, 413/429 included
    return app


def _warm_screener(enf: Enforcer) -> None:
    """Build the screener now; a failure is logged and left to the first screening to report."""
    try:
        enf.screener()
    except Exception:  # the request that needs the screener reports the error
        logging.getLogger("recallguard.api").exception("building the screener at start-up failed")


async def _refresh_loop(enf: Enforcer, every_s: float) -> None:
    """Keep the gate in step with actions written by other processes (CLI scans, workers), sign the
    audit chain head when due, and run the SLA timer every ``sla_check_s`` seconds."""
    from recallguard.api.sla_timer import SlaTimer

    timer = SlaTimer(enf)
    last_sla = time.monotonic()
    while True:
        await asyncio.sleep(every_s)
        try:
            await run_in_threadpool(enf.refresh_gate)
            await run_in_threadpool(enf.sign_if_due)
            sla_every = enf.settings.sla_check_s
            if sla_every and time.monotonic() - last_sla >= sla_every:
                last_sla = time.monotonic()
                # only the delivery problems are kept: the run's statuses (every open clock and each
                # stopped in the last SLA_OVERLAP) would stay alive in this frame until the next check
                problems = (await run_in_threadpool(timer.check)).problems
                for name, problem in problems.items():
                    log.warning("SLA escalation delivery via %s failed: %s", name, problem)
        except Exception:  # the gate keeps its state; the next round retries
            log.exception("background round (gate refresh, audit signing, SLA timer) failed")


async def _heap_loop(keeper: HeapKeeper) -> None:
    """What the server keeps after starting (bank entries, cache entries) frozen out of the collector's
    walks as it accumulates (``scale.bulk_gc.HeapKeeper``), on the event loop: a collection holds the
    GIL wherever it runs."""
    while True:
        await asyncio.sleep(keeper.every_s)
        keeper.tick()


async def _screener_loop(enf: Enforcer, every_s: float) -> None:
    """Check the recall set every ``every_s`` seconds and rebuild the screener when another process
    changed it (once one was built), in a thread of its own: requests keep the old screener meanwhile."""
    while True:
        await asyncio.sleep(every_s)
        try:
            await asyncio.to_thread(enf.refresh_screener, False)
        except Exception:  # the old screener keeps answering; the next round retries
            log.exception("screener refresh failed")


def app_factory() -> Any:
    """For ``uvicorn --factory recallguard.api.app:app_factory``."""
    return create_app()
