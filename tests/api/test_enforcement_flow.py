"""From publish-time screening to the gate, reviewers, marketplace callbacks, scope and the audit log."""

from __future__ import annotations

import json
from collections.abc import Callable

from fastapi.testclient import TestClient

from recallguard.api.runtime import Enforcer
from recallguard.domain.models import Action, ActionKind, ActionState, Listing
from recallguard.enforcement.audit_log import parse_lines, verify_records
from recallguard.store.enforcement_tables import EnforcementRepo
from tests.api.conftest import HARMLESS, MATCHING

Headers = Callable[..., dict[str, str]]


def _gate(client: TestClient, h: dict[str, str], listing: str, country: str) -> dict[str, object]:
    r = client.get("/v1/gate", params={"listing_id": listing, "country": country}, headers=h)
    assert r.status_code == 200
    return r.json()  # type: ignore[no-any-return]


def test_screening_restricts_at_once_for_the_authoritys_countries(client: TestClient, token: Headers) -> None:
    mp = token("marketplace")
    r = client.post(
        "/v1/listings:screen", json={"listings": [MATCHING, HARMLESS, {"title": "no id"}]}, headers=mp
    )
    assert r.status_code == 200
    body = r.json()
    hit, clean = body["results"]
    assert hit["decisions"][0]["recall_number"] == "26561" and hit["decisions"][0]["decision"] == "block"
    (action,) = hit["actions"]
    assert action["state"] == "approved" and action["countries"] == ["US"] and not hit["allowed_everywhere"]
    assert clean["decisions"] == [] and clean["allowed_everywhere"]
    assert body["rejected"] == [
        {"index": 2, "listing_id": "", "field": "listing_id", "error": "Field required"}
    ]
    # refused in the US from approval, before any confirmation; allowed elsewhere
    us = _gate(client, mp, "L1", "us")
    assert us == {
        "listing_id": "L1",
        "country": "US",
        "allowed": False,
        "reasons": [{"recall_number": "26561", "authority": "CPSC", "action_id": action["action_id"]}],
    }
    assert _gate(client, mp, "L1", "DE")["allowed"] and _gate(client, mp, "L2", "US")["allowed"]
    # the listing is stored and shows its restriction
    detail = client.get("/v1/listings/L1", headers=token("admin")).json()
    assert detail["restricted_countries"] == ["US"] and detail["listing"]["seller_id"] == "S1"


def test_reviewer_approval_refuses_at_once_and_reversal_lifts(
    client: TestClient, token: Headers, enforcer: Enforcer
) -> None:
    with enforcer.store.transaction() as uow:
        uow.listings.upsert_many([Listing("L9", "Some stroller", seller_id="S9")])
        a = uow.actions.add(Action("L9", "26561", "CPSC", ActionKind.RESTRICT, ["US"], ActionState.PROPOSED))
    enforcer.refresh_gate()
    mp, reviewer = token("marketplace"), token("reviewer")
    assert _gate(client, mp, "L9", "US")["allowed"]  # proposed: a person has not decided yet
    assert (
        client.post(
            f"/v1/actions/{a.action_id}/approve", json={"reason": "same product"}, headers=mp
        ).status_code
        == 403
    )
    r = client.post(f"/v1/actions/{a.action_id}/approve", json={"reason": "same product"}, headers=reviewer)
    assert r.status_code == 200 and r.json()["state"] == "approved"
    assert not _gate(client, mp, "L9", "US")["allowed"]
    r = client.post(f"/v1/actions/{a.action_id}/reverse", json={"reason": "appeal upheld"}, headers=reviewer)
    assert r.json()["state"] == "reversed" and _gate(client, mp, "L9", "US")["allowed"]


def test_gate_picks_up_actions_written_by_other_processes(
    client: TestClient, token: Headers, enforcer: Enforcer
) -> None:
    other = Enforcer(enforcer.settings)  # e.g. `recallguard scan` in another process
    with other.store.transaction() as uow:
        uow.listings.upsert_many([Listing("L7", "x")])
        uow.actions.add(Action("L7", "26561", "CPSC", ActionKind.DELIST, ["*"], ActionState.APPROVED))
    other.close()
    enforcer.refresh_gate()
    assert not _gate(client, token("marketplace"), "L7", "JP")["allowed"]


def test_marketplace_confirmation_is_idempotent(
    client: TestClient, token: Headers, enforcer: Enforcer
) -> None:
    mp = token("marketplace")
    action_id = client.post("/v1/listings:screen", json=MATCHING, headers=mp).json()["results"][0]["actions"][
        0
    ]["action_id"]
    first = client.post(f"/v1/actions/{action_id}/confirm", json={"reference": "MP-1"}, headers=mp)
    second = client.post(f"/v1/actions/{action_id}/confirm", json={"reference": "MP-1"}, headers=mp)
    assert first.status_code == second.status_code == 200
    assert first.json()["state"] == second.json()["state"] == "confirmed"
    with enforcer.store.transaction() as uow:
        kinds = [e.kind for e in uow.audit.list(subject=f"action:{action_id}")]
    assert kinds.count("action.confirmed") == 1 and "action.sent" in kinds
    assert not _gate(client, mp, "L1", "US")["allowed"]


def test_regulator_and_seller_see_only_their_scope(client: TestClient, token: Headers) -> None:
    client.post("/v1/listings:screen", json={"listings": [MATCHING, HARMLESS]}, headers=token("marketplace"))
    cpsc, eu = token("regulator", authority="CPSC"), token("regulator", authority="SAFETYGATE")
    s1, s2 = token("seller", seller_id="S1"), token("seller", seller_id="S2")
    assert client.get("/v1/listings/L1", headers=cpsc).status_code == 200
    assert client.get("/v1/listings/L1", headers=eu).status_code == 404
    assert client.get("/v1/listings/L2", headers=cpsc).status_code == 404  # no CPSC recall concerns it
    assert client.get("/v1/listings/L1", headers=s1).status_code == 200
    assert client.get("/v1/listings/L1", headers=s2).status_code == 404
    assert [r["recall_number"] for r in client.get("/v1/recalls", headers=cpsc).json()] == ["26561"]
    assert client.get("/v1/recalls", headers=eu).json() == []
    assert client.get("/v1/recalls/CPSC/26561", headers=eu).status_code == 404
    assert (
        len(client.get("/v1/actions", headers=s1).json()) == 1
        and client.get("/v1/actions", headers=s2).json() == []
    )
    assert (
        len(client.get("/v1/matches", headers=cpsc).json()) == 1
        and client.get("/v1/matches", headers=eu).json() == []
    )


def test_audit_export_verifies_with_the_published_key_and_redacts_for_other_regulators(
    client: TestClient, token: Headers
) -> None:
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    client.post("/v1/listings:screen", json=MATCHING, headers=token("marketplace"))
    key = load_pem_public_key(client.get("/v1/audit/public-key").content)
    full = list(parse_lines(client.get("/v1/audit/export", headers=token("admin")).text.splitlines()))
    assert verify_records(full, key).ok  # type: ignore[arg-type]
    assert {"action.created", "match.created"} <= {r.get("kind") for r in full}
    eu = list(
        parse_lines(
            client.get(
                "/v1/audit/export", headers=token("regulator", authority="SAFETYGATE")
            ).text.splitlines()
        )
    )
    assert verify_records(eu, key).ok  # type: ignore[arg-type]
    assert not any("26561" in json.dumps(r) for r in eu if r.get("redacted"))
    assert any(r.get("redacted") for r in eu)
    tampered = [dict(r) for r in full]
    tampered[2]["actor"] = "someone else"
    assert verify_records(tampered, key).first_bad_seq == tampered[2]["seq"]  # type: ignore[arg-type]
    assert client.get("/v1/audit/verify", headers=token("admin")).json()["ok"]


def test_sla_clock_stops_at_approval_and_metrics_count_gate_answers(
    client: TestClient, token: Headers
) -> None:
    mp = token("marketplace")
    client.post("/v1/listings:screen", json=MATCHING, headers=mp)
    _gate(client, mp, "L1", "US")
    (case,) = client.get("/v1/sla", headers=token("reviewer")).json()
    assert case["state"] == "met" and case["listing_id"] == "L1" and 0 <= case["time_to_action_s"] < 60
    text = client.get("/metrics").text
    assert 'recallguard_gate_answers_total{allowed="false"} 1.0' in text
    assert 'route="/v1/listings:screen"' in text and "recallguard_gate_restricted_listings 1.0" in text
    assert "recallguard_bank_entries 1.0" in text  # the blocked listing is in the fingerprint bank


def test_session_login_cookie_and_logout(client: TestClient, enforcer: Enforcer) -> None:
    from recallguard.enforcement.auth import Role, hash_password

    with enforcer.store.transaction() as uow:
        EnforcementRepo(uow.session).add_user(
            "alice", hash_password("correct horse"), Role.REVIEWER, None, None
        )
    assert client.post("/v1/sessions", json={"username": "alice", "password": "wrong"}).status_code == 401
    r = client.post("/v1/sessions", json={"username": "alice", "password": "correct horse"})
    assert r.status_code == 201 and "rg_session" in r.cookies
    assert client.get("/v1/whoami").json()["role"] == "reviewer"  # the cookie authenticates the pages
    assert client.delete("/v1/sessions/current").status_code == 200
    client.cookies.set("rg_session", r.json()["token"])
    assert client.get("/v1/whoami").status_code == 401  # revoked


def test_reviewer_confirms_a_review_match_and_the_gate_refuses_at_once(
    client: TestClient, token: Headers, enforcer: Enforcer
) -> None:
    from recallguard.domain.models import DecisionKind, Match

    with enforcer.store.transaction() as uow:
        uow.listings.upsert_many([Listing("L4", "doll stroller, no brand", seller_id="S4")])
        uow.matches.upsert(Match("L4", "26561", "CPSC", 0.55, DecisionKind.REVIEW, "product type"))
    mp, reviewer = token("marketplace"), token("reviewer")
    assert _gate(client, mp, "L4", "US")["allowed"]  # a review match restricts nothing by itself
    body = {"listing_id": "L4", "authority": "cpsc", "recall_number": "26561", "reason": "same stroller"}
    assert client.post("/v1/matches/approve", json=body, headers=mp).status_code == 403
    r = client.post("/v1/matches/approve", json=body, headers=reviewer)
    assert r.status_code == 200 and r.json()["state"] == "approved" and r.json()["countries"] == ["US"]
    assert not _gate(client, mp, "L4", "US")["allowed"] and _gate(client, mp, "L4", "FR")["allowed"]
    missing = client.post("/v1/matches/approve", json={**body, "listing_id": "nope"}, headers=reviewer)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
