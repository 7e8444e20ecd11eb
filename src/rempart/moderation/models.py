"""Moderation tables: the facts a statement of reasons needs and every step taken on them.

Items and accounts are referenced by the platform's own ids (``platform_ref``); Rempart keeps
only what a decision, a report or an appeal needs. One open case per item gathers every
notice, order and automated flag about it, so several notices about one item are decided once.
"""

# MODELS READY
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from rempart.clock import utcnow
from rempart.store.models import Base

AUTO = {"sqlite_autoincrement": True}


class Account(Base):
    """A recipient of the service (the platform's account), with its misuse state."""

    __tablename__ = "account"
    __table_args__ = (UniqueConstraint("platform_ref"), AUTO)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform_ref: Mapped[str] = mapped_column(String(255))
    account_type: Mapped[str | None] = mapped_column(String(64), nullable=True)  # ACCOUNT_TYPE_*
    contact_known: Mapped[bool] = mapped_column(Boolean, default=True)  # Art. 17(2)
    status: Mapped[str] = mapped_column(String(16), default="active")  # active|suspended|terminated
    suspended_until: Mapped[datetime | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Item(Base):
    """A specific item of information on the platform (post, image, video, listing...)."""

    __tablename__ = "item"
    __table_args__ = (UniqueConstraint("platform_ref"), AUTO)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform_ref: Mapped[str] = mapped_column(String(255))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"), nullable=True)
    url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    content_types: Mapped[list[str]] = mapped_column(default=list)  # CONTENT_TYPE_*
    content_type_other: Mapped[str | None] = mapped_column(String(500), nullable=True)
    language: Mapped[str | None] = mapped_column(String(8), nullable=True)  # ISO 639-1, upper
    territories: Mapped[list[str]] = mapped_column(default=list)  # where it is available
    content_date: Mapped[date | None] = mapped_column(Date, nullable=True)  # posted on
    status: Mapped[str] = mapped_column(String(16), default="visible")  # visible|restricted
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TrustedFlagger(Base):
    """An entity awarded trusted-flagger status (Art. 22) by a Digital Services Coordinator."""

    __tablename__ = "trusted_flagger"
    __table_args__ = (UniqueConstraint("name"), AUTO)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    awarding_dsc: Mapped[str] = mapped_column(String(2))  # member state code
    expertise: Mapped[list[str]] = mapped_column(default=list)  # STATEMENT_CATEGORY_* codes
    contact_email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    api_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_key.id"), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="active")  # active|suspended|revoked
    valid_from: Mapped[datetime] = mapped_column(default=utcnow)
    valid_until: Mapped[datetime | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Notice(Base):
    """An Art. 16 notice (or another notification): every element of requirements.md §1.2."""

    __tablename__ = "notice"
    __table_args__ = (UniqueConstraint("uuid"), Index("ix_notice_received", "received_at"), AUTO)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    channel: Mapped[str] = mapped_column(String(16), default="api")  # api|web_form|email
    explanation: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(128))  # STATEMENT_CATEGORY_*
    specifications: Mapped[list[str]] = mapped_column(default=list)  # KEYWORD_*
    legal_ground: Mapped[str | None] = mapped_column(String(500), nullable=True)
    member_state: Mapped[str | None] = mapped_column(String(2), nullable=True)
    notifier_type: Mapped[str] = mapped_column(String(32))  # individual|entity|trusted_flagger|...
    notifier_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    notifier_email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    trusted_flagger_id: Mapped[int | None] = mapped_column(
        ForeignKey("trusted_flagger.id"), nullable=True
    )
    within_expertise: Mapped[bool] = mapped_column(Boolean, default=False)
    bona_fide: Mapped[bool] = mapped_column(Boolean, default=False)
    bona_fide_at: Mapped[datetime | None] = mapped_column(nullable=True)
    threat_to_life: Mapped[bool] = mapped_column(Boolean, default=False)
    receipt_sent_at: Mapped[datetime | None] = mapped_column(nullable=True)
    automated_processing: Mapped[bool] = mapped_column(Boolean, default=False)
    manifestly_unfounded: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open|decided|refused
    decided_at: Mapped[datetime | None] = mapped_column(nullable=True)
    decision_notified_at: Mapped[datetime | None] = mapped_column(nullable=True)
    submitted_by: Mapped[str | None] = mapped_column(String(255), nullable=True)  # API key name


class NoticeItem(Base):
    """One specific item named by a notice (a notice may name several: Recital 50)."""

    __tablename__ = "notice_item"
    __table_args__ = (Index("ix_notice_item_notice", "notice_id"), AUTO)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notice.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    locator: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id"), nullable=True)


class AuthorityOrder(Base):
    """An order from a member-state authority: to act (Art. 9) or to give information (Art. 10)."""

    __tablename__ = "authority_order"
    __table_args__ = (AUTO,)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # act|info
    regime: Mapped[str] = mapped_column(String(32), default="dsa")  # dsa|tco (EU 2021/784)|csam
    issuing_member_state: Mapped[str] = mapped_column(String(2))
    issuing_authority: Mapped[str] = mapped_column(String(255))
    reference: Mapped[str | None] = mapped_column(String(255), nullable=True)
    legal_basis: Mapped[str] = mapped_column(String(500))
    category: Mapped[str] = mapped_column(String(128))
    specifications: Mapped[list[str]] = mapped_column(default=list)
    item_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    effective_at: Mapped[datetime] = mapped_column(default=utcnow)
    deadline_at: Mapped[datetime | None] = mapped_column(nullable=True)
    receipt_confirmed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    effect_given_at: Mapped[datetime | None] = mapped_column(nullable=True)
    effect_description: Mapped[str | None] = mapped_column(Text, nullable=True)
    recipient_informed_at: Mapped[datetime | None] = mapped_column(nullable=True)


class Case(Base):
    """Everything about one item under review; one open case per item."""

    __tablename__ = "case"
    __table_args__ = (Index("ix_case_item", "item_id", "status"), AUTO)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    kind: Mapped[str] = mapped_column(String(32), default="general")  # child_safety|ncii|...
    status: Mapped[str] = mapped_column(String(16), default="open")  # open|closed
    person_only_close: Mapped[bool] = mapped_column(Boolean, default=False)
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    closed_by: Mapped[str | None] = mapped_column(String(255), nullable=True)
    order_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    preserve: Mapped[bool] = mapped_column(Boolean, default=False)
    facts: Mapped[dict[str, Any]] = mapped_column(default=dict)  # last policy facts


class ReviewQueue(Base):
    """A named review queue; a restricted one is visible only to its role."""

    __tablename__ = "review_queue"
    __table_args__ = (UniqueConstraint("name"), AUTO)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text, default="")
    sla_hours: Mapped[float] = mapped_column(default=24.0)
    restricted_role: Mapped[str | None] = mapped_column(String(32), nullable=True)


class ReviewJob(Base):
    """A case waiting in a queue. ``rank`` orders by severity; a claim is a lease that expires."""

    __tablename__ = "review_job"
    __table_args__ = (Index("ix_review_job_queue", "queue_id", "status", "rank"), AUTO)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"))
    queue_id: Mapped[int] = mapped_column(ForeignKey("review_queue.id"))
    # 0 child safety, 1 threat to life, 2 authority order, 3 trusted flagger, 4 other
    rank: Mapped[int] = mapped_column(Integer, default=4)
    priority: Mapped[int] = mapped_column(Integer, default=0)  # policy priority, higher first
    reason: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="open")  # open|done|cancelled
    claimed_by: Mapped[str | None] = mapped_column(String(255), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(nullable=True)
    lease_token: Mapped[int] = mapped_column(Integer, default=0)  # bumped on every claim
    due_at: Mapped[datetime] = mapped_column(default=utcnow)  # SLA or order deadline
    escalated: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(nullable=True)
    done_by: Mapped[str | None] = mapped_column(String(255), nullable=True)
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decision.id"), nullable=True)


class JobNote(Base):
    """An internal note on a review job (never shown to users)."""

    __tablename__ = "job_note"
    __table_args__ = (AUTO,)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("review_job.id", ondelete="CASCADE"))
    author: Mapped[str] = mapped_column(String(255))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AutomatedFlag(Base):
    """An automated detection (bank match or classifier) and what a person later found.

    Precision and recall in the transparency report (Part 8) come from these rows.
    """

    __tablename__ = "automated_flag"
    __table_args__ = (Index("ix_automated_flag_case", "case_id"), AUTO)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    detector_kind: Mapped[str] = mapped_column(String(16))  # bank|classifier
    detector: Mapped[str] = mapped_column(String(128))  # bank or classifier name
    category: Mapped[str | None] = mapped_column(String(128), nullable=True)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)  # distance, score, version
    flagged_at: Mapped[datetime] = mapped_column(default=utcnow)
    review_outcome: Mapped[str | None] = mapped_column(String(16), nullable=True)  # confirmed|...
    reviewed_at: Mapped[datetime | None] = mapped_column(nullable=True)


class Decision(Base):
    """A decision on an item or account: every Art. 17(3) element and TDB attribute.

    ``action`` false records a decision not to act (notifiers may appeal it). A reversal is a
    new decision pointing at the one it reverses; the old one is never edited but its status.
    """

    __tablename__ = "decision"
    __table_args__ = (UniqueConstraint("uuid"), Index("ix_decision_created", "created_at"), AUTO)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id"), nullable=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"), nullable=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"), nullable=True)
    action: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(24), default="in_force")  # in_force|reversed|...
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("decision.id"), nullable=True)
    appeal_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # --- Art. 17(3)(a): the restriction, its scope and duration
    decision_visibility: Mapped[list[str]] = mapped_column(default=list)
    decision_visibility_other: Mapped[str | None] = mapped_column(String(500), nullable=True)
    decision_monetary: Mapped[str | None] = mapped_column(String(64), nullable=True)
    decision_monetary_other: Mapped[str | None] = mapped_column(String(500), nullable=True)
    decision_provision: Mapped[str | None] = mapped_column(String(64), nullable=True)
    decision_account: Mapped[str | None] = mapped_column(String(64), nullable=True)
    end_date_visibility_restriction: Mapped[date | None] = mapped_column(Date, nullable=True)
    end_date_monetary_restriction: Mapped[date | None] = mapped_column(Date, nullable=True)
    end_date_service_restriction: Mapped[date | None] = mapped_column(Date, nullable=True)
    end_date_account_restriction: Mapped[date | None] = mapped_column(Date, nullable=True)
    territorial_scope: Mapped[list[str]] = mapped_column(default=list)
    application_date: Mapped[date] = mapped_column(Date)
    # --- (b) facts and circumstances
    decision_facts: Mapped[str] = mapped_column(Text, default="")
    source_type: Mapped[str] = mapped_column(String(64))  # SOURCE_*
    source_identity: Mapped[str | None] = mapped_column(String(500), nullable=True)
    notice_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    order_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    content_types: Mapped[list[str]] = mapped_column(default=list)
    content_type_other: Mapped[str | None] = mapped_column(String(500), nullable=True)
    content_language: Mapped[str | None] = mapped_column(String(8), nullable=True)
    content_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    account_type: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # --- (c) automated means
    automated_detection: Mapped[bool] = mapped_column(Boolean, default=False)
    automated_decision: Mapped[str] = mapped_column(String(64))  # AUTOMATED_DECISION_*
    # --- (d)/(e) ground
    decision_ground: Mapped[str | None] = mapped_column(String(64), nullable=True)
    decision_ground_reference_url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    illegal_content_legal_ground: Mapped[str | None] = mapped_column(String(500), nullable=True)
    illegal_content_explanation: Mapped[str | None] = mapped_column(Text, nullable=True)
    incompatible_content_ground: Mapped[str | None] = mapped_column(String(500), nullable=True)
    incompatible_content_explanation: Mapped[str | None] = mapped_column(Text, nullable=True)
    incompatible_content_illegal: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    category: Mapped[str] = mapped_column(String(128))
    category_addition: Mapped[list[str]] = mapped_column(default=list)
    category_specification: Mapped[list[str]] = mapped_column(default=list)
    category_specification_other: Mapped[str | None] = mapped_column(String(500), nullable=True)
    # --- who and why (replayable)
    decided_by: Mapped[str] = mapped_column(String(255))  # a person, or "rule:<policy>/<id>"
    decided_by_person: Mapped[bool] = mapped_column(Boolean, default=True)
    policy_evaluation_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    policy_version: Mapped[str | None] = mapped_column(String(128), nullable=True)
    signals: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    user_notified_at: Mapped[datetime | None] = mapped_column(nullable=True)  # appeal window
    notifier_notified_at: Mapped[datetime | None] = mapped_column(nullable=True)


class Appeal(Base):
    """An internal complaint (Art. 20) against a decision, by the affected user or a notifier."""

    __tablename__ = "appeal"
    __table_args__ = (Index("ix_appeal_decision", "decision_id"), AUTO)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decision.id"))
    complainant_role: Mapped[str] = mapped_column(String(16))  # affected|notifier
    complainant_ref: Mapped[str] = mapped_column(String(320))  # account ref or notifier email
    complaint_type: Mapped[str] = mapped_column(String(48))  # Part 7 row
    text: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open|decided
    outcome: Mapped[str | None] = mapped_column(String(24), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(255), nullable=True)
    reasoned_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    new_decision_id: Mapped[int | None] = mapped_column(ForeignKey("decision.id"), nullable=True)
    new_restriction_imposed: Mapped[bool] = mapped_column(Boolean, default=False)
    manifestly_unfounded: Mapped[bool] = mapped_column(Boolean, default=False)


class OdsDispute(Base):
    """A dispute before a certified out-of-court settlement body (Art. 21) and its outcome."""

    __tablename__ = "ods_dispute"
    __table_args__ = (AUTO,)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decision.id"))
    body_name: Mapped[str] = mapped_column(String(255))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    outcome: Mapped[str | None] = mapped_column(String(24), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(nullable=True)
    implemented: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    implemented_at: Mapped[datetime | None] = mapped_column(nullable=True)
    fees_paid: Mapped[bool] = mapped_column(Boolean, default=False)


class Strike(Base):
    """A weighted strike against an account, notifier or complainant; it expires."""

    __tablename__ = "strike"
    __table_args__ = (Index("ix_strike_subject", "subject_type", "subject_ref"), AUTO)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(16))  # account|notifier|complainant
    subject_ref: Mapped[str] = mapped_column(String(320))
    weight: Mapped[float] = mapped_column(default=1.0)
    reason: Mapped[str] = mapped_column(Text)
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decision.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column(nullable=True)


class MisuseAction(Base):
    """A warning or a time-limited suspension under Art. 23, with its reasons."""

    __tablename__ = "misuse_action"
    __table_args__ = (Index("ix_misuse_subject", "subject_type", "subject_ref"), AUTO)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(16))  # account|notifier|complainant
    subject_ref: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(16))  # warning|suspension
    # service (23(1)), notices or complaints (23(2))
    suspension_type: Mapped[str | None] = mapped_column(String(16), nullable=True)
    reason: Mapped[str] = mapped_column(Text)
    strike_weight: Mapped[float] = mapped_column(default=0.0)
    starts_at: Mapped[datetime] = mapped_column(default=utcnow)
    ends_at: Mapped[datetime | None] = mapped_column(nullable=True)
    decided_by: Mapped[str] = mapped_column(String(255))
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decision.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
