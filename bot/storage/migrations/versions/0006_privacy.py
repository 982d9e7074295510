"""tenants, audit log and privacy

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 04:50:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
