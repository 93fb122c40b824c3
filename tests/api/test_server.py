"""A real server: `recallguard serve` (uvicorn) on 127.0.0.1, called over HTTP, with the real matcher."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from recallguard.api.runtime import Enforcer
from recallguard.enforcement.auth import Role
from tests.api.conftest import MATCHING, make_settings, seed_recall
from tests.api.test_cli import _env
from tests.serving import serving


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    enf = Enforcer(make_settings(tmp_path))
    seed_recall(enf)
    headers = {"Authorization": "Bearer " + enf.create_token(Role.MARKETPLACE)[0]}
    enf.close()
    with serving(_env(tmp_path), tmp_path) as base:
        yield base, headers


def test_real_server_screens_with_the_matcher_and_gates(server: tuple[str, dict[str, str]]) -> None:
    base, headers = server
    with httpx.Client(base_url=base, headers=headers, timeout=30) as c:
        assert c.get("/healthz").json()["mode"] == "development"
        assert c.get("/v1/gate", params={"listing_id": "L1", "country": "US"}).json()["allowed"] is True
        body = c.post("/v1/listings:screen", json={"listings": [MATCHING]}).json()
        (result,) = body["results"]
        assert [d["recall_number"] for d in result["decisions"]] == ["26561"]  # the real matcher found it
        blocked = any(a["state"] == "approved" for a in result["actions"])
        gate = c.get("/v1/gate", params={"listing_id": "L1", "country": "US"}).json()
        assert gate["allowed"] is not blocked  # a block decision restricts at once; review waits for a person
        assert c.get("/v1/gate", params={"listing_id": "L1", "country": "DE"}).json()["allowed"] is True
        r = c.get(
            "/v1/gate", params={"listing_id": "L1", "country": "US"}, headers={"Authorization": "Bearer bad"}
        )
        assert r.status_code == 401 and r.json()["error"]["code"] == "unauthenticated"
        assert "/v1/gate" in c.get("/openapi.json").json()["paths"]
