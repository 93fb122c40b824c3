"""DSA statements of reasons: one per applied action, with the Transparency Database fields and values
that follow from how each action came about."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from fastapi.testclient import TestClient

from recallguard.domain.authorities import EU_EEA
from tests.reports.conftest import Scenario

Headers = Callable[..., dict[str, str]]
REQUIRED = (
    "decision_visibility", "decision_ground", "illegal_content_legal_ground", "illegal_content_explanation",
    "category", "content_type", "territorial_scope", "content_date", "application_date", "decision_facts",
    "source_type", "automated_detection", "automated_decision", "puid",
)  # fmt: skip


def _by_listing(items: list[dict[str, object]]) -> dict[str, dict[str, object]]:
    return {str(s["puid"]).split("_")[0]: s for s in items}


def test_one_statement_per_action_with_the_database_fields(
    client: TestClient, token: Headers, scenario: Scenario
) -> None:
    r = client.get("/v1/reports/statements.json", headers=token("marketplace"))
    assert r.status_code == 200
    items = r.json()["statements"]
    st = _by_listing(items)
    assert sorted(st) == ["L1", "L3", "L4", "L5", "L6"]  # every applied action; L7 waits for a reviewer
    today = datetime.now(UTC).date().isoformat()
    for s in items:
        assert all(s.get(k) not in (None, "", []) for k in REQUIRED), s
        assert re.fullmatch(r"[A-Za-z0-9_-]+", str(s["puid"]))
        assert s["category"] == "STATEMENT_CATEGORY_UNSAFE_AND_PROHIBITED_PRODUCTS"
        assert s["content_type"] == ["CONTENT_TYPE_PRODUCT"] and s["automated_detection"] == "Yes"
        assert s["decision_ground"] == "DECISION_GROUND_ILLEGAL_CONTENT"
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(s["application_date"]))
    auto = st["L1"]
    assert auto["decision_visibility"] == ["DECISION_VISIBILITY_CONTENT_DISABLED"]
    assert auto["territorial_scope"] == ["US"] and auto["application_date"] == today
    assert auto["automated_decision"] == "AUTOMATED_DECISION_FULLY"
    assert auto["source_type"] == "SOURCE_TRUSTED_FLAGGER"
    assert auto["source_identity"] == "U.S. Consumer Product Safety Commission"
    assert auto["content_language"] == "ZH" and auto["puid"] == f"L1_{scenario.auto[:12]}"
    assert "26561" in str(auto["decision_facts"]) and "model BS-100 in title" in str(auto["decision_facts"])
    assert st["L4"]["automated_decision"] == "AUTOMATED_DECISION_PARTIALLY"  # a reviewer approved it
    # own detection: the fingerprint bank caught a re-listing
    assert st["L5"]["source_type"] == "SOURCE_VOLUNTARY" and st["L5"]["source_identity"] is None
    sg = st["L6"]
    assert sg["territorial_scope"] == sorted(EU_EEA) and "2023/988" in str(sg["illegal_content_legal_ground"])
    assert sg["decision_ground_reference_url"].startswith("https://ec.europa.eu/")  # type: ignore[union-attr]
    assert sg["content_language"] == "DE"


def test_csv_has_the_same_statements_and_since_filters(
    client: TestClient, token: Headers, scenario: Scenario
) -> None:
    admin = token("admin")
    r = client.get("/v1/reports/statements.csv", params={"authority": "CPSC"}, headers=admin)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == 4 and {json.loads(x["territorial_scope"])[0] for x in rows} == {"US"}
    assert {x["automated_decision"] for x in rows} == {
        "AUTOMATED_DECISION_FULLY",
        "AUTOMATED_DECISION_PARTIALLY",
    }
    every = client.get("/v1/reports/statements.json", headers=admin).json()["statements"]
    last = max(date.fromisoformat(s["application_date"]) for s in every)  # the late action may be tomorrow
    on_last = client.get("/v1/reports/statements.json", params={"since": last.isoformat()}, headers=admin)
    assert on_last.json()["statements"] and all(
        s["application_date"] == last.isoformat() for s in on_last.json()["statements"]
    )
    after = (last + timedelta(days=1)).isoformat()
    later = client.get("/v1/reports/statements.json", params={"since": after}, headers=admin)
    assert later.json() == {"statements": []}
    bad = client.get("/v1/reports/statements.json", params={"since": "last week"}, headers=admin)
    assert bad.status_code == 422 and bad.json()["error"]["details"]["field"] == "since"


def test_a_reversed_action_states_when_the_restriction_ended(
    client: TestClient, token: Headers, scenario: Scenario
) -> None:
    rv = token("reviewer")
    assert (
        client.post(f"/v1/actions/{scenario.auto}/reverse", json={"reason": "appeal"}, headers=rv).status_code
        == 200
    )
    st = _by_listing(client.get("/v1/reports/statements.json", headers=rv).json()["statements"])
    assert st["L1"]["end_date_visibility_restriction"] == datetime.now(UTC).date().isoformat()
    assert st["L3"]["end_date_visibility_restriction"] is None
