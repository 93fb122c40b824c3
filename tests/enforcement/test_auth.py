"""Passwords, tokens and sessions: hashed at rest, scoped, expiring and revocable."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from recallguard.enforcement.auth import (
    Role,
    bearer_secret,
    check_token,
    hash_password,
    hash_token,
    issue_token,
    verify_password,
)
from recallguard.enforcement.permissions import (
    PERMISSIONS,
    authorize,
    may_see_authority,
    may_see_listing,
)
from recallguard.errors import AuthenticationRequired, PermissionDenied, UsageError

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_password_hash_is_argon2_and_checks() -> None:
    h = hash_password("correct horse")
    assert h.startswith("$argon2id$") and "correct horse" not in h
    assert verify_password(h, "correct horse") and not verify_password(h, "wrong horse")
    assert not verify_password("not-a-hash", "correct horse")


def test_token_secret_is_not_stored_and_scope_travels() -> None:
    secret, rec = issue_token(Role.REGULATOR, authority="cpsc", now=NOW)
    assert secret not in repr(rec) and rec.token_hash == hash_token(secret)
    p = check_token(rec, NOW + timedelta(days=1))
    assert p.role == Role.REGULATOR and p.authority == "CPSC"


def test_expired_and_revoked_tokens_are_refused() -> None:
    _, rec = issue_token(Role.MARKETPLACE, ttl=timedelta(hours=1), now=NOW)
    with pytest.raises(AuthenticationRequired, match="expired"):
        check_token(rec, NOW + timedelta(hours=2))
    revoked = dataclasses.replace(rec, revoked_at=NOW)
    with pytest.raises(AuthenticationRequired, match="revoked"):
        check_token(revoked, NOW + timedelta(minutes=1))


def test_scope_rules_for_regulator_and_seller() -> None:
    with pytest.raises(UsageError):
        issue_token(Role.REGULATOR)
    with pytest.raises(UsageError):
        issue_token(Role.SELLER)
    with pytest.raises(UsageError):
        issue_token(Role.ADMIN, authority="CPSC")


def test_permission_layer_and_row_scope() -> None:
    _, rec = issue_token(Role.SELLER, seller_id="S1")
    seller = rec.principal()
    with pytest.raises(PermissionDenied):
        authorize(seller, "gate:read")
    with pytest.raises(AuthenticationRequired):
        authorize(None, "gate:read")
    assert authorize(None, "public")
    assert may_see_listing(seller, "S1") and not may_see_listing(seller, "S2")
    _, rrec = issue_token(Role.REGULATOR, authority="SAFETYGATE")
    reg = rrec.principal()
    assert may_see_authority(reg, "SAFETYGATE") and not may_see_authority(reg, "CPSC")
    assert not may_see_listing(reg, "S1", ["CPSC"]) and may_see_listing(reg, "S1", ["SAFETYGATE"])
    assert Role.MARKETPLACE in PERMISSIONS["gate:read"] and Role.MARKETPLACE in PERMISSIONS["listings:screen"]


def test_bearer_header_parsing() -> None:
    assert bearer_secret("Bearer abc") == "abc"
    assert bearer_secret("bearer  abc ") == "abc"
    assert bearer_secret(None) is None and bearer_secret("Token abc") is None
