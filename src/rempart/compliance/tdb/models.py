"""Statements of reasons queued for, and sent to, the EU Transparency Database."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from rempart.clock import utcnow
from rempart.store.models import Base

PENDING = "pending"  # waiting for its turn (or for a retry after a failed call)
SENT = "sent"  # stored in the TDB (created, or found already there by its puid)
REJECTED = "rejected"  # refused for its content, by our rules or by the TDB; never resent
FAILED = "failed"  # the TDB could not be reached after every attempt; needs a person
STATUSES = (PENDING, SENT, REJECTED, FAILED)


class TdbSubmission(Base):
    """One statement of reasons for the TDB, under its platform-unique id (``puid``).

    The TDB has no update: a reversed or corrected decision is a new statement with a new
    puid, and the earlier row names it in ``superseded_by``. A puid is never reused, even
    after a rejection, so every row is kept.
    """

    __tablename__ = "tdb_submission"
    __table_args__ = (
        Index("ix_tdb_submission_due", "status", "next_attempt_at"),
        Index("ix_tdb_submission_decision", "decision_id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decision.id"))
    puid: Mapped[str] = mapped_column(String(500), unique=True)
    body: Mapped[dict[str, Any]] = mapped_column(default=dict)  # scrubbed, exactly as sent
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    field_errors: Mapped[dict[str, Any]] = mapped_column(default=dict)
    tdb_uuid: Mapped[str | None] = mapped_column(String(64), nullable=True)
    permalink: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(nullable=True)
    superseded_by: Mapped[str | None] = mapped_column(String(500), nullable=True)
