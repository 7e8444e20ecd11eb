"""Vault tables: encrypted objects, their wrapped data keys, and preservation holds.

The plaintext never reaches the database: ``vault_object`` holds the content address (sha256),
sizes and the sealed metadata; the content itself is a file under ``<home>/vault``. The data
key of an object lives only wrapped (encrypted with a key-encryption key) in ``vault_key``;
deleting that row is what destroys the object (crypto-shredding).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from rempart.clock import utcnow
from rempart.store.models import Base

AUTO = {"sqlite_autoincrement": True}


class VaultObject(Base):
    """One preserved piece of content, named by the sha256 of its plaintext."""

    __tablename__ = "vault_object"
    __table_args__ = (Index("ix_vault_object_sha256", "sha256"), AUTO)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(128))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id"), nullable=True)
    media_type: Mapped[str] = mapped_column(String(128))
    size: Mapped[int] = mapped_column(Integer)
    metadata_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(255), default="")
    destroyed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    destroyed_reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class VaultKey(Base):
    """The data key of a live object, wrapped by the key-encryption key ``kek_id``."""

    __tablename__ = "vault_key"

    object_id: Mapped[int] = mapped_column(ForeignKey("vault_object.id"), primary_key=True)
    wrapped_dek: Mapped[bytes] = mapped_column(LargeBinary)
    kek_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class VaultHold(Base):
    """A reason an object must not be destroyed: until released, or until ``expires_at``."""

    __tablename__ = "vault_hold"
    __table_args__ = (Index("ix_vault_hold_object", "object_id"), AUTO)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    object_id: Mapped[int] = mapped_column(ForeignKey("vault_object.id"))
    legal_basis: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text, default="")
    placed_by: Mapped[str] = mapped_column(String(255))
    starts_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(nullable=True)
    extended_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    released_at: Mapped[datetime | None] = mapped_column(nullable=True)
    released_by: Mapped[str | None] = mapped_column(String(255), nullable=True)
