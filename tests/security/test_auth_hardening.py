"""Security of the service: headers, rate limits (failed sign-ins, gate per token), sessions and tokens
that expire and can be revoked, CSRF on the pages, no secret defaults outside development, and SQL
only through bound parameters."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from recallguard.api.config import ServiceSettings
from recallguard.api.limits import LimitSettings
from recallguard.api.ratelimit import TokenBucket
from recallguard.enforcement.audit_log import AuditKey
from recallguard.enforcement.auth import Role, check_token, hash_password
from recallguard.errors import AuthenticationRequired, ConfigurationError
from recallguard.store.enforcement_tables import EnforcementRepo
from tests.api.conftest import make_app, make_settings

SRC = Path(__file__).resolve().parents[2] / "src" / "recallguard"


def _app(tmp_path: Path, **kw: object) -> FastAPI:
    app = make_app(make_settings(tmp_path, **kw))
    with app.state.enforcer.store.transaction() as uow:
        EnforcementRepo(uow.session).add_user(
            "ann", hash_password("correct horse"), Role.REVIEWER, None, None
        )
        EnforcementRepo(uow.session).add_user(
            "bob", hash_password("battery staple"), Role.REVIEWER, None, None
        )
    return app


@pytest.fixture()
def client(tmp_path: Path) -> Iterator[TestClient]:
    app = _app(tmp_path)
    with TestClient(app) as c:
        yield c
    app.state.enforcer.close()


# --- headers ---------------------------------------------------------------------------------------


def test_security_headers_on_api_and_pages(client: TestClient) -> None:
    for path in ("/healthz", "/sign-in", "/v1/whoami"):
        r = client.get(path)
        assert r.headers["x-content-type-options"] == "nosniff", path
        assert r.headers["x-frame-options"] == "DENY", path
        assert r.headers["referrer-policy"] == "no-referrer", path
        csp = r.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp, path  # pages set their own
        assert "strict-transport-security" not in r.headers  # development runs on plain http
    assert "object-src 'none'" in client.get("/healthz").headers["content-security-policy"]
    page = client.get("/sign-in").headers["content-security-policy"]
    assert "script-src 'self';" in page and "unsafe-inline" not in page  # the pages have no inline script
    assert "unsafe-inline" in client.get("/docs").headers["content-security-policy"]  # Swagger UI's bootstrap


def test_pages_have_no_inline_script() -> None:
    """The CSP forbids inline script: no template may rely on one."""
    for tpl in (SRC / "web" / "templates").glob("*.html"):
        text = tpl.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), tpl.name
        assert not re.search(r"\son[a-z]+=", text), tpl.name  # onclick=… handlers


def test_hsts_in_production(tmp_path: Path) -> None:
    key = tmp_path / "audit.pem"
    AuditKey.load(key, create=True)
    app = make_app(make_settings(tmp_path, env="production", audit_key_file=str(key)))
    with TestClient(app) as c:
        assert c.get("/healthz").headers["strict-transport-security"].startswith("max-age=31536000")
    app.state.enforcer.close()


# --- rate limits -----------------------------------------------------------------------------------


def test_failed_sign_ins_are_limited_per_user(client: TestClient) -> None:
    burst = LimitSettings().signin_burst
    codes = [client.post("/v1/sessions", json={"username": "ann", "password": "wrong"}).status_code
             for _ in range(burst + 2)]  # fmt: skip
    assert codes[:burst] == [401] * burst
    assert codes[burst:] == [429, 429]
    r = client.post("/v1/sessions", json={"username": "ann", "password": "correct horse"})
    assert r.status_code == 429  # refused before the password is even checked
    assert int(r.headers["retry-after"]) >= 1
    assert r.json()["error"]["code"] == "rate_limited"
    # another user from the same address is not locked out by ann's attacker
    assert (
        client.post("/v1/sessions", json={"username": "bob", "password": "battery staple"}).status_code == 201
    )


def test_successful_sign_ins_are_never_throttled(client: TestClient) -> None:
    for _ in range(LimitSettings().signin_burst * 3):
        assert (
            client.post("/v1/sessions", json={"username": "bob", "password": "battery staple"}).status_code
            == 201
        )


def test_page_sign_in_is_limited_too(client: TestClient) -> None:
    client.get("/sign-in")  # the sign-in form's CSRF cookie
    csrf = client.cookies.get("rg_csrf")
    form = {"username": "ann", "password": "nope", "csrf_token": csrf}
    codes = [client.post("/sign-in", data=form, follow_redirects=False).status_code for _ in range(12)]
    assert 401 in codes and codes[-1] == 429


def test_gate_rate_limit_per_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECALLGUARD_GATE_RATE_PER_MIN", "60")
    monkeypatch.setenv("RECALLGUARD_GATE_BURST", "3")
    app = _app(tmp_path)
    a, _ = app.state.enforcer.create_token("marketplace")
    b, _ = app.state.enforcer.create_token("marketplace")
    with TestClient(app) as c:
        url = "/v1/gate?listing_id=L9&country=US"
        codes = [c.get(url, headers={"Authorization": f"Bearer {a}"}).status_code for _ in range(5)]
        assert codes == [200, 200, 200, 429, 429]
        assert c.get(url, headers={"Authorization": f"Bearer {b}"}).status_code == 200  # per token
    app.state.enforcer.close()


def test_default_gate_limit_is_above_the_throughput_goal() -> None:
    limits = LimitSettings()
    assert limits.gate_rate_per_min / 60 >= 2_000 * 2  # twice the 2,000 req/s goal, per token
    bucket = TokenBucket(limits.gate_rate_per_min, limits.gate_burst)
    # one second at 2,000 req/s, evenly spread: never refused
    assert all(bucket.take("t", now=i / 2_000) for i in range(2_000 * 5))


# --- sessions and tokens -----------------------------------------------------------------------------


def test_tokens_expire_and_can_be_revoked(client: TestClient) -> None:
    enf = client.app.state.enforcer  # type: ignore[attr-defined]
    secret, rec = enf.create_token("admin", ttl_days=1)
    auth = {"Authorization": f"Bearer {secret}"}
    assert client.get("/v1/whoami", headers=auth).status_code == 200
    with pytest.raises(AuthenticationRequired, match="expired"):
        check_token(rec, now=datetime.now(UTC) + timedelta(days=1, seconds=1))
    other, _ = enf.create_token("admin")
    r = client.delete(f"/v1/tokens/{rec.token_id}", headers={"Authorization": f"Bearer {other}"})
    assert r.status_code == 200
    assert client.get("/v1/whoami", headers=auth).status_code == 401


def test_sessions_expire_and_sign_out_revokes(client: TestClient) -> None:
    r = client.post("/v1/sessions", json={"username": "ann", "password": "correct horse"})
    body = r.json()
    assert body["expires_at"]  # sessions always expire
    expires = datetime.fromisoformat(body["expires_at"])
    assert expires - datetime.now(UTC) <= timedelta(hours=13)
    auth = {"Authorization": f"Bearer {body['token']}"}
    assert client.get("/v1/whoami", headers=auth).status_code == 200
    assert client.delete("/v1/sessions/current", headers=auth).status_code == 200
    assert client.get("/v1/whoami", headers=auth).status_code == 401


# --- CSRF on the pages ---------------------------------------------------------------------------------


def test_sign_in_form_needs_its_csrf_token(client: TestClient) -> None:
    r = client.post("/sign-in", data={"username": "ann", "password": "correct horse"}, follow_redirects=False)
    assert r.status_code == 400  # no rg_csrf cookie, no token: refused before the password is checked
    client.get("/sign-in")
    form = {"username": "ann", "password": "correct horse", "csrf_token": "forged"}
    assert client.post("/sign-in", data=form, follow_redirects=False).status_code == 400
    form["csrf_token"] = client.cookies.get("rg_csrf") or ""
    assert client.post("/sign-in", data=form, follow_redirects=False).status_code == 303


def test_signed_in_forms_need_the_session_token(client: TestClient) -> None:
    from recallguard.web.security import csrf_for_session

    client.get("/sign-in")
    form = {"username": "ann", "password": "correct horse", "csrf_token": client.cookies.get("rg_csrf") or ""}
    assert client.post("/sign-in", data=form, follow_redirects=False).status_code == 303
    session = client.cookies.get("rg_session")
    assert session
    # a cross-site form posting with the victim's cookie but without the token is refused
    assert client.post("/sign-out", data={}, follow_redirects=False).status_code == 400
    assert client.post("/sign-out", data={"csrf_token": "0" * 64}, follow_redirects=False).status_code == 400
    ok = client.post("/sign-out", data={"csrf_token": csrf_for_session(session)}, follow_redirects=False)
    assert ok.status_code in (200, 303)


def test_session_cookie_flags(client: TestClient) -> None:
    r = client.post("/v1/sessions", json={"username": "ann", "password": "correct horse"})
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie


# --- secrets -----------------------------------------------------------------------------------------------


def test_development_is_the_default_and_generates_secrets(tmp_path: Path) -> None:
    s = ServiceSettings(database_url="sqlite://", data_dir=str(tmp_path))
    assert not s.production
    assert len(s.resolved_webhook_secret()) >= 32
    assert (tmp_path / "webhook_secret").stat().st_mode & 0o077 == 0  # readable by the owner only


@pytest.mark.parametrize(
    "overrides",
    [
        {},  # no audit key
        {"audit_key_file": "/nonexistent/key.pem"},
        {"webhook_url": "https://m.example/hook", "webhook_secret": "changeme"},
        {"webhook_url": "https://m.example/hook", "webhook_secret": "short"},
        {"webhook_url": "https://m.example/hook"},
    ],
)
def test_production_refuses_default_secrets(tmp_path: Path, overrides: dict[str, str]) -> None:
    key = tmp_path / "audit.pem"
    AuditKey.load(key, create=True)
    base = {"database_url": "sqlite://", "data_dir": str(tmp_path), "env": "production"}
    if overrides.get("audit_key_file") is None and overrides:
        base["audit_key_file"] = str(key)
    with pytest.raises(ConfigurationError, match="production mode refuses"):
        ServiceSettings(**{**base, **overrides}).check_production()


# --- SQL ----------------------------------------------------------------------------------------------------


def _sql_call_problems(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        f = node.func
        name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
        if name not in ("text", "execute", "exec_driver_sql", "executemany", "copy"):
            continue
        arg = node.args[0]
        built = (
            isinstance(arg, ast.JoinedStr) and any(isinstance(v, ast.FormattedValue) for v in arg.values)
        ) or (isinstance(arg, ast.BinOp) and isinstance(arg.op, ast.Mod | ast.Add))
        built = built or (isinstance(arg, ast.Call) and getattr(arg.func, "attr", "") == "format")
        if built:
            out.append(f"{path.relative_to(SRC)}:{node.lineno}: {name}() with SQL built from values")
    return out


# Statements built from identifiers the code itself controls (never from input), checked by hand.
REVIEWED: set[str] = set()


def test_sql_only_through_bound_parameters() -> None:
    """No SQL text is assembled with f-strings, % or .format(): values go as bound parameters."""
    problems = [p for f in sorted(SRC.rglob("*.py")) for p in _sql_call_problems(f)]
    assert [p for p in problems if p.split(": ")[0] not in REVIEWED] == []
