"""The gate's hot path: ``GET /v1/gate`` answered in a pure ASGI layer when the request is ordinary.

An ordinary request has exactly the two valid query parameters and a Bearer token already checked in
the last ``token_cache_s`` seconds; its principal goes through the same permission layer
(``authorize`` with the permission the ``/v1/gate`` route declares) and the same gate. Anything else —
a missing or bad parameter, an unknown, expired or revoked token, a refused role — falls through to
the FastAPI route, which answers (or fails) exactly as documented, in the one error shape.

>>> parse_gate_query(b"listing_id=L1&country=us")
('L1', 'US')
>>> parse_gate_query(b"listing_id=L1&country=USA") is None
True
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote_plus

from recallguard.api.metrics import Metrics
from recallguard.api.runtime import Enforcer
from recallguard.enforcement.auth import bearer_secret
from recallguard.enforcement.permissions import authorize
from recallguard.errors import RecallguardError

PATH = "/v1/gate"


class _RouteTag:
    path = PATH


def parse_gate_query(qs: bytes) -> tuple[str, str] | None:
    """(listing_id, COUNTRY) when the query is exactly two well-formed parameters, else None."""
    try:
        parts = qs.decode("ascii").split("&")
    except UnicodeDecodeError:
        return None
    if len(parts) != 2:
        return None
    got: dict[str, str] = {}
    for p in parts:
        k, sep, v = p.partition("=")
        if not sep or k not in ("listing_id", "country") or k in got:
            return None
        got[k] = unquote_plus(v)
    lid, cc = got["listing_id"], got["country"]
    if not 1 <= len(lid) <= 200 or len(cc) != 2 or not cc.isascii() or not cc.isalpha():
        return None
    return lid, cc.upper()


class GateFastPath:
    """ASGI middleware answering ordinary gate requests directly (see module docstring)."""

    def __init__(self, app: Any, enforcer: Enforcer, permission: str, metrics: Metrics) -> None:
        self.app = app
        self.enf = enforcer
        self.permission = permission
        self.metrics = metrics
        self.tag = _RouteTag()

    def _answer(self, scope: dict[str, Any]) -> bytes | None:
        q = parse_gate_query(scope.get("query_string", b""))
        if q is None:
            return None
        auth = None
        for k, v in scope["headers"]:
            if k == b"authorization":
                auth = v.decode("latin-1")
                break
        secret = bearer_secret(auth)
        if not secret or not self.enf.token_cached(secret):
            return None
        try:
            authorize(self.enf.authenticate(secret), self.permission)
        except RecallguardError:
            return None
        answer = self.enf.gate.check(*q)
        self.metrics.gate_answers.labels("true" if answer.allowed else "false").inc()
        return json.dumps(answer.as_dict()).encode()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == PATH and scope["method"] == "GET":
            body = self._answer(scope)
            if body is not None:
                scope["route"] = self.tag
                await send(
                    {
                        "type": "http.response.start",
                        "status": 200,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)
