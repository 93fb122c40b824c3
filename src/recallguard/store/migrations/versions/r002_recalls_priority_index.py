"""recalls.priority indexed: every publish-time screening that decides on a match reads the recalls
marked priority (the automation policy of its transaction, ``ShadowRepo.with_priority``), and without
an index that read scanned the whole recalls table — ~100 ms at 100,000 recalls on SQLite, against
~0.01 ms through the index. Partial (``WHERE priority``): few recalls are marked, and SQLite's
statistics (``PRAGMA optimize``) make it skip an index of the whole two-valued column for a scan.

Revision ID: r002
Revises: r001
Create Date: 2026-12-07 15:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "r002"
down_revision: str | None = "r001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        op.f("ix_recalls_priority"),
        "recalls",
        ["priority"],
        unique=False,
        sqlite_where=sa.text("priority IS 1"),
        postgresql_where=sa.text("priority IS true"),
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_recalls_priority"), table_name="recalls")
