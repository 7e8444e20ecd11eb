"""Tables: every policy version ever loaded (with its text) and every recorded evaluation."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from rempart.clock import utcnow
from rempart.store.models import Base, BigId


class PolicyVersion(Base):
    """One version of one policy; the text is kept so any past verdict can be replayed."""

    __tablename__ = "policy_version"
    __table_args__ = (UniqueConstraint("name", "version"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(255), default="")
    loaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    loaded_by: Mapped[str] = mapped_column(String(128), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=False)


class PolicyEvaluation(Base):
    """One evaluation: the facts, the version that judged them, and the verdict."""

    __tablename__ = "policy_evaluation"
    __table_args__ = (
        Index("ix_policy_evaluation_subject", "subject_type", "subject_ref"),
        Index("ix_policy_evaluation_version", "policy_version_id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    policy_version_id: Mapped[int] = mapped_column(ForeignKey("policy_version.id"))
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_ref: Mapped[str] = mapped_column(String(255))
    facts: Mapped[dict[str, Any]] = mapped_column()
    outcome: Mapped[str] = mapped_column(String(16))
    rule_ids: Mapped[list[str]] = mapped_column()
    shadow_rule_ids: Mapped[list[str]] = mapped_column()
    verdict: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
