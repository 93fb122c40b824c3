"""Every error answer has ONE JSON shape: {"error": {"code", "message", "details"}} — pinned here."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient


def _shape(r: object) -> dict[str, object]:
    body = r.json()  # type: ignore[attr-defined]
    assert list(body) == ["error"], body
    err = body["error"]
    assert sorted(err) == ["code", "details", "message"], body
    assert (
        isinstance(err["code"], str) and isinstance(err["message"], str) and isinstance(err["details"], dict)
    )
    return err  # type: ignore[no-any-return]


def test_error_shape_for_every_kind_of_failure(
    client: TestClient, token: Callable[..., dict[str, str]]
) -> None:
    admin, seller = token("admin"), token("seller")
    r = client.get("/v1/gate", params={"listing_id": "L1", "country": "US"})
    assert r.status_code == 401 and _shape(r)["code"] == "unauthenticated"
    assert r.headers["www-authenticate"] == "Bearer"
    r = client.get(
        "/v1/gate", params={"listing_id": "L1", "country": "US"}, headers={"Authorization": "Bearer nope"}
    )
    assert r.status_code == 401 and _shape(r)["code"] == "unauthenticated"
    r = client.get("/v1/gate", params={"listing_id": "L1", "country": "US"}, headers=seller)
    assert r.status_code == 403 and _shape(r) == {
        "code": "forbidden",
        "message": "role seller may not gate:read",
        "details": {},
    }
    r = client.get("/v1/gate", params={"listing_id": "L1", "country": "USA"}, headers=admin)
    err = _shape(r)
    assert r.status_code == 422 and err["code"] == "validation_error"
    assert err["details"]["errors"][0]["location"] == "query.country"  # type: ignore[index]
    r = client.get("/v1/actions/nope", headers=admin)
    assert r.status_code == 404 and _shape(r)["code"] == "not_found"
    r = client.get("/v1/no-such-route")
    assert r.status_code == 404 and _shape(r)["code"] == "not_found"
    r = client.put("/v1/gate", headers=admin)
    assert r.status_code == 405 and _shape(r)["code"] == "method_not_allowed"
    r = client.post("/v1/listings:screen", json={"listings": []}, headers=admin)
    assert r.status_code == 400 and _shape(r)["code"] == "usage_error"


def test_illegal_transition_is_a_409_in_the_same_shape(
    client: TestClient, token: Callable[..., dict[str, str]]
) -> None:
    from tests.api.conftest import MATCHING

    r = client.post("/v1/listings:screen", json=MATCHING, headers=token("marketplace"))
    action_id = r.json()["results"][0]["actions"][0]["action_id"]
    reviewer = token("reviewer")
    assert client.post(f"/v1/actions/{action_id}/reverse", headers=reviewer).status_code == 200
    r = client.post(f"/v1/actions/{action_id}/approve", headers=reviewer)
    err = _shape(r)
    assert (
        r.status_code == 409
        and err["code"] == "illegal_transition"
        and "reversed → approved" in str(err["message"])
    )


def test_openapi_is_published_and_documents_the_error_shape(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    assert "/v1/gate" in doc["paths"] and "/v1/listings:screen" in doc["paths"]
    assert "ErrorPublic" in doc["components"]["schemas"]


def test_an_unexpected_failure_is_a_500_in_the_same_shape_without_internals(
    app: object, token: Callable[..., dict[str, str]]
) -> None:
    class BrokenGate:
        def check(self, listing_id: str, country: str) -> None:
            raise RuntimeError("database password is hunter2")

    app.state.enforcer.gate = BrokenGate()  # type: ignore[attr-defined]
    with TestClient(app, raise_server_exceptions=False) as c:  # type: ignore[arg-type]
        r = c.get("/v1/gate", params={"listing_id": "L1", "country": "US"}, headers=token("marketplace"))
    assert r.status_code == 500
    assert _shape(r) == {"code": "internal_error", "message": "internal error", "details": {}}
    assert "hunter2" not in r.text
