"""Plain typed domain objects: the vocabulary of DESIGN.md.

No I/O, no SQLAlchemy, no web. Every other layer converts to and from these at its boundary.

Example:
    >>> t = Target(recall_number="26561", authority="CPSC", brand="BABESIDE",
    ...            product_name="Doll and Stroller Toys")
    >>> t.brand
    'BABESIDE'
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


class DecisionKind(str, enum.Enum):
    """What the matcher's score means for a (listing, target) pair."""

    BLOCK = "block"
    REVIEW = "review"
    NONE = "none"


class ActionKind(str, enum.Enum):
    """What is done to a listing."""

    RESTRICT = "restrict"  # not sold to buyers in the authority's countries (default)
    DELIST = "delist"  # removed everywhere (by policy)
    NOTIFY_SELLER = "notify_seller"


class ActionState(str, enum.Enum):
    """Life of an action: proposed → approved → sent → confirmed | failed → reversed."""

    PROPOSED = "proposed"
    APPROVED = "approved"
    SENT = "sent"
    CONFIRMED = "confirmed"
    FAILED = "failed"
    REVERSED = "reversed"
    WITHDRAWN = "withdrawn"  # the decision that caused it no longer holds


class RecallStatus(str, enum.Enum):
    ACTIVE = "active"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class Authority:
    """A regulator and the buyer countries its recalls protect.

    >>> Authority(code="CPSC", name="US CPSC", countries=frozenset({"US"})).countries
    frozenset({'US'})
    """

    code: str
    name: str
    countries: frozenset[str]
    sla_hours: float = 4.0
    working_days: bool = False


@dataclass
class IdentifierRange:
    """A batch / lot / serial / date-code range or prefix named by a recall.

    kind: "serial", "lot", "batch", "date_code"; either ``start``/``end`` (inclusive) or ``prefix``.
    """

    kind: str
    start: str | None = None
    end: str | None = None
    prefix: str | None = None
    text: str = ""


@dataclass
class Recall:
    """One notice from an authority, normalised, with the record as published kept in ``raw``."""

    recall_number: str
    authority: str
    title: str
    recall_date: datetime | None = None
    last_publish_date: datetime | None = None
    url: str = ""
    description: str = ""
    product_names: list[str] = field(default_factory=list)
    hazard: str = ""
    remedy: str = ""
    remedy_options: list[str] = field(default_factory=list)
    manufacturers: list[str] = field(default_factory=list)
    importers: list[str] = field(default_factory=list)
    distributors: list[str] = field(default_factory=list)
    retailers: list[str] = field(default_factory=list)
    manufacturer_countries: list[str] = field(default_factory=list)
    upcs: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    number_of_units: str = ""
    injuries: list[str] = field(default_factory=list)
    consumer_contact: str = ""
    in_conjunction: list[str] = field(default_factory=list)
    status: RecallStatus = RecallStatus.ACTIVE
    priority: bool = False
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """Globally unique id: authority and number, e.g. ``CPSC:26561``."""
        return f"{self.authority}:{self.recall_number}"


@dataclass
class Target:
    """What the matcher looks for, derived from one recall (one target per recalled product)."""

    recall_number: str
    authority: str
    brand: str = ""
    brand_aliases: list[str] = field(default_factory=list)
    product_name: str = ""
    product_type: str = ""
    model_numbers: list[str] = field(default_factory=list)
    gtins: list[str] = field(default_factory=list)
    skus: list[str] = field(default_factory=list)
    ranges: list[IdentifierRange] = field(default_factory=list)
    phrases: list[str] = field(default_factory=list)
    sold_at: list[str] = field(default_factory=list)
    manufacturer_countries: list[str] = field(default_factory=list)
    hazard: str = ""
    remedy: str = ""
    text: str = ""  # the recall prose the target was extracted from (title, names, description)
    images: list[str] = field(default_factory=list)
    target_id: str = ""
    priority: bool = False

    def __post_init__(self) -> None:
        if not self.target_id:
            self.target_id = f"{self.authority}:{self.recall_number}"


@dataclass
class Listing:
    """A marketplace offer, as validated from a file, an API payload or a stream event."""

    listing_id: str
    title: str
    description: str = ""
    brand: str = ""
    model: str = ""
    gtin: str = ""
    category: str = ""
    price: float | None = None
    currency: str = ""
    seller_id: str = ""
    site: str = ""
    ship_to: list[str] = field(default_factory=list)
    image_urls: list[str] = field(default_factory=list)
    language: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def ships_to(self, country: str) -> bool:
        """True when the listing may reach a buyer in ``country``.

        >>> Listing("L1", "x", ship_to=["*"]).ships_to("US")
        True
        """
        return not self.ship_to or "*" in self.ship_to or country.upper() in self.ship_to


@dataclass
class Match:
    """A (listing, target) pair with a calibrated probability and the evidence behind it."""

    listing_id: str
    recall_number: str
    authority: str
    score: float
    decision: DecisionKind
    evidence: str
    features: dict[str, float] = field(default_factory=dict)
    model_version: str = ""


@dataclass
class Action:
    """What is done to one listing because of one recall (or rule)."""

    listing_id: str
    recall_number: str
    authority: str
    kind: ActionKind
    countries: list[str]
    state: ActionState = ActionState.PROPOSED
    action_id: str = ""
    reason: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass
class AuditEvent:
    """One state change: who or what did it, when and why."""

    kind: str
    subject: str
    actor: str
    reason: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    at: datetime | None = None
    seq: int | None = None
    prev_hash: str = ""
    hash: str = ""


@dataclass
class BadRecord:
    """A record that failed validation: kept (quarantine) and counted, never silently dropped."""

    source: str  # file name or feed
    location: str  # "line 12", "record 3 (RecallNumber 26561)"
    field: str
    error: str
    raw: str = ""

    def __str__(self) -> str:
        return f"{self.source}: {self.location}: field {self.field!r}: {self.error}"
