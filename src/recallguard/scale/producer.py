"""Putting listing events on the stream without outrunning the workers.

``ListingProducer.publish`` appends with ``MAXLEN ~ maxlen`` (the stream's memory stays bounded)
and, every ``check_every`` events, reads the group's lag (XINFO GROUPS); while the lag is over
``max_lag`` it waits, and past ``timeout_s`` it raises ``BackpressureTimeout``. Keep ``max_lag``
well under ``maxlen``: trimming drops the oldest entries whether or not the group has read them.

>>> ListingProducer(None, "s", maxlen=1000, max_lag=100).max_lag
100
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from recallguard.domain.models import Listing
from recallguard.errors import BackpressureTimeout, UsageError
from recallguard.scale.events import encode_event


def group_info(redis: Any, stream: str, group: str) -> dict[str, Any]:
    """The group's XINFO GROUPS row (``lag``, ``pending``, ``consumers``…), {} when missing.

    ``lag`` is None when Redis cannot tell (after deletions); then it is estimated from the stream
    length and the entries the group has read.
    """
    try:
        rows = redis.xinfo_groups(stream)
    except Exception:  # no such stream yet
        return {}
    for row in rows:
        d = {(k.decode() if isinstance(k, bytes) else k): v for k, v in row.items()}
        name = d.get("name")
        if (name.decode() if isinstance(name, bytes) else name) == group:
            if d.get("lag") is None and d.get("entries-read") is not None:
                d["lag"] = max(0, int(redis.xlen(stream)) - int(d["entries-read"]))
            return d
    return {}


class ListingProducer:
    """Appends listing events to a stream, bounded in length and paced by the consumers' lag."""

    def __init__(
        self,
        redis: Any,
        stream: str,
        *,
        group: str = "recallguard",
        maxlen: int = 1_000_000,
        max_lag: int = 100_000,
        check_every: int = 1000,
        timeout_s: float = 60.0,
    ) -> None:
        if max_lag >= maxlen:
            raise UsageError(
                f"max_lag ({max_lag}) must be below maxlen ({maxlen}): trimming would drop unread events"
            )
        self.redis, self.stream, self.group = redis, stream, group
        self.maxlen, self.max_lag, self.check_every, self.timeout_s = maxlen, max_lag, check_every, timeout_s
        self.sent = 0
        self.waited_s = 0.0

    def lag(self) -> int:
        """Entries of the stream the group has not been delivered yet (0 when there is no group)."""
        lag = group_info(self.redis, self.stream, self.group).get("lag")
        return int(lag) if lag is not None else 0

    def wait_for_capacity(self) -> None:
        """Block while the group's lag is over ``max_lag``; ``BackpressureTimeout`` after ``timeout_s``."""
        t0 = time.monotonic()
        delay = 0.01
        while (lag := self.lag()) > self.max_lag:
            if time.monotonic() - t0 > self.timeout_s:
                raise BackpressureTimeout(
                    f"{self.stream}: consumers {lag} entries behind for {self.timeout_s:.0f}s "
                    f"(limit {self.max_lag})"
                )
            time.sleep(delay)
            delay = min(delay * 2, 0.5)
        self.waited_s += time.monotonic() - t0

    def publish(self, op: str, listing: Listing | dict[str, Any]) -> str:
        """Append one event; returns its stream id."""
        if self.sent % self.check_every == 0:
            self.wait_for_capacity()
        self.sent += 1
        entry = self.redis.xadd(self.stream, encode_event(op, listing), maxlen=self.maxlen, approximate=True)
        return entry.decode() if isinstance(entry, bytes) else str(entry)

    def publish_many(self, events: Iterable[tuple[str, Listing | dict[str, Any]]], chunk: int = 500) -> int:
        """Append many events, pipelined ``chunk`` at a time; returns how many were sent."""
        n = 0
        pipe = self.redis.pipeline(transaction=False)
        for op, listing in events:
            if self.sent % self.check_every == 0:
                pipe.execute()
                self.wait_for_capacity()
            pipe.xadd(self.stream, encode_event(op, listing), maxlen=self.maxlen, approximate=True)
            self.sent += 1
            n += 1
            if n % chunk == 0:
                pipe.execute()
        pipe.execute()
        return n
