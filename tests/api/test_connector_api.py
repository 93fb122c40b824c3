"""Approved actions reach a real marketplace receiver on 127.0.0.1, signed; confirmations come back
through the API; what cannot be delivered is dead-lettered and the gate keeps refusing."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from recallguard.enforcement.auth import Role
from tests.api.conftest import MATCHING, make_app, make_settings
from tests.enforcement.receivers import webhook_receiver

SECRET = "whsec-0123456789abcdef"


def test_approved_action_is_delivered_signed_and_confirmed_back(tmp_path: Path) -> None:
    with webhook_receiver(SECRET, ["500"]) as rx:
        app = make_app(
            make_settings(tmp_path, webhook_url=rx.url, webhook_secret=SECRET, webhook_max_attempts=3)
        )
        enf = app.state.enforcer
        mp = {"Authorization": "Bearer " + enf.create_token(Role.MARKETPLACE)[0]}
        with TestClient(app) as client:
            r = client.post("/v1/listings:screen", json=MATCHING, headers=mp)
            action_id = r.json()["results"][0]["actions"][0]["action_id"]
            # the background delivery ran: one 500, then delivered; the action is now "sent"
            assert [q["valid"] for q in rx.requests] == [True, True]
            assert rx.applied == [f"{action_id}:action.approved"]
            assert client.get(f"/v1/actions/{action_id}", headers=mp).json()["state"] == "sent"
            r = client.post(f"/v1/actions/{action_id}/confirm", json={"reference": "MP-77"}, headers=mp)
            assert r.json()["state"] == "confirmed"
            admin = {"Authorization": "Bearer " + enf.create_token(Role.ADMIN)[0]}
            (d,) = client.get("/v1/deliveries", headers=admin).json()
            assert d["status"] == "delivered" and d["attempts"] == 2
        enf.close()


def test_undeliverable_action_is_dead_lettered_failed_and_still_refused(tmp_path: Path) -> None:
    with webhook_receiver(SECRET, ["500"] * 10) as rx:
        app = make_app(
            make_settings(tmp_path, webhook_url=rx.url, webhook_secret=SECRET, webhook_max_attempts=2)
        )
        enf = app.state.enforcer
        mp = {"Authorization": "Bearer " + enf.create_token(Role.MARKETPLACE)[0]}
        admin = {"Authorization": "Bearer " + enf.create_token(Role.ADMIN)[0]}
        with TestClient(app) as client:
            action_id = client.post("/v1/listings:screen", json=MATCHING, headers=mp).json()["results"][0][
                "actions"
            ][0]["action_id"]
            assert len(rx.requests) == 2
            assert client.get(f"/v1/actions/{action_id}", headers=mp).json()["state"] == "failed"
            (dead,) = client.get("/v1/deliveries", params={"status": "dead"}, headers=admin).json()
            assert dead["attempts"] == 2 and "HTTP 500" in dead["last_error"]
            gate = client.get("/v1/gate", params={"listing_id": "L1", "country": "US"}, headers=mp).json()
            assert gate["allowed"] is False
            # the marketplace is back: an admin sends it again; it is delivered with the same idempotency key
            rx.script.clear()
            assert client.post(f"/v1/actions/{action_id}/resend", headers=admin).status_code == 200
            assert client.get(f"/v1/actions/{action_id}", headers=mp).json()["state"] == "sent"
            assert rx.applied == [f"{action_id}:action.approved"] and len(rx.requests) == 3
            again = client.post(f"/v1/actions/{action_id}/resend", headers=admin)
            assert again.status_code == 409 and again.json()["error"]["code"] == "illegal_transition"
        enf.close()
