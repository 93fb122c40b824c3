"""The server's SLA timer e-mails a breach on its own (a real SMTP server on 127.0.0.1), once."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import update

from recallguard.api.runtime import Enforcer
from recallguard.api.sla_timer import SlaTimer
from recallguard.domain.models import Action, ActionKind, ActionState, DecisionKind, Listing, Match
from recallguard.enforcement.sla import escalations
from recallguard.store.enforcement_tables import EnforcementRepo
from recallguard.store.tables import ListingRow, RecallRow
from tests.api.conftest import make_app, make_settings, seed_recall
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


def _clock(enf: Enforcer, lid: str, received: datetime, acted_at: datetime | None) -> None:
    """A blocked listing of recall 26561 received at ``received``; restricted (approved) at ``acted_at``."""
    with enf.store.transaction() as uow:
        uow.listings.upsert_many([Listing(lid, "stroller", seller_id="S1")])
        uow.matches.upsert(Match(lid, "26561", "CPSC", 0.9, DecisionKind.BLOCK, "model"))
        uow.session.execute(
            update(ListingRow).where(ListingRow.listing_id == lid).values(created_at=received)
        )
        if acted_at is not None:
            uow.actions.add(
                Action(lid, "26561", "CPSC", ActionKind.RESTRICT, ["US"], ActionState.APPROVED, lid)
            )
            EnforcementRepo(uow.session).record_approval(lid, "reviewer", at=acted_at)


def test_later_checks_read_open_and_recently_stopped_clocks_and_escalate_as_a_full_check(
    tmp_path: Path, store_url: str
) -> None:
    """The server's timer evaluates every clock once, then only the open ones and those stopped since
    shortly before its last check: the same escalations as evaluating the store's whole history, once."""
    enf = Enforcer(make_settings(tmp_path, database_url=store_url))
    seed_recall(enf)
    now = datetime.now(UTC)
    received = now - timedelta(hours=10)  # the CPSC's clock: 4 hours
    with enf.store.transaction() as uow:
        uow.session.execute(update(RecallRow).values(created_at=received))
    _clock(enf, "L0", received, received + timedelta(hours=1))  # on time, long ago
    _clock(enf, "L1", received, received + timedelta(hours=6))  # late, long ago
    _clock(enf, "L2", received, now - timedelta(minutes=1))  # late, just now
    _clock(enf, "L3", received, None)  # open, overdue
    timer = SlaTimer(enf)
    first = timer.check(now)
    assert len(first.statuses) == 4
    assert {e.key for e in first.new} == {f"CPSC:26561:{x}:breach" for x in ("L1", "L2", "L3")}

    later = now + timedelta(minutes=15)
    _clock(enf, "L4", received, now + timedelta(minutes=5))  # stopped after the first check, late
    _clock(enf, "L5", received, None)
    with enf.store.transaction() as uow:
        repo = EnforcementRepo(uow.session)
        full = {e.key for e in escalations(repo.sla_cases(), later, repo.escalation_keys())}
    second = timer.check(later)
    assert {e.key for e in second.new} == full == {"CPSC:26561:L4:breach", "CPSC:26561:L5:breach"}
    assert sorted(s.case.listing_id for s in second.statuses) == ["L2", "L3", "L4", "L5"]
    assert timer.check(later).new == []  # nothing twice
    enf.close()


def test_later_checks_leave_out_clocks_stopped_sooner_than_any_deadline(
    tmp_path: Path, store_url: str
) -> None:
    """Listings blocked as they appear (publish-time screening, scans) stop their clocks at once: a later
    check does not read them again (they were met), only the open clocks and those that could be late."""
    enf = Enforcer(make_settings(tmp_path, database_url=store_url))
    seed_recall(enf)
    now = datetime.now(UTC)
    with enf.store.transaction() as uow:
        uow.session.execute(update(RecallRow).values(created_at=now - timedelta(days=2)))
    for i in range(5):
        _clock(enf, f"N{i}", now - timedelta(minutes=3), now - timedelta(minutes=3))  # blocked as listed
    _clock(enf, "OPEN", now - timedelta(minutes=3), None)
    _clock(enf, "LATE", now - timedelta(hours=5), now - timedelta(minutes=2))  # listed 5 h ago: 1 h late
    timer = SlaTimer(enf)
    first = timer.check(now)
    assert len(first.statuses) == 7 and {e.key for e in first.new} == {"CPSC:26561:LATE:breach"}
    _clock(enf, "LATE2", now - timedelta(hours=6), now + timedelta(minutes=1))  # stopped after that check
    second = timer.check(now + timedelta(minutes=2))
    assert sorted(s.case.listing_id for s in second.statuses) == ["LATE", "LATE2", "OPEN"]
    assert {e.key for e in second.new} == {"CPSC:26561:LATE2:breach"}
    enf.close()
