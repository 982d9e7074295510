"""instructor questions and their askers

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 04:50:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
