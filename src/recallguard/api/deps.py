"""Dependencies every route uses: the ``Enforcer`` of the app, and ``Permit`` — the one permission
layer. Each route declares exactly one ``Permit(permission)``; ``create_app`` refuses a route without.

>>> Permit("gate:read").permission
'gate:read'
"""

from __future__ import annotations

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from recallguard.api.runtime import Enforcer
from recallguard.enforcement.auth import Principal, bearer_secret
from recallguard.enforcement.permissions import PERMISSIONS, PUBLIC, authorize
from recallguard.errors import AuthenticationRequired, ConfigurationError

SESSION_COOKIE = "rg_session"


def get_enforcer(request: Request) -> Enforcer:
    """The app's enforcer (created by ``create_app``)."""
    enf: Enforcer = request.app.state.enforcer
    return enf


class Permit:
    """Authenticate the caller (Bearer token, or the session cookie of the pages) and check that its
    role holds ``permission``; the route receives the :class:`Principal`."""

    def __init__(self, permission: str) -> None:
        if permission not in PERMISSIONS:
            raise ConfigurationError(f"unknown permission {permission!r}")
        self.permission = permission

    async def __call__(self, request: Request) -> Principal:
        if self.permission == PUBLIC:
            return authorize(None, PUBLIC)
        secret = bearer_secret(request.headers.get("authorization")) or request.cookies.get(SESSION_COOKIE)
        if not secret:
            raise AuthenticationRequired("this route needs Authorization: Bearer TOKEN")
        enf = get_enforcer(request)
        if enf.token_cached(secret):
            principal = enf.authenticate(secret)
        else:  # a cache miss reads the store: keep it off the event loop
            principal = await run_in_threadpool(enf.authenticate, secret)
        return authorize(principal, self.permission)
