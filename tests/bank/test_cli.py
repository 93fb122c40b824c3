"""``recallguard bank status|rebuild`` on a store with an actioned listing whose photo is pending."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from recallguard.cli.main import main
from recallguard.domain.models import Listing
from recallguard.store import Store
from tests.bank.conftest import action_listing, block
from tests.images.synth import product_photo


def run(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["recallguard", *args])
    try:
        main()
        code = 0
    except SystemExit as e:
        code = int(e.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_bank_status_and_rebuild_hash_pending_photos(
    bank_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    photo = tmp_path / "photo.png"
    product_photo(5).save(photo)
    action_listing(bank_store, Listing("P1", "Adapter BG-2241X", seller_id="S5", image_urls=[photo.as_uri()]),
                   block("P1"))  # fmt: skip
    db = ("--database-url", bank_store.url)
    code, out, _ = run(capsys, monkeypatch, "bank", "status", "--json", *db)
    status = json.loads(out)
    assert code == 0 and status["active"] == 2 and status["images"] == {"none": 1, "pending": 1}
    assert status["sellers"] == 2 and status["last_seq"] == 2

    monkeypatch.setenv("RECALLGUARD_IMAGE_ROOT", str(tmp_path))
    code, out, err = run(capsys, monkeypatch, "bank", "rebuild", "--images", *db)
    report = json.loads(out)
    assert code == 0 and report["entries"] == 2 and report["entry_images_hashed"] == 1
    assert report["image_entries"] == 1 and "2 entries loaded" in err
    code, out, _ = run(capsys, monkeypatch, "bank", "status", "--json", *db)
    assert json.loads(out)["images"] == {"done": 1, "none": 1}
