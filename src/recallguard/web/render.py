"""Rendering pages: the Jinja2 environment, the navigation a role may see, one-shot flash messages, and
errors of page requests answered as HTML (401 shows the sign-in form, 403 and 404 a page saying so).

>>> [label for label, _, _ in nav_items(None)]
[]
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from recallguard.api import errors as api_errors
from recallguard.enforcement.auth import Principal
from recallguard.errors import AuthenticationRequired, CsrfRejected
from recallguard.service.report_charts import SEGMENTS
from recallguard.web.portal import fmt_duration
from recallguard.web.security import LOGIN_CSRF_COOKIE, csrf_token, may

HERE = Path(__file__).parent
FLASH_COOKIE = "rg_flash"
templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.globals.update(fmt_duration=fmt_duration, colours=SEGMENTS)

NAV = (
    ("Review queue", "/review", "review:read"),
    ("Regulator portal", "/portal", "portal:read"),
    ("My listings", "/seller", "notices:read"),
)


def nav_items(principal: Principal | None) -> list[tuple[str, str, str]]:
    """(label, href, permission) of the pages the principal's role may open."""
    return [item for item in NAV if may(principal, item[2])]


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    principal: Principal | None = None,
    status: int = 200,
    lang: str = "en",
) -> HTMLResponse:
    """A page: ``name`` rendered with the navigation, CSRF token, flash message and ``context``."""
    flash = unquote(request.cookies.get(FLASH_COOKIE) or "") or None
    ctx = {
        "principal": principal,
        "nav": nav_items(principal),
        "csrf": csrf_token(request),
        "flash": flash,
        "lang": lang,
        "path": request.url.path,
        **(context or {}),
    }
    resp = templates.TemplateResponse(request, name, ctx, status_code=status)
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["X-Frame-Options"] = "DENY"
    resp.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' https: data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'"
    )
    if FLASH_COOKIE in request.cookies:
        resp.delete_cookie(FLASH_COOKIE)
    login = getattr(request.state, "login_csrf", None)
    if login and request.cookies.get(LOGIN_CSRF_COOKIE) != login:
        resp.set_cookie(LOGIN_CSRF_COOKIE, login, httponly=True, samesite="strict", max_age=3600)
    return resp


def redirect(url: str, flash: str | None = None) -> RedirectResponse:
    """303 to ``url`` (after a form), with a message shown once on the next page."""
    resp = RedirectResponse(url, status_code=303)
    if flash:
        resp.set_cookie(FLASH_COOKIE, quote(flash[:300]), httponly=True, samesite="strict", max_age=60)
    return resp


def is_page(request: Request) -> bool:
    return bool(getattr(request.state, "page", False))


async def page_error(request: Request, exc: Exception) -> Response:
    """Errors of page requests as HTML; API requests get the API's one JSON error shape."""
    if not is_page(request):
        return await api_errors.handle_error(request, exc)
    body, status = api_errors.error_body(exc)
    if isinstance(exc, AuthenticationRequired):
        nxt = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return render(request, "sign_in.html", {"next": nxt, "error": None}, status=401)
    message = body["error"]["message"]
    if isinstance(exc, CsrfRejected):
        message = str(exc)
    return render(
        request,
        "error.html",
        {"status": status, "code": body["error"]["code"], "message": message},
        principal=getattr(request.state, "principal", None),
        status=status,
    )
