"""Seller notices in the seller's language, and appeals (with attestation photos) that go to review and
whose outcome reverses or confirms the action through the state machine, with audit events."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from PIL import Image

from recallguard.api.runtime import Enforcer
from tests.reports.conftest import Scenario

Headers = Callable[..., dict[str, str]]


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (40, 20), (200, 30, 30)).save(buf, format="PNG")
    return buf.getvalue()


def _gate(client: TestClient, token: Headers, listing: str) -> bool:
    r = client.get("/v1/gate", params={"listing_id": listing, "country": "US"}, headers=token("marketplace"))
    return bool(r.json()["allowed"])


def _audit_kinds(enf: Enforcer, subject: str) -> list[str]:
    with enf.store.transaction() as uow:
        return [e.kind for e in uow.audit.list(0, 10_000) if e.subject == subject]


def test_notice_in_chinese_for_the_sellers_listing(
    client: TestClient, token: Headers, scenario: Scenario
) -> None:
    s1 = token("seller")  # seller S1; listing L1's language is zh
    r = client.get(f"/v1/notices/{scenario.auto}", headers=s1)
    assert r.status_code == 200
    n = r.json()
    assert n["language"] == "zh" and n["subject"] == "商品 L1 已对 US 的买家限制销售"
    assert "不能再销售给 US 的买家" in n["what"] and "召回编号 26561" in n["why"]
    assert n["recall"]["number"] == "26561" and n["appeal_open"] and "申诉" in n["text"]
    left = datetime.fromisoformat(n["appeal_deadline"]) - datetime.now(UTC)  # RECALLGUARD_APPEAL_DAYS: 182
    assert timedelta(days=181) < left <= timedelta(days=182) and n["appeal_deadline"][:10] in n["appeal"]
    en = client.get(f"/v1/notices/{scenario.auto}", params={"lang": "en"}, headers=s1).json()
    assert en["subject"] == "Listing L1 restricted for buyers in US" and "appeal until" in en["appeal"]
    text = client.get(f"/v1/notices/{scenario.auto}", params={"format": "text"}, headers=s1)
    assert text.headers["content-type"].startswith("text/plain") and text.text.startswith("商品 L1")
    # another seller's notice does not exist for S1; the seller's preference picks the language
    assert client.get(f"/v1/notices/{scenario.late}", headers=s1).status_code == 404
    s3 = token("seller", seller_id="S3")
    assert client.get(f"/v1/notices/{scenario.late}", headers=s3).json()["language"] == "en"
    assert (
        client.put("/v1/notices/language", json={"language": "zh-CN"}, headers=s3).json()["language"] == "zh"
    )
    assert client.get(f"/v1/notices/{scenario.late}", headers=s3).json()["language"] == "zh"
    assert client.put("/v1/notices/language", json={"language": "xx"}, headers=s3).status_code == 422


def test_attestation_with_photo_goes_to_review_and_upheld_reverses(
    client: TestClient, token: Headers, enforcer: Enforcer, scenario: Scenario
) -> None:
    s1 = token("seller")
    assert not _gate(client, token, "L1")
    r = client.post(
        "/v1/appeals",
        data={
            "action_id": scenario.auto,
            "reason": "Our stock is lot 2024-11, not recalled",
            "attested": "lot 2024-11",
        },
        files=[("photos", ("label.png", _png(), "image/png"))],
        headers=s1,
    )
    assert r.status_code == 201, r.text
    appeal = r.json()
    assert appeal["state"] == "open" and appeal["kind"] == "attestation" and len(appeal["photos"]) == 1
    reviewer = token("reviewer")
    queue = client.get("/v1/appeals", params={"state": "open"}, headers=reviewer).json()
    assert [a["appeal_id"] for a in queue] == [appeal["appeal_id"]]  # back in review
    photo = client.get(appeal["photos"][0]["url"], headers=reviewer)
    assert (
        photo.status_code == 200 and photo.headers["content-type"] == "image/png" and photo.content == _png()
    )
    assert client.get(appeal["photos"][0]["url"], headers=token("seller", seller_id="S9")).status_code == 404
    assert (
        client.post(
            f"/v1/appeals/{appeal['appeal_id']}/decide", json={"outcome": "upheld"}, headers=s1
        ).status_code
        == 403
    )
    d = client.post(
        f"/v1/appeals/{appeal['appeal_id']}/decide",
        json={"outcome": "upheld", "reason": "label shows lot 2024-11"},
        headers=reviewer,
    )
    assert d.status_code == 200 and d.json()["state"] == "upheld"
    assert client.get(f"/v1/actions/{scenario.auto}", headers=reviewer).json()["state"] == "reversed"
    assert _gate(client, token, "L1")  # sold again in the US
    kinds = _audit_kinds(enforcer, f"action:{scenario.auto}")
    assert kinds[-3:] == ["attestation.filed", "action.reversed", "attestation.upheld"]
    again = client.post(
        f"/v1/appeals/{appeal['appeal_id']}/decide", json={"outcome": "rejected"}, headers=reviewer
    )
    assert again.status_code == 409
    assert client.get(f"/v1/notices/{scenario.auto}", headers=s1).json()["state"] == "reversed"


def test_rejected_appeal_confirms_the_action_and_bad_uploads_are_refused(
    client: TestClient, token: Headers, enforcer: Enforcer, scenario: Scenario
) -> None:
    s1 = token("seller")
    bad = client.post(
        "/v1/appeals",
        data={"action_id": scenario.sg, "reason": "not ours", "attested": "batch 7"},
        files=[("photos", ("label.png", b"<svg onload=alert(1)>", "image/png"))],
        headers=s1,
    )
    assert bad.status_code == 422 and bad.json()["error"]["details"]["field"] == "photos"
    big = client.post(
        "/v1/appeals",
        data={"action_id": scenario.sg, "reason": "not ours"},
        files=[("photos", ("big.jpg", b"\xff\xd8\xff" + b"0" * (6 * 2**20), "image/jpeg"))],
        headers=s1,
    )
    assert big.status_code == 422
    not_mine = client.post("/v1/appeals", data={"action_id": scenario.late, "reason": "x"}, headers=s1)
    assert not_mine.status_code == 404  # S3's listing
    r = client.post("/v1/appeals", data={"action_id": scenario.sg, "reason": "Different magnets"}, headers=s1)
    assert r.status_code == 201 and r.json()["kind"] == "appeal"
    dup = client.post("/v1/appeals", data={"action_id": scenario.sg, "reason": "again"}, headers=s1)
    assert dup.status_code == 409
    aid = r.json()["appeal_id"]
    reviewer = token("reviewer")
    d = client.post(
        f"/v1/appeals/{aid}/decide", json={"outcome": "rejected", "reason": "same set"}, headers=reviewer
    )
    assert (
        d.status_code == 200 and d.json()["state"] == "confirmed" and d.json()["outcome_reason"] == "same set"
    )
    assert client.get(f"/v1/actions/{scenario.sg}", headers=reviewer).json()["state"] == "approved"
    assert _audit_kinds(enforcer, f"action:{scenario.sg}")[-2:] == ["appeal.filed", "appeal.confirmed"]
    mine = client.get("/v1/appeals", headers=s1).json()
    assert [a["state"] for a in mine] == ["confirmed"] and all(a["seller_id"] == "S1" for a in mine)
    assert client.get("/v1/appeals", headers=token("seller", seller_id="S9")).json() == []


def test_a_notice_never_tells_the_seller_about_risk_scoring_or_linked_accounts() -> None:
    from recallguard.domain.models import Action, ActionKind, ActionState, Listing
    from recallguard.service.notices import compose

    action = Action("L1", "26561", "CPSC", ActionKind.RESTRICT, ["US"], ActionState.APPROVED, reason="auto")
    evidence = (
        "model BS-100 in title/model; seller S1 risk 0.50: own history: S1 has 1 action (recall 26561); "
        "inherited from S9 (linked by phone); S9 has 2 actions (recall 26561) → block threshold 0.90→0.80, "
        "review 0.30→0.20 (decision review→block); seller linked to S9 by phone"
    )
    now = datetime.now(UTC)
    for lang in ("en", "zh"):
        n = compose(action, Listing("L1", "BABESIDE stroller BS-100", seller_id="S1"), None, evidence,
                    language=lang, applied=now, appeal_days=14, now=now)  # fmt: skip
        text = f"{n.subject}\n{n.what}\n{n.why}\n{n.text}"
        assert "BS-100" in text, text  # what ties the listing to the recall stays
        assert "S9" not in text and "risk" not in text and "threshold" not in text, text


def test_the_appeal_form_closes_when_the_notice_says(
    client: TestClient, token: Headers, enforcer: Enforcer, scenario: Scenario
) -> None:
    """The seller's notice and the appeal form read the same window (``appeal_days``): a seller told the
    time to appeal has ended cannot appeal, and one still inside it can."""
    from sqlalchemy import update

    from recallguard.store.tables import ActionRow

    enforcer.settings.appeal_days = 30
    with enforcer.store.transaction() as uow:
        uow.session.execute(
            update(ActionRow)
            .where(ActionRow.action_id == scenario.sg)
            .values(created_at=datetime.now(UTC) - timedelta(days=31))
        )
    s1 = token("seller")
    notice = client.get(f"/v1/notices/{scenario.sg}", headers=s1).json()
    assert datetime.fromisoformat(notice["appeal_deadline"]) < datetime.now(UTC)
    late = client.post("/v1/appeals", data={"action_id": scenario.sg, "reason": "ours are fine"}, headers=s1)
    assert late.status_code == 409 and "time to appeal" in late.json()["error"]["message"]
    enforcer.settings.appeal_days = 60
    assert datetime.fromisoformat(
        client.get(f"/v1/notices/{scenario.sg}", headers=s1).json()["appeal_deadline"]
    ) > datetime.now(UTC)
    ok = client.post("/v1/appeals", data={"action_id": scenario.sg, "reason": "ours are fine"}, headers=s1)
    assert ok.status_code == 201
