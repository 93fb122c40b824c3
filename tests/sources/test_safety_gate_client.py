"""The live Safety Gate client against a real HTTP server on 127.0.0.1 that misbehaves on purpose."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from recallguard.errors import NotFoundError, UpstreamError, UsageError
from recallguard.sources.safety_gate_client import SafetyGateClient

SAMPLE = Path(__file__).parents[1] / "data" / "safety-gate" / "safety-gate-notification-sample.json"
BODY = json.dumps(json.loads(SAMPLE.read_text())[0]).encode()
PHOTO = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    faults: list[str]  # consumed one per request: "500", "slow", "truncate", "429", "ok"
    hits: list[str]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.server.hits.append(self.path)
        fault = self.server.faults.pop(0) if self.server.faults else "ok"
        prefix = "/safety-gate-alerts/public/api/notification/"
        if not self.path.startswith(prefix):
            self.send_error(404)
            return
        rest = self.path[len(prefix) :]
        body, ctype = (PHOTO, "image/png") if rest.startswith("image/") else (BODY, "application/json")
        if rest == "404" or rest == "image/404":
            self.send_error(404)
            return
        if fault in ("500", "429"):
            self.send_response(int(fault))
            if fault == "429":
                self.send_header("Retry-After", "0")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if fault == "slow":
            time.sleep(1.0)
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if fault == "truncate":
            self.wfile.write(body[: len(body) // 3])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)


@pytest.fixture()
def server() -> Iterator[_Server]:
    srv = _Server(("127.0.0.1", 0), _Handler)
    srv.faults, srv.hits = [], []
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def _client(srv: _Server, **kw: float) -> SafetyGateClient:
    sleeps: list[float] = []
    c = SafetyGateClient(f"http://127.0.0.1:{srv.server_address[1]}", sleep=sleeps.append, **kw)  # type: ignore[arg-type]
    c.sleeps = sleeps  # type: ignore[attr-defined]
    return c


def test_fetches_and_parses_a_notification(server: _Server) -> None:
    with _client(server) as client:
        recall = client.recall(10099440)
    assert recall.key == "SAFETYGATE:SR/01950/26"
    assert server.hits == ["/safety-gate-alerts/public/api/notification/10099440"]


def test_server_errors_and_rate_limits_are_retried_with_backoff(server: _Server) -> None:
    server.faults = ["500", "429", "500"]
    with _client(server, retries=3, backoff=0.2) as client:
        assert client.notification(10099440)["reference"] == "SR/01950/26"
        assert client.attempts == 4
        assert client.sleeps[1] == 0.0  # type: ignore[attr-defined]  # Retry-After honoured
        assert 0.4 <= client.sleeps[2] <= 0.8  # type: ignore[attr-defined]  # exponential backoff, jittered


def test_truncated_body_is_retried(server: _Server) -> None:
    server.faults = ["truncate", "truncate"]
    with _client(server, retries=2) as client:
        assert client.notification(10099440)["id"] == 10099440
        server.faults = ["truncate"]
        assert client.photo(11012374) == PHOTO
    assert len(server.hits) == 5


def test_slow_server_times_out_then_succeeds(server: _Server) -> None:
    server.faults = ["slow"]
    with _client(server, retries=1, timeout=0.3) as client:
        assert client.notification(10099440)["reference"] == "SR/01950/26"
        assert client.attempts == 2


def test_gives_up_with_a_clear_upstream_error(server: _Server) -> None:
    server.faults = ["500"] * 3
    with (
        _client(server, retries=2) as client,
        pytest.raises(UpstreamError, match=r"after 3 attempts.*HTTP 500"),
    ):
        client.notification(10099440)


def test_unknown_ids_and_bad_ids(server: _Server) -> None:
    with _client(server) as client:
        with pytest.raises(NotFoundError):
            client.notification(404)
        with pytest.raises(UsageError):
            client.notification("../../etc/passwd")
        server.faults = ["500"] * 5  # the 404 takes one, then 4 attempts fail
        batch = client.recalls([404, 10099440, 10099440])
    # one unknown id and one that kept failing become bad records; the rest goes on
    assert [r.recall_number for r in batch.recalls] == ["SR/01950/26"]
    assert [b.field for b in batch.bad] == ["(fetch)", "(fetch)"]
    assert "notification 404" in str(batch.bad[0])


def test_connection_refused_is_an_upstream_error() -> None:
    client = SafetyGateClient("http://127.0.0.1:9", retries=1, timeout=0.5, sleep=lambda s: None)
    with client, pytest.raises(UpstreamError, match="ConnectError"):
        client.notification(1)
