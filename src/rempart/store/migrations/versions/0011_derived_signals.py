"""content_signal.derived: bank-side augment hashes (crops, small rotations) of a banked photo

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("content_signal", schema=None) as batch_op:
        batch_op.add_column(sa.Column("derived", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("content_signal", schema=None) as batch_op:
        batch_op.drop_column("derived")
