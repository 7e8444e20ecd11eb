"""The ``le_referral`` table: Art. 18 referrals of threats to life or safety, and their sending."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from rempart.clock import utcnow
from rempart.store.models import Base


class LawEnforcementReferral(Base):
    """One referral of a case to one authority (requirements §3.2 ``LawEnforcementReferral``)."""

    __tablename__ = "le_referral"
    __table_args__ = (
        UniqueConstraint("referral_id"),
        Index("ix_le_referral_case", "case_id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    referral_id: Mapped[str] = mapped_column(String(36))
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"))
    trigger: Mapped[str] = mapped_column(String(32))  # notice|decision|own_initiative
    offence_type: Mapped[str | None] = mapped_column(String(255), nullable=True)
    member_states: Mapped[list[str]] = mapped_column(default=list)
    state_resolution: Mapped[str] = mapped_column(String(32))  # notice|territory|given|fallback
    recipient_authority: Mapped[str] = mapped_column(String(255))
    recipient_kind: Mapped[str] = mapped_column(String(32))  # national_lea|judicial|europol
    recipient_state: Mapped[str | None] = mapped_column(String(2), nullable=True)
    bundle_id: Mapped[str] = mapped_column(String(36))
    bundle_object_id: Mapped[int | None] = mapped_column(
        ForeignKey("vault_object.id"), nullable=True
    )
    payload_sha256: Mapped[str] = mapped_column(String(64))  # sha256 of the bundle's manifest
    bundle_sha256: Mapped[str] = mapped_column(String(64))  # sha256 of the whole archive
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(nullable=True)
    sent_by: Mapped[str | None] = mapped_column(String(255), nullable=True)
    channel: Mapped[str | None] = mapped_column(String(255), nullable=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(nullable=True)
    acknowledgement: Mapped[str | None] = mapped_column(Text, nullable=True)
    # automatic delivery (referral_delivery.py): where to, how often tried, what came back
    endpoint: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    delivery_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_delivery_at: Mapped[datetime | None] = mapped_column(nullable=True)
    last_delivery_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    delivery_response: Mapped[str | None] = mapped_column(Text, nullable=True)
