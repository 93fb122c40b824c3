"""Actions: lists, reviewers' decisions, and the marketplace's confirm / fail callbacks."""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Depends, Query, Request

from recallguard.api.accountability import public_actions
from recallguard.api.deps import Permit, get_enforcer
from recallguard.api.schemas import ActionDecision, ActionPublic, DeliveryPublic
from recallguard.domain.models import ActionState
from recallguard.enforcement.auth import Principal
from recallguard.enforcement.permissions import authority_filter, seller_filter
from recallguard.errors import NotFoundError
from recallguard.store.enforcement_tables import EnforcementRepo

router = APIRouter(prefix="/v1", tags=["actions"])
S = ActionState


@router.get(
    "/actions",
    summary="Actions, filtered (regulator: its authority's; seller: its listings')",
    response_model=list[ActionPublic],
)
def actions(
    request: Request,
    state: ActionState | None = None,
    listing_id: str | None = None,
    authority: str | None = None,
    limit: int = Query(default=100, ge=1, le=1000),
    offset: int = Query(default=0, ge=0, le=2**53),  # past it the store overflows (SQLite INTEGER)
    principal: Principal = Depends(Permit("actions:read")),
) -> list[ActionPublic]:
    mine = authority_filter(principal)
    if mine and authority and authority.upper() != mine:
        return []
    with get_enforcer(request).store.transaction() as uow:
        found = EnforcementRepo(uow.session).query_actions(
            authority=mine or (authority.upper() if authority else None),
            seller_id=seller_filter(principal),
            state=state.value if state else None,
            listing_id=listing_id,
            limit=limit,
            offset=offset,
        )
        return public_actions(uow, found)


@router.get("/actions/{action_id}", summary="One action", response_model=ActionPublic)
def action(
    request: Request, action_id: str, principal: Principal = Depends(Permit("actions:read"))
) -> ActionPublic:
    with get_enforcer(request).store.transaction() as uow:
        repo = EnforcementRepo(uow.session)
        found = repo.query_actions(
            authority=authority_filter(principal),
            seller_id=seller_filter(principal),
            limit=1,
            action_id=action_id,
        )
        if not found:
            raise NotFoundError(f"no action {action_id}")
        return public_actions(uow, found)[0]


def _decide(
    request: Request,
    action_id: str,
    target: ActionState,
    principal: Principal,
    body: ActionDecision,
    tasks: BackgroundTasks | None = None,
) -> ActionPublic:
    enf = get_enforcer(request)
    new = enf.move(action_id, target, principal.actor, body.reason)
    if target == S.APPROVED and tasks is not None and enf.connector is not None:
        tasks.add_task(enf.dispatch, [new])
    elif target in (S.WITHDRAWN, S.REVERSED) and tasks is not None and enf.connector is not None:
        tasks.add_task(enf.send_queued, [new.action_id])  # its lift, when it had gone out
    return ActionPublic.from_domain(new)


@router.post(
    "/actions/{action_id}/approve",
    summary="Approve a proposed action (restricts at the gate now)",
    response_model=ActionPublic,
)
def approve(
    request: Request,
    action_id: str,
    tasks: BackgroundTasks,
    body: ActionDecision | None = None,
    principal: Principal = Depends(Permit("actions:decide")),
) -> ActionPublic:
    return _decide(request, action_id, S.APPROVED, principal, body or ActionDecision(), tasks)


@router.post(
    "/actions/{action_id}/reject", summary="Reject a proposed action (withdrawn)", response_model=ActionPublic
)
def reject(
    request: Request,
    action_id: str,
    tasks: BackgroundTasks,
    body: ActionDecision | None = None,
    principal: Principal = Depends(Permit("actions:decide")),
) -> ActionPublic:
    return _decide(request, action_id, S.WITHDRAWN, principal, body or ActionDecision(), tasks)


@router.post(
    "/actions/{action_id}/reverse",
    summary="Reverse an action (appeal upheld, recall withdrawn)",
    response_model=ActionPublic,
)
def reverse(
    request: Request,
    action_id: str,
    tasks: BackgroundTasks,
    body: ActionDecision | None = None,
    principal: Principal = Depends(Permit("actions:decide")),
) -> ActionPublic:
    """An action that had gone out gets its ``action.lifted`` delivery sent after the answer."""
    return _decide(request, action_id, S.REVERSED, principal, body or ActionDecision(), tasks)


@router.post(
    "/actions/{action_id}/confirm",
    summary="Marketplace callback: the action was carried out",
    response_model=ActionPublic,
)
def confirm(
    request: Request,
    action_id: str,
    body: ActionDecision | None = None,
    principal: Principal = Depends(Permit("actions:callback")),
) -> ActionPublic:
    """Idempotent: confirming a confirmed action answers it unchanged."""
    b = body or ActionDecision()
    new, _ = get_enforcer(request).confirm(action_id, principal.actor, True, b.reason, b.reference)
    return ActionPublic.from_domain(new)


@router.post(
    "/actions/{action_id}/fail",
    summary="Marketplace callback: the action could not be carried out",
    response_model=ActionPublic,
)
def fail(
    request: Request,
    action_id: str,
    body: ActionDecision | None = None,
    principal: Principal = Depends(Permit("actions:callback")),
) -> ActionPublic:
    """The restriction stays in force at the gate; the action is retried (sent again) later."""
    b = body or ActionDecision()
    new, _ = get_enforcer(request).confirm(action_id, principal.actor, False, b.reason, b.reference)
    return ActionPublic.from_domain(new)


@router.post(
    "/actions/{action_id}/resend",
    summary="Send a failed action to the marketplace again (its delivery was dead-lettered or it failed)",
    response_model=ActionPublic,
)
def resend(
    request: Request,
    action_id: str,
    tasks: BackgroundTasks,
    principal: Principal = Depends(Permit("deliveries:retry")),
) -> ActionPublic:
    enf = get_enforcer(request)
    with enf.store.transaction() as uow:
        current = EnforcementRepo(uow.session).action(action_id)
    if current is None:
        raise NotFoundError(f"no action {action_id}")
    if current.state != S.FAILED:
        from recallguard.enforcement.state_machine import IllegalTransition

        raise IllegalTransition(
            f"action {action_id} is {current.state.value}; only a failed action is sent again"
        )
    if enf.connector is None:
        from recallguard.errors import ConfigurationError

        raise ConfigurationError("no marketplace webhook configured (RECALLGUARD_WEBHOOK_URL)")
    tasks.add_task(enf.dispatch, [current])
    return ActionPublic.from_domain(current)


@router.get(
    "/deliveries",
    summary="Outbound webhook deliveries (status=dead: the dead-letter list)",
    response_model=list[DeliveryPublic],
)
def deliveries(
    request: Request,
    status: str | None = Query(default=None, pattern="^(pending|delivered|dead|cancelled)$"),
    limit: int = Query(default=100, ge=1, le=1000),
    _: Principal = Depends(Permit("deliveries:read")),
) -> list[DeliveryPublic]:
    with get_enforcer(request).store.transaction() as uow:
        found = EnforcementRepo(uow.session).deliveries(status, limit)
    return [DeliveryPublic.from_domain(d) for d in found]


@router.post(
    "/deliveries/{delivery_id}/retry",
    summary="Queue a dead-lettered delivery again (same idempotency key; a lift or an approval)",
    response_model=DeliveryPublic,
    status_code=201,
)
def retry_delivery(
    request: Request,
    delivery_id: str,
    principal: Principal = Depends(Permit("deliveries:retry")),
) -> DeliveryPublic:
    from recallguard.service.outbox import retry_dead

    enf = get_enforcer(request)
    with enf.store.transaction() as uow:
        d = retry_dead(uow, delivery_id, principal.actor)
    return DeliveryPublic.from_domain(d)
