"""Rate limits kept in memory: failed sign-ins per client IP and user (and per IP), gate requests per
token. Token buckets: ``burst`` requests at once, refilled at ``per_min`` a minute.

- **Sign-in** (``POST /v1/sessions`` and the page's ``POST /sign-in``): only *failed* attempts (401)
  take from the buckets, so people who type their password right are never slowed; once a bucket is
  empty the attempt is answered 429 before the password is checked (no argon2 work for an attacker).
- **Gate** (``GET /v1/gate``): per token, ahead of the gate's fast path. The default (600,000 a
  minute, 20,000 at once) is far above the gate's 2,000 req/s goal for one marketplace token.

429 answers are in the one error shape with ``Retry-After``. Limits are per process (a fleet behind a
load balancer multiplies them; see docs/security.md).

>>> b = TokenBucket(per_min=60, burst=2)
>>> b.take("k", now=0.0), b.take("k", now=0.0), b.take("k", now=0.0), b.take("k", now=1.0)
(True, True, False, True)
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any
from urllib.parse import parse_qs

from recallguard.api.limits import ASGIApp, LimitSettings, Message, Receive, Scope, Send, error_message
from recallguard.enforcement.auth import bearer_secret

SIGN_IN_PATHS = frozenset({"/v1/sessions", "/sign-in"})
GATE_PATH = "/v1/gate"
_MAX_KEYS = 100_000  # buckets kept; the fullest (idle) ones are dropped first when over


class TokenBucket:
    """Buckets by key: ``burst`` tokens, refilled at ``per_min`` per minute."""

    def __init__(self, per_min: float, burst: int) -> None:
        self.rate = per_min / 60.0
        self.burst = float(burst)
        self._state: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)

    def _level(self, key: str, now: float) -> float:
        tokens, at = self._state.get(key, (self.burst, now))
        return min(self.burst, tokens + (now - at) * self.rate)

    def allowed(self, key: str, now: float | None = None) -> bool:
        """Whether ``key`` has a token left (nothing taken)."""
        return self._level(key, time.monotonic() if now is None else now) >= 1.0

    def take(self, key: str, now: float | None = None) -> bool:
        """Take one token; False (nothing taken) when the bucket is empty."""
        now = time.monotonic() if now is None else now
        level = self._level(key, now)
        if level < 1.0:
            self._state[key] = (level, now)
            return False
        self._state[key] = (level - 1.0, now)
        if len(self._state) > _MAX_KEYS:
            self._prune(now)
        return True

    def retry_after(self, key: str) -> int:
        """Seconds until ``key`` has a token again."""
        missing = 1.0 - self._level(key, time.monotonic())
        return max(1, int(missing / self.rate) + 1) if self.rate > 0 else 3600

    def _prune(self, now: float) -> None:
        full = [k for k in self._state if self._level(k, now) >= self.burst]
        for k in full or list(self._state)[: len(self._state) // 2]:
            del self._state[k]


def _client_ip(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "?"


def _header(scope: Scope, name: bytes) -> str:
    for k, v in scope.get("headers", ()):
        if k == name:
            return str(v.decode("latin-1"))
    return ""


def _username(body: bytes, content_type: str) -> str:
    """The user name a sign-in body names (JSON or form); empty when it names none."""
    try:
        if content_type.startswith("application/json"):
            data: Any = json.loads(body or b"{}")
            name = data.get("username") if isinstance(data, dict) else None
        else:
            name = (parse_qs(body.decode("utf-8", "replace")).get("username") or [None])[0]
    except (ValueError, RecursionError):
        return ""
    return str(name)[:200].strip().lower() if isinstance(name, str) else ""


class RateLimits:
    """Pure ASGI middleware applying the sign-in and gate limits of ``LimitSettings``."""

    def __init__(self, app: ASGIApp, limits: LimitSettings) -> None:
        self.app = app
        self.limits = limits
        self.user = TokenBucket(limits.signin_failures_per_min, limits.signin_burst)
        self.ip = TokenBucket(limits.signin_ip_failures_per_min, limits.signin_ip_burst)
        self.gate = TokenBucket(limits.gate_rate_per_min, limits.gate_burst)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path, method = scope["path"], scope["method"]
            if method == "GET" and path == GATE_PATH and self.limits.gate_rate_per_min:
                secret = bearer_secret(_header(scope, b"authorization"))
                if secret:
                    key = hashlib.blake2b(secret.encode(), digest_size=16).hexdigest()  # never the secret
                    if not self.gate.take(key):
                        await self._refuse(send, "too many gate requests for this token", self.gate, key)
                        return
            elif method == "POST" and path in SIGN_IN_PATHS:
                await self._sign_in(scope, receive, send)
                return
        await self.app(scope, receive, send)

    async def _sign_in(self, scope: Scope, receive: Receive, send: Send) -> None:
        chunks: list[bytes] = []
        more = True
        while more:  # the body is small (the body limit applies first); read it to learn the user
            message = await receive()
            if message["type"] != "http.request":
                return
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        ip = _client_ip(scope)
        user_key = f"{ip}\x00{_username(body, _header(scope, b'content-type'))}"
        on = self.limits.signin_failures_per_min > 0, self.limits.signin_ip_failures_per_min > 0
        if on[0] and not self.user.allowed(user_key):
            await self._refuse(send, "too many failed sign-ins for this user: wait", self.user, user_key)
            return
        if on[1] and not self.ip.allowed(ip):
            await self._refuse(send, "too many failed sign-ins from this address: wait", self.ip, ip)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 401:
                if on[0]:
                    self.user.take(user_key)
                if on[1]:
                    self.ip.take(ip)
            await send(message)

        await self.app(scope, replay, watch)

    @staticmethod
    async def _refuse(send: Send, message: str, bucket: TokenBucket, key: str) -> None:
        headers = {"Retry-After": str(bucket.retry_after(key))}
        for m in error_message(429, "rate_limited", message, headers):
            await send(m)


def install_limits(app: Any, limits: LimitSettings | None = None) -> LimitSettings:
    """Add the body limit (outer) and the rate limits to ``app``; settings from the environment unless
    given. Called by ``create_app`` just outside the gate's fast path, so both apply to the gate."""
    from recallguard.api.limits import BodySizeLimit

    limits = limits or LimitSettings()
    app.add_middleware(RateLimits, limits=limits)
    app.add_middleware(BodySizeLimit, max_bytes=limits.max_body_bytes)
    app.state.limits = limits
    return limits
