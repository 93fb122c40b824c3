"""Real local servers for tests: an HTTP webhook receiver and a tiny SMTP server, both on 127.0.0.1."""

from __future__ import annotations

import socketserver
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from recallguard.enforcement.connector import IDEMPOTENCY_HEADER, SIGNATURE_HEADER, verify_body


@dataclass
class Receiver:
    """A marketplace webhook endpoint whose answers follow ``script`` ("500", "400", "stall", "ok"),
    then "ok". It verifies the HMAC and applies each idempotency key once."""

    secret: str
    script: list[str] = field(default_factory=list)
    stall_s: float = 1.0
    requests: list[dict[str, object]] = field(default_factory=list)
    applied: list[str] = field(default_factory=list)
    url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, headers: dict[str, str], body: bytes) -> int:
        with self.lock:
            behaviour = self.script.pop(0) if self.script else "ok"
            key = headers.get(IDEMPOTENCY_HEADER, "")
            valid = verify_body(self.secret, headers.get(SIGNATURE_HEADER), body)
            self.requests.append({"key": key, "valid": valid, "behaviour": behaviour})
            if not valid:
                return 401
            if behaviour in ("500", "400"):
                return int(behaviour)
            if key not in self.applied:  # idempotency: apply once, answer every time
                self.applied.append(key)
        if behaviour == "stall":
            time.sleep(self.stall_s)
        return 200


@contextmanager
def webhook_receiver(
    secret: str, script: list[str] | None = None, stall_s: float = 1.0
) -> Iterator[Receiver]:
    rec = Receiver(secret, list(script or []), stall_s)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            if len(body) < length:  # the sender died mid-request (kill -9): no request to answer
                return
            status = rec.handle({k: v for k, v in self.headers.items()}, body)
            try:
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")
            except OSError:  # the client gave up (timeout)
                pass

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    rec.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/recallguard"
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    try:
        yield rec
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Mailbox:
    host: str = "127.0.0.1"
    port: int = 0
    messages: list[dict[str, object]] = field(default_factory=list)


@contextmanager
def smtp_server() -> Iterator[Mailbox]:
    """A minimal SMTP server (HELO/EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) storing what it receives."""
    box = Mailbox()

    class Handler(socketserver.StreamRequestHandler):
        def reply(self, line: str) -> None:
            self.wfile.write((line + "\r\n").encode())

        def handle(self) -> None:
            self.reply("220 test ESMTP")
            sender, rcpts = "", []
            while True:
                raw = self.rfile.readline()
                if not raw:
                    return
                cmd = raw.decode("utf-8", "replace").strip()
                verb = cmd.split(" ", 1)[0].upper()
                if verb in ("HELO", "EHLO"):
                    self.reply("250 test")
                elif verb == "MAIL":
                    sender, rcpts = cmd.split(":", 1)[1].strip(), []
                    self.reply("250 OK")
                elif verb == "RCPT":
                    rcpts.append(cmd.split(":", 1)[1].strip())
                    self.reply("250 OK")
                elif verb == "DATA":
                    self.reply("354 end with <CRLF>.<CRLF>")
                    lines = []
                    while (line := self.rfile.readline()) not in (b".\r\n", b".\n", b""):
                        lines.append(line)
                    box.messages.append({"from": sender, "to": rcpts, "data": b"".join(lines).decode()})
                    self.reply("250 queued")
                elif verb == "QUIT":
                    self.reply("221 bye")
                    return
                else:
                    self.reply("250 OK")

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    box.port = server.server_address[1]
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    try:
        yield box
    finally:
        server.shutdown()
        server.server_close()
