"""Every role (and no role) on EVERY route of the app, generated from the app's routes: a route whose
permission does not allow a role answers 403 (401 without a token); an allowed role is never refused.
A new route without a ``Permit`` makes ``create_app`` fail, so it cannot escape this test."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient

from recallguard.api.app import route_permissions
from recallguard.enforcement.auth import Role
from recallguard.enforcement.permissions import PERMISSIONS, PUBLIC
from recallguard.errors import ConfigurationError

QUERY = {"/v1/gate": {"listing_id": "L1", "country": "US"}}


def test_every_role_on_every_route(
    app: FastAPI, client: TestClient, token: Callable[..., dict[str, str]]
) -> None:
    table = route_permissions(app)
    assert len(table) >= 20
    tried = 0
    for (method, path), permission in sorted(table.items()):
        url = re.sub(r"\{[^}]+\}", "x", path)
        for role in [None, *Role]:
            headers = token(role.value) if role else {}  # a fresh token: logout routes revoke theirs
            r = client.request(method, url, params=QUERY.get(path), headers=headers, json={})
            tried += 1
            allowed = permission == PUBLIC or (role is not None and role in PERMISSIONS[permission])
            who = role.value if role else "anonymous"
            if allowed:
                assert r.status_code not in (401, 403), f"{who} refused on {method} {path}: {r.text}"
            elif role is None:
                assert r.status_code == 401, f"anonymous let through on {method} {path}"
            else:
                assert r.status_code == 403, f"{who} let through on {method} {path} ({r.status_code})"
    assert tried == len(table) * (len(Role) + 1)


def test_a_route_without_a_permission_is_refused_at_startup() -> None:
    app = FastAPI()
    router = APIRouter()

    @router.get("/v1/sneaky")
    def sneaky() -> dict[str, str]:
        return {}

    app.include_router(router)
    with pytest.raises(ConfigurationError, match="/v1/sneaky"):
        route_permissions(app)
