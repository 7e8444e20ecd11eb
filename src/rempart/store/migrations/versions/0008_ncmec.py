"""NCMEC CyberTipline reports and their files

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "ncmec_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_ref", sa.String(length=255), nullable=False),
        sa.Column("case_ids", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("incident_type", sa.String(length=128), nullable=False),
        sa.Column("incident_at", TS, nullable=False),
        sa.Column("annotations", sa.JSON(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("submitted_xml", sa.LargeBinary(), nullable=True),
        sa.Column("ncmec_report_id", sa.String(length=64), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_response_code", sa.Integer(), nullable=True),
        sa.Column("response_codes", sa.JSON(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("submitted_at", TS, nullable=True),
        sa.Column("finished_at", TS, nullable=True),
        sa.Column("retracted_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("ncmec_report", schema=None) as batch_op:
        batch_op.create_index("ix_ncmec_report_account", ["account_ref", "status"], unique=False)
        batch_op.create_index("ix_ncmec_report_status", ["status"], unique=False)
    op.create_table(
        "ncmec_report_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("vault_object_id", sa.Integer(), nullable=True),
        sa.Column("item_ref", sa.String(length=255), nullable=True),
        sa.Column("file_name", sa.String(length=500), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("md5", sa.String(length=32), nullable=True),
        sa.Column("ncmec_file_id", sa.String(length=64), nullable=True),
        sa.Column("file_viewed_by_esp", sa.Boolean(), nullable=False),
        sa.Column("viewed_by", sa.String(length=255), nullable=True),
        sa.Column("exif_viewed_by_esp", sa.Boolean(), nullable=False),
        sa.Column("publicly_available", sa.Boolean(), nullable=True),
        sa.Column("file_relevance", sa.String(length=32), nullable=False),
        sa.Column("industry_classification", sa.String(length=2), nullable=True),
        sa.Column("annotations", sa.JSON(), nullable=False),
        sa.Column("uploaded_to_esp_at", TS, nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(["report_id"], ["ncmec_report.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("ncmec_report_file", schema=None) as batch_op:
        batch_op.create_index("ix_ncmec_report_file_report", ["report_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ncmec_report_file", schema=None) as batch_op:
        batch_op.drop_index("ix_ncmec_report_file_report")
    op.drop_table("ncmec_report_file")
    with op.batch_alter_table("ncmec_report", schema=None) as batch_op:
        batch_op.drop_index("ix_ncmec_report_status")
        batch_op.drop_index("ix_ncmec_report_account")
    op.drop_table("ncmec_report")
