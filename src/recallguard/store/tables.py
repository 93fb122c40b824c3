"""SQLAlchemy 2 table models. Rows never leave the store: repositories convert them to domain
dataclasses at the boundary. New tables (users, tokens, SLA, fingerprint bank…) come with new
Alembic revisions under ``store/migrations/versions``.

>>> {"recalls", "targets", "listings", "matches", "actions", "audit_events"} <= set(Base.metadata.tables)
True
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Json = JSON()
TS = DateTime(timezone=True)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class RecallRow(Base):
    __tablename__ = "recalls"
    __table_args__ = (UniqueConstraint("authority", "recall_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    authority: Mapped[str] = mapped_column(String(32))
    recall_number: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(Text, default="")
    recall_date: Mapped[datetime | None] = mapped_column(TS, nullable=True)
    last_publish_date: Mapped[datetime | None] = mapped_column(TS, nullable=True)
    url: Mapped[str] = mapped_column(Text, default="")
    hazard: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="active", index=True)
    priority: Mapped[bool] = mapped_column(Boolean, default=False)
    normalised: Mapped[dict[str, Any]] = mapped_column(Json)  # every Recall field but raw
    raw: Mapped[dict[str, Any]] = mapped_column(Json)  # the record as published
    content_hash: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(TS)
    updated_at: Mapped[datetime] = mapped_column(TS)

    targets: Mapped[list[TargetRow]] = relationship(
        back_populates="recall", cascade="all, delete-orphan", order_by="TargetRow.position"
    )


# Revision r002: the recalls marked priority (few), read by every transaction that decides on a match.
# Partial: an index on the whole two-valued column is one SQLite's statistics tell it to skip (a scan of
# every recall instead, ~100 ms at 100,000 recalls).
Index(
    "ix_recalls_priority",
    RecallRow.priority,
    sqlite_where=RecallRow.priority.is_(True),
    postgresql_where=RecallRow.priority.is_(True),
)


class TargetRow(Base):
    __tablename__ = "targets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    recall_id: Mapped[int] = mapped_column(ForeignKey("recalls.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    target_id: Mapped[str] = mapped_column(String(200))
    data: Mapped[dict[str, Any]] = mapped_column(Json)  # every Target field

    recall: Mapped[RecallRow] = relationship(back_populates="targets")


class RecallSetRevisionRow(Base):
    """One row (``id`` 1, revision ``r001``): a counter every change to a stored recall raises in its own
    transaction, so a long-running process sees that the recall set is unchanged by reading one row
    instead of every active recall's content hash."""

    __tablename__ = "recall_set_revision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    revision: Mapped[int] = mapped_column(BigInteger, default=0)


class ListingRow(Base):
    __tablename__ = "listings"

    listing_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    brand: Mapped[str] = mapped_column(String(500), default="")
    model: Mapped[str] = mapped_column(String(500), default="")
    gtin: Mapped[str] = mapped_column(String(100), default="")
    category: Mapped[str] = mapped_column(Text, default="")
    price: Mapped[float | None] = mapped_column(Float, nullable=True)
    currency: Mapped[str] = mapped_column(String(10), default="")
    seller_id: Mapped[str] = mapped_column(String(200), default="", index=True)
    site: Mapped[str] = mapped_column(String(20), default="")
    ship_to: Mapped[list[str]] = mapped_column(Json)
    image_urls: Mapped[list[str]] = mapped_column(Json)
    language: Mapped[str] = mapped_column(String(20), default="")
    extra: Mapped[dict[str, Any]] = mapped_column(Json)
    content_hash: Mapped[str] = mapped_column(String(64))
    screened_version: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(TS)
    updated_at: Mapped[datetime] = mapped_column(TS)


class QuarantineRow(Base):
    __tablename__ = "quarantine"
    __table_args__ = (UniqueConstraint("record_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)  # recall | listing
    source: Mapped[str] = mapped_column(Text)
    location: Mapped[str] = mapped_column(Text)
    field: Mapped[str] = mapped_column(Text)
    error: Mapped[str] = mapped_column(Text)
    raw: Mapped[str] = mapped_column(Text, default="")
    record_hash: Mapped[str] = mapped_column(String(64))  # the same bad record is kept once
    created_at: Mapped[datetime] = mapped_column(TS)


class MatchRow(Base):
    __tablename__ = "matches"
    __table_args__ = (
        UniqueConstraint("listing_id", "authority", "recall_number"),
        Index("ix_matches_authority_recall_number", "authority", "recall_number"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    listing_id: Mapped[str] = mapped_column(ForeignKey("listings.listing_id", ondelete="CASCADE"))
    authority: Mapped[str] = mapped_column(String(32))
    recall_number: Mapped[str] = mapped_column(String(200))  # a recall number or "rule:<id>"
    score: Mapped[float] = mapped_column(Float)
    decision: Mapped[str] = mapped_column(String(16))
    evidence: Mapped[str] = mapped_column(Text, default="")
    features: Mapped[dict[str, float]] = mapped_column(Json)
    model_version: Mapped[str] = mapped_column(String(100), default="")
    # active | withdrawn; no index of its own: a listing's active matches are found through the unique
    # (listing_id, authority, recall_number) index (revision q001)
    state: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[datetime] = mapped_column(TS)
    updated_at: Mapped[datetime] = mapped_column(TS)
    # accountable automation (revision s001): the thresholds that made the decision, and shadow mode
    block_threshold: Mapped[float | None] = mapped_column(Float, nullable=True)
    review_threshold: Mapped[float | None] = mapped_column(Float, nullable=True)
    threshold_basis: Mapped[str] = mapped_column(Text, default="", server_default="")
    shadow: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class ActionRow(Base):
    __tablename__ = "actions"
    __table_args__ = (UniqueConstraint("listing_id", "authority", "recall_number", "kind"),)

    action_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    listing_id: Mapped[str] = mapped_column(ForeignKey("listings.listing_id", ondelete="CASCADE"))
    authority: Mapped[str] = mapped_column(String(32))
    recall_number: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    countries: Mapped[list[str]] = mapped_column(Json)
    state: Mapped[str] = mapped_column(String(16), index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(TS)
    updated_at: Mapped[datetime] = mapped_column(TS, index=True)  # the gate's refresh (revision g001)
    # accountable automation (revision s001): the model and thresholds behind an automated action
    model_version: Mapped[str] = mapped_column(String(100), default="", server_default="")
    block_threshold: Mapped[float | None] = mapped_column(Float, nullable=True)
    review_threshold: Mapped[float | None] = mapped_column(Float, nullable=True)
    threshold_basis: Mapped[str] = mapped_column(Text, default="", server_default="")


class AuditEventRow(Base):
    __tablename__ = "audit_events"

    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(64), index=True)
    subject: Mapped[str] = mapped_column(String(400), index=True)
    actor: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(Json)
    at: Mapped[datetime] = mapped_column(TS)
    prev_hash: Mapped[str] = mapped_column(String(64), default="")
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class ScanCheckpointRow(Base):
    __tablename__ = "scan_checkpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scan_version: Mapped[str] = mapped_column(String(64), index=True)
    model_version: Mapped[str] = mapped_column(String(100), default="")
    last_listing_id: Mapped[str] = mapped_column(String(200), default="")  # the cursor: screened up to here
    status: Mapped[str] = mapped_column(String(16), default="running")  # running | done
    screened: Mapped[int] = mapped_column(Integer, default=0)
    matched: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(TS)
    updated_at: Mapped[datetime] = mapped_column(TS)
