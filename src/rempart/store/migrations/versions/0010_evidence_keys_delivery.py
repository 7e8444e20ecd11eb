"""ledger signing-key history; NCMEC re-send schedule; Art. 18 referral delivery

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "ledger_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("public_key_pem", sa.Text(), nullable=False),
        sa.Column("valid_from", TS, nullable=True),
        sa.Column("valid_until", TS, nullable=True),
        sa.Column("previous_key_id", sa.String(length=64), nullable=True),
        sa.Column("endorsement", sa.String(length=128), nullable=True),
        sa.Column("rotation_seq", sa.BigInteger(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key_id"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("ncmec_report", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("auto_attempts", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("next_attempt_at", TS, nullable=True))
    with op.batch_alter_table("le_referral", schema=None) as batch_op:
        batch_op.add_column(sa.Column("endpoint", sa.String(length=2000), nullable=True))
        batch_op.add_column(
            sa.Column("delivery_attempts", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("next_delivery_at", TS, nullable=True))
        batch_op.add_column(sa.Column("last_delivery_error", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("delivery_response", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("le_referral", schema=None) as batch_op:
        for name in (
            "delivery_response",
            "last_delivery_error",
            "next_delivery_at",
            "delivery_attempts",
            "endpoint",
        ):
            batch_op.drop_column(name)
    with op.batch_alter_table("ncmec_report", schema=None) as batch_op:
        batch_op.drop_column("next_attempt_at")
        batch_op.drop_column("auto_attempts")
    op.drop_table("ledger_key")
