"""outbox correlation id: a queued message remembers the turn (or command) that queued it

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 00:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # nullable, no default: rows queued before this (or outside any turn) simply have none
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("correlation_id", sa.String(length=120), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("correlation_id")
