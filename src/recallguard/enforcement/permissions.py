"""The one permission layer: which roles hold each permission, and what each role may see.

Every API route names exactly one permission from :data:`PERMISSIONS` (the API refuses to start
otherwise, and the authorisation matrix test tries every role on every route). Row scope is applied
on top: a regulator sees only its authority's recalls and the listings, matches and actions they
concern; a seller sees only its own listings and the actions on them.

>>> authorize(Principal("t", Role.MARKETPLACE), "gate:read").role.value
'marketplace'
>>> authorize(Principal("t", Role.SELLER, seller_id="S1"), "tokens:create")
Traceback (most recent call last):
...
recallguard.errors.PermissionDenied: role seller may not tokens:create
"""

from __future__ import annotations

from collections.abc import Iterable

from recallguard.enforcement.auth import Principal, Role
from recallguard.errors import AuthenticationRequired, PermissionDenied

A, RV, M, RG, SE = Role.ADMIN, Role.REVIEWER, Role.MARKETPLACE, Role.REGULATOR, Role.SELLER
EVERY_ROLE = frozenset(Role)

PUBLIC = "public"
"""The permission of routes open to anyone, authenticated or not (health, metrics, login, OpenAPI)."""

PERMISSIONS: dict[str, frozenset[Role]] = {
    PUBLIC: EVERY_ROLE,
    "gate:read": frozenset({A, M, RV}),
    "listings:screen": frozenset({A, M}),
    "listings:read": frozenset({A, RV, M, RG, SE}),  # regulator: concerned listings; seller: its own
    "recalls:read": frozenset({A, RV, M, RG}),  # regulator: its authority's
    "matches:read": frozenset({A, RV, RG}),  # regulator: its authority's
    "actions:read": frozenset({A, RV, M, RG, SE}),  # regulator: its authority's; seller: its listings'
    "actions:decide": frozenset({A, RV}),  # approve, reject, reverse
    "actions:callback": frozenset({A, M}),  # the marketplace confirms or reports failure
    "deliveries:read": frozenset({A}),  # outbound webhooks and the dead-letter list
    "deliveries:retry": frozenset({A}),  # send a failed action or a dead delivery again
    "audit:export": frozenset({A, RG}),  # regulator: other authorities' events redacted
    "audit:verify": frozenset({A, RG}),
    "sla:read": frozenset({A, RV, RG}),  # regulator: its authority's
    "tokens:create": frozenset({A}),
    "tokens:read": frozenset({A}),
    "tokens:revoke": frozenset({A}),
    "session:read": EVERY_ROLE,  # who am I (any authenticated caller)
    # the server-rendered pages (recallguard.web)
    "review:read": frozenset({A, RV}),  # the review queue, match and appeal details, label photos
    "review:decide": frozenset({A, RV}),  # approve / reject / escalate, bulk, appeal outcomes
    "portal:read": frozenset({A, RG}),  # regulator portal (regulator: its authority's recalls)
    "priority:submit": frozenset({A, RG}),  # submit a priority list (regulator: its authority's)
    "notices:read": frozenset({A, SE}),  # seller pages: listings, actions, notices (seller: its own)
    "appeals:create": frozenset({SE}),  # a seller appeals an action or attests its stock
    # reports, notices, appeals and buyers over REST (docs/reports.md)
    "reports:read": frozenset({A, RV, M, RG}),  # compliance report, statements (regulator: its authority)
    "notices:settings": frozenset({SE}),  # a seller's notice language
    "appeals:read": frozenset({A, RV, SE}),  # appeals and their photos (seller: its own)
    "buyers:import": frozenset({A, M}),  # orders for buyer notification
    "buyers:read": frozenset({A, M}),  # buyers of a recall's listings (personal data)
    "buyers:purge": frozenset({A}),  # delete buyer data past retention now
}
"""Permission → the roles that hold it. The documentation (docs/api.md) prints this table."""


def authorize(principal: Principal | None, permission: str) -> Principal:
    """The principal when it holds ``permission``; 401 when anonymous, 403 when its role lacks it.

    ``public`` needs no principal (returns a placeholder anonymous principal when None is given).
    """
    if permission not in PERMISSIONS:
        raise PermissionDenied(f"unknown permission {permission!r}")
    if permission == PUBLIC:
        return principal or Principal("anonymous", Role.SELLER, seller_id="")
    if principal is None:
        raise AuthenticationRequired("this route needs Authorization: Bearer TOKEN")
    if principal.role not in PERMISSIONS[permission]:
        raise PermissionDenied(f"role {principal.role.value} may not {permission}")
    return principal


def may_see_authority(principal: Principal, authority: str) -> bool:
    """True when the principal may see recalls, matches and actions of ``authority``.

    >>> may_see_authority(Principal("r", Role.REGULATOR, authority="CPSC"), "safetygate")
    False
    """
    if principal.role == Role.REGULATOR:
        return (principal.authority or "").upper() == authority.upper()
    return principal.role != Role.SELLER


def may_see_listing(principal: Principal, seller_id: str, concerned_authorities: Iterable[str] = ()) -> bool:
    """True when the principal may see a listing of ``seller_id`` that recalls of
    ``concerned_authorities`` have matched or actioned.

    >>> may_see_listing(Principal("s", Role.SELLER, seller_id="S1"), "S2")
    False
    >>> may_see_listing(Principal("r", Role.REGULATOR, authority="CPSC"), "S2", ["CPSC"])
    True
    """
    if principal.role == Role.SELLER:
        return bool(principal.seller_id) and principal.seller_id == seller_id
    if principal.role == Role.REGULATOR:
        mine = (principal.authority or "").upper()
        return any(a.upper() == mine for a in concerned_authorities)
    return True


def authority_filter(principal: Principal) -> str | None:
    """The authority a query must be restricted to (None: no restriction).

    >>> authority_filter(Principal("r", Role.REGULATOR, authority="cpsc"))
    'CPSC'
    """
    if principal.role == Role.REGULATOR:
        return (principal.authority or "").upper()
    return None


def seller_filter(principal: Principal) -> str | None:
    """The seller a query must be restricted to (None: no restriction).

    >>> seller_filter(Principal("s", Role.SELLER, seller_id="S1"))
    'S1'
    """
    return principal.seller_id if principal.role == Role.SELLER else None
