"""API tokens (admin) and page sessions (username + password → session cookie)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from recallguard.api.deps import SESSION_COOKIE, Permit, get_enforcer
from recallguard.api.schemas import SessionCreate, TokenCreate, TokenIssued, TokenPublic, WhoAmI
from recallguard.enforcement.auth import Principal, Role, bearer_secret, hash_token, verify_password
from recallguard.errors import AuthenticationRequired
from recallguard.store.enforcement_tables import EnforcementRepo

router = APIRouter(prefix="/v1", tags=["auth"])


@router.post(
    "/tokens", summary="Create an API token (shown once)", status_code=201, response_model=TokenIssued
)
def create_token(
    request: Request, body: TokenCreate, principal: Principal = Depends(Permit("tokens:create"))
) -> TokenIssued:
    secret, rec = get_enforcer(request).create_token(
        body.role,
        authority=body.authority,
        seller_id=body.seller_id,
        label=body.label,
        ttl_days=body.ttl_days,
        actor=principal.actor,
    )
    return TokenIssued(**TokenPublic.from_record(rec).model_dump(), token=secret)


@router.get("/tokens", summary="Tokens and sessions (never their secrets)", response_model=list[TokenPublic])
def list_tokens(request: Request, _: Principal = Depends(Permit("tokens:read"))) -> list[TokenPublic]:
    with get_enforcer(request).store.transaction() as uow:
        return [TokenPublic.from_record(r) for r in EnforcementRepo(uow.session).tokens()]


@router.delete("/tokens/{token_id}", summary="Revoke a token or session", response_model=TokenPublic)
def revoke_token(
    request: Request, token_id: str, principal: Principal = Depends(Permit("tokens:revoke"))
) -> TokenPublic:
    return TokenPublic.from_record(get_enforcer(request).revoke_token(token_id, principal.actor))


@router.post(
    "/sessions",
    summary="Log in: a session (cookie and bearer secret) for a user",
    status_code=201,
    response_model=TokenIssued,
)
def login(
    request: Request, response: Response, body: SessionCreate, _: Principal = Depends(Permit("public"))
) -> TokenIssued:
    enf = get_enforcer(request)
    with enf.store.transaction() as uow:
        user = EnforcementRepo(uow.session).user(body.username)
        ok = user is not None and not user.disabled and verify_password(user.password_hash, body.password)
        role, authority, seller = (user.role, user.authority, user.seller_id) if user else ("", None, None)
        if not ok:
            uow.audit.append("session.refused", f"user:{body.username}", "api", "bad username or password")
    if not ok:
        raise AuthenticationRequired("bad username or password")
    secret, rec = enf.create_token(
        Role(role),
        authority=authority,
        seller_id=seller,
        user=body.username,
        kind="session",
        actor=f"user:{body.username}",
    )
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        httponly=True,
        samesite="strict",
        secure=enf.settings.production,
        max_age=12 * 3600,
    )
    return TokenIssued(**TokenPublic.from_record(rec).model_dump(), token=secret)


@router.delete(
    "/sessions/current", summary="Log out: revoke the current session or token", response_model=TokenPublic
)
def logout(
    request: Request, response: Response, principal: Principal = Depends(Permit("session:read"))
) -> TokenPublic:
    enf = get_enforcer(request)
    secret = bearer_secret(request.headers.get("authorization")) or request.cookies.get(SESSION_COOKIE) or ""
    with enf.store.transaction() as uow:
        rec = EnforcementRepo(uow.session).token_by_hash(hash_token(secret))
    assert rec is not None  # Permit authenticated it
    response.delete_cookie(SESSION_COOKIE)
    return TokenPublic.from_record(enf.revoke_token(rec.token_id, principal.actor))


@router.get("/whoami", summary="The caller's role and scope", response_model=WhoAmI)
def whoami(principal: Principal = Depends(Permit("session:read"))) -> WhoAmI:
    return WhoAmI(
        subject=principal.subject,
        role=principal.role.value,
        authority=principal.authority,
        seller_id=principal.seller_id,
    )
