"""docs/settings.md is generated from the settings class: a new setting without docs fails here."""

from __future__ import annotations

from pathlib import Path

from recallguard.cli.settings_cmd import settings_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "settings.md"


def test_settings_page_matches_the_code() -> None:
    assert DOC.read_text(encoding="utf-8") == settings_markdown(), (
        "docs/settings.md is stale: run `recallguard settings --markdown > docs/settings.md`"
    )


def test_every_setting_has_a_description() -> None:
    from recallguard.api.config import ServiceSettings

    missing = [n for n, f in ServiceSettings.model_fields.items() if not (f.description or "").strip()]
    assert missing == []
