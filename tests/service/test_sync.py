"""``recalls sync`` against a real HTTP server on 127.0.0.1 serving the real CPSC sample by
LastPublishDate, the way the CPSC API does."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest

from recallguard.service.importers import default_since, sync_recalls
from recallguard.store import Store
from tests.service.helpers import RECALLS


class CpscLike(BaseHTTPRequestHandler):
    records: list[dict] = json.loads(RECALLS.read_text())
    asked: list[tuple[str, str]] = []

    def do_GET(self) -> None:
        q = {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}
        start, end = q["LastPublishDateStart"], q["LastPublishDateEnd"]
        self.asked.append((start, end))
        rows = [r for r in self.records if start <= r["LastPublishDate"][:10] <= end]
        body = json.dumps(rows).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def cpsc_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), CpscLike)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    CpscLike.asked = []
    yield f"http://127.0.0.1:{server.server_address[1]}/RestWebServices/Recall"
    server.shutdown()
    server.server_close()


def test_sync_stores_the_feed_and_is_idempotent(store: Store, cpsc_url: str) -> None:
    report = sync_recalls(store, cpsc_url, since=date(2025, 1, 1), until=date(2026, 6, 30))
    assert (report.created, report.quarantined, report.exit_code) == (3, 0, 0)
    assert len(CpscLike.asked) == 2  # windows of at most a year
    again = sync_recalls(store, cpsc_url, since=date(2025, 1, 1), until=date(2026, 6, 30))
    assert (again.created, again.unchanged) == (0, 3)
    assert store.counts()["recalls"] == 3


def test_sync_resumes_from_the_newest_stored_publish_date(store: Store, cpsc_url: str) -> None:
    assert default_since(store, today=date(2026, 7, 1)) == date(2025, 7, 1)  # empty store: a year back
    sync_recalls(store, cpsc_url, since=date(2026, 5, 1), until=date(2026, 6, 30))
    assert default_since(store) == date(2026, 6, 5)
    CpscLike.asked = []
    report = sync_recalls(store, cpsc_url, until=date(2026, 6, 30))
    assert CpscLike.asked == [("2026-06-05", "2026-06-30")]
    assert (report.created, report.unchanged) == (0, 2)


def test_sync_command(store_url: str, cpsc_url: str, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from tests.service.test_cli import run

    db = ["--database-url", store_url]
    window = ["--since", "2026-01-01", "--until", "2026-06-30"]
    code, _, err = run(capsys, monkeypatch, "recalls", "sync", *window, "--base-url", cpsc_url, *db)
    assert code == 0 and "3 new" in err
    assert run(capsys, monkeypatch, "recalls", "sync", "--since", "June 2026", *db)[0] == 2
