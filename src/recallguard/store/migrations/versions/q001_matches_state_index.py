"""matches: no index on state alone. Two values (active, withdrawn) tell the planner almost nothing,
yet a SQLite connection opened before the table had statistics keeps believing an equality on it
narrows the table: a long-running stream worker read a listing's active matches through that index,
every active match of the store (2.9 ms at 8,700 matches, half of the worker's time, growing with
the store), where the unique index on (listing_id, authority, recall_number) finds them at once

Revision ID: q001
Revises: g001
Create Date: 2026-12-06 07:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "q001"
down_revision: str | None = "g001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("matches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_matches_state"))


def downgrade() -> None:
    with op.batch_alter_table("matches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_matches_state"), ["state"], unique=False)
