"""The listing stream worker against the real Redis at 127.0.0.1:6379 (unique keys per test).

What a marketplace relies on: every listing event is screened, none twice into the results even
when a worker dies mid-batch, bad events end in the dead-letter stream with the reason, and several
workers share one stream.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from typing import Any

import pytest

from recallguard.domain.models import Listing, Target
from recallguard.errors import BackpressureTimeout
from recallguard.matching.screen import Screener
from recallguard.scale.producer import ListingProducer
from recallguard.scale.sinks import RedisResultStore, ScreeningSink, SinkResult
from recallguard.scale.stream import StreamWorker, WorkerConfig
from tests.scale.helpers import REDIS_URL, listing

pytestmark = pytest.mark.redis

TARGETS = [
    Target("26561", "CPSC", brand="BABESIDE", product_name="Doll and Stroller Toys",
           product_type="doll stroller toy", model_numbers=["BS-100"]),
    Target("26539", "CPSC", brand="Merkury", product_name="Hot + Cool Heating and Cooling Fans",
           product_type="heating and cooling fan", model_numbers=["MI-DHC02"]),
]  # fmt: skip


@pytest.fixture(scope="module")
def screener() -> Screener:
    return Screener(TARGETS)


def worker(r: Any, stream: str, screener: Screener, name: str, **cfg: Any) -> StreamWorker:
    sink = ScreeningSink(screener, RedisResultStore(r, f"{stream}:results"))
    return StreamWorker(r, sink, WorkerConfig(stream=stream, group="g", consumer=name, block_ms=50, **cfg))


def test_events_are_screened_acknowledged_and_measured(
    redis_client: Any, key: str, screener: Screener
) -> None:
    from prometheus_client import REGISTRY

    w = worker(redis_client, key, screener, "w1", batch_size=25)
    ListingProducer(redis_client, key, group="g", maxlen=10_000, max_lag=5_000).publish_many(
        ("create", listing(i)) for i in range(100)
    )
    assert w.stats()["lag"] == 100
    assert w.run(max_events=100) == 100
    results = RedisResultStore(redis_client, f"{key}:results").all()
    assert len(results) == 100
    recalled = {lid for lid, r in results.items() if r["m"]}
    assert recalled == {f"L{i}" for i in range(0, 100, 5)}
    assert {m["recall_number"] for lid in recalled for m in results[lid]["m"]} == {"26561"}
    s = w.stats()
    assert (s["processed"], s["lag"], s["pending"], s["dead_lettered"]) == (100, 0, 0, 0)
    labels = {"stream": key, "group": "g", "outcome": "processed"}
    assert REGISTRY.get_sample_value("recallguard_stream_events_total", labels) == 100


def test_update_and_delete_follow_the_latest_event(redis_client: Any, key: str, screener: Screener) -> None:
    w = worker(redis_client, key, screener, "w1")
    p = ListingProducer(redis_client, key, group="g", maxlen=1000, max_lag=500)
    p.publish("create", listing(0))
    p.publish("update", {"listing_id": "L0", "title": "Plain wooden spoon"})
    p.publish("create", listing(5))
    p.publish("delete", {"listing_id": "L5"})
    w.run(max_events=4)
    results = RedisResultStore(redis_client, f"{key}:results").all()
    assert results["L0"]["m"] == []  # no longer a recalled product after the update
    assert results["L5"]["deleted"] is True


class Crash(BaseException):
    """A worker process dying (not an error the worker could catch and handle)."""


class CrashingSink:
    """Screens and stores the first ``after`` events of a batch, then dies before acknowledging."""

    def __init__(self, inner: ScreeningSink, after: int) -> None:
        self.inner, self.after = inner, after

    def handle(self, op: str, listing: Listing, version: str = "") -> SinkResult:
        raise AssertionError("the worker hands batches to a sink that can take them")

    def handle_batch(self, items: Sequence[tuple[str, Listing, str]]) -> list[SinkResult]:
        self.inner.handle_batch(items[: self.after])
        raise Crash()


def test_crash_mid_batch_loses_and_duplicates_nothing(
    redis_client: Any, key: str, screener: Screener
) -> None:
    n = 120
    ListingProducer(redis_client, key, group="g", maxlen=10_000, max_lag=5_000).publish_many(
        ("create", listing(i)) for i in range(n)
    )
    a = worker(redis_client, key, screener, "a", batch_size=40)
    a_inner = a.sink
    a.sink = CrashingSink(a_inner, after=15)  # type: ignore[assignment]
    with pytest.raises(Crash):
        a.run(max_events=n)
    assert a.stats()["pending"] == 40  # read, 15 of them screened and stored, none acknowledged

    b = worker(redis_client, key, screener, "b", batch_size=40, claim_idle_ms=200)
    b.run(idle_exit_s=1.0)
    results = RedisResultStore(redis_client, f"{key}:results").all()
    assert set(results) == {f"L{i}" for i in range(n)}
    assert {lid for lid, r in results.items() if r["m"]} == {f"L{i}" for i in range(0, n, 5)}
    # each listing screened into the results exactly once: the 15 the crashed worker stored are
    # recognised by content hash when the survivor replays them
    assert a_inner.counts["new"] + b.sink.counts["new"] == n  # type: ignore[attr-defined]
    assert b.sink.counts["unchanged"] == 15  # type: ignore[attr-defined]
    s = b.stats()
    assert s["reclaimed"] == 40 and s["pending"] == 0 and s["lag"] == 0


def test_a_restarted_worker_resumes_its_own_pending_entries_first_in_stream_order(
    redis_client: Any, key: str, screener: Screener
) -> None:
    # the same consumer name after a crash: what it read and never acknowledged comes back at once (no
    # waiting for claim_idle_ms) and before newer entries, so it is screened in the order a run without
    # the crash took (the fingerprint bank's re-listing matches depend on that order)
    ListingProducer(redis_client, key, group="g", maxlen=10_000, max_lag=5_000).publish_many(
        ("create", listing(i)) for i in range(120)
    )
    a = worker(redis_client, key, screener, "w1", batch_size=40)
    inner = a.sink
    a.sink = CrashingSink(inner, after=15)  # type: ignore[assignment]
    with pytest.raises(Crash):
        a.run(max_events=120)
    seen: list[str] = []

    class Recording(ScreeningSink):
        def handle_batch(self, items: Sequence[tuple[str, Listing, str]]) -> list[SinkResult]:
            seen.extend(listing.listing_id for _, listing, _ in items)
            return super().handle_batch(items)

    again = StreamWorker(
        redis_client,
        Recording(screener, RedisResultStore(redis_client, f"{key}:results")),
        WorkerConfig(stream=key, group="g", consumer="w1", block_ms=50, batch_size=40),  # claim_idle 30 s
    )
    again.run(idle_exit_s=0.5)
    assert seen == [f"L{i}" for i in range(120)]  # the 40 pending first, in order, then the rest
    assert again.stats()["pending"] == 0
    assert len(RedisResultStore(redis_client, f"{key}:results").all()) == 120


def test_stopped_consumers_are_forgotten_and_none_with_pending_entries(
    redis_client: Any, key: str, screener: Screener
) -> None:
    # every restart under a host-pid name leaves a consumer behind; a new worker removes the idle ones
    # that hold nothing, and never one that still holds entries (they would be lost with it)
    ListingProducer(redis_client, key, group="g", maxlen=10_000, max_lag=5_000).publish_many(
        ("create", listing(i)) for i in range(5)
    )
    redis_client.xgroup_create(key, "g", id="0")
    redis_client.xgroup_createconsumer(key, "g", "host-111")
    redis_client.xreadgroup("g", "host-222", {key: ">"}, count=2)  # read, never acknowledged
    time.sleep(0.1)
    w = worker(redis_client, key, screener, "host-333", forget_idle_ms=50)
    assert w.forgotten == ["host-111"]
    names = {str(c["name"], "utf-8") for c in redis_client.xinfo_consumers(key, "g")}
    assert "host-111" not in names and "host-222" in names
    assert w.stats()["pending"] == 2
    fresh = worker(redis_client, key, screener, "host-444")  # the default: idle for an hour
    assert fresh.forgotten == []


class FlakySink(ScreeningSink):
    """Fails every time on one listing (a bug, a listing the store rejects)."""

    def handle_batch(self, items: Sequence[tuple[str, Listing, str]]) -> list[SinkResult]:
        if any(listing.listing_id == "BOOM" for _, listing, _ in items):
            raise RuntimeError("store rejected listing BOOM")
        return super().handle_batch(items)


def test_poison_events_are_dead_lettered_with_the_reason(
    redis_client: Any, key: str, screener: Screener
) -> None:
    redis_client.xadd(key, {"event": "{not json"})
    redis_client.xadd(
        key, {"event": json.dumps({"op": "upsert", "listing": {"listing_id": "X1", "title": "t"}})}
    )
    redis_client.xadd(key, {"event": json.dumps({"op": "create", "listing": {"listing_id": "X2"}})})
    bad_country = {"listing_id": "X3", "title": "Lamp", "ship_to": ["USA"]}
    redis_client.xadd(key, {"event": json.dumps({"op": "create", "listing": bad_country})})
    redis_client.xadd(key, {"something": "else"})
    redis_client.xadd(
        key, {"event": json.dumps({"op": "create", "listing": {"listing_id": "BOOM", "title": "x"}})}
    )
    redis_client.xadd(key, {"event": json.dumps({"op": "create", "listing": listing(10)})})
    sink = FlakySink(screener, RedisResultStore(redis_client, f"{key}:results"))
    cfg = WorkerConfig(stream=key, group="g", consumer="w", block_ms=20, claim_idle_ms=30, max_deliveries=2)
    w = StreamWorker(redis_client, sink, cfg)
    deadline = time.monotonic() + 20
    while w.counts.dead_lettered < 6 and time.monotonic() < deadline:
        w.run_once()
        time.sleep(0.02)
    reasons = [f[b"reason"].decode() for _, f in redis_client.xrange(f"{key}:dead")]
    assert len(reasons) == 6, reasons
    assert any("invalid JSON" in r for r in reasons)
    assert any("op must be one of" in r and "upsert" in r for r in reasons)
    assert any("listing.title" in r for r in reasons)
    assert any("listing.ship_to" in r and "USA" in r for r in reasons)
    assert any("no 'event' field" in r for r in reasons)
    assert any("failed 2 deliveries" in r and "store rejected listing BOOM" in r for r in reasons)
    # the good event behind them was screened, and nothing is left pending
    assert RedisResultStore(redis_client, f"{key}:results").get("L10")["m"]  # type: ignore[index]
    assert w.stats()["pending"] == 0


def test_two_workers_share_the_stream(redis_client: Any, key: str, screener: Screener) -> None:
    import redis

    n = 400
    ListingProducer(redis_client, key, group="g", maxlen=10_000, max_lag=5_000).publish_many(
        ("create", listing(i)) for i in range(n)
    )
    workers = [worker(redis.Redis.from_url(REDIS_URL), key, screener, f"w{k}", batch_size=10) for k in (1, 2)]
    threads = [threading.Thread(target=w.run, kwargs={"idle_exit_s": 0.5}) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    done = [w.counts.processed for w in workers]
    assert sum(done) == n and min(done) > 0, done
    assert len(RedisResultStore(redis_client, f"{key}:results").all()) == n
    assert workers[0].stats()["consumers"] == 2


def test_producer_waits_for_lagging_consumers(redis_client: Any, key: str, screener: Screener) -> None:
    w = worker(redis_client, key, screener, "w1")
    p = ListingProducer(redis_client, key, group="g", maxlen=1_000, max_lag=10, check_every=1, timeout_s=0.3)
    for i in range(11):
        p.publish("create", listing(i))
    with pytest.raises(BackpressureTimeout):
        p.publish("create", listing(11))
    assert w.stats()["lag"] == 11
    w.run(max_events=11)
    p.publish("create", listing(11))  # consumers caught up: accepted
    assert redis_client.xlen(key) == 12


def test_worker_command_screens_against_a_recall_file(redis_client: Any, key: str) -> None:
    from pathlib import Path

    from typer.testing import CliRunner

    from recallguard.cli.main import _register, app

    samples = Path(__file__).resolve().parents[2] / "data" / "samples"
    rows = [json.loads(x) for x in (samples / "listings.jsonl").read_text(encoding="utf-8").splitlines()[:40]]
    ListingProducer(redis_client, key, group="g", maxlen=1000, max_lag=500).publish_many(
        ("create", r) for r in rows
    )
    _register()
    args = ["worker", "--stream", key, "--group", "g", "--consumer", "cli-1", "--redis-url", REDIS_URL]
    args += ["--recalls", str(samples / "recalls.json"), "--max-events", "40", "--block-ms", "100"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    assert "'processed': 40" in res.output and "'lag': 0" in res.output
    results = RedisResultStore(redis_client, f"{key}:results").all()
    assert len(results) == 40 and any(r["m"] for r in results.values())


@pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="reads the worker's niceness from /proc")
def test_worker_command_yields_the_cpu_to_a_server_beside_it(redis_client: Any, key: str) -> None:
    """`recallguard worker` runs at a niceness of at least RECALLGUARD_STREAM_NICE: on a machine shared
    with the API server, buyers' gate lookups and publish-time screening are scheduled first."""
    from pathlib import Path

    samples = Path(__file__).resolve().parents[2] / "data" / "samples"
    rows = [json.loads(x) for x in (samples / "listings.jsonl").read_text(encoding="utf-8").splitlines()[:5]]
    ListingProducer(redis_client, key, group="g", maxlen=1000, max_lag=500).publish_many(
        ("create", r) for r in rows
    )
    args = ["worker", "--stream", key, "--group", "g", "--redis-url", REDIS_URL, "--block-ms", "100"]
    args += ["--recalls", str(samples / "recalls.json"), "--max-events", "5"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECALLGUARD_")}
    p = subprocess.Popen(
        [sys.executable, "-m", "recallguard", *args],
        env=env | {"RECALLGUARD_STREAM_NICE": "13"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    seen: set[int] = set()
    while p.poll() is None:
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            stat = Path(f"/proc/{p.pid}/stat").read_text()
            seen.add(int(stat.rsplit(")", 1)[1].split()[16]))  # field 19: nice
        time.sleep(0.005)
    assert p.wait() == 0, p.stderr.read().decode() if p.stderr else ""
    assert max(os.nice(0), 13) in seen, seen
