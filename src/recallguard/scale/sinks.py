"""Where the stream worker sends listing events: a ``ListingSink``.

A sink turns one event into a result. Delivery is at least once, so a sink must be idempotent: the
``ScreeningSink`` keys each result by listing id and content hash (the same content is not screened
or stored twice) and by the event's stream id (an older event replayed after a newer one is
``stale`` and changes nothing). Results live in a ``ResultStore``: in memory, or a Redis hash that
several worker processes share (a compare-and-set script keeps the newest version).

>>> from recallguard.domain.models import Listing, Target
>>> from recallguard.matching.screen import Screener
>>> sink = ScreeningSink(Screener([Target("26561", "CPSC", brand="BABESIDE", product_name="Doll Stroller",
...                                        product_type="doll stroller toy", model_numbers=["BS-100"])]))
>>> r = sink.handle("create", Listing("L1", "BABESIDE doll stroller toy BS-100"), version="5-0")
>>> r.outcome, [m.recall_number for m in r.matches]
('new', ['26561'])
>>> sink.handle("create", Listing("L1", "BABESIDE doll stroller toy BS-100"), version="5-0").outcome
'unchanged'
>>> sink.handle("update", Listing("L1", "Garden hose"), version="4-0").outcome   # older than stored
'stale'
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from recallguard.domain.models import DecisionKind, Listing, Match
from recallguard.scale.events import content_hash


@dataclass
class SinkResult:
    """What handling one event did: ``new`` (screened and stored), ``unchanged`` (same content seen
    before), ``stale`` (an older event than the stored one) or ``deleted``."""

    listing_id: str
    outcome: str
    matches: list[Match] = field(default_factory=list)
    content_hash: str = ""


@runtime_checkable
class ListingSink(Protocol):
    """Handles one listing event; must be idempotent (the same event may arrive more than once)."""

    def handle(self, op: str, listing: Listing, version: str = "") -> SinkResult: ...


def newer(a: str, b: str) -> bool:
    """True when stream id ``a`` is strictly newer than ``b`` ("ms-seq"); empty ids never are.

    >>> newer("1700-2", "1700-1"), newer("99-0", "1700-0"), newer("", "5-0")
    (True, False, False)
    """
    if not a or not b:
        return False
    (a1, _, a2), (b1, _, b2) = a.partition("-"), b.partition("-")
    return (int(a1), int(a2 or 0)) > (int(b1), int(b2 or 0))


class ResultStore(Protocol):
    def get(self, listing_id: str) -> dict[str, Any] | None: ...

    def put(self, listing_id: str, record: dict[str, Any]) -> bool: ...


class InMemoryResultStore:
    """Results in a dict (one process). ``put`` keeps the newest version only."""

    def __init__(self) -> None:
        self.data: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def get(self, listing_id: str) -> dict[str, Any] | None:
        return self.data.get(listing_id)

    def put(self, listing_id: str, record: dict[str, Any]) -> bool:
        with self._lock:
            cur = self.data.get(listing_id)
            if cur is not None and newer(cur.get("v", ""), record.get("v", "")):
                return False
            self.data[listing_id] = record
            return True


_CAS = """
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur and ARGV[2] ~= '' then
  local v = cjson.decode(cur)['v']
  if v and v ~= '' then
    local a1, a2 = string.match(v, '(%d+)-(%d+)')
    local b1, b2 = string.match(ARGV[2], '(%d+)-(%d+)')
    a1, a2, b1, b2 = tonumber(a1), tonumber(a2), tonumber(b1), tonumber(b2)
    if a1 > b1 or (a1 == b1 and a2 > b2) then return 0 end
  end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1
"""


class RedisResultStore:
    """Results in one Redis hash (``key``: listing id → JSON), shared by every worker process."""

    def __init__(self, redis: Any, key: str) -> None:
        self.redis, self.key = redis, key
        self._cas = redis.register_script(_CAS)

    def get(self, listing_id: str) -> dict[str, Any] | None:
        raw = self.redis.hget(self.key, listing_id)
        return json.loads(raw) if raw else None

    def put(self, listing_id: str, record: dict[str, Any]) -> bool:
        blob = json.dumps(record, separators=(",", ":"), ensure_ascii=False)
        return bool(self._cas(keys=[self.key], args=[listing_id, record.get("v", ""), blob]))

    def all(self) -> dict[str, dict[str, Any]]:
        """Every stored result (for tests and small tools)."""
        return {k.decode(): json.loads(v) for k, v in self.redis.hgetall(self.key).items()}


def _match_dict(m: Match) -> dict[str, Any]:
    return {
        "recall_number": m.recall_number,
        "authority": m.authority,
        "score": m.score,
        "decision": m.decision.value,
        "evidence": m.evidence,
    }


def _match_of(listing_id: str, d: dict[str, Any]) -> Match:
    return Match(
        listing_id, d["recall_number"], d["authority"], d["score"], DecisionKind(d["decision"]), d["evidence"]
    )


class ScreeningSink:
    """Screens created and updated listings with a ``Screener`` and keeps the matches per listing."""

    def __init__(self, screener: Any, results: ResultStore | None = None) -> None:
        self.screener = screener
        self.results: ResultStore = results if results is not None else InMemoryResultStore()
        self.counts: dict[str, int] = {"new": 0, "unchanged": 0, "stale": 0, "deleted": 0}

    def handle(self, op: str, listing: Listing, version: str = "") -> SinkResult:
        """Handle one event (see the module example)."""
        return self.handle_batch([(op, listing, version)])[0]

    def handle_batch(self, items: Sequence[tuple[str, Listing, str]]) -> list[SinkResult]:
        """Handle several events; the listings to screen are screened in one batch."""
        out: list[SinkResult | None] = [None] * len(items)
        todo: list[tuple[int, str]] = []
        seen: dict[tuple[str, str], int] = {}  # the same content twice in one batch is screened once
        for i, (op, listing, version) in enumerate(items):
            lid = listing.listing_id
            prev = self.results.get(lid)
            if prev is not None and newer(prev.get("v", ""), version):
                out[i] = SinkResult(
                    lid, "stale", [_match_of(lid, m) for m in prev.get("m", [])], prev.get("h", "")
                )
            elif op == "delete":
                self.results.put(lid, {"v": version, "h": "", "m": [], "deleted": True})
                out[i] = SinkResult(lid, "deleted")
            else:
                h = content_hash(listing)
                if prev is not None and prev.get("h") == h and not prev.get("deleted"):
                    self.results.put(lid, dict(prev, v=max(version, prev.get("v", ""), key=_order)))
                    out[i] = SinkResult(lid, "unchanged", [_match_of(lid, m) for m in prev.get("m", [])], h)
                elif (lid, h) in seen:
                    out[i] = SinkResult(lid, "unchanged", [], h)
                    seen[(lid, h)] = i
                else:
                    seen[(lid, h)] = i
                    todo.append((i, h))
        if todo:
            found = self.screener.screen_batch([items[i][1] for i, _ in todo])
            for (i, h), matches in zip(todo, found, strict=True):
                lid, version = items[i][1].listing_id, items[i][2]
                stored = self.results.put(lid, {"v": version, "h": h, "m": [_match_dict(m) for m in matches]})
                out[i] = SinkResult(lid, "new" if stored else "stale", matches, h)
        for r in out:
            assert r is not None
            self.counts[r.outcome] += 1
        return [r for r in out if r is not None]


def _order(v: str) -> tuple[int, int]:
    a, _, b = v.partition("-")
    return (int(a or 0), int(b or 0))


def open_sink(
    redis: Any, stream: str, database_url: str | None = None, recalls: Path | None = None
) -> ListingSink:
    """The sink ``recallguard worker`` uses: the store-backed service when a database is named, else
    in-memory screening against a recall file with results in the Redis hash ``<stream>:results``."""
    if database_url:
        from recallguard.scale.service_sink import ServiceSink

        return ServiceSink.open(database_url)
    if recalls is None:
        from recallguard.errors import UsageError

        raise UsageError("worker needs --database-url (store the listings) or --recalls (screen in memory)")
    from recallguard.matching.build import build_screener
    from recallguard.sources.loader import load_recalls

    screener = build_screener(load_recalls(recalls).recalls)
    return ScreeningSink(screener, RedisResultStore(redis, f"{stream}:results"))
