"""The ledger service: append events, sign tree heads, give proofs, verify everything.

Every append takes the next ``seq`` from a single counter row, updated in the caller's
transaction: the row lock (PostgreSQL) or the single writer (SQLite) serialises appends, and a
rolled-back transaction rolls the counter back too, so seqs are gap-free and commit in order.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from rempart.clock import Clock, as_utc
from rempart.config import Settings
from rempart.errors import Invalid, NotFound
from rempart.evidence.ledger import merkle
from rempart.evidence.ledger.keys import (
    KEYS_SUBJECT,
    ROTATION_KIND,
    SigningKeyOut,
    key_message,
    rotation_data,
)
from rempart.evidence.ledger.models import LedgerCounter, LedgerEvent, LedgerKey, LedgerTreeHead
from rempart.evidence.ledger.schemas import (
    HEAD_VERSION,
    ConsistencyProof,
    EventOut,
    InclusionProof,
    TreeHead,
    VerifyReport,
)
from rempart.evidence.ledger.signing import (
    KEY_FILE,
    LedgerKeyError,
    head_message,
    iso,
    key_id,
    load_signing_key,
    public_pem,
    write_private_key,
)
from rempart.store.db import Database

MAX_FIELD = 255
NEXT_KEY_FILE = "ledger_ed25519.next.pem"  # a rotation's new key until its commit is done
CHUNK = 1024  # leaves per cached subtree root (a power of two)


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no spaces, UTF-8, no NaN: the same value always gives the same bytes."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()


def leaf_data(
    seq: int, at: datetime, kind: str, actor: str, subject: str, data: dict[str, Any]
) -> bytes:
    """The bytes an event's leaf hashes: every stored field, so any change shows."""
    return canonical_json(
        {"seq": seq, "at": iso(at), "kind": kind, "actor": actor, "subject": subject, "data": data}
    )


class EventFields(Protocol):
    """What a leaf covers: a stored event, or a row selecting its columns."""

    @property
    def seq(self) -> int: ...
    @property
    def at(self) -> datetime: ...
    @property
    def kind(self) -> str: ...
    @property
    def actor(self) -> str: ...
    @property
    def subject(self) -> str: ...
    @property
    def data(self) -> dict[str, Any]: ...


def event_leaf(row: EventFields, seq: int | None = None) -> bytes:
    """The leaf hash recomputed from a stored event's fields (optionally as if at ``seq``)."""
    data = leaf_data(
        row.seq if seq is None else seq, row.at, row.kind, row.actor, row.subject, row.data
    )
    return merkle.leaf_hash(data)


def head_out(row: LedgerTreeHead) -> TreeHead:
    """The API form of a stored tree head."""
    return TreeHead(
        version=HEAD_VERSION,
        tree_size=row.tree_size,
        root_hash=row.root_hash,
        timestamp=as_utc(row.timestamp),
        signature=row.signature,
        key_id=row.key_id,
    )


def _key_out(row: LedgerKey) -> SigningKeyOut:
    """The API form of a stored signing key."""
    return SigningKeyOut(
        key_id=row.key_id,
        public_key_pem=row.public_key_pem,
        valid_from=as_utc(row.valid_from) if row.valid_from else None,
        valid_until=as_utc(row.valid_until) if row.valid_until else None,
        previous_key_id=row.previous_key_id,
        endorsement=row.endorsement,
        rotation_seq=row.rotation_seq,
        reason=row.reason,
        current=row.valid_until is None,
    )


def _read_private(path: Any) -> Any:
    """An Ed25519 private key from a PEM file, or None when unreadable."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError, OSError):
        return None
    return key if isinstance(key, Ed25519PrivateKey) else None


def event_out(row: LedgerEvent) -> EventOut:
    """The API form of a stored event."""
    return EventOut(
        seq=row.seq,
        at=as_utc(row.at),
        kind=row.kind,
        actor=row.actor,
        subject=row.subject,
        data=row.data,
        leaf_hash=row.leaf_hash,
    )


def _check_text(name: str, value: str, limit: int) -> None:
    if not isinstance(value, str) or not value.strip():
        raise Invalid(f"a ledger event needs a non-empty {name}")
    if len(value) > limit:
        raise Invalid(f"a ledger event's {name} is at most {limit} characters")


def _checked(
    kind: str, actor: str, subject: str, data: dict[str, Any] | None
) -> tuple[str, str, str, dict[str, Any]]:
    """One event's fields, validated, with ``data`` normalised to plain JSON."""
    _check_text("kind", kind, 64)
    _check_text("actor", actor, MAX_FIELD)
    _check_text("subject", subject, MAX_FIELD)
    payload = {} if data is None else data
    if not isinstance(payload, dict):
        raise Invalid("a ledger event's data must be a JSON object")
    try:
        payload = json.loads(canonical_json(payload))
    except (TypeError, ValueError) as exc:
        raise Invalid(f"a ledger event's data must be plain JSON: {exc}") from None
    return kind, actor, subject, payload


_TAKE = (
    update(LedgerCounter)
    .where(LedgerCounter.id == 1)
    .values(next_seq=LedgerCounter.next_seq + bindparam("n"))
    .returning(LedgerCounter.next_seq)
)
_INSERT = insert(LedgerEvent)


class Ledger:
    """The append-only, signed Merkle log of every evidence-relevant event."""

    def __init__(self, db: Database, settings: Settings, clock: Clock) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        self._lock = threading.Lock()
        self._frontier = merkle.Frontier()  # cache of stored leaf hashes, for sign_head
        self._chunks: list[bytes] = []  # roots of complete chunks of CHUNK leaves, for proofs
        self._key: Any = None

    # --- appending -----------------------------------------------------------------------

    def append(
        self,
        session: Session,
        kind: str,
        *,
        actor: str,
        subject: str,
        data: dict[str, Any] | None = None,
    ) -> int:
        """Log one event in the caller's transaction; returns its seq (gone if it rolls back)."""
        return self.append_many(session, [(kind, actor, subject, data)])[0]

    def append_many(
        self, session: Session, events: Sequence[tuple[str, str, str, dict[str, Any] | None]]
    ) -> list[int]:
        """Log ``(kind, actor, subject, data)`` events in order, in the caller's transaction."""
        payloads = [_checked(kind, actor, subject, data) for kind, actor, subject, data in events]
        if not payloads:
            return []
        first = self._take_seqs(session, len(payloads))
        at = as_utc(self.clock())
        rows = []
        for seq, (kind, actor, subject, data) in enumerate(payloads, first):
            leaf = merkle.leaf_hash(leaf_data(seq, at, kind, actor, subject, data))
            rows.append(
                {
                    "seq": seq,
                    "at": at,
                    "kind": kind,
                    "actor": actor,
                    "subject": subject,
                    "data": data,
                    "leaf_hash": leaf.hex(),
                }
            )
        session.connection().execute(_INSERT, rows)
        return list(range(first, first + len(rows)))

    def append_now(
        self, kind: str, *, actor: str, subject: str, data: dict[str, Any] | None = None
    ) -> int:
        """Log one event in its own transaction, committed on return."""
        with self.db.session() as s:
            return self.append(s, kind, actor=actor, subject=subject, data=data)

    def _take_seqs(self, session: Session, count: int) -> int:
        """Reserve ``count`` seqs; the counter row stays locked until the transaction ends."""
        conn = session.connection()
        taken = conn.execute(_TAKE, {"n": count}).scalar_one_or_none()
        if taken is None:  # the migration creates the row; recreate it if someone removed it
            have = conn.execute(select(func.count()).select_from(LedgerEvent)).scalar_one()
            conn.execute(insert(LedgerCounter), {"id": 1, "next_seq": have + count})
            return int(have)
        return int(taken) - count

    # --- reading -------------------------------------------------------------------------

    def size(self, session: Session | None = None) -> int:
        """How many events the log holds."""
        if session is None:
            with self.db.session() as s:
                return self.size(s)
        return int(session.scalar(select(func.count()).select_from(LedgerEvent)) or 0)

    def events(
        self,
        subject: str | None = None,
        kind: str | None = None,
        *,
        actor: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        after_seq: int | None = None,
        limit: int = 100,
    ) -> list[EventOut]:
        """Events in seq order, filtered (a subject's events are its chain of custody)."""
        stmt = select(LedgerEvent).order_by(LedgerEvent.seq).limit(limit)
        if subject is not None:
            stmt = stmt.where(LedgerEvent.subject == subject)
        if kind is not None:
            stmt = stmt.where(LedgerEvent.kind == kind)
        if actor is not None:
            stmt = stmt.where(LedgerEvent.actor == actor)
        if since is not None:
            stmt = stmt.where(LedgerEvent.at >= since)
        if until is not None:
            stmt = stmt.where(LedgerEvent.at < until)
        if after_seq is not None:
            stmt = stmt.where(LedgerEvent.seq > after_seq)
        with self.db.session() as s:
            return [event_out(r) for r in s.scalars(stmt)]

    def event(self, seq: int) -> EventOut:
        """One event by seq."""
        with self.db.session() as s:
            row = s.scalar(select(LedgerEvent).where(LedgerEvent.seq == seq))
            if row is None:
                raise NotFound(f"the ledger has no event {seq}")
            return event_out(row)

    def _leaves(self, session: Session, start: int = 0, stop: int | None = None) -> list[bytes]:
        """Stored leaf hashes of seqs ``start <= seq < stop``, in order."""
        stmt = select(LedgerEvent.leaf_hash).where(LedgerEvent.seq >= start)
        if stop is not None:
            stmt = stmt.where(LedgerEvent.seq < stop)
        rows = session.execute(stmt.order_by(LedgerEvent.seq).execution_options(yield_per=50_000))
        return [bytes.fromhex(h) for (h,) in rows]

    # --- signing -------------------------------------------------------------------------

    def _signing_key(self, session: Session | None = None) -> Any:
        """The private key of the ledger's current key; reloaded when another process rotated.

        The key file must hold the key the history names as current: a missing or replaced
        file never silently starts a new key (a rotation interrupted after its commit is
        completed here from the ``.next`` file it left).
        """
        if session is None:
            with self.db.session() as s:
                return self._signing_key(s)
        current = session.scalar(select(LedgerKey).where(LedgerKey.valid_until.is_(None)))
        if (
            self._key is not None
            and current is not None
            and key_id(self._key.public_key()) == current.key_id
        ):
            return self._key
        home = self.settings.home
        pending = home / NEXT_KEY_FILE
        if current is not None and pending.exists():
            candidate = _read_private(pending)
            if candidate is not None and key_id(candidate.public_key()) == current.key_id:
                os.replace(pending, home / KEY_FILE)  # finish the interrupted rotation
            else:
                pending.unlink(missing_ok=True)  # a rotation that never committed
        key = load_signing_key(self.settings)
        kid = key_id(key.public_key())
        if current is None:
            if self._any_key(session):
                raise LedgerKeyError("the ledger key history has no current key; restore it")
            session.add(LedgerKey(key_id=kid, public_key_pem=public_pem(key.public_key())))
            session.flush()
        elif kid != current.key_id:
            raise LedgerKeyError(
                f"{home / KEY_FILE} holds key {kid}, but the ledger's current signing key is "
                f"{current.key_id}: restore that key file (a retired or unknown key may not "
                "sign; use `rempart ledger rotate-key` to change keys)"
            )
        self._key = key
        return key

    @staticmethod
    def _any_key(session: Session) -> bool:
        return session.scalar(select(func.count()).select_from(LedgerKey)) != 0

    def signer(self) -> Any:
        """The current private key (Ed25519), e.g. to sign an export bundle's manifest."""
        return self._signing_key()

    def public_key_pem(self) -> str:
        """The PEM public key that verifies heads signed now (publish it widely)."""
        return public_pem(self._signing_key().public_key())

    def key_id(self) -> str:
        """The id of the current signing key, as heads name it."""
        return key_id(self._signing_key().public_key())

    def key_history(self) -> list[SigningKeyOut]:
        """Every signing key the ledger ever used, oldest first, with its validity period."""
        with self.db.session() as s:
            self._signing_key(s)
            rows = list(s.scalars(select(LedgerKey).order_by(LedgerKey.id)))
            return [_key_out(r) for r in rows]

    def rotate_key(self, *, actor: str, reason: str) -> SigningKeyOut:
        """Replace the signing key: logged, old key's last head, new key endorsed by the old.

        One transaction logs ``ledger.key_rotated``, signs a head over it with the old key,
        retires that key and records the new one, both at the same instant; then the new
        private key replaces the old one's file (the retired private key is destroyed).
        """
        if not reason.strip() or len(reason) > 1000:
            raise Invalid("give the reason for the rotation (at most 1000 characters)")
        _check_text("actor", actor, MAX_FIELD)
        home = self.settings.home
        with self._lock, self.db.session() as s:
            old = self._signing_key(s)
            current = s.scalar(select(LedgerKey).where(LedgerKey.valid_until.is_(None)))
            assert current is not None  # _signing_key registered it
            at = as_utc(self.clock())
            latest = s.scalar(select(func.max(LedgerTreeHead.timestamp)))
            floor = [as_utc(t) for t in (latest, current.valid_from) if t is not None]
            if any(at <= t for t in floor):
                raise Invalid("the clock is not after the latest head or key change; try later")
            new = write_private_key(home / NEXT_KEY_FILE, replace=True)
            new_pub = new.public_key()
            out = SigningKeyOut(
                key_id=key_id(new_pub),
                public_key_pem=public_pem(new_pub),
                valid_from=at,
                previous_key_id=current.key_id,
                endorsement=old.sign(key_message(new_pub, at)).hex(),
                reason=reason.strip(),
            )
            seq = self.append(s, ROTATION_KIND, actor=actor, subject=KEYS_SUBJECT,
                              data=rotation_data(out))  # fmt: skip
            size = self.size(s)
            frontier = merkle.Frontier()  # not the cache: this transaction may roll back
            frontier.extend(self._leaves(s, 0, size))
            root = frontier.root().hex()
            s.add(
                LedgerTreeHead(
                    tree_size=size,
                    root_hash=root,
                    timestamp=at,
                    signature=old.sign(head_message(HEAD_VERSION, size, at, root)).hex(),
                    key_id=current.key_id,
                )
            )
            current.valid_until = at
            s.flush()
            row = LedgerKey(
                key_id=out.key_id,
                public_key_pem=out.public_key_pem,
                valid_from=at,
                previous_key_id=out.previous_key_id,
                endorsement=out.endorsement,
                rotation_seq=seq,
                reason=out.reason,
            )
            s.add(row)
            s.flush()
            result = _key_out(row)
        os.replace(home / NEXT_KEY_FILE, home / KEY_FILE)
        self._key = new
        return result

    def current_root(self, session: Session, *, fresh: bool = False) -> tuple[int, bytes]:
        """Size and root of the log now, from the stored leaf hashes.

        Leaves already seen are cached between calls so signing stays cheap; ``fresh`` rereads
        them all, for checks that must see what the database holds now.
        """
        with self._lock:
            size = self.size(session)
            if fresh or size < self._frontier.size:
                self._frontier = merkle.Frontier()
            new = self._leaves(session, self._frontier.size, size)
            if len(new) != size - self._frontier.size:  # a gap: start again from scratch
                self._frontier = merkle.Frontier()
                new = self._leaves(session, 0, size)
            self._frontier.extend(new)
            return self._frontier.size, self._frontier.root()

    def sign_head(self) -> TreeHead:
        """Sign and store the head of the whole log now."""
        with self.db.session() as s:
            key = self._signing_key(s)
            size, root = self.current_root(s)
            at = as_utc(self.clock())
            signature = key.sign(head_message(HEAD_VERSION, size, at, root.hex())).hex()
            row = LedgerTreeHead(
                tree_size=size,
                root_hash=root.hex(),
                timestamp=at,
                signature=signature,
                key_id=key_id(key.public_key()),
            )
            s.add(row)
            s.flush()
            return head_out(row)

    def sign_if_grown(self) -> TreeHead | None:
        """Sign a head only if events were logged since the latest one (for a periodic job)."""
        latest = self.latest_head()
        if latest is not None and latest.tree_size == self.size():
            return None
        return self.sign_head()

    def latest_head(self) -> TreeHead | None:
        """The most recently signed head, if any."""
        with self.db.session() as s:
            row = s.scalar(select(LedgerTreeHead).order_by(LedgerTreeHead.id.desc()).limit(1))
            return None if row is None else head_out(row)

    def heads(self, limit: int = 100) -> list[TreeHead]:
        """Signed heads, newest first."""
        with self.db.session() as s:
            stmt = select(LedgerTreeHead).order_by(LedgerTreeHead.id.desc()).limit(limit)
            return [head_out(r) for r in s.scalars(stmt)]

    # --- proofs --------------------------------------------------------------------------

    def _range_hasher(self, session: Session, size: int) -> merkle.RangeHash:
        """MTH over stored leaves, with complete chunks of ``CHUNK`` leaves cached in memory."""
        with self._lock:
            have, need = len(self._chunks), size // CHUNK
            if need > have:
                new = self._leaves(session, have * CHUNK, need * CHUNK)
                if len(new) != (need - have) * CHUNK:
                    raise Invalid("the ledger has a gap in its seqs; run `rempart ledger verify`")
                for c in range(need - have):
                    self._chunks.append(merkle.root(new[c * CHUNK : (c + 1) * CHUNK]))
            chunks = self._chunks[:need]

        def leaves(lo: int, hi: int) -> bytes:
            return merkle.root(self._leaves(session, lo, hi))

        return merkle.chunked(chunks, CHUNK, leaves)

    def inclusion_proof(self, seq: int, tree_size: int | None = None) -> InclusionProof:
        """The audit path of event ``seq`` in the tree of ``tree_size`` events (default: all)."""
        with self.db.session() as s:
            size = self.size(s)
            n = size if tree_size is None else tree_size
            if not 0 <= seq < size:
                raise NotFound(f"the ledger has no event {seq} (it holds {size})")
            if not seq < n <= size:
                raise Invalid(f"tree_size must be above {seq} and at most {size}, not {n}")
            mth = self._range_hasher(s, n)
            leaf = self._leaves(s, seq, seq + 1)[0]
            path = merkle.inclusion_path_with(seq, n, mth)
            root = mth(0, n)
        return InclusionProof(
            seq=seq,
            tree_size=n,
            leaf_hash=leaf.hex(),
            root_hash=root.hex(),
            path=[p.hex() for p in path],
        )

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> ConsistencyProof:
        """The proof that the log of ``new_size`` events extends the log of ``old_size``."""
        with self.db.session() as s:
            size = self.size(s)
            second = size if new_size is None else new_size
            if not 0 <= old_size <= second <= size:
                raise Invalid(
                    f"need 0 <= first <= second <= {size} (the log's size), "
                    f"not first={old_size}, second={second}"
                )
            mth = self._range_hasher(s, second)
            proof = merkle.consistency_proof_with(old_size, second, mth)
            first_hash = mth(0, old_size) if old_size else merkle.EMPTY_ROOT
            second_hash = mth(0, second) if second else merkle.EMPTY_ROOT
        return ConsistencyProof(
            first=old_size,
            second=second,
            first_hash=first_hash.hex(),
            second_hash=second_hash.hex(),
            proof=[p.hex() for p in proof],
        )

    # --- verification --------------------------------------------------------------------

    def verify(self) -> VerifyReport:
        """Recompute every leaf, root and signature; report exactly what is wrong and where."""
        from rempart.evidence.ledger.verify import verify_ledger

        return verify_ledger(self.db, self.key_history())
