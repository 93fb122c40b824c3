"""Escalations reach people: e-mail through a real SMTP server on 127.0.0.1, and signed webhooks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from recallguard.enforcement.connector import RetryPolicy, WebhookConnector
from recallguard.enforcement.notify import EmailChannel, Notifier, WebhookChannel
from recallguard.enforcement.sla import SlaCase, escalations
from tests.enforcement.receivers import smtp_server, webhook_receiver

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_breach_is_emailed_and_posted_and_a_dead_channel_does_not_stop_the_others() -> None:
    esc = escalations([SlaCase("L1", "26561", "CPSC", START, priority=True)], START + timedelta(hours=3))
    assert len(esc) == 1
    with smtp_server() as box, webhook_receiver("k") as rx:
        conn = WebhookConnector("k", RetryPolicy(max_attempts=1, timeout_s=2))
        dead = EmailChannel(
            "127.0.0.1", 9, "rg@example.org", ["x@example.org"], timeout_s=1, name="dead-smtp"
        )
        notifier = Notifier(
            [
                dead,
                EmailChannel(box.host, box.port, "rg@example.org", ["oncall@example.org"]),
                WebhookChannel(rx.url, conn),
            ]
        )
        problems = notifier.send(esc)
    assert list(problems) == ["dead-smtp"]
    assert len(box.messages) == 1
    msg = box.messages[0]
    assert msg["to"] == ["<oncall@example.org>"]
    assert "SLA breach: CPSC recall 26561, listing L1" in str(msg["data"])
    assert rx.applied == ["CPSC:26561:L1:breach"] and rx.requests[0]["valid"]
