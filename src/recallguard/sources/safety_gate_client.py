"""A live client for the public EU Safety Gate API: notification details and their photos.

``GET {base}/safety-gate-alerts/public/api/notification/{id}`` answers one notification in the detail
format that :mod:`recallguard.sources.safety_gate` parses; ``.../notification/image/{photo id}`` answers a
photo. The client retries what is worth retrying (connection errors, timeouts, truncated bodies, HTTP 429
and 5xx) with exponential backoff, honours ``Retry-After``, and raises ``UpstreamError`` once the retries
are spent or ``NotFoundError`` for an unknown id.

>>> client = SafetyGateClient("http://127.0.0.1:9", retries=0, timeout=0.2)
>>> client.notification_url(10099440)
'http://127.0.0.1:9/safety-gate-alerts/public/api/notification/10099440'
>>> client.close()
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any

import httpx

from recallguard.domain.models import BadRecord, Recall
from recallguard.domain.safe_text import scrub
from recallguard.errors import NotFoundError, UpstreamError, UsageError, ValidationFailed
from recallguard.sources.fetch_guard import FetchPolicy, check_url, resolve_checked
from recallguard.sources.registry import RecallBatch
from recallguard.sources.safety_gate import parse_safety_gate

DEFAULT_BASE = "https://ec.europa.eu"
API_PATH = "/safety-gate-alerts/public/api/notification"
_RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


class _Retry(Exception):
    """An answer worth asking again for."""


def _check_id(value: int | str, what: str) -> str:
    text = str(value).strip()
    if not text.isdigit() or len(text) > 20:
        raise UsageError(f"{what} must be a number, got {str(value)[:40]!r}")
    return text


class SafetyGateClient:
    """Fetch Safety Gate notifications and photos with retries; use as a context manager or ``close()``."""

    def __init__(
        self,
        base_url: str = DEFAULT_BASE,
        *,
        timeout: float = 20.0,
        retries: int = 3,
        backoff: float = 0.5,
        max_backoff: float = 10.0,
        sleep: Callable[[float], None] = time.sleep,
        client: httpx.Client | None = None,
        policy: FetchPolicy | None = None,
    ) -> None:
        # http(s) only; a base URL the operator configured may be on the internal network, the public
        # default must resolve to public addresses (sources/fetch_guard.py)
        self.policy = policy or FetchPolicy(
            allow_private=base_url != DEFAULT_BASE or FetchPolicy.from_env().allow_private
        )
        check_url(base_url, self.policy)
        self.base_url = base_url.rstrip("/")
        self.retries = max(0, retries)
        self.backoff = backoff
        self.max_backoff = max_backoff
        self._sleep = sleep
        self._own = client is None
        self._http = client or httpx.Client(
            timeout=httpx.Timeout(timeout),
            headers={"Accept": "application/json", "User-Agent": "recallguard"},
        )
        self.attempts = 0  # every HTTP request made, for reports and tests

    def __enter__(self) -> SafetyGateClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the underlying HTTP connection pool (when the client made it)."""
        if self._own:
            self._http.close()

    def notification_url(self, notification_id: int | str) -> str:
        """The detail URL of one notification."""
        return f"{self.base_url}{API_PATH}/{_check_id(notification_id, 'notification id')}"

    def photo_url(self, photo_id: int | str) -> str:
        """The URL of one photo."""
        return f"{self.base_url}{API_PATH}/image/{_check_id(photo_id, 'photo id')}"

    def _delay(self, attempt: int, response: httpx.Response | None) -> float:
        if response is not None:
            after = response.headers.get("Retry-After", "")
            if after.strip().isdigit():
                return min(float(after), self.max_backoff)
        return min(self.backoff * (2**attempt), self.max_backoff) * (0.5 + random.random() / 2)

    def _get(self, url: str, parse: Callable[[httpx.Response], Any]) -> Any:
        last = ""
        for attempt in range(self.retries + 1):
            response: httpx.Response | None = None
            try:
                self.attempts += 1
                resolve_checked(url, self.policy)
                response = self._http.get(url)
                if response.status_code == 404:
                    raise NotFoundError(f"Safety Gate has no such resource: {url}")
                if response.status_code in _RETRY_STATUS:
                    raise _Retry(f"HTTP {response.status_code}")
                if response.status_code >= 400:
                    raise UpstreamError(f"Safety Gate answered HTTP {response.status_code} for {url}")
                return parse(response)
            except (httpx.TransportError, _Retry) as e:  # timeouts, resets, truncated bodies, 429/5xx
                last = f"{type(e).__name__}: {e}" if not isinstance(e, _Retry) else str(e)
            if attempt < self.retries:
                self._sleep(self._delay(attempt, response))
        raise UpstreamError(f"Safety Gate failed after {self.retries + 1} attempts for {url}: {last}")

    @staticmethod
    def _json(response: httpx.Response) -> Any:
        try:
            return scrub(json.loads(response.content))
        except (ValueError, RecursionError) as e:  # undecodable, truncated, huge numbers, deep nesting
            raise _Retry(f"truncated or invalid JSON ({len(response.content)} bytes): {e}") from None

    @staticmethod
    def _image(response: httpx.Response) -> bytes:
        expected = response.headers.get("Content-Length")
        if not response.content or (
            expected and expected.isdigit() and int(expected) != len(response.content)
        ):
            raise _Retry(f"truncated photo ({len(response.content)} bytes)")
        return response.content

    def notification(self, notification_id: int | str) -> dict[str, Any]:
        """One notification's detail JSON, as published."""
        data = self._get(self.notification_url(notification_id), self._json)
        if not isinstance(data, dict):
            raise UpstreamError(f"Safety Gate notification {notification_id}: expected a JSON object")
        return data

    def recall(self, notification_id: int | str) -> Recall:
        """One notification parsed into a ``Recall``; raises ``ValidationFailed`` naming the bad field."""
        batch = parse_safety_gate(self.notification(notification_id), f"safety-gate:{notification_id}")
        if batch.bad:
            bad = batch.bad[0]
            raise ValidationFailed(str(bad), location=bad.location, field=bad.field)
        return batch.recalls[0]

    def recalls(self, notification_ids: Iterable[int | str]) -> RecallBatch:
        """Fetch and parse many notifications; one that fails to fetch or parse becomes a ``BadRecord``."""
        batch = RecallBatch(format="safety-gate")
        for nid in notification_ids:
            source = f"safety-gate:{nid}"
            try:
                data = self.notification(nid)
            except (UpstreamError, NotFoundError, UsageError) as e:
                batch.bad.append(BadRecord(source, f"notification {nid}", "(fetch)", str(e)))
                continue
            one = parse_safety_gate(data, source)
            batch.recalls.extend(one.recalls)
            batch.bad.extend(one.bad)
        return batch

    def photo(self, photo_id: int | str) -> bytes:
        """A photo's bytes."""
        return bytes(self._get(self.photo_url(photo_id), self._image))
