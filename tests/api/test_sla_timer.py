"""The server's SLA timer e-mails a breach on its own (a real SMTP server on 127.0.0.1), once."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import update

from recallguard.domain.models import DecisionKind, Listing, Match
from recallguard.store.enforcement_tables import EnforcementRepo
from recallguard.store.tables import ListingRow, RecallRow
from tests.api.conftest import make_app, make_settings
from tests.enforcement.receivers import smtp_server


def test_server_timer_delivers_a_breach_once(tmp_path: Path) -> None:
    with smtp_server() as box:
        settings = make_settings(
            tmp_path,
            gate_refresh_s=0.2,
            sla_check_s=0.2,
            smtp_host=box.host,
            smtp_port=box.port,
            notify_emails="oncall@example.org",
        )
        app = make_app(settings)
        enf = app.state.enforcer
        with enf.store.transaction() as uow:
            uow.listings.upsert_many([Listing("L5", "stroller", seller_id="S1")])
            uow.matches.upsert(Match("L5", "26561", "CPSC", 0.6, DecisionKind.REVIEW, "brand"))
            old = datetime.now(UTC) - timedelta(hours=6)
            uow.session.execute(update(RecallRow).values(created_at=old))
            uow.session.execute(update(ListingRow).values(created_at=old))
        with TestClient(app):
            deadline = time.monotonic() + 15
            while not box.messages and time.monotonic() < deadline:
                time.sleep(0.1)
            time.sleep(0.6)  # a few more timer rounds: nothing is sent twice
        enf.close()
    assert len(box.messages) == 1 and "SLA breach" in str(box.messages[0]["data"])
    with enf.store.transaction() as uow:
        assert EnforcementRepo(uow.session).escalation_keys() == {"CPSC:26561:L5:breach"}
