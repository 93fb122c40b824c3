"""Tables of the fingerprint bank (revision ``b001``): one row per actioned listing, a numbered log
of changes that other processes poll, and reference image hashes (recall photos) computed once.

- ``bank_entries``: the fingerprint of a listing whose action became approved (text MinHash
  signatures, identifiers, image hashes, seller id and link attributes — the JSON that
  ``FingerprintBank.snapshot()`` writes for one entry) with the original action id, recall and
  evidence; ``state`` is ``active`` or ``removed`` (action reversed or withdrawn).
- ``bank_changes``: ``seq`` numbers every add, image update and removal; a process that keeps a
  bank in memory reads the changes after the last ``seq`` it applied.
- ``image_hashes``: image hashes by URL, computed once: ``reference`` (recall photos, with crop
  views) and ``query`` (listing photos, as-is and mirrored); ``ok`` or ``failed``.

>>> {"bank_entries", "bank_changes", "image_hashes"} <= set(Base.metadata.tables)
True
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from recallguard.store.tables import TS, Base, Json

ENTRY_ACTIVE, ENTRY_REMOVED = "active", "removed"


class BankEntryRow(Base):
    __tablename__ = "bank_entries"
    # the photo worker's question, "active entries with photos pending, oldest first", answered from the
    # index alone (revision b002): ix_bank_entries_state walked every active entry
    __table_args__ = (Index("ix_bank_entries_pending_images", "images_state", "state", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    action_id: Mapped[str] = mapped_column(String(40), unique=True)
    listing_id: Mapped[str] = mapped_column(String(200), index=True)
    authority: Mapped[str] = mapped_column(String(32))
    recall_number: Mapped[str] = mapped_column(String(64))
    seller_id: Mapped[str] = mapped_column(String(200), default="", index=True)
    links: Mapped[dict[str, Any]] = mapped_column(Json)  # normalised seller-link attributes
    fingerprint: Mapped[dict[str, Any]] = mapped_column(Json)  # one FingerprintBank snapshot entry
    image_urls: Mapped[list[str]] = mapped_column(Json)
    images_state: Mapped[str] = mapped_column(
        String(16), default="none", index=True
    )  # none|pending|done|failed
    state: Mapped[str] = mapped_column(String(16), default=ENTRY_ACTIVE, index=True)
    reason: Mapped[str] = mapped_column(Text, default="")  # why removed
    actioned_at: Mapped[datetime] = mapped_column(TS)
    updated_at: Mapped[datetime] = mapped_column(TS)


class BankChangeRow(Base):
    __tablename__ = "bank_changes"

    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("bank_entries.id", ondelete="CASCADE"), index=True)
    op: Mapped[str] = mapped_column(String(16))  # add | images | remove
    at: Mapped[datetime] = mapped_column(TS)


class ImageHashRow(Base):
    __tablename__ = "image_hashes"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)  # reference | query
    url: Mapped[str] = mapped_column(String(2000), primary_key=True)
    owner: Mapped[str] = mapped_column(String(200), index=True)  # recall:CPSC:26568 | listing:L1
    status: Mapped[str] = mapped_column(String(16))  # ok | failed
    hashes: Mapped[list[Any]] = mapped_column(Json)  # [[view, phash, dhash, vphash, vdhash], …]
    error: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(TS)
