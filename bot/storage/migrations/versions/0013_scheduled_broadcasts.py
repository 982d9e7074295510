"""scheduled broadcasts: a broadcast may wait for a time (scheduled_at), is released once (released_at) or cancelled

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 04:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("broadcasts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("released_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_broadcasts_waiting", ["released_at", "scheduled_at"])
    op.execute("UPDATE broadcasts SET released_at = created_at")  # every broadcast before this one went at once


def downgrade() -> None:
    with op.batch_alter_table("broadcasts", schema=None) as batch_op:
        batch_op.drop_index("ix_broadcasts_waiting")
        batch_op.drop_column("cancelled_at")
        batch_op.drop_column("released_at")
        batch_op.drop_column("scheduled_at")
