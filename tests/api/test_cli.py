"""The enforcement commands, run as a user runs them (a subprocess of the installed CLI)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from recallguard.api.app import create_app
from recallguard.api.runtime import Enforcer
from recallguard.domain.models import DecisionKind, Listing, Match
from recallguard.enforcement.auth import Role
from recallguard.errors import ConfigurationError
from tests.api.conftest import make_settings, seed_recall
from tests.enforcement.receivers import smtp_server


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECALLGUARD_")}
    env.update(
        RECALLGUARD_DATABASE_URL=f"sqlite:///{tmp_path / 'rg.db'}",
        RECALLGUARD_DATA_DIR=str(tmp_path / "data"),
    )
    env.update(extra)
    return env


def rg(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "recallguard", *args],
        cwd=tmp_path,
        env=_env(tmp_path, **env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_token_create_prints_the_token_alone_on_the_last_line_and_it_works(tmp_path: Path) -> None:
    p = rg(
        tmp_path, "token", "create", "--role", "regulator", "--authority", "cpsc", "--label", "CPSC portal"
    )
    assert p.returncode == 0, p.stderr
    last = p.stdout.rstrip("\n").splitlines()[-1]
    assert last.startswith("rg_") and " " not in last and len(last) > 40
    enf = Enforcer(make_settings(tmp_path))
    principal = enf.authenticate(last)
    enf.close()
    assert principal.role == Role.REGULATOR and principal.authority == "CPSC"
    bad = rg(tmp_path, "token", "create", "--role", "regulator")
    assert bad.returncode == 2 and "--authority" in bad.stderr


def test_audit_export_and_verify_without_a_database(tmp_path: Path) -> None:
    for role in ("admin", "marketplace", "reviewer"):
        assert rg(tmp_path, "token", "create", "--role", role).returncode == 0
    p = rg(tmp_path, "audit", "export", "--out", "audit.jsonl", "--public-key", "pub.pem")
    assert p.returncode == 0, p.stderr
    (tmp_path / "rg.db").unlink()  # the regulator has only the file and the public key
    ok = rg(tmp_path, "audit", "verify", "--file", "audit.jsonl", "--public-key", "pub.pem")
    assert ok.returncode == 0 and ok.stdout.startswith("intact: 3 events"), ok.stdout + ok.stderr
    lines = (tmp_path / "audit.jsonl").read_text().splitlines()
    ev = json.loads(lines[1])
    ev["data"]["role"] = "admin"
    (tmp_path / "altered.jsonl").write_text("\n".join([lines[0], json.dumps(ev), lines[2]]) + "\n")
    bad = rg(tmp_path, "audit", "verify", "--file", "altered.jsonl", "--public-key", "pub.pem")
    assert bad.returncode == 1 and "event seq 2" in bad.stdout and "altered" in bad.stdout
    (tmp_path / "reordered.jsonl").write_text("\n".join([lines[1], lines[0], lines[2]]) + "\n")
    bad = rg(tmp_path, "audit", "verify", "--file", "reordered.jsonl", "--public-key", "pub.pem")
    assert bad.returncode == 1 and "event seq 2" in bad.stdout


def test_stored_log_verify_catches_an_edit_in_the_database(tmp_path: Path) -> None:
    assert rg(tmp_path, "token", "create", "--role", "admin").returncode == 0
    assert rg(tmp_path, "audit", "verify").returncode == 0
    import sqlite3

    with sqlite3.connect(tmp_path / "rg.db") as db:
        db.execute("UPDATE audit_events SET actor = 'nobody' WHERE seq = 1")
    p = rg(tmp_path, "audit", "verify")
    assert p.returncode == 1 and "event seq 1" in p.stdout


def test_sla_check_emails_a_breach_and_exits_1(tmp_path: Path) -> None:
    enf = Enforcer(make_settings(tmp_path))
    seed_recall(enf)
    with enf.store.transaction() as uow:
        uow.listings.upsert_many([Listing("L5", "stroller", seller_id="S1")])
        uow.matches.upsert(Match("L5", "26561", "CPSC", 0.6, DecisionKind.REVIEW, "brand"))
        from sqlalchemy import update

        from recallguard.store.tables import ListingRow, RecallRow

        old = datetime.now(UTC) - timedelta(hours=6)
        uow.session.execute(update(RecallRow).values(created_at=old))
        uow.session.execute(update(ListingRow).values(created_at=old))
    enf.close()
    with smtp_server() as box:
        env = {
            "RECALLGUARD_SMTP_HOST": box.host,
            "RECALLGUARD_SMTP_PORT": str(box.port),
            "RECALLGUARD_NOTIFY_EMAILS": "oncall@example.org",
        }
        p = rg(tmp_path, "sla", "check", **env)
        again = rg(tmp_path, "sla", "check", **env)
    assert p.returncode == 1 and "1 breached" in p.stdout and "1 new escalations" in p.stdout, (
        p.stdout + p.stderr
    )
    assert "0 new escalations" in again.stdout  # delivered once
    assert len(box.messages) == 1 and "SLA breach: CPSC recall 26561, listing L5" in str(
        box.messages[0]["data"]
    )


def test_production_mode_refuses_default_secrets(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="AUDIT_KEY_FILE"):
        create_app(make_settings(tmp_path, env="production"))
    key = tmp_path / "audit.pem"
    from recallguard.enforcement.audit_log import AuditKey

    key.write_bytes(AuditKey.generate().private_pem())
    with pytest.raises(ConfigurationError, match="WEBHOOK_SECRET"):
        create_app(
            make_settings(
                tmp_path,
                env="production",
                audit_key_file=str(key),
                webhook_url="http://mp/hook",
                webhook_secret="changeme",
            )
        )
    app = create_app(make_settings(tmp_path, env="production", audit_key_file=str(key)))
    assert app.state.settings.production
    app.state.enforcer.close()
    p = rg(tmp_path, "audit", "verify", RECALLGUARD_ENV="production")
    assert p.returncode == 2 and "production mode refuses" in p.stderr
