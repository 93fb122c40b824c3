"""recall set revision: recall_set_revision holds one counter that every change to a stored recall
raises in the same transaction (``RecallRepo.upsert``), so the server's and the stream worker's check
of the recall set reads one row instead of every active recall's content hash (~0.4 s at 100,000
recalls, every two seconds). Starts at 0: a process compares the revision with the one it read last,
never with a fixed number.

Revision ID: r001
Revises: k003
Create Date: 2026-12-07 15:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "r001"
down_revision: str | None = "k003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "recall_set_revision",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recall_set_revision")),
    )
    op.get_bind().execute(sa.text("INSERT INTO recall_set_revision (id, revision) VALUES (1, 0)"))


def downgrade() -> None:
    op.drop_table("recall_set_revision")
