"""The stateful CLI through the real entry point: exit codes, status, export."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import pytest

from recallguard.cli.main import main
from tests.service.helpers import LISTINGS, RECALLS, write_listings


def run(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str
) -> tuple[int, str, str]:
    """Run ``recallguard ARGS`` in-process; returns (exit code, stdout, stderr)."""
    monkeypatch.setattr(sys, "argv", ["recallguard", *args])
    try:
        main()
        code = 0
    except SystemExit as e:
        code = int(e.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_stateful_commands_and_exit_codes(
    store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db = ["--database-url", store_url]
    assert run(capsys, monkeypatch, "recalls", "import", str(RECALLS), *db)[0] == 0
    assert run(capsys, monkeypatch, "listings", "import", str(LISTINGS), *db)[0] == 0
    bad = write_listings(tmp_path / "bad.jsonl", extra='{"listing_id": "L-900"}\n')
    code, _, err = run(capsys, monkeypatch, "listings", "import", str(bad), *db)
    assert code == 1 and "1 quarantined" in err
    assert run(capsys, monkeypatch, "listings", "import", str(tmp_path / "missing.jsonl"), *db)[0] == 2
    (tmp_path / "r.json").write_text("[{ truncated")
    assert run(capsys, monkeypatch, "recalls", "import", str(tmp_path / "r.json"), *db)[0] == 2
    assert run(capsys, monkeypatch, "listings", "import", *db)[0] == 2  # usage: FILE missing

    code, _, err = run(capsys, monkeypatch, "scan", "--batch-size", "5", *db)
    assert code == 0 and "screened 24 listings" in err

    code, out, _ = run(capsys, monkeypatch, "status", "--json", *db)
    counts = json.loads(out)
    assert code == 0 and list(counts) == [
        "recalls",
        "targets",
        "listings",
        "quarantined",
        "matches",
        "actions",
        "priority",
    ]
    assert counts["recalls"] == 3 and counts["listings"] == 24 and counts["quarantined"] == 1
    assert counts["matches"] >= 2 and counts["actions"] >= 2  # the learned model decides here
    code, out, _ = run(capsys, monkeypatch, "status", *db)
    assert code == 0 and "quarantined" in out

    out_csv = tmp_path / "matches.csv"
    assert run(capsys, monkeypatch, "matches", "export", "--out", str(out_csv), *db)[0] == 0
    with out_csv.open() as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["listing_id", "recall_number", "score", "decision", "evidence"]
    assert len(rows) == counts["matches"]
    assert {"listing_id": "L-001", "recall_number": "26528", "decision": "block"}.items() <= rows[0].items()


def test_database_url_from_the_environment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECALLGUARD_DATABASE_URL", f"sqlite:///{tmp_path}/env.db")
    assert run(capsys, monkeypatch, "recalls", "import", str(RECALLS))[0] == 0
    assert (tmp_path / "env.db").exists()
    assert json.loads(run(capsys, monkeypatch, "status", "--json")[1])["recalls"] == 3


def test_listings_reindex_gives_back_the_keys_a_recall_import_finds_listings_by(
    store_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # an upgrade that changes the keys leaves the stored ones stale: here they are gone altogether
    from sqlalchemy import delete, func, select

    from recallguard.store import Store
    from recallguard.store.listing_key_tables import ListingKeyRow

    db = ["--database-url", store_url]
    assert run(capsys, monkeypatch, "listings", "import", str(LISTINGS), *db)[0] == 0
    store = Store(store_url)
    with store.transaction() as uow:
        keyed = uow.session.scalar(select(func.count()).select_from(ListingKeyRow))
        uow.session.execute(delete(ListingKeyRow))
    code, _, err = run(capsys, monkeypatch, "listings", "reindex", *db)
    with store.transaction() as uow:
        assert uow.session.scalar(select(func.count()).select_from(ListingKeyRow)) == keyed > 0
    store.close()
    assert code == 0 and f"{keyed} key rows" in err
    code, _, err = run(capsys, monkeypatch, "recalls", "import", str(RECALLS), *db)
    assert code == 0 and "stored listings screened again" in " ".join(err.split())
    assert json.loads(run(capsys, monkeypatch, "status", "--json", *db)[1])["matches"] > 0


def test_a_recall_import_over_keys_of_another_release_says_so_and_names_the_remedy(
    store_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from recallguard.matching.keys import KEYS_VERSION
    from recallguard.store import Store

    db = ["--database-url", store_url]
    assert run(capsys, monkeypatch, "listings", "import", str(LISTINGS), *db)[0] == 0
    store = Store(store_url)
    with store.transaction() as uow:
        uow.listing_keys.set_version(KEYS_VERSION - 1)  # as an older release left them
    store.close()
    code, _, err = run(capsys, monkeypatch, "recalls", "import", str(RECALLS), *db)
    said = " ".join(err.split())
    assert code == 0 and f"version {KEYS_VERSION - 1}" in said and "recallguard listings reindex" in said
    assert run(capsys, monkeypatch, "listings", "reindex", *db)[0] == 0
    store = Store(store_url)
    with store.transaction() as uow:
        assert uow.listing_keys.version() == KEYS_VERSION  # rescans trust the keys again
    store.close()
