"""Listing-side index keys (revisions ``k001``, ``k002``, ``k003``): which stored listings carry which
identifier, brand or word key, so a new recall finds its candidate listings without screening them all.

``listing_keys`` holds one row per (kind, key, listing): the primary key *is* the (kind, key)
index (SQLite: a WITHOUT ROWID table, one B-tree). The keys are those of
``recallguard.matching.keys.listing_keys`` and are written with the listing, in the same
transaction, by ``ListingRepo.upsert_many``; ``listing_key_vocab`` holds each distinct brand and word
key once with its anagram key (``recallguard.matching.keys.fuzzy_vocab``); ``listing_key_state`` the
version of the keys stored (``KEYS_VERSION``).

>>> {"listing_keys", "listing_key_vocab", "listing_key_state"} <= set(Base.metadata.tables)
True
"""

from __future__ import annotations

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from recallguard.store.tables import Base


class ListingKeyRow(Base):
    __tablename__ = "listing_keys"
    __table_args__ = {"sqlite_with_rowid": False}

    kind: Mapped[str] = mapped_column(String(8), primary_key=True)  # gtin|model|brand|token
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    listing_id: Mapped[str] = mapped_column(String(200), primary_key=True)


class ListingKeyVocabRow(Base):
    """Each distinct brand or word key once, with its sorted letters (revision ``k002``): misspelt and
    scrambled spellings of a recall's brands and words are found through these, then checked exactly."""

    __tablename__ = "listing_key_vocab"
    __table_args__ = (Index("ix_listing_key_vocab_anagram", "anagram"), {"sqlite_with_rowid": False})

    kind: Mapped[str] = mapped_column(String(8), primary_key=True)  # brand | token
    word: Mapped[str] = mapped_column(String(200), primary_key=True)
    anagram: Mapped[str] = mapped_column(String(200))


class ListingKeyStateRow(Base):
    """The listing keys' state (revision ``k003``): ``version``, the ``KEYS_VERSION`` of the code that
    wrote every stored key ("0": unknown, keys stored before the version was kept)."""

    __tablename__ = "listing_key_state"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(40))
