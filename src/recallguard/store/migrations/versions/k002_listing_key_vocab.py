"""listing key vocabulary: listing_key_vocab (kind, word, anagram) — each distinct brand and word key
once with its sorted letters, for misspelt and scrambled spellings; the per-listing anagram keys of
k001 are dropped (filled from the stored keys here)

Revision ID: k002
Revises: s001
Create Date: 2026-11-28 18:05:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "k002"
down_revision: str | None = "s001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "listing_key_vocab",
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("word", sa.String(length=200), nullable=False),
        sa.Column("anagram", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("kind", "word", name=op.f("pk_listing_key_vocab")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("listing_key_vocab", schema=None) as batch_op:
        batch_op.create_index("ix_listing_key_vocab_anagram", ["anagram"], unique=False)
    op.execute("DELETE FROM listing_keys WHERE kind = 'anagram'")
    from recallguard.store.listing_key_repos import backfill_vocab

    backfill_vocab(op.get_bind())


def downgrade() -> None:
    with op.batch_alter_table("listing_key_vocab", schema=None) as batch_op:
        batch_op.drop_index("ix_listing_key_vocab_anagram")
    op.drop_table("listing_key_vocab")
