"""Listing-side index keys (revision ``k001``): which stored listings carry which identifier, brand,
word or anagram key, so a new recall finds its candidate listings without screening them all.

``listing_keys`` holds one row per (kind, key, listing): the primary key *is* the (kind, key)
index (SQLite: a WITHOUT ROWID table, one B-tree). The keys are those of
``recallguard.matching.keys.listing_keys`` and are written with the listing, in the same
transaction, by ``ListingRepo.upsert_many``.

>>> "listing_keys" in Base.metadata.tables
True
"""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from recallguard.store.tables import Base


class ListingKeyRow(Base):
    __tablename__ = "listing_keys"
    __table_args__ = {"sqlite_with_rowid": False}

    kind: Mapped[str] = mapped_column(String(8), primary_key=True)  # gtin|model|brand|token|anagram
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    listing_id: Mapped[str] = mapped_column(String(200), primary_key=True)
