"""Signing in and out, and the start page with what the signed-in role may open.

Signing in is the API's own login (``POST /v1/sessions``: argon2 password check, a refused attempt
audited, a 12-hour session whose secret is set as the HttpOnly ``rg_session`` cookie); signing out
revokes the session the same way ``DELETE /v1/sessions/current`` does.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from recallguard.api.deps import get_enforcer
from recallguard.api.routes import tokens
from recallguard.api.schemas import SessionCreate
from recallguard.enforcement.auth import Principal
from recallguard.errors import AuthenticationRequired
from recallguard.store.review_tables import OPEN, ReviewRepo
from recallguard.web import views
from recallguard.web.render import nav_items, redirect, render
from recallguard.web.security import LOGIN_CSRF_COOKIE, PagePermit

router = APIRouter(include_in_schema=False)


def _safe_next(nxt: str) -> str:
    """Only a local path (no open redirect).

    >>> _safe_next("//evil.example/x"), _safe_next("/review?x=1"), _safe_next("https://evil")
    ('/', '/review?x=1', '/')
    """
    return nxt if nxt.startswith("/") and not nxt.startswith("//") and "\\" not in nxt else "/"


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(
    request: Request, next: str = "/", principal: Principal = Depends(PagePermit("public", csrf=False))
) -> Response:
    return render(request, "sign_in.html", {"next": _safe_next(next), "error": None})


@router.post("/sign-in")
def sign_in(
    request: Request,
    username: str = Form(..., max_length=200),
    password: str = Form(..., max_length=500),
    next: str = Form("/", max_length=500),
    _: Principal = Depends(PagePermit("public")),
) -> Response:
    resp = RedirectResponse(_safe_next(next), status_code=303)
    try:
        tokens.login(request, resp, SessionCreate(username=username, password=password), _)
    except AuthenticationRequired:
        ctx = {"next": _safe_next(next), "error": "Wrong user name or password."}
        return render(request, "sign_in.html", ctx, status=401)
    resp.delete_cookie(LOGIN_CSRF_COOKIE)
    return resp


@router.post("/sign-out")
def sign_out(request: Request, principal: Principal = Depends(PagePermit("session:read"))) -> Response:
    resp = redirect("/sign-in", "You are signed out.")
    tokens.logout(request, resp, principal)
    return resp


@router.get("/", response_class=HTMLResponse)
def home(
    request: Request, principal: Principal = Depends(PagePermit("session:read", csrf=False))
) -> Response:
    cards = []
    with get_enforcer(request).store.transaction() as uow:
        for label, href, permission in nav_items(principal):
            if permission == "review:read":
                n, appeals = (
                    len(views.queue(uow, principal)),
                    len(ReviewRepo(uow.session).appeals(state=OPEN)),
                )
                text = f"{n} matches and {appeals} appeals wait for a decision."
            elif permission == "portal:read":
                text = "Your recalls: listings found, restricted, in review; SLA; reports; priority list."
            else:
                text = "Your listings, the notices about them, appeals."
            cards.append({"label": label, "href": href, "text": text})
    return render(request, "home.html", {"cards": cards}, principal=principal)
