"""The one list of settings: environment variables, CLI precedence and the docs table."""

from __future__ import annotations

import os
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


@pytest.mark.skipif(not hasattr(os, "SCHED_IDLE"), reason="SCHED_IDLE is Linux's")
def test_bulk_commands_run_under_the_idle_policy_unless_the_setting_says_not() -> None:
    """A scan or an import beside the API server only gets a CPU nobody else wants (``SCHED_IDLE``),
    read from ``RECALLGUARD_BULK_IDLE``; switched off, the process keeps the policy it was started with
    (the test process may be idle already: CLI tests ran a scan in it)."""
    import subprocess
    import sys

    code = (
        "import os\nfrom recallguard.cli.store_cmds import as_background\n"
        "from recallguard.settings import Settings\n"
        "before = os.sched_getscheduler(0); s = Settings(); as_background(s.bulk_nice, s.bulk_idle)\n"
        "print(before, os.sched_getscheduler(0), os.nice(0) >= s.bulk_nice)"
    )
    for value in (None, "false", "true"):
        env = {k: v for k, v in os.environ.items() if not k.startswith("RECALLGUARD_")}
        if value is not None:
            env["RECALLGUARD_BULK_IDLE"] = value
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
        )
        before, after, niced = out.stdout.split()
        assert int(after) == (int(before) if value == "false" else os.SCHED_IDLE) and niced == "True"
