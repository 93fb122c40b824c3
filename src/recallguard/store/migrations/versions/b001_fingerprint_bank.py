"""fingerprint bank: bank_entries (actioned listings' fingerprints), bank_changes (numbered log
that in-memory banks poll), image_hashes (reference and query image hashes, computed once)

Revision ID: b001
Revises: e001
Create Date: 2026-11-28 17:12:43
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b001"
down_revision: str | None = "e001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bank_entries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("action_id", sa.String(length=40), nullable=False),
        sa.Column("listing_id", sa.String(length=200), nullable=False),
        sa.Column("authority", sa.String(length=32), nullable=False),
        sa.Column("recall_number", sa.String(length=64), nullable=False),
        sa.Column("seller_id", sa.String(length=200), nullable=False),
        sa.Column("links", sa.JSON(), nullable=False),
        sa.Column("fingerprint", sa.JSON(), nullable=False),
        sa.Column("image_urls", sa.JSON(), nullable=False),
        sa.Column("images_state", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actioned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_entries")),
        sa.UniqueConstraint("action_id", name=op.f("uq_bank_entries_action_id")),
    )
    with op.batch_alter_table("bank_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bank_entries_images_state"), ["images_state"], unique=False)
        batch_op.create_index(batch_op.f("ix_bank_entries_listing_id"), ["listing_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_bank_entries_seller_id"), ["seller_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_bank_entries_state"), ["state"], unique=False)

    op.create_table(
        "image_hashes",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("hashes", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind", "url", name=op.f("pk_image_hashes")),
    )
    with op.batch_alter_table("image_hashes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_image_hashes_owner"), ["owner"], unique=False)

    op.create_table(
        "bank_changes",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("op", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["bank_entries.id"],
            name=op.f("fk_bank_changes_entry_id_bank_entries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_bank_changes")),
    )
    with op.batch_alter_table("bank_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bank_changes_entry_id"), ["entry_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("bank_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bank_changes_entry_id"))

    op.drop_table("bank_changes")
    with op.batch_alter_table("image_hashes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_image_hashes_owner"))

    op.drop_table("image_hashes")
    with op.batch_alter_table("bank_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bank_entries_state"))
        batch_op.drop_index(batch_op.f("ix_bank_entries_seller_id"))
        batch_op.drop_index(batch_op.f("ix_bank_entries_listing_id"))
        batch_op.drop_index(batch_op.f("ix_bank_entries_images_state"))

    op.drop_table("bank_entries")
