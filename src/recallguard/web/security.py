"""Sessions and forms of the pages: ``PagePermit`` (the API's one permission layer, answering in HTML),
CSRF tokens bound to the session, and the sign-in form's double-submit token.

A page authenticates with the ``rg_session`` cookie (or a Bearer token, for scripts). Every form carries
a ``csrf_token``: for a signed-in user it is an HMAC of the session secret (an attacker without the
HttpOnly cookie cannot compute it); the sign-in form, before any session, uses a random value that must
match the ``rg_csrf`` cookie. Requests authenticated by a Bearer header need no CSRF token (a browser
never sends one on its own). A missing or wrong token answers 400.

>>> token = csrf_for_session("rgs_abc")
>>> token == csrf_for_session("rgs_abc"), token == csrf_for_session("x")
(True, False)
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import Request

from recallguard.api.deps import SESSION_COOKIE, Permit, get_enforcer
from recallguard.enforcement.auth import Principal, bearer_secret
from recallguard.enforcement.permissions import PERMISSIONS
from recallguard.errors import CsrfRejected, PermissionDenied

LOGIN_CSRF_COOKIE = "rg_csrf"
CSRF_FIELD = "csrf_token"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def csrf_for_session(session_secret: str) -> str:
    """The CSRF token of a session: HMAC-SHA256 of the session secret.

    >>> len(csrf_for_session("rgs_x"))
    64
    """
    return hmac.new(session_secret.encode(), b"recallguard-csrf-v1", hashlib.sha256).hexdigest()


def new_login_csrf() -> str:
    """A random token for the sign-in form (also set as the ``rg_csrf`` cookie)."""
    return secrets.token_urlsafe(24)


def may(principal: Principal | None, permission: str) -> bool:
    """Whether the principal's role holds ``permission`` (navigation shows only what it may open).

    >>> from recallguard.enforcement.auth import Role
    >>> seller = Principal("s", Role.SELLER, seller_id="S")
    >>> may(Principal("ann", Role.REVIEWER), "review:read"), may(seller, "review:read")
    (True, False)
    """
    return principal is not None and principal.role in PERMISSIONS.get(permission, frozenset())


async def _submitted_token(request: Request) -> str:
    header = request.headers.get("x-csrf-token")
    if header:
        return header
    ctype = request.headers.get("content-type", "")
    if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()  # cached on the request: the route reads the same form
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else ""
    return ""


async def check_csrf(request: Request) -> None:
    """Refuse (400) an unsafe cookie-authenticated request without the session's CSRF token."""
    if request.method not in UNSAFE or bearer_secret(request.headers.get("authorization")):
        return
    session = request.cookies.get(SESSION_COOKIE)
    expected = csrf_for_session(session) if session else request.cookies.get(LOGIN_CSRF_COOKIE, "")
    got = await _submitted_token(request)
    if not expected or not got or not hmac.compare_digest(expected, got):
        raise CsrfRejected(
            "this form has expired or did not come from recallguard: reload the page and try again"
        )


class PagePermit(Permit):
    """``Permit`` for pages: the same permission check (and the same permission table), marking the
    request as a page (errors answer in HTML) and checking the CSRF token of forms."""

    def __init__(self, permission: str, *, csrf: bool = True) -> None:
        super().__init__(permission)
        self.csrf = csrf

    async def __call__(self, request: Request) -> Principal:
        request.state.page = True
        try:
            principal = await super().__call__(request)
        except PermissionDenied:  # the error page still shows who is signed in and their navigation
            secret = bearer_secret(request.headers.get("authorization")) or request.cookies.get(
                SESSION_COOKIE
            )
            request.state.principal = get_enforcer(request).authenticate(secret or "")
            raise
        request.state.principal = principal
        if self.csrf:
            await check_csrf(request)
        return principal


def csrf_token(request: Request) -> str:
    """The token a page puts in its forms: the session's, or (signed out) the sign-in token."""
    session = request.cookies.get(SESSION_COOKIE)
    if session:
        return csrf_for_session(session)
    token = getattr(request.state, "login_csrf", None) or request.cookies.get(LOGIN_CSRF_COOKIE)
    if not token:
        token = new_login_csrf()
    request.state.login_csrf = token
    return token
