"""fingerprint bank: an index for the photo worker's query (active entries with photos pending, oldest
first); before it SQLite walked ix_bank_entries_state, every active entry (16 ms at 20,000)

Revision ID: b002
Revises: k002
Create Date: 2026-12-04 23:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "b002"
down_revision: str | None = "k002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("bank_entries", schema=None) as batch_op:
        batch_op.create_index("ix_bank_entries_pending_images", ["images_state", "state", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("bank_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_bank_entries_pending_images")
