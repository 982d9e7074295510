"""programme parts: apprentices and the talent-environment plan on the development plan, the talent's own readiness placement

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 00:55:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("development_plans", "development_plan_revisions"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("apprentices", sa.JSON(), nullable=True))
            batch_op.add_column(sa.Column("environment", sa.Text(), nullable=False, server_default=""))
    op.create_table(
        "readiness_self",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("aim", sa.String(length=16), nullable=False),
        sa.Column("tasks", sa.String(length=16), nullable=False),
        sa.Column("performance", sa.String(length=16), nullable=False),
        sa.Column("box", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["cohort_id"], ["cohorts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("cohort_id", "person_id", name="uq_readiness_self"),
    )
    with op.batch_alter_table("readiness_self", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_readiness_self_cohort_id"), ["cohort_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("readiness_self", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_readiness_self_cohort_id"))
    op.drop_table("readiness_self")
    for table in ("development_plan_revisions", "development_plans"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("environment")
            batch_op.drop_column("apprentices")
