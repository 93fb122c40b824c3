"""The report and buyer commands, run as a user runs them (a subprocess of the installed CLI) against a
store seeded through the API."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from fastapi.testclient import TestClient
from pypdf import PdfReader

from recallguard.api.runtime import Enforcer
from tests.api.conftest import make_app, make_settings
from tests.api.test_cli import rg
from tests.reports.conftest import seed
from tests.reports.test_buyers import orders_csv


def _seeded(tmp_path: Path) -> None:
    app = make_app(make_settings(tmp_path))
    enf: Enforcer = app.state.enforcer

    def token(role: str, **scope: str) -> dict[str, str]:
        from tests.api.conftest import ROLES

        secret, _ = enf.create_token(role, **(scope or ROLES[role]))
        return {"Authorization": f"Bearer {secret}"}

    with TestClient(app) as client:
        seed(client, enf, token)
    enf.close()


def test_report_and_buyer_commands(tmp_path: Path) -> None:
    _seeded(tmp_path)
    p = rg(tmp_path, "report", "compliance", "--authority", "CPSC", "--out", "out/report.pdf")
    assert p.returncode == 0, p.stderr
    assert "5 listings found, 4 restricted" in p.stderr and "intact" in p.stderr
    pdf = (tmp_path / "out/report.pdf").read_bytes()
    text = " ".join(PdfReader(io.BytesIO(pdf)).pages[0].extract_text().split())
    assert pdf.startswith(b"%PDF-") and "VERIFIED" in text
    p = rg(tmp_path, "report", "compliance", "--authority", "CPSC", "--recall", "26561", "--out", "r.html")
    assert p.returncode == 0 and "VERIFIED: intact" in (tmp_path / "r.html").read_text()
    assert rg(tmp_path, "report", "compliance", "--authority", "CPSC", "--out", "r.txt").returncode == 2
    p = rg(
        tmp_path, "report", "statements", "--format", "csv", "--authority", "SAFETYGATE", "--out", "sor.csv"
    )
    assert p.returncode == 0 and "1 statements" in p.stderr
    (row,) = list(csv.DictReader(io.StringIO((tmp_path / "sor.csv").read_text())))
    assert row["category"] == "STATEMENT_CATEGORY_UNSAFE_AND_PROHIBITED_PRODUCTS" and "DE" in json.loads(
        row["territorial_scope"]
    )
    (tmp_path / "orders.csv").write_text(orders_csv())
    p = rg(tmp_path, "buyers", "import", "orders.csv")
    assert p.returncode == 1, p.stderr  # a bad row: reported, quarantined, the rest loaded
    assert "line 8: field 'order_date'" in p.stderr and "6 orders loaded" in p.stderr
    p = rg(tmp_path, "buyers", "list", "--recall", "26561", "--out", "notify.csv")
    assert p.returncode == 0 and "3 buyers to notify" in p.stderr
    rows = list(csv.DictReader(io.StringIO((tmp_path / "notify.csv").read_text())))
    assert sorted(r["buyer_ref"] for r in rows) == ["buyer-a", "buyer-b", "buyer-f"]
    p = rg(tmp_path, "buyers", "purge", RECALLGUARD_BUYER_RETENTION_DAYS="30")
    assert p.returncode == 0 and "2 buyer orders older than 30 days deleted" in p.stderr
