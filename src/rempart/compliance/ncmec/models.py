"""CyberTipline reports and their files (requirements.md §5.4), with the state that resumes.

A report's progress is kept step by step: ``ncmec_report_id`` is set once ``/submit``
answered, each file moves ``pending`` → ``uploaded`` → ``info_sent``, and ``finished_at``
once ``/finish`` answered. A re-run after a crash starts from the first step not recorded.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from rempart.clock import utcnow
from rempart.store.models import Base

AUTO = {"sqlite_autoincrement": True}
STATUSES = ("DRAFT", "SUBMITTED", "FILES_UPLOADED", "FINISHED", "RETRACTED", "FAILED")
OPEN_STATUSES = ("DRAFT", "SUBMITTED", "FILES_UPLOADED", "FAILED")
FILE_STATES = ("pending", "uploaded", "info_sent")


class NcmecReport(Base):
    """One CyberTipline report: one suspect account, all files of its open child-safety cases."""

    __tablename__ = "ncmec_report"
    __table_args__ = (
        Index("ix_ncmec_report_account", "account_ref", "status"),
        Index("ix_ncmec_report_status", "status"),
        AUTO,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_ref: Mapped[str] = mapped_column(String(255))  # the platform's account id
    case_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default="DRAFT")
    incident_type: Mapped[str] = mapped_column(String(128))
    incident_at: Mapped[datetime] = mapped_column(default=utcnow)
    annotations: Mapped[list[str]] = mapped_column(default=list)  # reportAnnotations
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)  # personOrUserReported etc.
    submitted_xml: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    ncmec_report_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_response_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    response_codes: Mapped[list[int]] = mapped_column(JSON, default=list)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(nullable=True)
    retracted_at: Mapped[datetime | None] = mapped_column(nullable=True)
    auto_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(nullable=True)  # resend.py


class NcmecReportFile(Base):
    """One file of a report; ``file_viewed_by_esp`` is true only after a recorded human view."""

    __tablename__ = "ncmec_report_file"
    __table_args__ = (Index("ix_ncmec_report_file_report", "report_id"), AUTO)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("ncmec_report.id", ondelete="CASCADE"))
    vault_object_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    item_ref: Mapped[str | None] = mapped_column(String(255), nullable=True)
    file_name: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    md5: Mapped[str | None] = mapped_column(String(32), nullable=True)  # from /upload
    ncmec_file_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    file_viewed_by_esp: Mapped[bool] = mapped_column(Boolean, default=False)
    viewed_by: Mapped[str | None] = mapped_column(String(255), nullable=True)
    exif_viewed_by_esp: Mapped[bool] = mapped_column(Boolean, default=False)
    publicly_available: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    file_relevance: Mapped[str] = mapped_column(String(32), default="Reported")
    industry_classification: Mapped[str | None] = mapped_column(String(2), nullable=True)
    annotations: Mapped[list[str]] = mapped_column(default=list)  # fileAnnotations
    uploaded_to_esp_at: Mapped[datetime | None] = mapped_column(nullable=True)
    state: Mapped[str] = mapped_column(String(16), default="pending")
