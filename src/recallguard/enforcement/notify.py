"""Delivering SLA warnings, breaches and escalations to people: e-mail over SMTP and webhooks.

>>> from datetime import datetime, UTC
>>> from recallguard.enforcement.sla import Escalation, SlaCase, SlaLevel
>>> c = SlaCase("L1", "26561", "CPSC", datetime(2026, 1, 1, tzinfo=UTC))
>>> msg = escalation_email(Escalation(SlaLevel.BREACH, c, datetime(2026, 1, 1, 4, tzinfo=UTC), c.started_at),
...                        "rg@example.org", ["ops@example.org"])
>>> msg["Subject"]
'[recallguard] SLA breach: CPSC recall 26561, listing L1'
"""

from __future__ import annotations

import smtplib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any, Protocol

from recallguard.enforcement.connector import Delivery, WebhookConnector
from recallguard.enforcement.sla import Escalation
from recallguard.errors import UpstreamError


class Channel(Protocol):
    name: str

    def send(self, escalations: Sequence[Escalation]) -> None: ...


def escalation_payload(e: Escalation) -> dict[str, Any]:
    """The JSON form of an escalation (webhooks, audit event data)."""
    return {
        "level": e.level.value,
        "listing_id": e.case.listing_id,
        "recall_number": e.case.recall_number,
        "authority": e.case.authority,
        "priority": e.case.priority,
        "started_at": e.case.started_at.isoformat(),
        "deadline": e.deadline.isoformat(),
        "at": e.at.isoformat(),
        "summary": e.summary(),
    }


def escalation_email(e: Escalation, sender: str, recipients: Sequence[str]) -> EmailMessage:
    """One e-mail per escalation, readable by a person on call."""
    msg = EmailMessage()
    msg["Subject"] = (
        f"[recallguard] SLA {e.level.value}: {e.case.authority} recall {e.case.recall_number}, "
        f"listing {e.case.listing_id}"
    )
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg.set_content(
        f"{e.summary()}\n\nClock started: {e.case.started_at.isoformat()}\n"
        f"Deadline: {e.deadline.isoformat()}\n"
        f"Priority recall: {'yes' if e.case.priority else 'no'}\n\nRestrict or review the listing now."
    )
    return msg


@dataclass
class EmailChannel:
    """SMTP delivery (STARTTLS and login when configured)."""

    host: str
    port: int
    sender: str
    recipients: list[str]
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout_s: float = 10.0
    name: str = "email"

    def send(self, escalations: Sequence[Escalation]) -> None:
        """Send one message per escalation over one SMTP connection; UpstreamError when it fails."""
        if not escalations or not self.recipients:
            return
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout_s) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.username:
                    smtp.login(self.username, self.password or "")
                for e in escalations:
                    smtp.send_message(escalation_email(e, self.sender, self.recipients))
        except (OSError, smtplib.SMTPException) as err:
            raise UpstreamError(f"SMTP {self.host}:{self.port}: {err}") from err


@dataclass
class WebhookChannel:
    """Escalations POSTed, signed and retried, through the connector."""

    url: str
    connector: WebhookConnector
    name: str = "webhook"

    def send(self, escalations: Sequence[Escalation]) -> None:
        for e in escalations:
            d = Delivery(self.url, f"sla.{e.level.value}", escalation_payload(e), e.key)
            self.connector.deliver(d)
            if d.status != "delivered":
                raise UpstreamError(f"webhook {self.url}: {d.last_error}")


@dataclass
class Notifier:
    """Fans escalations out to every channel; one channel failing does not stop the others.

    ``send`` returns the problems per channel name (empty when everything was delivered).
    """

    channels: list[Channel] = field(default_factory=list)

    def send(self, escalations: Iterable[Escalation]) -> dict[str, str]:
        batch = list(escalations)
        problems: dict[str, str] = {}
        for ch in self.channels:
            try:
                ch.send(batch)
            except UpstreamError as e:
                problems[ch.name] = str(e)
        return problems
