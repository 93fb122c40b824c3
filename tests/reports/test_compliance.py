"""The compliance report: its figures match the store, the HTML shows the charts and the audit-log
verification (and a tampered log), the PDF parses and carries the same text, a regulator gets only its
own authority."""

from __future__ import annotations

import io
from collections.abc import Callable

from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import update

from recallguard.api.runtime import Enforcer
from recallguard.enforcement.state_machine import IN_FORCE
from recallguard.service.reports import AuditCheck, compliance_report
from recallguard.store.enforcement_tables import EnforcementRepo
from recallguard.store.tables import AuditEventRow
from tests.reports.conftest import Scenario

Headers = Callable[..., dict[str, str]]


def test_figures_match_the_store(enforcer: Enforcer, scenario: Scenario) -> None:
    rep = compliance_report(enforcer.store, "CPSC", verification=AuditCheck(True, 1, 1, "intact"))
    t = rep.totals
    assert (t.found, t.restricted, t.in_review, t.relistings) == (5, 4, 1, 1)
    assert (t.sla_met, t.sla_breached, t.sla_open) == (3, 1, 1)
    with enforcer.store.transaction() as uow:  # the same figures, counted straight from the store
        repo = EnforcementRepo(uow.session)
        assert t.found == len(repo.query_matches(authority="CPSC", limit=1000))
        assert t.restricted == sum(
            1 for a in repo.query_actions(authority="CPSC", limit=1000) if a.state in IN_FORCE
        )
    (line,) = rep.recalls
    assert line.recall_number == "26561" and line.figures.found == 5
    d = rep.time_to_action
    assert d.count == 4 and 5 * 3600 - 60 < d.maximum < 5 * 3600 + 60  # the late one: about 5 h
    assert dict(d.histogram)["4-8h"] == 1 and sum(n for _, n in d.histogram) == 4
    sg = compliance_report(enforcer.store, "safetygate", verification=AuditCheck(True, 1, 1, "intact"))
    assert (sg.totals.found, sg.totals.restricted, sg.countries[:2]) == (1, 1, ["AT", "BE"])


def test_html_report_has_charts_figures_and_the_verified_audit_log(
    client: TestClient, token: Headers, scenario: Scenario
) -> None:
    r = client.get("/v1/reports/compliance.html", params={"authority": "CPSC"}, headers=token("admin"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    assert 'id="audit-verification" class="ok"' in html and "VERIFIED: intact:" in html
    assert "1 signed heads verified" in html  # the head is signed before the check: every event covered
    assert html.count("<svg") == 2 and "Time to action" in html and "breached: 1" in html
    assert "BABESIDE Doll and Stroller Toys recalled" in html and "Re-listings caught<strong>1" in html
    one = client.get(
        "/v1/reports/compliance.html", params={"authority": "CPSC", "recall": "nope"}, headers=token("admin")
    )
    assert one.status_code == 404


def test_a_tampered_audit_log_shows_in_the_report(
    client: TestClient, token: Headers, enforcer: Enforcer, scenario: Scenario
) -> None:
    enforcer.sign_if_due(force=True)
    with enforcer.store.transaction() as uow:
        uow.session.execute(update(AuditEventRow).where(AuditEventRow.seq == 2).values(reason="edited later"))
    html = client.get(
        "/v1/reports/compliance.html", params={"authority": "CPSC"}, headers=token("admin")
    ).text
    assert 'class="bad"' in html and "FAILED: TAMPERED: event seq 2" in html


def test_pdf_report_parses_and_carries_the_figures(
    client: TestClient, token: Headers, scenario: Scenario
) -> None:
    r = client.get("/v1/reports/compliance.pdf", params={"authority": "CPSC"}, headers=token("regulator"))
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF-") and "attachment" in r.headers["content-disposition"]
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(r.content)).pages).split())
    assert "Compliance report: U.S. Consumer Product Safety Commission (CPSC)" in text
    assert "VERIFIED: intact:" in text and "Time to action" in text
    # the recall's row: found, restricted, in review, re-listings, SLA met, breached, open
    assert "26561 BABESIDE Doll and Stroller Toys recalled 5 4 1 1 3 1 1" in text


def test_a_regulator_gets_only_its_own_authority(
    client: TestClient, token: Headers, scenario: Scenario
) -> None:
    cpsc = token("regulator")  # bound to CPSC
    other = client.get("/v1/reports/compliance.html", params={"authority": "SAFETYGATE"}, headers=cpsc)
    assert other.status_code == 403 and other.json()["error"]["code"] == "forbidden"
    own = client.get("/v1/reports/compliance.html", headers=cpsc)  # its authority by default
    assert own.status_code == 200 and "(CPSC)" in own.text
    sg = token("regulator", authority="SAFETYGATE")
    body = client.get("/v1/reports/statements.json", headers=sg).json()
    assert [s["territorial_scope"][:1] for s in body["statements"]] == [["AT"]]
    assert (
        client.get("/v1/reports/statements.csv", params={"authority": "CPSC"}, headers=sg).status_code == 403
    )
    assert client.get("/v1/reports/compliance.html", headers=token("admin")).status_code == 400  # name one
    assert client.get("/v1/reports/compliance.pdf", headers=token("seller")).status_code == 403
