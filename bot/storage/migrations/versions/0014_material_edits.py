"""material edits: LEAD's changes to a material step, laid over content/materials.yaml at every publish

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 04:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "material_edits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("activity_key", sa.String(length=32), nullable=False),
        sa.Column("topic", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=True),
        sa.Column("url", sa.String(length=1000), nullable=True),
        sa.Column("minutes", sa.Integer(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("edited_by", sa.String(length=200), nullable=False),
        sa.Column("edited_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("activity_key", "topic", name="uq_material_edit_step"),
    )


def downgrade() -> None:
    op.drop_table("material_edits")
