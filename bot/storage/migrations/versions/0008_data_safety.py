"""data safety: cohort change stamp, retention notice, plan versions

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 21:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cohorts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("retention_notice_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("plan_version", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("planned_version", sa.Integer(), nullable=False, server_default="0"))
    # existing cohorts: their last known change is their last update
    op.execute("UPDATE cohorts SET changed_at = updated_at")


def downgrade() -> None:
    with op.batch_alter_table("cohorts", schema=None) as batch_op:
        batch_op.drop_column("planned_version")
        batch_op.drop_column("plan_version")
        batch_op.drop_column("retention_notice_at")
        batch_op.drop_column("changed_at")
