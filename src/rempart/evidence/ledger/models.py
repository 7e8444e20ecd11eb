"""Tables of the ledger: events (the leaves), signed tree heads, the seq counter, witness checks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from rempart.clock import utcnow
from rempart.store.models import Base, BigId


class LedgerEvent(Base):
    """One logged event; ``seq`` is its leaf index (0, 1, 2, ... with no gaps)."""

    __tablename__ = "ledger_event"
    __table_args__ = (
        Index("ix_ledger_event_subject", "subject"),
        Index("ix_ledger_event_kind", "kind"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    leaf_hash: Mapped[str] = mapped_column(String(64))


class LedgerCounter(Base):
    """The single row holding the next seq: locked by every append, so seqs never gap or clash."""

    __tablename__ = "ledger_counter"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    next_seq: Mapped[int] = mapped_column(BigInteger, default=0)


class LedgerTreeHead(Base):
    """A signed tree head: the root over the first ``tree_size`` events, signed with Ed25519."""

    __tablename__ = "ledger_tree_head"
    __table_args__ = (
        Index("ix_ledger_tree_head_size", "tree_size"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tree_size: Mapped[int] = mapped_column(BigInteger)
    root_hash: Mapped[str] = mapped_column(String(64))
    timestamp: Mapped[datetime]
    signature: Mapped[str] = mapped_column(String(128))
    key_id: Mapped[str] = mapped_column(String(64))


class LedgerWitnessCheck(Base):
    """The outcome of one check of the ledger against a witness."""

    __tablename__ = "ledger_witness_check"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    witness: Mapped[str] = mapped_column(String(1000))
    checked_at: Mapped[datetime] = mapped_column(default=utcnow)
    ok: Mapped[bool] = mapped_column(Boolean)
    witness_size: Mapped[int] = mapped_column(BigInteger)
    ledger_size: Mapped[int] = mapped_column(BigInteger)
    detail: Mapped[str] = mapped_column(Text, default="")


class LedgerKey(Base):
    """One signing key of the ledger's history: its public half and validity period."""

    __tablename__ = "ledger_key"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_id: Mapped[str] = mapped_column(String(64), unique=True)
    public_key_pem: Mapped[str] = mapped_column(Text)
    valid_from: Mapped[datetime | None]
    valid_until: Mapped[datetime | None]
    previous_key_id: Mapped[str | None] = mapped_column(String(64))
    endorsement: Mapped[str | None] = mapped_column(String(128))
    rotation_seq: Mapped[int | None] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
