"""Who is calling: users with argon2 password hashes, scoped API tokens, sessions, roles.

Roles: ``admin``, ``reviewer``, ``marketplace`` (a machine), ``regulator`` (tied to one authority) and
``seller`` (tied to one seller id). A token or session is a random secret shown once; only its SHA-256
is stored, with the role and scope it grants, an expiry and a revocation time.

>>> secret, rec = issue_token(Role.REGULATOR, authority="CPSC", now=datetime(2026, 1, 1, tzinfo=UTC))
>>> secret.startswith(TOKEN_PREFIX), rec.token_hash == hash_token(secret)
(True, True)
>>> check_token(rec, datetime(2026, 1, 2, tzinfo=UTC)).authority
'CPSC'
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from recallguard.errors import AuthenticationRequired, UsageError

TOKEN_PREFIX = "rg_"
SESSION_PREFIX = "rgs_"
DEFAULT_TOKEN_TTL = timedelta(days=365)
DEFAULT_SESSION_TTL = timedelta(hours=12)

_hasher = PasswordHasher()


class Role(enum.StrEnum):
    ADMIN = "admin"
    REVIEWER = "reviewer"
    MARKETPLACE = "marketplace"
    REGULATOR = "regulator"
    SELLER = "seller"


@dataclass(frozen=True)
class Principal:
    """The authenticated caller and the scope its role carries.

    >>> Principal("t1", Role.SELLER, seller_id="S1").seller_id
    'S1'
    """

    subject: str  # user name or token id
    role: Role
    authority: str | None = None  # regulator only
    seller_id: str | None = None  # seller only

    @property
    def actor(self) -> str:
        """How the principal is named in audit events, e.g. ``regulator:CPSC:alice``."""
        scope = self.authority or self.seller_id
        return f"{self.role.value}:{scope}:{self.subject}" if scope else f"{self.role.value}:{self.subject}"


def validate_scope(role: Role, authority: str | None, seller_id: str | None) -> None:
    """A regulator needs an authority, a seller a seller id, and no other role carries either.

    >>> validate_scope(Role.REGULATOR, None, None)
    Traceback (most recent call last):
    ...
    recallguard.errors.UsageError: role regulator needs --authority
    """
    if role == Role.REGULATOR and not authority:
        raise UsageError("role regulator needs --authority")
    if role == Role.SELLER and not seller_id:
        raise UsageError("role seller needs --seller")
    if authority and role != Role.REGULATOR:
        raise UsageError(f"--authority only applies to role regulator, not {role.value}")
    if seller_id and role != Role.SELLER:
        raise UsageError(f"--seller only applies to role seller, not {role.value}")


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (salted; safe to store).

    >>> verify_password(hash_password("s3cret!!"), "s3cret!!")
    True
    """
    if len(password) < 8:
        raise UsageError("password must be at least 8 characters")
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """True when ``password`` matches the stored argon2 hash.

    >>> verify_password(hash_password("s3cret!!"), "wrong")
    False
    """
    try:
        return _hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def hash_token(secret: str) -> str:
    """SHA-256 hex of a token or session secret: what is stored and looked up.

    >>> len(hash_token("rg_x"))
    64
    """
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class TokenRecord:
    """A stored token or session: never the secret itself."""

    token_id: str
    token_hash: str
    role: Role
    authority: str | None = None
    seller_id: str | None = None
    user: str | None = None  # the user a session belongs to
    kind: str = "token"  # "token" (API, machines) or "session" (pages)
    created_at: datetime | None = None
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    label: str = ""

    def principal(self) -> Principal:
        """The caller this record authenticates."""
        return Principal(self.user or self.token_id, self.role, self.authority, self.seller_id)


def issue_token(
    role: Role | str,
    *,
    authority: str | None = None,
    seller_id: str | None = None,
    user: str | None = None,
    kind: str = "token",
    ttl: timedelta | None = None,
    now: datetime | None = None,
    label: str = "",
) -> tuple[str, TokenRecord]:
    """A new secret and the record to store for it. The secret is returned once and never stored.

    >>> s, r = issue_token("seller", seller_id="S9", kind="session")
    >>> s.startswith(SESSION_PREFIX), r.expires_at - r.created_at == DEFAULT_SESSION_TTL
    (True, True)
    """
    role = Role(role)
    authority = authority.upper() if authority else None
    validate_scope(role, authority, seller_id)
    now = now or datetime.now(UTC)
    ttl = ttl or (DEFAULT_SESSION_TTL if kind == "session" else DEFAULT_TOKEN_TTL)
    secret = (SESSION_PREFIX if kind == "session" else TOKEN_PREFIX) + secrets.token_urlsafe(32)
    token_id = secrets.token_hex(8)
    rec = TokenRecord(
        token_id, hash_token(secret), role, authority, seller_id, user, kind, now, now + ttl, None, label
    )
    return secret, rec


def check_token(record: TokenRecord | None, now: datetime | None = None) -> Principal:
    """The principal of a live record; raises AuthenticationRequired (401) when missing, expired or
    revoked.

    >>> check_token(None)
    Traceback (most recent call last):
    ...
    recallguard.errors.AuthenticationRequired: invalid or missing token
    """
    now = now or datetime.now(UTC)
    if record is None:
        raise AuthenticationRequired("invalid or missing token")
    if record.revoked_at is not None and _aware(record.revoked_at) <= now:
        raise AuthenticationRequired(f"token {record.token_id} was revoked")
    if record.expires_at is not None and _aware(record.expires_at) <= now:
        raise AuthenticationRequired(f"token {record.token_id} expired")
    return record.principal()


def bearer_secret(header: str | None) -> str | None:
    """The secret in an ``Authorization: Bearer …`` header, or None.

    >>> bearer_secret("Bearer rg_abc"), bearer_secret("Basic x")
    ('rg_abc', None)
    """
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def constant_time_equal(a: str, b: str) -> bool:
    """Compare secrets without leaking timing.

    >>> constant_time_equal("a", "a")
    True
    """
    return hmac.compare_digest(a.encode(), b.encode())


def _aware(t: datetime) -> datetime:
    return t if t.tzinfo else t.replace(tzinfo=UTC)
