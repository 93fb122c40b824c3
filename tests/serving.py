"""A real ``recallguard serve`` (uvicorn) for tests: started on a free port of 127.0.0.1 with the
given environment, ready once ``/healthz`` answers 200, terminated (then killed) afterwards.

Used by tests/api/test_server.py and the browser tests (tests/browser/conftest.py).

>>> 0 < free_port() < 65536
True
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

START_S = 60.0  # the server must answer /healthz within this (a slow import, a bad setting fail here)


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(env: Mapping[str, str], cwd: Path) -> Iterator[str]:
    """Run ``recallguard serve`` with ``env`` (the whole environment) in ``cwd``; yields its base URL.

    Its output goes to ``cwd / "server.log"``, whose tail is shown when it does not start.
    """
    port = free_port()
    log_path = cwd / "server.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "recallguard", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=dict(env),
            cwd=cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_S
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"server did not start:\n{log_path.read_text(errors='replace')[-2000:]}")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
