"""Request limits of the service: the settings of the hardening layers, and the request-body limit.

``LimitSettings`` is read from the same ``RECALLGUARD_*`` environment as the rest of the service (see
docs/security.md). ``BodySizeLimit`` refuses a body over ``max_body_bytes`` with 413 in the one error
shape, whether the client declares its length (refused before a byte is read) or streams it chunked
(refused as soon as the running total passes the limit; the route never sees a partial body).

>>> LimitSettings().max_body_bytes
33554432
>>> too_large_body(10)["error"]["code"]
'too_large'
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.exceptions import HTTPException

from recallguard.settings import ENV_PREFIX

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class LimitSettings(BaseSettings):
    """Limits and rate limits of ``recallguard serve`` (``RECALLGUARD_MAX_BODY_BYTES`` …)."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_file=".env", extra="ignore")

    max_body_bytes: int = Field(
        default=32 * 1024 * 1024,
        ge=1024,
        description="Largest request body (bytes); 1,000 listings at their field limits fit. 413 above.",
    )
    gate_rate_per_min: int = Field(
        default=600_000,
        ge=0,
        description="Gate requests per minute per token (0: unlimited). The default (10,000/s) never "
        "throttles a marketplace below the gate's 2,000 req/s goal.",
    )
    gate_burst: int = Field(default=20_000, ge=1, description="Gate requests a token may send at once.")
    signin_failures_per_min: float = Field(
        default=5.0, ge=0, description="Failed sign-ins refilled per minute per client IP and user (0: off)."
    )
    signin_burst: int = Field(
        default=10, ge=1, description="Failed sign-ins allowed at once per IP and user."
    )
    signin_ip_failures_per_min: float = Field(
        default=60.0, ge=0, description="Failed sign-ins per minute per client IP, any user (0: off)."
    )
    signin_ip_burst: int = Field(default=100, ge=1, description="Failed sign-ins at once per client IP.")


def error_message(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> list[Message]:
    """The ASGI messages of an answer in the one error shape (``api/errors.py``)."""
    body = json.dumps({"error": {"code": code, "message": message, "details": {}}}).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    return [
        {"type": "http.response.start", "status": status, "headers": raw},
        {"type": "http.response.body", "body": body},
    ]


def too_large_body(limit: int) -> dict[str, Any]:
    """The 413 body for a limit of ``limit`` bytes."""
    return {"error": {"code": "too_large", "message": f"request body over {limit} bytes", "details": {}}}


class _TooLarge(HTTPException):
    """Raised into the reader of the body; an HTTPException so FastAPI's body parsing passes it on to
    the one error handler (413, ``too_large``) instead of calling it a parse error."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body over {limit} bytes")


class BodySizeLimit:
    """Pure ASGI middleware: 413 for a request body over ``max_bytes``."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared > limit or declared < 0:
                    await self._refuse(send, limit)
                    return
        total = 0
        started = False

        async def counted() -> Message:
            nonlocal total
            message = await receive()
            if message["type"] == "http.request":
                total += len(message.get("body", b""))
                if total > limit:
                    raise _TooLarge(limit)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except _TooLarge:
            if not started:
                await self._refuse(send, limit)

    @staticmethod
    async def _refuse(send: Send, limit: int) -> None:
        for message in error_message(413, "too_large", f"request body over {limit} bytes"):
            await send(message)
