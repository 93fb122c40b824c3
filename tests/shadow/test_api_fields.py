"""The API shows what made each automated decision, and shadow mode through publish-time screening."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from recallguard.api.runtime import Enforcer
from recallguard.service.shadow import set_shadow
from tests.api.conftest import MATCHING


def test_decisions_and_actions_carry_model_version_and_thresholds(
    client: TestClient, enforcer: Enforcer, token
) -> None:  # type: ignore[no-untyped-def]
    mp, admin = token("marketplace"), token("admin")
    res = client.post("/v1/listings:screen", json=MATCHING, headers=mp).json()["results"][0]
    (d,) = res["decisions"]
    assert d["model_version"] == "test-model-number-1" and d["block_threshold"] == 0.9
    assert d["review_threshold"] == 0.3 and d["threshold_basis"] == "CPSC thresholds" and d["shadow"] is False
    (a,) = res["actions"]
    assert a["model_version"] == "test-model-number-1" and a["block_threshold"] == 0.9
    one = client.get(f"/v1/actions/{a['action_id']}", headers=mp).json()
    assert (one["model_version"], one["block_threshold"], one["review_threshold"]) == (
        "test-model-number-1",
        0.9,
        0.3,
    )
    (m,) = client.get("/v1/matches", headers=admin).json()
    assert m["threshold_basis"] == "CPSC thresholds" and m["block_threshold"] == 0.9
    detail = client.get("/v1/listings/L1", headers=admin).json()
    assert detail["actions"][0]["threshold_basis"] == "CPSC thresholds"
    events = [json.loads(line) for line in enforcer.export()]  # the audit export carries them too
    created = next(e for e in events if e["kind"] == "action.created")
    assert (
        created["data"]["model_version"] == "test-model-number-1"
        and created["data"]["block_threshold"] == 0.9
    )


def test_shadow_mode_through_publish_time_screening(client: TestClient, enforcer: Enforcer, token) -> None:  # type: ignore[no-untyped-def]
    set_shadow(enforcer.store, "CPSC", on=True, actor="admin")
    mp = token("marketplace")
    res = client.post("/v1/listings:screen", json=MATCHING, headers=mp).json()["results"][0]
    assert res["decisions"][0]["decision"] == "block" and res["decisions"][0]["shadow"] is True
    assert res["actions"] == [] and res["allowed_everywhere"] is True
    gate = client.get("/v1/gate", params={"listing_id": "L1", "country": "US"}, headers=mp).json()
    assert gate["allowed"] is True  # shadow: the gate is not changed
    set_shadow(enforcer.store, "CPSC", on=False, actor="admin")
    enforcer.refresh_gate()
    gate = client.get("/v1/gate", params={"listing_id": "L1", "country": "US"}, headers=mp).json()
    assert gate["allowed"] is False and gate["reasons"][0]["recall_number"] == "26561"
