"""Transparency Database submissions

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tdb_submission",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=False),
        sa.Column("puid", sa.String(length=500), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("field_errors", sa.JSON(), nullable=False),
        sa.Column("tdb_uuid", sa.String(length=64), nullable=True),
        sa.Column("permalink", sa.String(length=1000), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("superseded_by", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(["decision_id"], ["decision.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("puid"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("tdb_submission", schema=None) as batch_op:
        batch_op.create_index("ix_tdb_submission_decision", ["decision_id"], unique=False)
        batch_op.create_index("ix_tdb_submission_due", ["status", "next_attempt_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("tdb_submission", schema=None) as batch_op:
        batch_op.drop_index("ix_tdb_submission_due")
        batch_op.drop_index("ix_tdb_submission_decision")
    op.drop_table("tdb_submission")
