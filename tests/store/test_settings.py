"""The one list of settings: environment variables, CLI precedence and the docs table."""

from __future__ import annotations

from pathlib import Path

import pytest

from recallguard.settings import Settings, load_settings, settings_table

DOCS = Path(__file__).parents[2] / "docs" / "settings.md"  # generated: see tests/cli/test_settings_docs.py


def test_environment_sets_and_cli_values_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECALLGUARD_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/x")
    monkeypatch.setenv("RECALLGUARD_SCAN_BATCH_SIZE", "64")
    s = load_settings()
    assert (s.database_url, s.scan_batch_size) == ("postgresql+psycopg://postgres@127.0.0.1:5432/x", 64)
    assert load_settings(database_url="sqlite:///cli.db").database_url == "sqlite:///cli.db"


def test_default_database_is_a_local_sqlite_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RECALLGUARD_DATABASE_URL", raising=False)
    assert Settings(_env_file=None).database_url == "sqlite:///recallguard.db"  # type: ignore[call-arg]


def test_every_setting_is_documented() -> None:
    text = DOCS.read_text()
    missing = [row["env"] for row in settings_table() if f"`{row['env']}`" not in text]
    assert not missing, f"docs/settings.md lacks {missing}"


def test_bulk_commands_lower_their_own_cpu_priority_by_the_setting() -> None:
    """`scan` and `listings import` run below an API server on the same machine, at a niceness of at
    least the setting (a subprocess: a process cannot raise its priority back; calls do not add up)."""
    import subprocess
    import sys

    code = (
        "import os\nfrom recallguard.cli.store_cmds import as_background\n"
        "from recallguard.settings import Settings\n"
        "before = os.nice(0)\n"
        "as_background(Settings(bulk_nice={n}).bulk_nice); once = os.nice(0)\n"
        "as_background(Settings(bulk_nice={n}).bulk_nice); print(before, once, os.nice(0))"
    )
    for n in (0, 7, 19):  # 19: lowered even when the tests run niced already (CLI tests ran a scan)
        out = subprocess.run(
            [sys.executable, "-c", code.format(n=n)], capture_output=True, text=True, check=True
        )
        before, once, twice = map(int, out.stdout.split())
        assert once == twice == max(before, n)
    assert Settings().bulk_nice == 10
