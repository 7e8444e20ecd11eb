"""the evidence ledger: events, signed tree heads, witness checks

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "ledger_event",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("actor", sa.String(length=255), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("leaf_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("seq"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("ledger_event", schema=None) as batch_op:
        batch_op.create_index("ix_ledger_event_subject", ["subject"], unique=False)
        batch_op.create_index("ix_ledger_event_kind", ["kind"], unique=False)
    counter = op.create_table(
        "ledger_counter",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("next_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.bulk_insert(counter, [{"id": 1, "next_seq": 0}])
    op.create_table(
        "ledger_tree_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tree_size", sa.BigInteger(), nullable=False),
        sa.Column("root_hash", sa.String(length=64), nullable=False),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("signature", sa.String(length=128), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("ledger_tree_head", schema=None) as batch_op:
        batch_op.create_index("ix_ledger_tree_head_size", ["tree_size"], unique=False)
    op.create_table(
        "ledger_witness_check",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("witness", sa.String(length=1000), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("witness_size", sa.BigInteger(), nullable=False),
        sa.Column("ledger_size", sa.BigInteger(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    op.drop_table("ledger_witness_check")
    with op.batch_alter_table("ledger_tree_head", schema=None) as batch_op:
        batch_op.drop_index("ix_ledger_tree_head_size")
    op.drop_table("ledger_tree_head")
    op.drop_table("ledger_counter")
    with op.batch_alter_table("ledger_event", schema=None) as batch_op:
        batch_op.drop_index("ix_ledger_event_kind")
        batch_op.drop_index("ix_ledger_event_subject")
    op.drop_table("ledger_event")
