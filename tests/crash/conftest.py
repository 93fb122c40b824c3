"""Fixtures of the crash harness: generated inputs, the clean reference run, a Redis stream key.

The inputs and the reference run are built once per session (the reference in its own process with
the harness's ``PYTHONHASHSEED``, as the killed processes run).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.crash.inputs import REPO, CrashInputs, build_inputs

REDIS_URL = os.environ.get("RECALLGUARD_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
HASH_SEED = "0"  # every process of a run screens with the same hash seed (the reference too)
BATCH = {"import": 100, "scan": 100, "worker": 50}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "crash: the kill -9 crash-safety harness (tests/crash)")


@pytest.fixture(scope="session")
def crash_inputs(tmp_path_factory: pytest.TempPathFactory) -> CrashInputs:
    """1,500 catalogue listings (+2 bad lines), 300 stream listings, the CPSC sample in 3 chunks."""
    return build_inputs(tmp_path_factory.mktemp("crash-inputs"), catalogue=1500, stream=300, chunks=3)


@pytest.fixture(scope="session")
def crash_reference(crash_inputs: CrashInputs, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The snapshot of a clean run (no kills) on a SQLite file."""
    d = tmp_path_factory.mktemp("crash-reference")
    out = d / "reference.json"
    cmd = [
        sys.executable,
        "-m",
        "tests.crash.reference",
        str(crash_inputs.root),
        f"sqlite:///{d / 'ref.db'}",
        str(out),
        "--import-batch",
        str(BATCH["import"]),
        "--scan-batch",
        str(BATCH["scan"]),
        "--worker-batch",
        str(BATCH["worker"]),
    ]
    env = {**os.environ, "PYTHONHASHSEED": HASH_SEED, "RECALLGUARD_DATA_DIR": str(d / "data")}
    subprocess.run(cmd, cwd=REPO, env=env, check=True, timeout=600)
    snap: dict[str, Any] = json.loads(out.read_text())
    return snap


@pytest.fixture
def redis_stream() -> Iterator[tuple[Any, str]]:
    """(client, stream key) under a unique prefix; everything under it is deleted afterwards."""
    import redis

    r = redis.Redis.from_url(REDIS_URL)
    try:
        r.ping()
    except Exception as e:
        pytest.skip(f"!!! Redis at {REDIS_URL} not reachable: {e}")
    prefix = f"rgcrash:{uuid.uuid4().hex[:12]}"
    yield r, f"{prefix}:listings"
    for k in r.scan_iter(match=f"{prefix}*"):
        r.delete(k)
    r.close()
