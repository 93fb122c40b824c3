"""``recallguard deliver``: the delivery worker of the webhook outbox, as its own process.

Claims due deliveries (new approvals from any process, retries whose backoff ran out, and rows a
crashed worker held once their lease expired), sends them to ``RECALLGUARD_WEBHOOK_URL`` signed with
``RECALLGUARD_WEBHOOK_SECRET`` and the row's idempotency key, and records the outcome. Runs until
SIGINT / SIGTERM; ``--once`` drains what is due now and exits. Several workers may run at once.

    RECALLGUARD_WEBHOOK_URL=https://mp.example/hooks recallguard deliver
    recallguard deliver --once --json      # {"attempts": 3, "delivered": 3, "pending": 0, "dead": 0}
"""

from __future__ import annotations

import json
import signal
import threading

import typer
from rich.console import Console

from recallguard.errors import ConfigurationError
from recallguard.settings import help_for

err = Console(stderr=True)
DbOpt = typer.Option(None, "--database-url", help=help_for("database_url"), show_default=False)


def deliver(
    once: bool = typer.Option(False, "--once", help="Deliver what is due now (with retries), then exit."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary at the end."),
    database_url: str | None = DbOpt,
) -> None:
    """Send queued marketplace webhooks (the outbox) until stopped."""
    from collections import Counter

    from recallguard.api.config import load_service_settings
    from recallguard.enforcement.connector import RetryPolicy, WebhookConnector
    from recallguard.service.outbox import OutboxWorker, pending_count
    from recallguard.store import Store

    cfg = load_service_settings(database_url=database_url)
    cfg.check_production()
    if not cfg.webhook_url:
        raise ConfigurationError("no marketplace webhook configured (RECALLGUARD_WEBHOOK_URL)")
    policy = RetryPolicy(max_attempts=cfg.webhook_max_attempts, timeout_s=cfg.webhook_timeout_s)
    store = Store(cfg.database_url, echo=cfg.sql_echo)
    connector = WebhookConnector(cfg.resolved_webhook_secret(), policy)
    worker = OutboxWorker(store, connector, cfg.webhook_url, lease_s=cfg.delivery_lease_s, actor="connector")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    err.print(f"recallguard deliver: worker {worker.owner} → {cfg.webhook_url}")
    try:
        if once:
            done = worker.drain()
            attempts = len(done)
        else:
            attempts = worker.run_forever(stop, poll_s=cfg.delivery_poll_s)
        left = pending_count(store)
    finally:
        connector.close()
        store.close()
    outcome = Counter(d.status for d in done) if once else Counter()
    summary = {"attempts": attempts, "pending": left, **({k: v for k, v in outcome.items()} if once else {})}
    err.print(f"deliver: {attempts} attempts; {left} deliveries still pending")
    if as_json:
        print(json.dumps(summary))


def register(app: typer.Typer) -> None:
    app.command("deliver")(deliver)
