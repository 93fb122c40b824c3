"""A live client for the CPSC Recalls REST API: incremental sync by LastPublishDate.

``GET {base_url}?format=json&LastPublishDateStart=YYYY-MM-DD&LastPublishDateEnd=YYYY-MM-DD`` answers
every matching record at once (no paging). The client asks for windows of at most a year and
survives the API's failure modes:

- 5xx / 429 answers, timeouts, dropped connections and truncated bodies (JSON that does not parse)
  are retried with exponential backoff, then reported as ``UpstreamError``;
- the "poison row" (HTTP 200 with one row ``{"RecallID": 0, "Title": "Error retrieving Recalls: ..."}``)
  that a too-wide window gets: the window is split in half and each half asked again, down to one day;
- the "whole database came back" answer (the API ignores parameters it does not know): records whose
  LastPublishDate lies outside the window asked for, or more records than a window can plausibly
  hold, raise ``UpstreamError`` and nothing of that answer is imported.

>>> client = CpscClient("http://127.0.0.1:9/Recall")
>>> [(w.start.isoformat(), w.end.isoformat()) for w in client.windows(date(2024, 1, 1), date(2025, 6, 30))]
[('2024-01-01', '2024-12-30'), ('2024-12-31', '2025-06-30')]
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from recallguard.domain.safe_text import scrub
from recallguard.errors import UpstreamError
from recallguard.sources.cpsc import is_poison_row, parse_cpsc, parse_cpsc_datetime
from recallguard.sources.fetch_guard import FetchPolicy, check_url, resolve_checked
from recallguard.sources.registry import RecallBatch

DEFAULT_BASE_URL = "https://www.saferproducts.gov/RestWebServices/Recall"
MAX_WINDOW_DAYS = 365
# A year of CPSC recalls is a few hundred records; the whole database is ~9,900.
PLAUSIBLE_MAX_PER_WINDOW = 3000


@dataclass(frozen=True)
class Window:
    """An inclusive LastPublishDate window."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def halves(self) -> tuple[Window, Window]:
        mid = self.start + timedelta(days=self.days // 2 - 1)
        return Window(self.start, mid), Window(mid + timedelta(days=1), self.end)


@dataclass
class WindowResult:
    """The recalls of one window as fetched (``batch.bad`` holds the records that did not parse)."""

    start: date
    end: date
    batch: RecallBatch
    attempts: int = 1
    raw_count: int = 0


@dataclass
class SyncProgress:
    """What a progress callback receives: kind is request, retry, split, window or done."""

    kind: str
    start: date
    end: date
    attempt: int = 0
    detail: str = ""
    counts: dict[str, int] = field(default_factory=dict)


class _PoisonRow(UpstreamError):
    """The API refused the window with its error row (internal: the client splits the window)."""


class _RetryableAnswer(UpstreamError):
    """An answer worth asking again for (5xx, 429, truncated or non-JSON body)."""


class CpscClient:
    """Fetches CPSC recalls by LastPublishDate windows; see the module docstring."""

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 60.0,
        max_retries: int = 4,
        backoff: float = 2.0,
        *,
        max_window_days: int = MAX_WINDOW_DAYS,
        plausible_max: int = PLAUSIBLE_MAX_PER_WINDOW,
        progress: Callable[[SyncProgress], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        http: httpx.Client | None = None,
        policy: FetchPolicy | None = None,
    ) -> None:
        # http(s) only; a base URL the operator configured may be on the internal network, the public
        # default must resolve to public addresses (sources/fetch_guard.py)
        self.policy = policy or FetchPolicy(
            allow_private=base_url != DEFAULT_BASE_URL or FetchPolicy.from_env().allow_private
        )
        check_url(base_url, self.policy)
        self.base_url = base_url
        self.timeout = timeout
        self.max_retries = max(0, max_retries)
        self.backoff = max(0.0, backoff)
        self.max_window_days = max(1, min(max_window_days, MAX_WINDOW_DAYS))
        self.plausible_max = plausible_max
        self.progress = progress
        self._sleep = sleep
        self._http = http or httpx.Client(timeout=timeout, headers={"Accept": "application/json"})
        self._owns_http = http is None

    def __enter__(self) -> CpscClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def _emit(self, kind: str, window: Window, attempt: int = 0, detail: str = "", **counts: int) -> None:
        if self.progress is not None:
            self.progress(SyncProgress(kind, window.start, window.end, attempt, detail, dict(counts)))

    def windows(self, since: date, until: date) -> list[Window]:
        """Consecutive windows of at most ``max_window_days`` days covering ``since``..``until``."""
        if until < since:
            raise ValueError(f"until ({until}) is before since ({since})")
        out: list[Window] = []
        start = since
        while start <= until:
            end = min(start + timedelta(days=self.max_window_days - 1), until)
            out.append(Window(start, end))
            start = end + timedelta(days=1)
        return out

    def sync(self, since: date, until: date | None = None) -> Iterator[WindowResult]:
        """Recalls published (or republished) from ``since`` to ``until`` (today, UTC, by default),
        one ``WindowResult`` per window asked, oldest first. Raises UpstreamError when the API keeps
        failing, refuses even a one-day window, or ignores the date filter.
        """
        last = until or datetime.now(UTC).date()
        for window in self.windows(since, last):
            yield from self._sync_window(window)

    def _sync_window(self, window: Window) -> Iterator[WindowResult]:
        try:
            records, attempts = self.fetch_window(window)
        except _PoisonRow:
            if window.days <= 1:
                raise UpstreamError(
                    f"CPSC API answers its error row even for the one-day window {window.start}; giving up"
                ) from None
            first, second = window.halves()
            self._emit("split", window, detail=f"{first.start}..{first.end} + {second.start}..{second.end}")
            yield from self._sync_window(first)
            yield from self._sync_window(second)
            return
        batch = parse_cpsc(records, f"CPSC API {window.start}..{window.end}")
        self._emit("window", window, attempts, recalls=len(batch.recalls), bad=len(batch.bad))
        yield WindowResult(window.start, window.end, batch, attempts, len(records))

    def fetch_window(self, window: Window) -> tuple[list[Any], int]:
        """The raw records of one window and the number of attempts it took (no splitting here)."""
        params = {
            "format": "json",
            "LastPublishDateStart": window.start.isoformat(),
            "LastPublishDateEnd": window.end.isoformat(),
        }
        attempt = 0
        while True:
            attempt += 1
            self._emit("request", window, attempt)
            try:
                records = self._get(params)
            except _RetryableAnswer as e:
                cause: str = str(e)
            except httpx.TimeoutException as e:
                cause = f"timed out after {self.timeout:g}s ({type(e).__name__})"
            except httpx.TransportError as e:
                cause = f"connection failed: {type(e).__name__}: {e}"
            else:
                if any(is_poison_row(r) for r in records):
                    raise _PoisonRow(f"error row for {window.start}..{window.end}")
                self._check_window(records, window)
                return records, attempt
            if attempt > self.max_retries:
                raise UpstreamError(
                    f"CPSC API failed for {window.start}..{window.end} after {attempt} attempts: {cause}"
                )
            delay = self.backoff * (2 ** (attempt - 1))
            self._emit("retry", window, attempt, detail=cause)
            self._sleep(delay)

    def _get(self, params: dict[str, str]) -> list[Any]:
        resolve_checked(self.base_url, self.policy)
        response = self._http.get(self.base_url, params=params)
        if response.status_code >= 500 or response.status_code == 429:
            raise _RetryableAnswer(f"HTTP {response.status_code}")
        if response.status_code >= 400:
            raise UpstreamError(f"CPSC API answered HTTP {response.status_code}: {response.text[:200]!r}")
        try:
            data = json.loads(response.content.decode("utf-8-sig"))
        except (ValueError, RecursionError) as e:  # undecodable, truncated, 5,000-digit numbers, deep nesting
            raise _RetryableAnswer(
                f"answer is not complete JSON ({len(response.content)} bytes: {e})"
            ) from None
        if not isinstance(data, list):
            raise _RetryableAnswer(f"answer is a JSON {type(data).__name__}, not a list of recalls")
        return scrub(data)  # records that are not objects become bad records when parsed

    def _check_window(self, records: list[Any], window: Window) -> None:
        """Refuse an answer that ignored the date filter (the whole database came back)."""
        if len(records) > self.plausible_max:
            raise UpstreamError(
                f"CPSC API returned {len(records)} records for {window.start}..{window.end} "
                f"(more than {self.plausible_max}); the date filter was probably ignored; nothing imported"
            )
        lo, hi = window.start - timedelta(days=1), window.end + timedelta(days=1)  # zone slack
        outside = 0
        for rec in records:
            if not isinstance(rec, dict):
                continue
            try:
                published = parse_cpsc_datetime(rec.get("LastPublishDate"))
            except ValueError:
                continue
            if published is not None and not (lo <= published.date() <= hi):
                outside += 1
        if outside:
            raise UpstreamError(
                f"CPSC API returned {outside} of {len(records)} records published outside "
                f"{window.start}..{window.end}; the date filter was ignored; nothing imported"
            )
