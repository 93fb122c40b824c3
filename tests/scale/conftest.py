"""Fixtures of the scale tests: the real Redis at 127.0.0.1:6379 and a unique stream key per test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.scale.helpers import REDIS_URL


@pytest.fixture
def redis_client() -> Iterator[Any]:
    import redis

    r = redis.Redis.from_url(REDIS_URL)
    try:
        r.ping()
    except Exception as e:
        pytest.skip(f"!!! Redis at {REDIS_URL} not reachable: {e}")
    yield r
    r.close()


@pytest.fixture
def key(redis_client: Any) -> Iterator[str]:
    """A stream key under a prefix of its own; every key under the prefix is deleted afterwards."""
    prefix = f"rgtest:{uuid.uuid4().hex[:12]}"
    yield f"{prefix}:listings"
    for k in redis_client.scan_iter(match=f"{prefix}*"):
        redis_client.delete(k)
