"""The API's request and response bodies (``XCreate`` in, ``XPublic`` out), apart from ORM rows and
domain objects; ``from_domain`` converts at the boundary.

>>> from recallguard.domain.models import Action, ActionKind
>>> ActionPublic.from_domain(Action("L1", "26561", "CPSC", ActionKind.RESTRICT, ["US"], action_id="A1")).state
'proposed'
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from recallguard.domain.models import Action, Listing, Match, Recall
from recallguard.enforcement.auth import Role, TokenRecord
from recallguard.enforcement.connector import Delivery


class ErrorBody(BaseModel):
    code: str = Field(description="Stable machine-readable code, e.g. not_found, forbidden.")
    message: str
    details: dict[str, Any] = Field(default_factory=dict)


class ErrorPublic(BaseModel):
    """The one error shape of every non-2xx answer."""

    error: ErrorBody


class GateReason(BaseModel):
    recall_number: str
    authority: str
    action_id: str
    rule_id: str | None = None


class GatePublic(BaseModel):
    listing_id: str
    country: str
    allowed: bool
    reasons: list[GateReason]


class MatchPublic(BaseModel):
    listing_id: str
    recall_number: str
    authority: str
    score: float
    decision: str
    evidence: str
    model_version: str = ""
    block_threshold: float | None = Field(
        default=None, description="Block threshold applied (after adjustments)."
    )
    review_threshold: float | None = Field(default=None, description="Review threshold applied.")
    threshold_basis: str = Field(default="", description="Where the thresholds came from.")
    shadow: bool = Field(default=False, description="Decided in shadow mode: recorded, not enforced.")

    @classmethod
    def from_domain(cls, m: Match, basis: dict[str, Any] | None = None) -> MatchPublic:
        b = basis or {}
        return cls(
            listing_id=m.listing_id,
            recall_number=m.recall_number,
            authority=m.authority,
            score=round(m.score, 6),
            decision=m.decision.value,
            evidence=m.evidence,
            model_version=m.model_version,
            block_threshold=b.get("block_threshold"),
            review_threshold=b.get("review_threshold"),
            threshold_basis=b.get("threshold_basis", ""),
            shadow=bool(b.get("shadow", False)),
        )


class ActionPublic(BaseModel):
    action_id: str
    listing_id: str
    recall_number: str
    authority: str
    kind: str
    countries: list[str]
    state: str
    reason: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None
    model_version: str = Field(default="", description="Matcher model behind an automated action.")
    block_threshold: float | None = Field(default=None, description="Block threshold that made it.")
    review_threshold: float | None = Field(default=None, description="Review threshold applied.")
    threshold_basis: str = Field(default="", description="Where the thresholds came from.")

    @classmethod
    def from_domain(cls, a: Action, basis: dict[str, Any] | None = None) -> ActionPublic:
        b = basis or {}
        return cls(
            model_version=b.get("model_version", ""),
            block_threshold=b.get("block_threshold"),
            review_threshold=b.get("review_threshold"),
            threshold_basis=b.get("threshold_basis", ""),
            action_id=a.action_id,
            listing_id=a.listing_id,
            recall_number=a.recall_number,
            authority=a.authority,
            kind=a.kind.value,
            countries=list(a.countries),
            state=a.state.value,
            reason=a.reason,
            created_at=a.created_at,
            updated_at=a.updated_at,
        )


class ActionDecision(BaseModel):
    """A reviewer's decision or a marketplace callback about one action."""

    reason: str = Field(default="", max_length=2000)
    reference: str = Field(default="", max_length=200, description="The marketplace's own reference.")


class ListingPublic(BaseModel):
    listing_id: str
    title: str
    brand: str = ""
    model: str = ""
    gtin: str = ""
    seller_id: str = ""
    site: str = ""
    ship_to: list[str] = Field(default_factory=list)

    @classmethod
    def from_domain(cls, x: Listing) -> ListingPublic:
        return cls(
            listing_id=x.listing_id,
            title=x.title,
            brand=x.brand,
            model=x.model,
            gtin=x.gtin,
            seller_id=x.seller_id,
            site=x.site,
            ship_to=list(x.ship_to),
        )


class ListingDetail(BaseModel):
    listing: ListingPublic
    matches: list[MatchPublic]
    actions: list[ActionPublic]
    restricted_countries: list[str]


class RecallPublic(BaseModel):
    authority: str
    recall_number: str
    title: str
    recall_date: datetime | None = None
    hazard: str = ""
    status: str
    priority: bool = False
    url: str = ""

    @classmethod
    def from_domain(cls, r: Recall) -> RecallPublic:
        return cls(
            authority=r.authority,
            recall_number=r.recall_number,
            title=r.title,
            recall_date=r.recall_date,
            hazard=r.hazard,
            status=r.status.value,
            priority=r.priority,
            url=r.url,
        )


class ScreenRequest(BaseModel):
    """Listings to store and screen now (publish time): one or many (up to 1,000)."""

    listings: list[dict[str, Any]] = Field(
        min_length=1, max_length=1000, description="Listings with the fields of data/README.md."
    )


class RejectedRecord(BaseModel):
    index: int
    listing_id: str = ""
    field: str
    error: str


class ScreenResult(BaseModel):
    listing_id: str
    allowed_everywhere: bool
    decisions: list[MatchPublic]
    actions: list[ActionPublic]


class ScreenResponse(BaseModel):
    results: list[ScreenResult]
    rejected: list[RejectedRecord]
    model_version: str


class TokenCreate(BaseModel):
    role: Role
    authority: str | None = None
    seller_id: str | None = None
    label: str = Field(default="", max_length=200)
    ttl_days: float | None = Field(default=None, gt=0, le=3650)


class TokenPublic(BaseModel):
    token_id: str
    kind: str
    role: str
    authority: str | None = None
    seller_id: str | None = None
    label: str = ""
    created_at: datetime | None = None
    expires_at: datetime | None = None
    revoked_at: datetime | None = None

    @classmethod
    def from_record(cls, r: TokenRecord) -> TokenPublic:
        return cls(
            token_id=r.token_id,
            kind=r.kind,
            role=r.role.value,
            authority=r.authority,
            seller_id=r.seller_id,
            label=r.label,
            created_at=r.created_at,
            expires_at=r.expires_at,
            revoked_at=r.revoked_at,
        )


class TokenIssued(TokenPublic):
    token: str = Field(description="The secret, shown once. Send it as Authorization: Bearer TOKEN.")


class SessionCreate(BaseModel):
    username: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=1000)


class WhoAmI(BaseModel):
    subject: str
    role: str
    authority: str | None = None
    seller_id: str | None = None


class SlaCasePublic(BaseModel):
    listing_id: str
    recall_number: str
    authority: str
    priority: bool
    started_at: datetime
    deadline: datetime
    state: str
    acted_at: datetime | None = None
    time_to_action_s: float | None = None


class DeliveryPublic(BaseModel):
    delivery_id: str
    event: str
    url: str
    idempotency_key: str
    status: str
    attempts: int
    last_error: str = ""
    created_at: datetime | None = None
    delivered_at: datetime | None = None

    @classmethod
    def from_domain(cls, d: Delivery) -> DeliveryPublic:
        """One outbox row as the API shows it (the payload stays inside)."""
        return cls(
            delivery_id=d.delivery_id, event=d.event, url=d.url, idempotency_key=d.idempotency_key,
            status=d.status, attempts=d.attempts, last_error=d.last_error, created_at=d.created_at,
            delivered_at=d.delivered_at,
        )  # fmt: skip


class AuditVerifyPublic(BaseModel):
    ok: bool
    events: int
    signatures: int
    first_bad_seq: int | None = None
    message: str
