"""The marketplace connector: actions carried out by signed, idempotent, retried webhooks.

Each delivery is a JSON POST with

- ``X-Recallguard-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">`` (shared secret),
- ``Idempotency-Key``: the same on every retry of one delivery, so a receiver that saw it already (a
  reply lost to a timeout) does the work once,
- ``X-Recallguard-Delivery`` and ``X-Recallguard-Event``.

A 2xx answer delivers it. 5xx, 408, 429, timeouts and connection errors are retried with exponential
backoff and jitter up to ``RetryPolicy.max_attempts``; other 4xx answers are permanent. What cannot be
delivered goes to the dead-letter list with its last error. The marketplace confirms (or reports
failure of) the action itself later through the API (``POST /v1/actions/{id}:confirm``).

>>> secret = "s3cret"
>>> header = sign_body(secret, b'{"a":1}', timestamp=1700000000)
>>> verify_body(secret, header, b'{"a":1}', now=1700000010)
True
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported by the first delivery (the store's tables import this module)
    import httpx

SIGNATURE_HEADER = "X-Recallguard-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
TOLERANCE_S = 300


def sign_body(secret: str, body: bytes, *, timestamp: int | None = None) -> str:
    """The signature header value for ``body``.

    >>> sign_body("k", b"{}", timestamp=1).startswith("t=1,v1=")
    True
    """
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def verify_body(
    secret: str, header: str | None, body: bytes, *, now: float | None = None, tolerance: int = TOLERANCE_S
) -> bool:
    """True when ``header`` signs ``body`` with ``secret`` and is fresh (replays older than
    ``tolerance`` seconds are refused). What a marketplace receiver runs.

    >>> verify_body("k", sign_body("k", b"{}"), b"{ }")
    False
    """
    if not header:
        return False
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        t = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - t) > tolerance:
        return False
    expected = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts.get("v1", ""))


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter: attempt n waits ``min(cap, base·2^(n-1))`` scaled by
    ``1 ± jitter/2``."""

    max_attempts: int = 5
    base_s: float = 0.5
    cap_s: float = 60.0
    jitter: float = 0.5
    timeout_s: float = 5.0

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based).

        >>> p = RetryPolicy(base_s=1, jitter=0)
        >>> [p.delay(n) for n in (1, 2, 3)]
        [1.0, 2.0, 4.0]
        """
        d = min(self.cap_s, self.base_s * (2 ** (attempt - 1)))
        r = (rng or random).uniform(-self.jitter / 2, self.jitter / 2)
        return max(0.0, d * (1 + r))


@dataclass
class Delivery:
    """One webhook to deliver and its progress."""

    url: str
    event: str
    payload: dict[str, Any]
    idempotency_key: str
    delivery_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    attempts: int = 0
    status: str = "pending"  # pending | delivered | dead
    last_error: str = ""
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    delivered_at: datetime | None = None

    def body(self) -> bytes:
        """The exact bytes sent (and signed): canonical JSON."""
        return json.dumps(self.payload, sort_keys=True, separators=(",", ":"), default=str).encode()


def action_delivery(url: str, action_payload: dict[str, Any], event: str = "action.approved") -> Delivery:
    """The delivery that asks the marketplace to carry out an action; its idempotency key is fixed by the
    action and event, so re-sending the same action never applies it twice.

    >>> action_delivery("http://x", {"action_id": "A1"}).idempotency_key
    'A1:action.approved'
    """
    key = f"{action_payload['action_id']}:{event}"
    return Delivery(url, event, {"event": event, "action": action_payload}, key)


@dataclass
class WebhookConnector:
    """Delivers webhooks; ``dead_letters`` collects what could not be delivered.

    ``on_change`` is called after every attempt (to persist the delivery).
    """

    secret: str
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    client: httpx.Client | None = None
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)
    on_change: Callable[[Delivery], None] | None = None
    dead_letters: list[Delivery] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _client(self) -> httpx.Client:
        import httpx

        if self.client is None:
            self.client = httpx.Client(timeout=self.policy.timeout_s)
        return self.client

    def attempt(self, d: Delivery) -> str:
        """One POST: ``"delivered"``, ``"retry"`` or ``"permanent"`` (a 4xx other than 408/429).
        Updates ``d`` (attempts, status, last_error)."""
        import httpx

        body = d.body()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign_body(self.secret, body),
            IDEMPOTENCY_HEADER: d.idempotency_key,
            "X-Recallguard-Delivery": d.delivery_id,
            "X-Recallguard-Event": d.event,
        }
        d.attempts += 1
        try:
            r = self._client().post(d.url, content=body, headers=headers, timeout=self.policy.timeout_s)
        except httpx.TimeoutException:
            d.last_error = f"attempt {d.attempts}: timed out after {self.policy.timeout_s}s"
            return "retry"
        except httpx.HTTPError as e:
            d.last_error = f"attempt {d.attempts}: {type(e).__name__}: {e}"
            return "retry"
        if 200 <= r.status_code < 300:
            d.status, d.last_error, d.delivered_at = "delivered", "", datetime.now(UTC)
            return "delivered"
        d.last_error = f"attempt {d.attempts}: HTTP {r.status_code}: {r.text[:200]}"
        if r.status_code < 500 and r.status_code not in (408, 429):
            return "permanent"
        return "retry"

    def settle(self, d: Delivery, outcome: str) -> float | None:
        """After an attempt: dead-letter ``d`` when the answer was permanent or it is out of attempts;
        returns the backoff before the next attempt, or None when ``d`` is delivered or dead.

        >>> c = WebhookConnector("k", RetryPolicy(max_attempts=2, jitter=0))
        >>> d = Delivery("http://x", "e", {}, "K", attempts=1)
        >>> c.settle(d, "retry"), d.status
        (0.5, 'pending')
        >>> d.attempts = 2
        >>> c.settle(d, "retry"), d.status
        (None, 'dead')
        """
        if outcome == "permanent" or (outcome == "retry" and d.attempts >= self.policy.max_attempts):
            d.status = "dead"
            with self._lock:
                self.dead_letters.append(d)
        if d.status != "pending":
            return None
        return self.policy.delay(d.attempts, self.rng)

    def deliver(self, d: Delivery) -> Delivery:
        """Attempt until delivered or out of attempts (then dead-lettered); returns ``d``.

        Blocks for the backoff between attempts: run it in a worker thread, not on a request path.
        (Marketplace actions go through the outbox instead, ``service.outbox``, which survives a crash.)
        """
        while d.status == "pending":
            wait = self.settle(d, self.attempt(d))
            if self.on_change is not None:
                self.on_change(d)
            if wait is not None:
                self.sleep(wait)
        return d

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
