"""A real HTTP server on 127.0.0.1 that serves the CPSC sample like the Recalls API, with faults."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

POISON = {"RecallID": 0, "Title": "Error retrieving Recalls: The query returned too many results."}


@dataclass
class Faults:
    """How the server misbehaves; counters count down per request."""

    errors_500: int = 0
    slow: int = 0
    slow_seconds: float = 1.0
    truncated: int = 0
    poison_wider_than_days: int | None = None
    ignore_params: bool = False
    requests: list[dict[str, str]] = field(default_factory=list)


def _serve(records: list[dict[str, Any]], faults: Faults, query: dict[str, str]) -> tuple[int, bytes]:
    faults.requests.append(query)
    if faults.errors_500 > 0:
        faults.errors_500 -= 1
        return 500, b"Internal Server Error"
    if faults.slow > 0:
        faults.slow -= 1
        time.sleep(faults.slow_seconds)
    start = query.get("LastPublishDateStart")
    end = query.get("LastPublishDateEnd")
    if faults.ignore_params or not (start and end):
        chosen = records
    else:
        lo, hi = date.fromisoformat(start), date.fromisoformat(end)
        if faults.poison_wider_than_days is not None and (hi - lo).days + 1 > faults.poison_wider_than_days:
            return 200, json.dumps([POISON]).encode()
        chosen = [r for r in records if lo <= date.fromisoformat(r["LastPublishDate"][:10]) <= hi]
    body = json.dumps(chosen).encode()
    if faults.truncated > 0 and len(body) > 2:
        faults.truncated -= 1
        body = body[: len(body) // 2]
    return 200, body


@contextmanager
def cpsc_server(records: list[dict[str, Any]], faults: Faults) -> Iterator[str]:
    """Serve ``records`` at http://127.0.0.1:PORT/RestWebServices/Recall; yields that URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlparse(self.path)
            if url.path != "/RestWebServices/Recall":
                self.send_error(404)
                return
            query = {k: v[-1] for k, v in parse_qs(url.query).items()}
            status, body = _serve(records, faults, query)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up
                self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/RestWebServices/Recall"
    finally:
        server.shutdown()
        server.server_close()
