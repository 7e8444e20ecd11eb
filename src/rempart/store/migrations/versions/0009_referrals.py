"""Art. 18 law-enforcement referrals

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "le_referral",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("trigger", sa.String(length=32), nullable=False),
        sa.Column("offence_type", sa.String(length=255), nullable=True),
        sa.Column("member_states", sa.JSON(), nullable=False),
        sa.Column("state_resolution", sa.String(length=32), nullable=False),
        sa.Column("recipient_authority", sa.String(length=255), nullable=False),
        sa.Column("recipient_kind", sa.String(length=32), nullable=False),
        sa.Column("recipient_state", sa.String(length=2), nullable=True),
        sa.Column("bundle_id", sa.String(length=36), nullable=False),
        sa.Column("bundle_object_id", sa.Integer(), nullable=True),
        sa.Column("payload_sha256", sa.String(length=64), nullable=False),
        sa.Column("bundle_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("sent_at", TS, nullable=True),
        sa.Column("sent_by", sa.String(length=255), nullable=True),
        sa.Column("channel", sa.String(length=255), nullable=True),
        sa.Column("acknowledged_at", TS, nullable=True),
        sa.Column("acknowledgement", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.ForeignKeyConstraint(["bundle_object_id"], ["vault_object.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("referral_id"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("le_referral", schema=None) as batch_op:
        batch_op.create_index("ix_le_referral_case", ["case_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("le_referral", schema=None) as batch_op:
        batch_op.drop_index("ix_le_referral_case")
    op.drop_table("le_referral")
