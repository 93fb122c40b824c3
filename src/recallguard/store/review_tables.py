"""Tables of the people's side (revision ``w001``): reviewers' decisions kept as training labels for the
matcher, sellers' appeals and attestations, and the label photos attached to attestations.

- ``review_labels``: one row per reviewer decision on a (listing, recall) pair — ``approve`` (a match),
  ``reject`` (not a match), ``escalate`` (undecided, for a senior reviewer) and the outcomes of appeals
  and attestations — with the model's score, evidence and a snapshot of the listing, so the matcher can
  be retrained from them (``is_match`` is the label; None for an escalation).
- ``appeals``: a seller contests an action (``kind = appeal``) or attests that its stock lies outside
  the recalled lots, serials or dates (``kind = attestation``); ``state`` is ``open`` until a reviewer
  ``upheld`` it (the action is reversed) or ``confirmed`` the action.
- ``appeal_photos``: photos of labels uploaded with an attestation (bytes kept in the store, so they
  commit or roll back with the appeal).

>>> from recallguard.store import Store
>>> store = Store("sqlite://")
>>> with store.transaction() as uow:
...     repo = ReviewRepo(uow.session)
...     _ = repo.add_label("L1", "CPSC", "1", "approve", actor="reviewer:ann", score=0.6)
...     repo.final_decisions([("L1", "CPSC", "1")])
{('L1', 'CPSC', '1'): 'approve'}
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Integer, LargeBinary, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from recallguard.store.convert import now, utc
from recallguard.store.tables import TS, Base, Json

FINAL = ("approve", "reject")  # decisions that take a pair out of the review queue
OPEN, UPHELD, CONFIRMED = "open", "upheld", "confirmed"


class ReviewLabelRow(Base):
    __tablename__ = "review_labels"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    listing_id: Mapped[str] = mapped_column(String(200), index=True)
    authority: Mapped[str] = mapped_column(String(32))
    recall_number: Mapped[str] = mapped_column(String(200), index=True)
    decision: Mapped[str] = mapped_column(String(32))  # approve|reject|escalate|upheld|confirmed
    is_match: Mapped[bool | None] = mapped_column(Boolean, nullable=True)  # the training label
    source: Mapped[str] = mapped_column(String(16), default="queue")  # queue|bulk|appeal|attestation
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    model_version: Mapped[str] = mapped_column(String(100), default="")
    evidence: Mapped[str] = mapped_column(Text, default="")
    listing: Mapped[dict[str, Any]] = mapped_column(Json)  # listing fields as the reviewer saw them
    actor: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(TS)


class AppealRow(Base):
    __tablename__ = "appeals"

    appeal_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    action_id: Mapped[str] = mapped_column(String(40), index=True)
    listing_id: Mapped[str] = mapped_column(String(200))
    seller_id: Mapped[str] = mapped_column(String(200), index=True)
    authority: Mapped[str] = mapped_column(String(32))
    recall_number: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))  # appeal | attestation
    message: Mapped[str] = mapped_column(Text, default="")
    attested: Mapped[dict[str, Any]] = mapped_column(Json)  # lots / serials / dates the seller holds
    language: Mapped[str] = mapped_column(String(8), default="en")
    state: Mapped[str] = mapped_column(String(16), default=OPEN, index=True)
    outcome_reason: Mapped[str] = mapped_column(Text, default="")
    decided_by: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(TS)
    decided_at: Mapped[datetime | None] = mapped_column(TS, nullable=True)


class AppealPhotoRow(Base):
    __tablename__ = "appeal_photos"

    photo_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    appeal_id: Mapped[str] = mapped_column(ForeignKey("appeals.appeal_id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(300))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(TS)


@dataclass
class Appeal:
    """A seller's appeal or attestation, as the pages show it."""

    appeal_id: str
    action_id: str
    listing_id: str
    seller_id: str
    authority: str
    recall_number: str
    kind: str
    message: str
    attested: dict[str, Any]
    language: str
    state: str
    outcome_reason: str = ""
    decided_by: str = ""
    created_at: datetime | None = None
    decided_at: datetime | None = None
    photos: list[tuple[str, str, int]] = field(default_factory=list)  # (photo_id, filename, size)


def _appeal(r: AppealRow, photos: list[tuple[str, str, int]] | None = None) -> Appeal:
    return Appeal(
        r.appeal_id, r.action_id, r.listing_id, r.seller_id, r.authority, r.recall_number, r.kind,
        r.message, dict(r.attested or {}), r.language, r.state, r.outcome_reason, r.decided_by,
        utc(r.created_at), utc(r.decided_at), photos or [],
    )  # fmt: skip


class ReviewRepo:
    """Review labels, appeals and their photos, inside a store unit of work."""

    def __init__(self, session: Session) -> None:
        self.s = session

    # labels
    def add_label(
        self,
        listing_id: str,
        authority: str,
        recall_number: str,
        decision: str,
        *,
        actor: str,
        is_match: bool | None = None,
        source: str = "queue",
        score: float | None = None,
        model_version: str = "",
        evidence: str = "",
        listing: dict[str, Any] | None = None,
        reason: str = "",
    ) -> int:
        """Store one decision as a training label; returns its id."""
        if is_match is None and decision in FINAL:
            is_match = decision == "approve"
        row = ReviewLabelRow(
            listing_id=listing_id, authority=authority, recall_number=recall_number, decision=decision,
            is_match=is_match, source=source, score=score, model_version=model_version, evidence=evidence,
            listing=listing or {}, actor=actor, reason=reason, created_at=now(),
        )  # fmt: skip
        self.s.add(row)
        self.s.flush()
        return row.id

    def final_decisions(
        self, keys: Iterable[tuple[str, str, str]] | None = None
    ) -> dict[tuple[str, str, str], str]:
        """The latest decision per (listing, authority, recall) — every pair, or those in ``keys``."""
        q = select(
            ReviewLabelRow.listing_id, ReviewLabelRow.authority, ReviewLabelRow.recall_number,
            ReviewLabelRow.decision,
        ).order_by(ReviewLabelRow.id)  # fmt: skip
        wanted = set(keys) if keys is not None else None
        if wanted is not None:
            q = q.where(ReviewLabelRow.listing_id.in_({k[0] for k in wanted}))
        out: dict[tuple[str, str, str], str] = {}
        for lid, auth, num, decision in self.s.execute(q):
            k = (lid, auth, num)
            if wanted is None or k in wanted:
                out[k] = decision
        return out

    def labels(self, limit: int = 1000) -> list[dict[str, Any]]:
        """The newest labels first (what a training export reads)."""
        q = select(ReviewLabelRow).order_by(ReviewLabelRow.id.desc()).limit(limit)
        return [
            {
                "listing_id": r.listing_id, "authority": r.authority, "recall_number": r.recall_number,
                "decision": r.decision, "is_match": r.is_match, "source": r.source, "score": r.score,
                "actor": r.actor, "reason": r.reason, "at": utc(r.created_at),
            }
            for r in self.s.scalars(q)
        ]  # fmt: skip

    def seller_listing_ids(self, seller_id: str, limit: int = 500) -> list[str]:
        """The ids of a seller's stored listings (the seller pages list them)."""
        from recallguard.store.tables import ListingRow

        q = select(ListingRow.listing_id).where(ListingRow.seller_id == seller_id)
        return list(self.s.scalars(q.order_by(ListingRow.listing_id).limit(limit)))

    # appeals and attestations
    def add_appeal(
        self,
        action_id: str,
        listing_id: str,
        seller_id: str,
        authority: str,
        recall_number: str,
        kind: str,
        message: str,
        attested: dict[str, Any] | None = None,
        language: str = "en",
    ) -> str:
        appeal_id = secrets.token_hex(8)
        self.s.add(
            AppealRow(
                appeal_id=appeal_id, action_id=action_id, listing_id=listing_id, seller_id=seller_id,
                authority=authority, recall_number=recall_number, kind=kind, message=message,
                attested=attested or {}, language=language, state=OPEN, created_at=now(),
            )
        )  # fmt: skip
        self.s.flush()
        return appeal_id

    def add_photo(self, appeal_id: str, filename: str, content_type: str, data: bytes, sha256: str) -> str:
        photo_id = secrets.token_hex(8)
        self.s.add(
            AppealPhotoRow(
                photo_id=photo_id, appeal_id=appeal_id, filename=filename, content_type=content_type,
                size=len(data), sha256=sha256, data=data, created_at=now(),
            )
        )  # fmt: skip
        return photo_id

    def photo(self, photo_id: str) -> tuple[str, str, bytes, str] | None:
        """(appeal_id, content_type, bytes, seller_id) of a stored photo."""
        r = self.s.get(AppealPhotoRow, photo_id)
        if r is None:
            return None
        a = self.s.get(AppealRow, r.appeal_id)
        return r.appeal_id, r.content_type, r.data, a.seller_id if a else ""

    def _photos(self, appeal_ids: list[str]) -> dict[str, list[tuple[str, str, int]]]:
        q = select(AppealPhotoRow.appeal_id, AppealPhotoRow.photo_id, AppealPhotoRow.filename,
                   AppealPhotoRow.size).where(AppealPhotoRow.appeal_id.in_(appeal_ids))  # fmt: skip
        out: dict[str, list[tuple[str, str, int]]] = {}
        for aid, pid, name, size in self.s.execute(q.order_by(AppealPhotoRow.created_at)):
            out.setdefault(aid, []).append((pid, name, size))
        return out

    def appeal(self, appeal_id: str) -> Appeal | None:
        r = self.s.get(AppealRow, appeal_id)
        return _appeal(r, self._photos([appeal_id]).get(appeal_id)) if r else None

    def appeals(
        self,
        *,
        state: str | None = None,
        seller_id: str | None = None,
        action_ids: Iterable[str] | None = None,
    ) -> list[Appeal]:
        q = select(AppealRow).order_by(AppealRow.created_at, AppealRow.appeal_id)
        if state:
            q = q.where(AppealRow.state == state)
        if seller_id is not None:
            q = q.where(AppealRow.seller_id == seller_id)
        if action_ids is not None:
            q = q.where(AppealRow.action_id.in_(list(action_ids)))
        rows = list(self.s.scalars(q))
        photos = self._photos([r.appeal_id for r in rows]) if rows else {}
        return [_appeal(r, photos.get(r.appeal_id)) for r in rows]

    def decide_appeal(self, appeal_id: str, state: str, actor: str, reason: str) -> Appeal | None:
        r = self.s.get(AppealRow, appeal_id)
        if r is None:
            return None
        r.state, r.decided_by, r.outcome_reason, r.decided_at = state, actor, reason, now()
        return _appeal(r)
