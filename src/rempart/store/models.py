"""SQLAlchemy 2 models. Every table here has a migration in ``migrations/versions``."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from rempart.clock import utcnow

RANGE_OP = "add_range"  # signal_change op of a bulk import: ids signal_id..last_signal_id
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    """Declarative base for all Rempart tables."""

    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSON,
        list[str]: JSON,
        datetime: DateTime(timezone=True),
    }


class Bank(Base):
    """A hash list: known content of one category from one source, matched with its own rules."""

    __tablename__ = "bank"
    __table_args__ = ({"sqlite_autoincrement": True},)  # never reuse a deleted row's id

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    dsa_category: Mapped[str | None] = mapped_column(String(128), nullable=True)
    specifications: Mapped[list[str]] = mapped_column(default=list)
    source: Mapped[str] = mapped_column(String(64), default="internal")
    labels: Mapped[list[str]] = mapped_column(default=list)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    enabled_ratio: Mapped[float] = mapped_column(Float, default=1.0)
    negative: Mapped[bool] = mapped_column(Boolean, default=False)
    match_dihedral: Mapped[bool] = mapped_column(Boolean, default=True)
    thresholds: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class BankContent(Base):
    """One banked item (an image or video known to the source), with provenance."""

    __tablename__ = "bank_content"
    __table_args__ = (Index("ix_bank_content_bank", "bank_id"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("bank.id", ondelete="CASCADE"))
    content_type: Mapped[str] = mapped_column(String(16), default="photo")
    note: Mapped[str] = mapped_column(Text, default="")
    provenance: Mapped[str] = mapped_column(String(255), default="")
    external_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", default=dict)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    disable_until: Mapped[datetime | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    signals: Mapped[list[ContentSignal]] = relationship(
        back_populates="content", cascade="all, delete-orphan", passive_deletes=True
    )


class ContentSignal(Base):
    """One signal (hash) of a banked item; the rows the match indexes are built from."""

    __tablename__ = "content_signal"
    __table_args__ = (
        # by type only: exact and video types are reloaded by type at start; values are
        # looked up in the in-memory indexes, and a value index would triple import time
        Index("ix_content_signal_type", "signal_type"),
        Index("ix_content_signal_content", "content_id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    content_id: Mapped[int] = mapped_column(ForeignKey("bank_content.id", ondelete="CASCADE"))
    bank_id: Mapped[int] = mapped_column(Integer)
    signal_type: Mapped[str] = mapped_column(String(32))
    signal_value: Mapped[str] = mapped_column(Text)
    # None: the item's own signal; else the label of a bank-side augment (banks/augment.py),
    # matched like the others but never shown or exported as the item's hash
    derived: Mapped[str | None] = mapped_column(String(32), nullable=True, default=None)

    content: Mapped[BankContent] = relationship(back_populates="signals")


class SignalChange(Base):
    """Append-only log of index changes; indexes replay it from their snapshot's last ``seq``.

    This is how additions and removals reach every matcher within a second without a rebuild.
    """

    __tablename__ = "signal_change"
    __table_args__ = ({"sqlite_autoincrement": True},)

    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    op: Mapped[str] = mapped_column(String(16))  # "add" | "remove" | "add_range"
    signal_id: Mapped[int] = mapped_column(BigInteger)
    # add_range (bulk imports): every content_signal id from signal_id to last_signal_id
    last_signal_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    bank_id: Mapped[int] = mapped_column(Integer)
    signal_type: Mapped[str] = mapped_column(String(32))
    signal_value: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiKey(Base):
    """An API key: only its SHA-256 is stored; the secret is shown once at creation."""

    __tablename__ = "api_key"
    __table_args__ = (UniqueConstraint("key_hash"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64))
    roles: Mapped[list[str]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(nullable=True)
