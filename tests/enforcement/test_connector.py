"""The connector against a real HTTP receiver on 127.0.0.1 that fails, stalls and sees retries twice."""

from __future__ import annotations

import random

from recallguard.enforcement.connector import (
    RetryPolicy,
    WebhookConnector,
    action_delivery,
    sign_body,
    verify_body,
)
from tests.enforcement.receivers import webhook_receiver

SECRET = "whsec-test"
ACTION = {
    "action_id": "A1",
    "listing_id": "L1",
    "kind": "restrict",
    "countries": ["US"],
    "recall_number": "26561",
}


def _connector(max_attempts: int = 4, timeout_s: float = 2.0) -> tuple[WebhookConnector, list[float]]:
    waits: list[float] = []
    policy = RetryPolicy(max_attempts=max_attempts, base_s=0.01, cap_s=0.05, jitter=0.5, timeout_s=timeout_s)
    return WebhookConnector(SECRET, policy, sleep=waits.append, rng=random.Random(7)), waits


def test_500s_are_retried_with_the_same_idempotency_key_until_delivered() -> None:
    with webhook_receiver(SECRET, ["500", "500"]) as rx:
        conn, waits = _connector()
        d = conn.deliver(action_delivery(rx.url, ACTION))
    assert d.status == "delivered" and d.attempts == 3
    assert [r["key"] for r in rx.requests] == ["A1:action.approved"] * 3
    assert all(r["valid"] for r in rx.requests)  # every attempt carried a valid HMAC signature
    assert rx.applied == ["A1:action.approved"]
    assert len(waits) == 2 and waits[1] > waits[0] * 1.0  # backoff grows


def test_stalled_receiver_times_out_retry_is_deduplicated_by_idempotency_key() -> None:
    with webhook_receiver(SECRET, ["stall"], stall_s=1.0) as rx:
        conn, _ = _connector(timeout_s=0.3)
        d = conn.deliver(action_delivery(rx.url, ACTION))
    assert d.status == "delivered" and d.attempts == 2
    assert len(rx.requests) == 2  # the receiver saw the delivery twice …
    assert rx.applied == ["A1:action.approved"]  # … and applied it once


def test_dead_letter_after_max_retries_with_last_error() -> None:
    with webhook_receiver(SECRET, ["500"] * 10) as rx:
        conn, waits = _connector(max_attempts=3)
        d = conn.deliver(action_delivery(rx.url, ACTION))
    assert d.status == "dead" and d.attempts == 3 and len(rx.requests) == 3
    assert conn.dead_letters == [d] and "HTTP 500" in d.last_error
    assert len(waits) == 2


def test_client_error_is_permanent_and_unreachable_host_dead_letters() -> None:
    with webhook_receiver(SECRET, ["400"]) as rx:
        conn, _ = _connector()
        d = conn.deliver(action_delivery(rx.url, ACTION))
    assert d.status == "dead" and d.attempts == 1
    conn, _ = _connector(max_attempts=2)
    d2 = conn.deliver(action_delivery("http://127.0.0.1:9/nothing", ACTION))
    assert d2.status == "dead" and d2.attempts == 2 and d2 in conn.dead_letters


def test_hmac_verifies_and_rejects_tampering_wrong_secret_and_replay() -> None:
    body = b'{"action":{"action_id":"A1"}}'
    header = sign_body(SECRET, body, timestamp=1_800_000_000)
    assert verify_body(SECRET, header, body, now=1_800_000_060)
    assert not verify_body(SECRET, header, body.replace(b"A1", b"A2"), now=1_800_000_060)
    assert not verify_body("other", header, body, now=1_800_000_060)
    assert not verify_body(SECRET, header, body, now=1_800_009_999)  # too old: replay refused
    assert not verify_body(SECRET, "garbage", body)


def test_backoff_is_exponential_capped_and_jittered() -> None:
    p = RetryPolicy(base_s=1, cap_s=8, jitter=0.5)
    rng = random.Random(1)
    for n, nominal in [(1, 1), (2, 2), (3, 4), (4, 8), (6, 8)]:
        d = p.delay(n, rng)
        assert 0.75 * nominal <= d <= 1.25 * nominal
    assert len({round(p.delay(3, rng), 6) for _ in range(10)}) > 1
