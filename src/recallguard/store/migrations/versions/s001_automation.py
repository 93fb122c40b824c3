"""accountable automation and the webhook outbox: the model version and thresholds behind every
decision (matches, actions), shadow scopes (shadow_scopes), outbox columns of webhook_deliveries
(action, due time, lease)

Revision ID: s001
Revises: k001
Create Date: 2026-11-28 17:31:51.600239
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "s001"
down_revision: str | None = "k001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "shadow_scopes",
        sa.Column("authority", sa.String(length=32), nullable=False),
        sa.Column("recall_number", sa.String(length=200), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("authority", "recall_number", name=op.f("pk_shadow_scopes")),
    )
    with op.batch_alter_table("actions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("model_version", sa.String(length=100), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("block_threshold", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("review_threshold", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("threshold_basis", sa.Text(), server_default="", nullable=False))

    with op.batch_alter_table("matches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("block_threshold", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("review_threshold", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("threshold_basis", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("shadow", sa.Boolean(), server_default=sa.false(), nullable=False))

    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("action_id", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("lease_owner", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_webhook_deliveries_action_id"), ["action_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_webhook_deliveries_next_attempt_at"), ["next_attempt_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_deliveries_next_attempt_at"))
        batch_op.drop_index(batch_op.f("ix_webhook_deliveries_action_id"))
        batch_op.drop_column("lease_until")
        batch_op.drop_column("lease_owner")
        batch_op.drop_column("next_attempt_at")
        batch_op.drop_column("action_id")

    with op.batch_alter_table("matches", schema=None) as batch_op:
        batch_op.drop_column("shadow")
        batch_op.drop_column("threshold_basis")
        batch_op.drop_column("review_threshold")
        batch_op.drop_column("block_threshold")

    with op.batch_alter_table("actions", schema=None) as batch_op:
        batch_op.drop_column("threshold_basis")
        batch_op.drop_column("review_threshold")
        batch_op.drop_column("block_threshold")
        batch_op.drop_column("model_version")

    op.drop_table("shadow_scopes")
