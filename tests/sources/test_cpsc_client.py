"""The live CPSC client against a real HTTP server on 127.0.0.1 serving the real sample, with faults."""

from __future__ import annotations

import itertools
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from recallguard.errors import UpstreamError
from recallguard.sources.cpsc_client import CpscClient, SyncProgress, Window
from tests.sources.cpsc_server import Faults, cpsc_server

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "cpsc" / "cpsc-recalls-api-80.json"
RECORDS: list[dict[str, Any]] = json.loads(SAMPLE.read_text(encoding="utf-8"))
SINCE, UNTIL = date(2025, 3, 1), date(2026, 7, 1)


def _client(url: str, events: list[SyncProgress] | None = None, **kw: Any) -> CpscClient:
    opts: dict[str, Any] = {"timeout": 0.3, "max_retries": 3, "backoff": 0.01}
    opts.update(kw)
    return CpscClient(url, progress=events.append if events is not None else None, **opts)


def _numbers(results: list[Any]) -> list[str]:
    return sorted(r.recall_number for w in results for r in w.batch.recalls)


def test_sync_fetches_every_record_in_windows_of_at_most_a_year() -> None:
    faults = Faults()
    with cpsc_server(RECORDS, faults) as url, _client(url) as client:
        results = list(client.sync(SINCE, UNTIL))
    assert _numbers(results) == sorted(r["RecallNumber"] for r in RECORDS)
    assert [(w.start, w.end) for w in results] == [
        (date(2025, 3, 1), date(2026, 2, 28)),
        (date(2026, 3, 1), date(2026, 7, 1)),
    ]
    assert all(q["format"] == "json" for q in faults.requests)
    spans = [
        (date.fromisoformat(q["LastPublishDateEnd"]) - date.fromisoformat(q["LastPublishDateStart"])).days
        for q in faults.requests
    ]
    assert max(spans) < 365
    assert all(not w.batch.bad for w in results)


def test_incremental_sync_only_asks_for_new_dates() -> None:
    faults = Faults()
    with cpsc_server(RECORDS, faults) as url, _client(url) as client:
        results = list(client.sync(date(2026, 6, 12), date(2026, 6, 30)))
    assert _numbers(results) == sorted(
        ["26565", "26561", "26562", "26568", "26569", "26552", "26536", "26538", "26539", "26540", "26541"]
    )
    assert faults.requests[0]["LastPublishDateStart"] == "2026-06-12"


def test_server_errors_are_retried_with_backoff() -> None:
    faults = Faults(errors_500=2)
    events: list[SyncProgress] = []
    sleeps: list[float] = []
    with (
        cpsc_server(RECORDS, faults) as url,
        _client(url, events, sleep=sleeps.append, backoff=0.5) as client,
    ):
        results = list(client.sync(date(2026, 3, 1), UNTIL))
    assert len(_numbers(results)) == 80 and results[0].attempts == 3
    assert sleeps == [0.5, 1.0]  # exponential
    assert [e.kind for e in events].count("retry") == 2


def test_slow_answers_beyond_the_timeout_are_retried() -> None:
    faults = Faults(slow=1, slow_seconds=1.0)
    with cpsc_server(RECORDS, faults) as url, _client(url, timeout=0.2) as client:
        results = list(client.sync(date(2026, 3, 1), UNTIL))
    assert len(_numbers(results)) == 80 and results[0].attempts == 2


def test_truncated_bodies_are_retried() -> None:
    faults = Faults(truncated=2)
    with cpsc_server(RECORDS, faults) as url, _client(url) as client:
        results = list(client.sync(date(2026, 3, 1), UNTIL))
    assert len(_numbers(results)) == 80 and results[0].attempts == 3


def test_persistent_failure_is_a_clear_upstream_error() -> None:
    faults = Faults(errors_500=100)
    with (
        cpsc_server(RECORDS, faults) as url,
        _client(url, max_retries=2) as client,
        pytest.raises(UpstreamError, match=r"after 3 attempts: HTTP 500"),
    ):
        list(client.sync(date(2026, 3, 1), UNTIL))
    assert len(faults.requests) == 3


def test_poison_row_splits_the_window_until_it_is_answered() -> None:
    faults = Faults(poison_wider_than_days=40)
    events: list[SyncProgress] = []
    with cpsc_server(RECORDS, faults) as url, _client(url, events) as client:
        results = list(client.sync(SINCE, UNTIL))
    assert _numbers(results) == sorted(r["RecallNumber"] for r in RECORDS)
    assert all((w.end - w.start).days + 1 <= 40 for w in results)
    assert [w.start for w in results] == sorted(w.start for w in results)  # oldest first, no gaps
    assert all(a.end.toordinal() + 1 == b.start.toordinal() for a, b in itertools.pairwise(results))
    assert any(e.kind == "split" for e in events)
    assert all(not w.batch.bad for w in results)  # the poison row is never imported


def test_poison_row_even_for_one_day_gives_up_clearly() -> None:
    faults = Faults(poison_wider_than_days=0)
    with (
        cpsc_server(RECORDS, faults) as url,
        _client(url) as client,
        pytest.raises(UpstreamError, match="one-day window"),
    ):
        list(client.sync(date(2026, 6, 1), date(2026, 6, 4)))


def test_whole_database_answer_is_refused() -> None:
    faults = Faults(ignore_params=True)
    with (
        cpsc_server(RECORDS, faults) as url,
        _client(url) as client,
        pytest.raises(UpstreamError, match=r"outside 2026-06-01\.\.2026-06-04; the date filter was ignored"),
    ):
        list(client.sync(date(2026, 6, 1), date(2026, 6, 4)))


def test_implausibly_many_records_are_refused() -> None:
    with (
        cpsc_server(RECORDS, Faults()) as url,
        _client(url, plausible_max=50) as client,
        pytest.raises(UpstreamError, match="returned 80 records"),
    ):
        list(client.sync(date(2026, 3, 1), UNTIL))


def test_progress_reports_requests_and_windows() -> None:
    events: list[SyncProgress] = []
    with cpsc_server(RECORDS, Faults()) as url, _client(url, events) as client:
        list(client.sync(SINCE, UNTIL))
    kinds = [e.kind for e in events]
    assert kinds == ["request", "window", "request", "window"]
    assert events[-1].counts == {"recalls": 80, "bad": 0}


def test_windows_are_at_most_a_year_and_halve_cleanly() -> None:
    client = CpscClient("http://127.0.0.1:9/x")
    ws = client.windows(date(2020, 1, 1), date(2023, 6, 1))
    assert (
        all(w.days <= 365 for w in ws) and ws[0].start == date(2020, 1, 1) and ws[-1].end == date(2023, 6, 1)
    )
    a, b = Window(date(2026, 1, 1), date(2026, 1, 10)).halves()
    assert (a.days, b.days, a.end.toordinal() + 1) == (5, 5, b.start.toordinal())
    with pytest.raises(ValueError):
        client.windows(date(2026, 1, 2), date(2026, 1, 1))
    client.close()
