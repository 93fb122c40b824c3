"""The listing stream worker: Redis Streams, consumer groups, at-least-once, dead letters, metrics.

Each worker is one consumer of a group. On start it first takes back its own pending history (XREADGROUP
from ID 0: what it read before a crash and never acknowledged, in stream order), so a worker restarted
under the same ``--consumer`` name resumes where it stopped, in the order a run without the crash took.
Then a loop turn (``run_once``):

1. reclaims entries other consumers (or this one) left pending longer than ``claim_idle_ms`` —
   a worker that crashed after reading and before acknowledging — with XAUTOCLAIM; an entry already
   delivered ``max_deliveries`` times is dead-lettered with its last error instead;
2. reads at most ``batch_size`` new entries (XREADGROUP, ``BLOCK block_ms``) unless this worker
   already holds ``max_failed`` entries its sink failed on (backpressure: don't pull more work
   while the sink is down);
3. validates each event (poison → dead-letter stream with the reason, acknowledged), hands the rest
   to the sink in one batch and acknowledges what the sink took. A sink error leaves the entries
   pending; they come back through step 1.

Results are idempotent (see ``recallguard.scale.sinks``), so a redelivered entry changes nothing.

>>> WorkerConfig(stream="s").dead_letter
's:dead'
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import Counter, Gauge

from recallguard.domain.models import Listing
from recallguard.errors import ValidationFailed
from recallguard.scale.events import ListingEvent, parse_event
from recallguard.scale.sinks import ListingSink

EVENTS = Counter(
    "recallguard_stream_events",
    "Listing events handled by stream workers, by outcome",
    ["stream", "group", "outcome"],
)
LAG = Gauge(
    "recallguard_stream_lag", "Entries of the stream not yet delivered to the group", ["stream", "group"]
)
PENDING = Gauge("recallguard_stream_pending", "Entries delivered but not acknowledged", ["stream", "group"])


@dataclass
class WorkerConfig:
    """Where to read and how hard."""

    stream: str = "recallguard:listings"
    group: str = "recallguard"
    consumer: str = "worker-1"
    batch_size: int = 100  # entries per XREADGROUP (bounds what is in flight per worker)
    block_ms: int = 1000  # how long XREADGROUP waits for new entries
    claim_idle_ms: int = 30_000  # pending this long → another consumer may take it
    max_deliveries: int = 5  # deliveries before an entry is dead-lettered
    max_failed: int = 1000  # failed-but-pending entries this worker holds before it stops reading new
    dead_letter: str = ""  # default "<stream>:dead"
    dead_letter_maxlen: int = 1_000_000
    start_id: str = "0"  # where a new group starts ("0": the whole stream, "$": only new entries)
    forget_idle_ms: int = 3_600_000  # on start, consumers idle this long with nothing pending are removed

    def __post_init__(self) -> None:
        self.dead_letter = self.dead_letter or f"{self.stream}:dead"


# removes a consumer only while it holds no pending entry (XGROUP DELCONSUMER drops its pending entries)
_FORGET_IF_IDLE = """
if #redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2]) == 0 then
  return redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2]) == 0 and 1 or 0
end
return 0
"""


@dataclass
class _Counts:
    processed: int = 0
    dead_lettered: int = 0
    failed: int = 0
    reclaimed: int = 0
    by_outcome: dict[str, int] = field(default_factory=dict)


def _s(v: Any) -> str:
    return v.decode() if isinstance(v, bytes) else str(v)


class StreamWorker:
    """One consumer of the listing stream (see the module docstring)."""

    def __init__(self, redis: Any, sink: ListingSink, config: WorkerConfig | None = None) -> None:
        self.redis, self.sink = redis, sink
        self.cfg = config or WorkerConfig()
        self.counts = _Counts()
        self.started = time.monotonic()
        self._failed: set[str] = set()  # entry ids this worker's sink failed on, still pending
        self._claim_cursor = "0-0"
        self._history = True  # this consumer's own pending entries come first (see the module docstring)
        self._last_claim = 0.0
        self._errors_key = f"{self.cfg.stream}:errors:{self.cfg.group}"
        self.ensure_group()
        self.forgotten = self.forget_dead_consumers()

    def ensure_group(self) -> None:
        """Create the stream and the consumer group when missing (idempotent)."""
        try:
            self.redis.xgroup_create(self.cfg.stream, self.cfg.group, id=self.cfg.start_id, mkstream=True)
        except Exception as e:  # BUSYGROUP: it exists
            if "BUSYGROUP" not in str(e):
                raise

    def forget_dead_consumers(self) -> list[str]:
        """Remove from the group the consumers idle for ``forget_idle_ms`` that hold no pending entry:
        workers that stopped (a restart under a new host-pid name leaves one each time). The check of
        their pending entries and the removal are one Lua script, so no entry is ever dropped with a
        consumer; a consumer that comes back is recreated by its next read. Returns the names removed.
        """
        if self.cfg.forget_idle_ms <= 0:
            return []
        gone = []
        for c in self.redis.xinfo_consumers(self.cfg.stream, self.cfg.group):
            name = _s(c["name"])
            stale = int(c["pending"]) == 0 and int(c["idle"]) >= self.cfg.forget_idle_ms
            if stale and name != self.cfg.consumer and self._forget(name):
                gone.append(name)
        return gone

    def _forget(self, name: str) -> bool:
        return int(self.redis.eval(_FORGET_IF_IDLE, 1, self.cfg.stream, self.cfg.group, name)) == 1

    def run(self, max_events: int | None = None, idle_exit_s: float | None = None, stop: Any = None) -> int:
        """Loop until ``max_events`` are handled, ``stop`` (a ``threading.Event``) is set, or nothing
        arrived for ``idle_exit_s`` seconds. Returns how many entries this worker handled."""
        done, idle_since, gauges_at = 0, time.monotonic(), 0.0
        while not (stop is not None and stop.is_set()):
            n = self.run_once()
            done += n
            if time.monotonic() - gauges_at >= 5.0:  # lag and pending gauges for /metrics
                self.stats()
                gauges_at = time.monotonic()
            if max_events is not None and done >= max_events:
                break
            if n:
                idle_since = time.monotonic()
            elif idle_exit_s is not None and time.monotonic() - idle_since >= idle_exit_s:
                break
        return done

    def run_once(self) -> int:
        """One turn: this consumer's own pending history first (until it is empty), else reclaim stale
        pending entries, read new ones, handle and acknowledge them."""
        if self._history:
            own = self._own_history()
            failed = len(self._failed)
            if own:
                n = self._handle(own)
                if len(self._failed) == failed:
                    return n
            self._history = False  # done, or the sink fails: the failed entries come back by reclaim
        n = 0
        if time.monotonic() - self._last_claim >= min(self.cfg.claim_idle_ms / 2000, 5.0):
            n += self._handle(self.reclaim())
            self._last_claim = time.monotonic()
        if len(self._failed) >= self.cfg.max_failed and self._still_failing():
            time.sleep(self.cfg.block_ms / 1000)  # backpressure: the sink is failing, don't pull more
            return n
        resp = self.redis.xreadgroup(
            self.cfg.group,
            self.cfg.consumer,
            {self.cfg.stream: ">"},
            count=self.cfg.batch_size,
            block=self.cfg.block_ms,
        )
        entries = [(_s(i), f, 1) for _, msgs in resp or [] for i, f in msgs if f is not None]
        return n + self._handle(entries)

    def _still_failing(self) -> bool:
        """Refresh the failed set from Redis (another worker may have taken and finished some)."""
        pend = self.redis.xpending_range(
            self.cfg.stream,
            self.cfg.group,
            min="-",
            max="+",
            count=self.cfg.max_failed,
            consumername=self.cfg.consumer,
        )
        self._failed &= {_s(p["message_id"]) for p in pend}
        return len(self._failed) >= self.cfg.max_failed

    def _own_history(self) -> list[tuple[str, dict[Any, Any], int]]:
        """The oldest ``batch_size`` entries this consumer read and never acknowledged, with their
        delivery counts (an entry deleted from the stream meanwhile is acknowledged and skipped)."""
        resp = self.redis.xreadgroup(
            self.cfg.group, self.cfg.consumer, {self.cfg.stream: "0"}, count=self.cfg.batch_size
        )
        got = [(_s(i), f) for _, msgs in resp or [] for i, f in msgs]
        gone = [i for i, f in got if f is None]
        if gone:
            self.redis.xack(self.cfg.stream, self.cfg.group, *gone)
        msgs = [(i, f) for i, f in got if f is not None]
        if not msgs:
            return [] if not gone else self._own_history()
        return self._with_delivery_counts(msgs)

    def _with_delivery_counts(self, msgs: list[tuple[str, Any]]) -> list[tuple[str, dict[Any, Any], int]]:
        """``msgs`` (this consumer's, in stream order) with how many times each was delivered."""
        pend = self.redis.xpending_range(
            self.cfg.stream,
            self.cfg.group,
            min=msgs[0][0],
            max=msgs[-1][0],
            count=len(msgs) * 4 + 10,
            consumername=self.cfg.consumer,
        )
        times = {_s(p["message_id"]): int(p["times_delivered"]) for p in pend}
        return [(i, f, times.get(i, 1)) for i, f in msgs]

    def reclaim(self) -> list[tuple[str, dict[Any, Any], int]]:
        """Entries pending longer than ``claim_idle_ms`` (any consumer), now owned by this worker,
        with their delivery counts."""
        cursor, msgs, *_ = self.redis.xautoclaim(
            self.cfg.stream,
            self.cfg.group,
            self.cfg.consumer,
            self.cfg.claim_idle_ms,
            start_id=self._claim_cursor,
            count=self.cfg.batch_size,
        )
        self._claim_cursor = _s(cursor)
        msgs = [(_s(i), f) for i, f in msgs if f is not None]
        if not msgs:
            return []
        out = self._with_delivery_counts(msgs)
        self.counts.reclaimed += len(msgs)
        EVENTS.labels(self.cfg.stream, self.cfg.group, "reclaimed").inc(len(msgs))
        return out

    def _handle(self, entries: list[tuple[str, dict[Any, Any], int]]) -> int:
        if not entries:
            return 0
        good: list[tuple[str, ListingEvent]] = []
        ack: list[str] = []
        for entry_id, fields, deliveries in entries:
            if deliveries > self.cfg.max_deliveries:
                last = self.redis.hget(self._errors_key, entry_id)
                why = f"failed {deliveries - 1} deliveries; last error: {_s(last) if last else 'unknown'}"
                self._dead_letter(entry_id, fields, why, deliveries)
                ack.append(entry_id)
                continue
            try:
                good.append((entry_id, parse_event(fields, where=f"{self.cfg.stream} entry {entry_id}")))
            except ValidationFailed as e:
                self._dead_letter(entry_id, fields, f"invalid event: {e}", deliveries)
                ack.append(entry_id)
        if good:
            ack.extend(self._sink(good))
        if ack:
            pipe = self.redis.pipeline(transaction=False)
            pipe.xack(self.cfg.stream, self.cfg.group, *ack)
            pipe.hdel(self._errors_key, *ack)
            pipe.execute()
            self._failed.difference_update(ack)
        return len(entries)

    def _sink(self, good: list[tuple[str, ListingEvent]]) -> list[str]:
        """Hand valid events to the sink (in one batch when it can); the entry ids it took."""
        items = [(ev.op, ev.listing or Listing(ev.listing_id, ""), entry_id) for entry_id, ev in good]
        batch = getattr(self.sink, "handle_batch", None)
        if batch is not None:
            try:
                results = batch(items)
                self._count([r.outcome for r in results])
                return [entry_id for entry_id, _ in good]
            except Exception:  # find which event fails: one at a time below
                pass
        taken: list[str] = []
        for (entry_id, _), (op, listing, version) in zip(good, items, strict=True):
            try:
                self._count([self.sink.handle(op, listing, version).outcome])
                taken.append(entry_id)
            except Exception as e:
                self._failed.add(entry_id)
                self.counts.failed += 1
                EVENTS.labels(self.cfg.stream, self.cfg.group, "failed").inc()
                self.redis.hset(self._errors_key, entry_id, f"{type(e).__name__}: {e}"[:2000])
        return taken

    def _count(self, outcomes: list[str]) -> None:
        self.counts.processed += len(outcomes)
        EVENTS.labels(self.cfg.stream, self.cfg.group, "processed").inc(len(outcomes))
        for o in outcomes:
            self.counts.by_outcome[o] = self.counts.by_outcome.get(o, 0) + 1

    def _dead_letter(self, entry_id: str, fields: dict[Any, Any], reason: str, deliveries: int) -> None:
        body = {_s(k): _s(v) for k, v in fields.items()}
        self.redis.xadd(
            self.cfg.dead_letter,
            {
                "id": entry_id,
                "reason": reason,
                "consumer": self.cfg.consumer,
                "deliveries": deliveries,
                "fields": json.dumps(body, ensure_ascii=False),
            },
            maxlen=self.cfg.dead_letter_maxlen,
            approximate=True,
        )
        self.counts.dead_lettered += 1
        EVENTS.labels(self.cfg.stream, self.cfg.group, "dead_lettered").inc()

    def stats(self) -> dict[str, Any]:
        """Counters of this worker and the group's lag and pending count (XINFO GROUPS).

        ``lag``: entries not yet delivered to the group; ``rate``: entries handled per second by
        this worker since it started.
        """
        from recallguard.scale.producer import group_info

        info = group_info(self.redis, self.cfg.stream, self.cfg.group)
        lag, pending = info.get("lag"), int(info.get("pending", 0))
        if lag is not None:
            LAG.labels(self.cfg.stream, self.cfg.group).set(lag)
        PENDING.labels(self.cfg.stream, self.cfg.group).set(pending)
        elapsed = max(time.monotonic() - self.started, 1e-9)
        c = self.counts
        return {
            "consumer": self.cfg.consumer,
            "processed": c.processed,
            "dead_lettered": c.dead_lettered,
            "failed": c.failed,
            "reclaimed": c.reclaimed,
            "outcomes": dict(c.by_outcome),
            "rate": round(c.processed / elapsed, 1),
            "lag": lag,
            "pending": pending,
            "consumers": int(info.get("consumers", 0)),
        }
