"""listing key version: listing_key_state (name, value) holds the version of the listing keys stored
(``recallguard.matching.keys.KEYS_VERSION``). A store that holds keys from before this revision gets
version 0 (unknown: rescans screen every listing until ``recallguard listings reindex``); an empty one
the version of the code that creates it.

Revision ID: k003
Revises: q001
Create Date: 2026-12-06 17:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "k003"
down_revision: str | None = "q001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "listing_key_state",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_listing_key_state")),
    )
    from recallguard.matching.keys import KEYS_VERSION

    bind = op.get_bind()
    stored = bind.execute(sa.text("SELECT 1 FROM listing_keys LIMIT 1")).first() is not None
    version = "0" if stored else str(KEYS_VERSION)
    bind.execute(
        sa.text("INSERT INTO listing_key_state (name, value) VALUES ('version', :v)"), {"v": version}
    )


def downgrade() -> None:
    op.drop_table("listing_key_state")
