"""The SLA timer: evaluate every clock, record and deliver new escalations (once each).

Run by ``recallguard sla check`` and, every ``RECALLGUARD_SLA_CHECK_S`` seconds, by the server.

>>> from recallguard.api.config import ServiceSettings
>>> from recallguard.api.runtime import Enforcer
>>> run = check_sla(Enforcer(ServiceSettings(database_url="sqlite://", data_dir="/tmp/rg-doc-sla")))
>>> run.summary()
'sla: 0 clocks: 0 open, 0 met, 0 breached; 0 new escalations'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from recallguard.api.runtime import Enforcer
from recallguard.enforcement.connector import RetryPolicy, WebhookConnector
from recallguard.enforcement.notify import Channel, EmailChannel, Notifier, WebhookChannel
from recallguard.enforcement.sla import (
    Escalation,
    SlaState,
    SlaStatus,
    escalations,
    evaluate,
    shortest_deadline,
)
from recallguard.store.enforcement_tables import EnforcementRepo


@dataclass
class SlaRun:
    statuses: list[SlaStatus] = field(default_factory=list)
    new: list[Escalation] = field(default_factory=list)
    problems: dict[str, str] = field(default_factory=dict)

    def count(self, state: SlaState) -> int:
        return sum(1 for s in self.statuses if s.state == state)

    def summary(self) -> str:
        tta = [s.time_to_action.total_seconds() for s in self.statuses if s.time_to_action is not None]
        mean = f", mean time to action {sum(tta) / len(tta):.0f}s" if tta else ""
        o, m, b = (self.count(s) for s in (SlaState.OPEN, SlaState.MET, SlaState.BREACHED))
        n, new = len(self.statuses), len(self.new)
        return f"sla: {n} clocks: {o} open, {m} met, {b} breached; {new} new escalations{mean}"


def notifier(enf: Enforcer) -> Notifier:
    """The channels configured in the settings (SMTP, webhook)."""
    cfg = enf.settings
    channels: list[Channel] = []
    if cfg.smtp_host and cfg.email_recipients():
        channels.append(EmailChannel(cfg.smtp_host, cfg.smtp_port, cfg.smtp_sender, cfg.email_recipients()))
    if cfg.notify_webhook_url:
        policy = RetryPolicy(max_attempts=cfg.webhook_max_attempts, timeout_s=cfg.webhook_timeout_s)
        channels.append(
            WebhookChannel(cfg.notify_webhook_url, WebhookConnector(cfg.resolved_webhook_secret(), policy))
        )
    return Notifier(channels)


def check_sla(
    enf: Enforcer, now: datetime | None = None, notify: bool = True, acted_since: datetime | None = None
) -> SlaRun:
    """Evaluate every clock (``acted_since``: the open ones and those stopped since that could have
    been late, see :class:`SlaTimer`); deliver and record escalations not delivered before (audit
    ``sla.*``)."""
    now = now or datetime.now(UTC)
    started_before = None if acted_since is None else now - shortest_deadline()
    with enf.store.transaction() as uow:
        repo = EnforcementRepo(uow.session)
        cases = repo.sla_cases(acted_since=acted_since, started_before=started_before)
        already = repo.escalation_keys()
    run = SlaRun([evaluate(c, now) for c in cases], escalations(cases, now, already))
    if notify and run.new:
        run.problems = notifier(enf).send(run.new)
    with enf.store.transaction() as uow:
        repo = EnforcementRepo(uow.session)
        for e in run.new:
            c = e.case
            problems = "; ".join(run.problems.values())
            repo.add_escalation(
                e.key, e.level.value, c.listing_id, c.authority, c.recall_number, e.deadline, problems
            )
            data = {"recall": f"{c.authority}:{c.recall_number}", "deadline": e.deadline.isoformat()}
            uow.audit.append(f"sla.{e.level.value}", f"listing:{c.listing_id}", "sla", e.summary(), data)
    return run


#: How far before its previous check the server's timer looks again for clocks stopped meanwhile: longer
#: than any transaction that approves an action can take between stamping the approval and committing it.
SLA_OVERLAP = timedelta(minutes=10)


class SlaTimer:
    """The server's SLA check, run every ``sla_check_s`` seconds. Its first check evaluates every clock;
    later ones the open clocks and those stopped since ``SLA_OVERLAP`` before the last check that
    succeeded: a clock stopped earlier was evaluated, on time or late, by a check that saw it stopped,
    and cannot escalate again. Evaluating the store's whole history every minute made the server's
    memory and time grow with it (in the load bench, ~8 MB of the server's RSS growth in 5 minutes).

    >>> from recallguard.api.config import ServiceSettings
    >>> timer = SlaTimer(Enforcer(ServiceSettings(database_url="sqlite://", data_dir="/tmp/rg-doc-sla2")))
    >>> timer.check().summary(), timer.acted_since is not None
    ('sla: 0 clocks: 0 open, 0 met, 0 breached; 0 new escalations', True)
    """

    def __init__(self, enf: Enforcer) -> None:
        self.enf = enf
        self.acted_since: datetime | None = None  # None: the next check evaluates every clock

    def check(self, now: datetime | None = None) -> SlaRun:
        started = now or datetime.now(UTC)
        run = check_sla(self.enf, started, acted_since=self.acted_since)
        self.acted_since = started - SLA_OVERLAP  # only once the check succeeded
        return run
