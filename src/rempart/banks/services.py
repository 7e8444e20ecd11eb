"""Bank and bank-content management. Every change writes the index change log in the same
transaction, so matchers see additions and removals without a rebuild and nothing is lost."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from rempart.banks.schemas import (
    BankCreate,
    BankOut,
    BankSettings,
    ContentIn,
    ContentOut,
    ContentUpdate,
    Record,
    kind_of,
)
from rempart.clock import Clock, as_utc, utcnow
from rempart.errors import Conflict, Invalid, NotFound
from rempart.events import NO_LOG, EventLog, current_actor
from rempart.signals.types import PDQ, SIGNAL_TYPES, SignalError
from rempart.store.bulk import insert_returning_ids, insert_rows
from rempart.store.db import Database
from rempart.store.models import RANGE_OP, Bank, BankContent, ContentSignal, SignalChange

_CHANGE_LOCK = 724_242  # PostgreSQL advisory lock id serialising change-log writers


def lock_change_log(session: Session) -> None:
    """Serialise change-log writers on PostgreSQL so ``seq`` order equals commit order.

    Without it a reader could see seq 12 before a slower transaction commits seq 11 and
    skip it forever. SQLite already serialises writers.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _CHANGE_LOCK})


def bank_out(bank: Bank) -> BankOut:
    """Convert a bank row to its service shape."""
    return BankOut(
        id=bank.id,
        name=bank.name,
        description=bank.description,
        dsa_category=bank.dsa_category,
        specifications=list(bank.specifications),
        source=bank.source,
        labels=list(bank.labels),
        enabled=bank.enabled,
        enabled_ratio=bank.enabled_ratio,
        negative=bank.negative,
        match_dihedral=bank.match_dihedral,
        thresholds={k: int(v) for k, v in bank.thresholds.items()},
        created_at=as_utc(bank.created_at),
        updated_at=as_utc(bank.updated_at),
    )


def content_out(row: BankContent, bank_name: str) -> ContentOut:
    """Convert a bank-content row (with its signals loaded) to its service shape."""
    return ContentOut(
        id=row.id,
        bank=bank_name,
        content_type=row.content_type,
        signals={s.signal_type: s.signal_value for s in row.signals if s.derived is None},
        note=row.note,
        provenance=row.provenance,
        external_id=row.external_id,
        metadata=dict(row.metadata_),
        enabled=row.enabled,
        disable_until=as_utc(row.disable_until) if row.disable_until else None,
        created_at=as_utc(row.created_at),
        updated_at=as_utc(row.updated_at),
    )


def normalize_signals(signals: dict[str, str]) -> dict[str, str]:
    """Validate and canonicalise a signal-type → value map, raising ``Invalid`` with the reason."""
    if not signals:
        raise Invalid("at least one signal is required (e.g. {'pdq': '<64 hex chars>'})")
    out: dict[str, str] = {}
    for st, value in signals.items():
        info = SIGNAL_TYPES.get(st)
        if info is None:
            raise Invalid(f"unknown signal type {st!r}; known: {', '.join(sorted(SIGNAL_TYPES))}")
        try:
            out[st] = info.normalize(value)
        except SignalError as exc:
            raise Invalid(f"bad {st} signal: {exc}") from exc
    return out


class BankService:
    """Create, change and delete banks and their content."""

    def __init__(self, db: Database, clock: Clock = utcnow, events: EventLog = NO_LOG) -> None:
        self.db = db
        self.clock = clock
        self.events = events  # every bank change is a ledger event

    def _event(self, s: Session, kind: str, bank_name: str, **data: Any) -> None:
        self.events.append(s, kind, actor=current_actor(), subject=f"bank:{bank_name}", data=data)

    # --- banks -------------------------------------------------------------------------
    def create_bank(self, spec: BankCreate) -> BankOut:
        """Create a bank; a taken name is a ``Conflict``."""
        now = self.clock()
        fields = spec.model_dump(exclude_none=True)
        bank = Bank(created_at=now, updated_at=now, **_defaults(fields))
        try:
            with self.db.session() as s:
                s.add(bank)
                s.flush()
                out = bank_out(bank)
                self._event(
                    s, "bank_change", bank.name, op="create", settings=out.model_dump(mode="json")
                )
                return out
        except IntegrityError as exc:
            raise Conflict(f"a bank named {spec.name} already exists") from exc

    def list_banks(self) -> list[BankOut]:
        """All banks, by name."""
        with self.db.session() as s:
            return [bank_out(b) for b in s.scalars(select(Bank).order_by(Bank.name))]

    def get_bank(self, name: str) -> BankOut:
        """One bank by name, or ``NotFound``."""
        with self.db.session() as s:
            return bank_out(self._bank(s, name))

    def update_bank(self, name: str, changes: BankSettings, new_name: str | None = None) -> BankOut:
        """Apply the given fields to a bank (``None`` fields are left as they are)."""
        try:
            with self.db.session() as s:
                bank = self._bank(s, name)
                for key, value in changes.model_dump(exclude_none=True).items():
                    setattr(bank, key, value)
                if new_name is not None and new_name != bank.name:
                    bank.name = new_name
                bank.updated_at = self.clock()
                s.flush()
                out = bank_out(bank)
                self._event(
                    s, "bank_change", name, op="update", settings=out.model_dump(mode="json")
                )
                return out
        except IntegrityError as exc:
            raise Conflict(f"a bank named {new_name} already exists") from exc

    def delete_bank(self, name: str) -> None:
        """Delete a bank, its content and signals; the index drops them via the change log."""
        with self.db.session() as s:
            lock_change_log(s)
            bank = self._bank(s, name)
            rows = s.execute(
                select(ContentSignal.id, ContentSignal.signal_type).where(
                    ContentSignal.bank_id == bank.id
                )
            ).all()
            self._log_removals(s, [(r.id, r.signal_type) for r in rows], bank.id)
            s.execute(delete(ContentSignal).where(ContentSignal.bank_id == bank.id))
            s.execute(delete(BankContent).where(BankContent.bank_id == bank.id))
            s.delete(bank)
            self._event(s, "bank_change", name, op="delete", signals=len(rows))

    def content_count(self, name: str) -> int:
        """How many items a bank holds."""
        with self.db.session() as s:
            bank = self._bank(s, name)
            q = select(func.count()).select_from(BankContent).where(BankContent.bank_id == bank.id)
            return int(s.scalar(q) or 0)

    # --- content -----------------------------------------------------------------------
    def add_content(
        self, bank_name: str, item: ContentIn, derived: Sequence[tuple[str, str]] = ()
    ) -> ContentOut:
        """Bank one item given by its signals.

        ``derived``: ``(label, pdq hex)`` bank-side augments of a photo (``banks.augment``),
        stored as PDQ signals marked ``derived``: indexed and matched, never shown as the
        item's hashes, removed with it.
        """
        signals = normalize_signals(item.signals)
        extra = [(label[:32], normalize_signals({PDQ: value})[PDQ]) for label, value in derived]
        with self.db.session() as s:
            lock_change_log(s)
            bank = self._bank(s, bank_name)
            now = self.clock()
            row = BankContent(
                bank_id=bank.id,
                content_type=item.content_type or kind_of(signals),
                note=item.note,
                provenance=item.provenance,
                external_id=item.external_id,
                metadata_=item.metadata,
                enabled=item.enabled,
                disable_until=item.disable_until,
                created_at=now,
                updated_at=now,
            )
            row.signals = [
                ContentSignal(bank_id=bank.id, signal_type=k, signal_value=v)
                for k, v in signals.items()
            ] + [
                ContentSignal(bank_id=bank.id, signal_type=PDQ, signal_value=v, derived=label)
                for label, v in extra
            ]
            s.add(row)
            s.flush()
            s.add_all(
                SignalChange(
                    op="add",
                    signal_id=sig.id,
                    bank_id=bank.id,
                    signal_type=sig.signal_type,
                    signal_value=sig.signal_value,
                    at=now,
                )
                for sig in row.signals
            )
            self._event(
                s,
                "bank_content",
                bank.name,
                op="add",
                content_id=row.id,
                signals=signals,
                **({"derived": [label for label, _ in extra]} if extra else {}),
            )
            return content_out(row, bank.name)

    def add_many(
        self, bank_name: str, items: Iterable[Record | ContentIn], batch: int = 20_000
    ) -> int:
        """Bulk-bank items, one transaction per ``batch``; returns how many were banked.

        ``ContentIn`` items are validated here; ``Record`` items must carry signals already
        passed through ``normalize_signals`` (``banks.io.import_items`` does), which is what
        lets a million hashes import in under a minute.
        """
        total = 0
        chunk: list[Record] = []
        # one batch is written by a worker thread while the next is parsed here: the driver
        # waits on the database without the GIL, so parsing and writing overlap. One batch in
        # flight at a time keeps them in order and each in its own transaction.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="bank-import") as pool:
            pending: Future[int] | None = None
            for item in items:
                if isinstance(item, ContentIn):
                    item = item.record()
                    item.signals = normalize_signals(item.signals)
                chunk.append(item)
                if len(chunk) >= batch:
                    if pending is not None:
                        total += pending.result()
                    pending = pool.submit(self._insert_batch, bank_name, chunk)
                    chunk = []
            if pending is not None:
                total += pending.result()
            if chunk:
                total += self._insert_batch(bank_name, chunk)
        return total

    def _insert_batch(self, bank_name: str, items: Sequence[Record]) -> int:
        now = self.clock()
        with self.db.session() as s:
            lock_change_log(s)
            bank = self._bank(s, bank_name)
            content_rows = [
                {
                    "bank_id": bank.id,
                    "content_type": it.content_type,
                    "note": it.note,
                    "provenance": it.provenance,
                    "external_id": it.external_id,
                    "metadata": it.metadata,
                    "enabled": it.enabled,
                    "disable_until": it.disable_until,
                    "created_at": now,
                    "updated_at": now,
                }
                for it in items
            ]
            ids = insert_returning_ids(s, BankContent.__table__, content_rows)
            sig_rows = [
                {"content_id": cid, "bank_id": bank.id, "signal_type": k, "signal_value": v}
                for cid, it in zip(ids, items, strict=True)
                for k, v in it.signals.items()
            ]
            sig_ids = insert_returning_ids(s, ContentSignal.__table__, sig_rows)
            self._event(
                s,
                "bank_content",
                bank.name,
                op="import",
                items=len(ids),
                first_content_id=ids[0] if ids else None,
                last_content_id=ids[-1] if ids else None,
            )
            if sig_ids:  # one log entry for the batch: matchers read its signals by id range
                s.add(
                    SignalChange(
                        op=RANGE_OP,
                        signal_id=sig_ids[0],
                        last_signal_id=sig_ids[-1],
                        bank_id=bank.id,
                        signal_type="*",
                        signal_value="",
                        at=now,
                    )
                )
            return len(ids)

    def get_content(self, bank_name: str, content_id: int) -> ContentOut:
        """One banked item of a bank, or ``NotFound``."""
        with self.db.session() as s:
            bank = self._bank(s, bank_name)
            return content_out(self._content(s, bank, content_id), bank.name)

    def list_content(
        self, bank_name: str, *, offset: int = 0, limit: int = 100
    ) -> list[ContentOut]:
        """A page of a bank's items, oldest first."""
        with self.db.session() as s:
            bank = self._bank(s, bank_name)
            rows = s.scalars(
                select(BankContent)
                .where(BankContent.bank_id == bank.id)
                .order_by(BankContent.id)
                .offset(offset)
                .limit(limit)
            ).all()
            return [content_out(r, bank.name) for r in rows]

    def update_content(self, bank_name: str, content_id: int, changes: ContentUpdate) -> ContentOut:
        """Edit note, metadata, enabled flag or disabled-until time (signals are immutable)."""
        with self.db.session() as s:
            bank = self._bank(s, bank_name)
            row = self._content(s, bank, content_id)
            if changes.note is not None:
                row.note = changes.note
            if changes.metadata is not None:
                row.metadata_ = changes.metadata
            if changes.enabled is not None:
                row.enabled = changes.enabled
            if changes.clear_disable_until:
                row.disable_until = None
            elif changes.disable_until is not None:
                row.disable_until = changes.disable_until
            row.updated_at = self.clock()
            s.flush()
            out = content_out(row, bank.name)
            self._event(
                s,
                "bank_content",
                bank.name,
                op="update",
                content_id=content_id,
                changes=changes.model_dump(mode="json", exclude_none=True),
            )
            return out

    def delete_content(self, bank_name: str, content_id: int) -> None:
        """Remove a banked item and its signals from the bank and, via the log, the index."""
        with self.db.session() as s:
            lock_change_log(s)
            bank = self._bank(s, bank_name)
            row = self._content(s, bank, content_id)
            self._log_removals(s, [(sig.id, sig.signal_type) for sig in row.signals], bank.id)
            s.delete(row)
            self._event(s, "bank_content", bank.name, op="delete", content_id=content_id)

    # --- helpers -----------------------------------------------------------------------
    def _log_removals(self, s: Session, rows: Sequence[tuple[int, str]], bank_id: int) -> None:
        if not rows:
            return
        now = self.clock()
        insert_rows(
            s,
            SignalChange.__table__,
            [
                {
                    "op": "remove",
                    "signal_id": sid,
                    "bank_id": bank_id,
                    "signal_type": st,
                    "signal_value": "",
                    "at": now,
                }
                for sid, st in rows
            ],
        )

    @staticmethod
    def _bank(s: Session, name: str) -> Bank:
        bank = s.scalar(select(Bank).where(Bank.name == name))
        if bank is None:
            raise NotFound(f"no bank named {name}")
        return bank

    @staticmethod
    def _content(s: Session, bank: Bank, content_id: int) -> BankContent:
        if not 0 < content_id < 2**63:  # no such id can exist (and SQLite cannot bind it)
            raise NotFound(f"no content {content_id} in bank {bank.name}")
        row = s.get(BankContent, content_id)
        if row is None or row.bank_id != bank.id:
            raise NotFound(f"no content {content_id} in bank {bank.name}")
        return row


def _defaults(fields: dict[str, Any]) -> dict[str, Any]:
    base: dict[str, Any] = {
        "description": "",
        "specifications": [],
        "source": "internal",
        "labels": [],
        "enabled": True,
        "enabled_ratio": 1.0,
        "negative": False,
        "match_dihedral": True,
        "thresholds": {},
    }
    base.update(fields)
    return base


def is_active(row: BankContent, now: datetime) -> bool:
    """Whether a banked item may match now (enabled and not inside a disabled-until window)."""
    if not row.enabled:
        return False
    return row.disable_until is None or as_utc(row.disable_until) <= now
