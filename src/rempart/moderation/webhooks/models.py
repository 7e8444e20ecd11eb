"""Tables of the webhook outbox: the platform's endpoints and every delivery queued to them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rempart.clock import utcnow
from rempart.store.models import Base, BigId


class WebhookEndpoint(Base):
    """A URL of the platform that receives signed events.

    ``secret_encrypted`` holds the HMAC secret or the Ed25519 private key, encrypted with
    AES-256-GCM (see ``rempart.moderation.webhooks.encryption``). It is encrypted rather than
    hashed because Rempart must recover it to sign every delivery.
    """

    __tablename__ = "webhook_endpoint"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    url: Mapped[str] = mapped_column(Text)
    events: Mapped[list[str]] = mapped_column(default=list)
    signing: Mapped[str] = mapped_column(String(16))  # "hmac-sha256" | "ed25519"
    secret_encrypted: Mapped[str] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    deliveries: Mapped[list[WebhookDelivery]] = relationship(
        back_populates="endpoint", cascade="all, delete-orphan", passive_deletes=True
    )


class WebhookDelivery(Base):
    """One event for one endpoint (the outbox row), queued in the transaction that caused it.

    ``UNIQUE(endpoint_id, idempotency_key)`` keeps one event from being queued twice.
    """

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        UniqueConstraint("endpoint_id", "idempotency_key", name="uq_webhook_delivery_key"),
        Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoint.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(64))
    idempotency_key: Mapped[str] = mapped_column(String(255))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|delivered|dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(nullable=True)

    endpoint: Mapped[WebhookEndpoint] = relationship(back_populates="deliveries")
