"""Prometheus metrics of one app: requests by route, method and status, latency by route, the size of
the gate and of the fingerprint bank, and the garbage collector's pauses. A pure ASGI middleware
(cheap enough for the gate's hot path).

>>> m = Metrics()
>>> b"recallguard_gate_restricted_listings" in m.render(gate_size=3)
True
"""

from __future__ import annotations

import gc
import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

Scope = dict[str, Any]


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "recallguard_http_requests",
            "HTTP requests",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "recallguard_http_request_seconds",
            "HTTP request latency",
            ["route"],
            registry=self.registry,
            buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 1, 5),
        )
        self.gate_size = Gauge(
            "recallguard_gate_restricted_listings",
            "Listings with a restriction in force",
            registry=self.registry,
        )
        self.gate_answers = Counter(
            "recallguard_gate_answers", "Gate answers", ["allowed"], registry=self.registry
        )
        self.dead_letters = Gauge(
            "recallguard_webhook_dead_letters", "Webhook deliveries dead-lettered", registry=self.registry
        )
        self.bank_entries = Gauge(
            "recallguard_bank_entries",
            "Removed listings in this process's fingerprint bank (its memory grows with them)",
            registry=self.registry,
        )
        # every request of the process waits while the collector runs (it holds the GIL): a full
        # collection over a large heap is the kind of pause that makes a slow hundredth
        self.gc_pauses = Histogram(
            "recallguard_gc_pause_seconds",
            "Garbage-collector pauses of this process, by generation collected",
            ["generation"],
            registry=self.registry,
            buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5),
        )
        self._gc_started = 0.0

    def _gc_callback(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._gc_started = time.perf_counter()
        elif self._gc_started:
            self.gc_pauses.labels(str(info["generation"])).observe(time.perf_counter() - self._gc_started)

    def watch_gc(self) -> None:
        """Time the collector's pauses from now on (:meth:`unwatch_gc` stops); once per process run.

        >>> m = Metrics(); m.watch_gc(); _ = gc.collect(); m.unwatch_gc()
        >>> b'recallguard_gc_pause_seconds_count{generation="2"} 1.0' in m.render()
        True
        """
        if self._gc_callback not in gc.callbacks:
            gc.callbacks.append(self._gc_callback)

    def unwatch_gc(self) -> None:
        """Stop timing the collector (the app's shutdown)."""
        while self._gc_callback in gc.callbacks:
            gc.callbacks.remove(self._gc_callback)

    def render(
        self, gate_size: int = 0, dead_letters: int | None = None, bank_entries: int | None = None
    ) -> bytes:
        self.gate_size.set(gate_size)
        if dead_letters is not None:
            self.dead_letters.set(dead_letters)
        if bank_entries is not None:
            self.bank_entries.set(bank_entries)
        return generate_latest(self.registry)


class MetricsMiddleware:
    """Counts and times every HTTP request, labelled by the route's path template."""

    def __init__(self, app: Any, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = [500]

        async def send_wrapper(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            path = getattr(route, "path", None) or "unmatched"
            self.metrics.requests.labels(path, scope["method"], str(status[0])).inc()
            self.metrics.latency.labels(path).observe(time.perf_counter() - start)
