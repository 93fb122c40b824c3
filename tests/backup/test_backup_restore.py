"""``recallguard backup`` / ``restore`` on the SQLite store: a backup taken while the store is being
written restores to a store whose audit chain and signed heads verify; restore never overwrites data
without ``--force``; a tampered backup is caught at restore."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from recallguard.cli.main import _register, app
from recallguard.errors import ConflictError, InputError, UsageError
from recallguard.service.backup import backup_sqlite, restore_sqlite
from recallguard.store import Store
from tests.api.conftest import HARMLESS, MATCHING, make_app, make_settings

runner = CliRunner()
_register()


@pytest.fixture()
def live(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, Path]:
    """A store with recalls, listings, an action and a signed audit chain; the environment points the
    CLI at the same data dir (the same audit key)."""
    settings = make_settings(tmp_path)
    monkeypatch.setenv("RECALLGUARD_DATA_DIR", settings.data_dir)
    monkeypatch.setenv("RECALLGUARD_DATABASE_URL", settings.database_url)
    application = make_app(settings)
    enf = application.state.enforcer
    secret, _ = enf.create_token("admin")
    with TestClient(application) as c:
        r = c.post("/v1/listings:screen", json={"listings": [MATCHING, HARMLESS]},
                   headers={"Authorization": f"Bearer {secret}"})  # fmt: skip
        assert r.status_code == 200
        assert r.json()["results"][0]["actions"], "the matching listing is restricted"
    enf.sign_if_due(force=True)
    enf.close()
    enf.store.close()
    return settings.database_url, tmp_path


def _events(url: str) -> int:
    with Store(url) as s, s.transaction() as uow:
        return uow.audit.count()


def test_backup_while_writing_restores_a_verified_chain(live: tuple[str, Path]) -> None:
    url, tmp = live
    stop = threading.Event()
    written = [0]

    def writer() -> None:  # the server keeps writing audit events during the backup
        with Store(url) as s:
            while not stop.is_set():
                with s.transaction() as uow:
                    uow.audit.append("test.write", f"listing:W{written[0]}", "test", "write during backup")
                written[0] += 1

    t = threading.Thread(target=writer)
    t.start()
    try:
        while written[0] < 20:
            time.sleep(0.01)
        reports = [backup_sqlite(url, tmp / f"b{i}.db") for i in range(3)]
    finally:
        stop.set()
        t.join()
    assert written[0] > 20
    for i, rep in enumerate(reports):
        restored = f"sqlite:///{tmp / f'restored{i}.db'}"
        out = restore_sqlite(rep.path, restored)
        assert out.chain_ok, out  # a consistent snapshot: no event half-copied, the chain links up
        assert out.audit_events == rep.audit_events
    assert reports[0].audit_events <= reports[-1].audit_events <= _events(url)


def test_cli_backup_and_restore(live: tuple[str, Path]) -> None:
    url, tmp = live
    out = tmp / "backup.db"
    r = runner.invoke(app, ["backup", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "audit events" in r.output
    assert out.stat().st_mode & 0o077 == 0
    again = runner.invoke(app, ["backup", "--out", str(out)])
    assert isinstance(again.exception, ConflictError)  # an existing backup is not overwritten silently
    target = f"sqlite:///{tmp / 'restored.db'}"
    r = runner.invoke(app, ["restore", str(out), "--database-url", target])
    assert r.exit_code == 0, r.output
    assert "intact" in r.output and "signed heads verified" in r.output
    with Store(url) as a, Store(target) as b, a.transaction() as ua, b.transaction() as ub:
        assert ub.audit.count() == ua.audit.count()
        assert ub.recalls.count() == ua.recalls.count() == 1
        assert ub.actions.count() == ua.actions.count() >= 1


def test_restore_refuses_to_overwrite_without_force(live: tuple[str, Path]) -> None:
    url, tmp = live
    rep = backup_sqlite(url, tmp / "b.db")
    with pytest.raises(ConflictError, match="--force"):
        restore_sqlite(rep.path, url)  # the live store holds data
    r = runner.invoke(app, ["restore", str(rep.path)])
    assert isinstance(r.exception, ConflictError)
    r = runner.invoke(app, ["restore", str(rep.path), "--force"])
    assert r.exit_code == 0, r.output
    empty = f"sqlite:///{tmp / 'fresh.db'}"
    Store(empty).close()  # an empty, migrated store may be restored over without --force
    assert restore_sqlite(rep.path, empty).chain_ok


def test_tampered_backup_is_caught(live: tuple[str, Path]) -> None:
    url, tmp = live
    rep = backup_sqlite(url, tmp / "b.db")
    with sqlite3.connect(rep.path) as conn:
        conn.execute("UPDATE audit_events SET reason = 'nothing happened' WHERE seq = 2")
    r = runner.invoke(app, ["restore", str(rep.path), "--database-url", f"sqlite:///{tmp / 'r.db'}"])
    assert r.exit_code == 1
    assert "TAMPERED" in r.output


def test_not_a_backup_and_not_sqlite(live: tuple[str, Path]) -> None:
    _, tmp = live
    junk = tmp / "junk.db"
    junk.write_bytes(b"not a database at all")
    with pytest.raises(InputError, match="not a SQLite database"):
        restore_sqlite(junk, f"sqlite:///{tmp / 'x.db'}")
    with pytest.raises(UsageError, match="pg_dump"):
        backup_sqlite("postgresql+psycopg://u@127.0.0.1:5432/db", tmp / "pg.db")
