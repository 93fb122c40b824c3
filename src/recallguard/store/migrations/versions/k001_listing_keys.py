"""listing keys: listing_keys (kind, key, listing_id) — listing-side indexes for catalogue rescans;
keys of the listings already stored are computed here once

Revision ID: k001
Revises: p001
Create Date: 2026-11-28 17:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "k001"
down_revision: str | None = "p001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "listing_keys",
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("listing_id", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("kind", "key", "listing_id", name=op.f("pk_listing_keys")),
        sqlite_with_rowid=False,
    )
    from recallguard.store.listing_key_repos import backfill

    backfill(op.get_bind())


def downgrade() -> None:
    op.drop_table("listing_keys")
