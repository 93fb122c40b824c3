"""Server-rendered pages (Jinja2, a small hand-written script, no front-end build step), served by the
same FastAPI app as the REST API: sign-in, the review queue, the regulator portal and the seller's
notices and appeals. ``mount(app)`` adds them; every page names one permission of the one permission
layer (``enforcement.permissions``), like every API route.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from recallguard.errors import (
    AuthenticationRequired,
    ConflictError,
    NotFoundError,
    PermissionDenied,
    UsageError,
)

STATIC = Path(__file__).with_name("static")


def mount(app: FastAPI) -> None:
    """Add the pages, their static files (``/static``) and HTML error pages for page requests (API
    requests keep the one JSON error shape)."""
    from recallguard.web import pages_auth, pages_portal, pages_review, pages_seller
    from recallguard.web.render import page_error

    for module in (pages_auth, pages_review, pages_portal, pages_seller):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    for exc in (AuthenticationRequired, PermissionDenied, NotFoundError, ConflictError, UsageError):
        app.add_exception_handler(exc, page_error)
