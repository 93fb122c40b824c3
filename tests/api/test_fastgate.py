"""The gate's hot path gives the same answers as the route, under the same permission layer."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from recallguard.enforcement.auth import Role
from tests.api.conftest import MATCHING, make_app, make_settings


def test_fast_path_answers_like_the_route_and_refuses_like_it(tmp_path: Path) -> None:
    app = make_app(make_settings(tmp_path, token_cache_s=60.0))
    enf = app.state.enforcer
    mp = {"Authorization": "Bearer " + enf.create_token(Role.MARKETPLACE)[0]}
    seller_secret, seller_rec = enf.create_token(Role.SELLER, seller_id="S1")
    seller = {"Authorization": "Bearer " + seller_secret}
    q = {"listing_id": "L1", "country": "us"}
    with TestClient(app) as c:
        c.post("/v1/listings:screen", json=MATCHING, headers=mp)
        first = c.get("/v1/gate", params=q, headers=mp)  # token not cached yet: the FastAPI route
        assert enf.token_cached(mp["Authorization"][7:])
        fast = c.get("/v1/gate", params=q, headers=mp)  # cached: answered by the fast path
        assert first.json() == fast.json() and fast.json()["allowed"] is False
        assert fast.headers["content-type"] == "application/json"
        # a refused role is refused even when its token is cached, in the one error shape
        c.get("/v1/whoami", headers=seller)
        assert enf.token_cached(seller_secret)
        r = c.get("/v1/gate", params=q, headers=seller)
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
        # malformed requests fall through to the route's validation
        r = c.get("/v1/gate", params={"listing_id": "L1", "country": "USA"}, headers=mp)
        assert r.status_code == 422 and r.json()["error"]["code"] == "validation_error"
        # revocation through the API takes effect at once
        admin = {"Authorization": "Bearer " + enf.create_token(Role.ADMIN)[0]}
        mp_id = next(t.token_id for t in _tokens(enf) if t.role == Role.MARKETPLACE)
        assert c.delete(f"/v1/tokens/{mp_id}", headers=admin).status_code == 200
        assert c.get("/v1/gate", params=q, headers=mp).status_code == 401
        assert 'route="/v1/gate"' in c.get("/metrics").text
    enf.close()
    assert seller_rec.seller_id == "S1"


def _tokens(enf: object) -> list:  # type: ignore[type-arg]
    from recallguard.store.enforcement_tables import EnforcementRepo

    with enf.store.transaction() as uow:  # type: ignore[attr-defined]
        return EnforcementRepo(uow.session).tokens()
