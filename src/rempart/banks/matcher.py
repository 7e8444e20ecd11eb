"""In-memory match indexes, kept in step with the database through the change log.

One ``HammingIndex`` per perceptual signal type (PDQ, and vPDQ frames) and one hash table
per exact type (MD5, SHA-256, video MD5). A snapshot on disk plus the log since its ``seq``
gives a fast restart; a background thread applies new changes every fraction of a second.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import structlog
from sqlalchemy import func, select

from rempart.banks.index import HammingIndex
from rempart.signals.pdq import pdq_hex_to_array
from rempart.signals.types import PDQ, SIGNAL_TYPES, VPDQ
from rempart.signals.vpdq import parse_vpdq
from rempart.store.db import Database
from rempart.store.models import RANGE_OP, ContentSignal, SignalChange

log = structlog.get_logger(__name__)

FRAME_BITS = 20  # vPDQ frame rows are keyed (signal_id << 20) | frame number
_BATCH = 200_000


@dataclass(frozen=True)
class Candidate:
    """A raw index hit: which banked signal, in which bank, at what distance."""

    signal_id: int
    bank_id: int
    distance: int
    frame: int = -1


@dataclass(frozen=True, slots=True)
class Change:
    """One signal added or removed, at log position ``seq``."""

    seq: int
    op: str
    signal_id: int
    bank_id: int
    signal_type: str
    signal_value: str


@dataclass
class ExactTable:
    """Hash table for exact signal types: value → {signal_id: bank_id}."""

    rows: dict[str, dict[int, int]] = field(default_factory=dict)
    by_id: dict[int, str] = field(default_factory=dict)

    def add(self, signal_id: int, bank_id: int, value: str) -> None:
        """Insert or replace one row."""
        self.remove(signal_id)
        self.rows.setdefault(value, {})[signal_id] = bank_id
        self.by_id[signal_id] = value

    def remove(self, signal_id: int) -> None:
        """Drop one row if present."""
        value = self.by_id.pop(signal_id, None)
        if value is not None:
            bucket = self.rows.get(value, {})
            bucket.pop(signal_id, None)
            if not bucket:
                self.rows.pop(value, None)

    def get(self, value: str) -> list[Candidate]:
        """Rows whose value equals ``value``."""
        bucket = tuple(self.rows.get(value, {}).items())  # one C call: safe while syncing
        return [Candidate(sid, bid, 0) for sid, bid in bucket]

    def __len__(self) -> int:
        return len(self.by_id)


class Matcher:
    """Every index a lookup needs, fed from ``content_signal`` and ``signal_change``."""

    def __init__(self, db: Database, snapshot_dir: Path | None = None) -> None:
        self.db = db
        self.snapshot_dir = snapshot_dir
        self.pdq = HammingIndex()
        self.vpdq = HammingIndex()
        self.vpdq_frames: dict[int, int] = {}  # signal id → frame count
        self.exact: dict[str, ExactTable] = {
            name: ExactTable() for name, info in SIGNAL_TYPES.items() if info.exact
        }
        self.seq = 0
        self.ready = False
        self.loaded_from_snapshot = False
        self.last_sync = 0.0
        self.load_seconds = 0.0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- loading -----------------------------------------------------------------------
    def load(self) -> None:
        """Load the snapshot if there is one, else build from the tables; then catch up."""
        start = time.perf_counter()
        with self._lock:
            if not self._load_snapshot():
                self._build_from_tables()
            self._apply_changes()
            self.ready = True
        self.load_seconds = time.perf_counter() - start
        log.info(
            "index.loaded",
            pdq=len(self.pdq),
            seconds=round(self.load_seconds, 3),
            snapshot=self.loaded_from_snapshot,
            seq=self.seq,
        )

    def _build_from_tables(self) -> None:
        with self.db.session() as s:
            self.seq = int(s.scalar(select(func.max(SignalChange.seq))) or 0)
            last_id = 0
            pdq_codes: list[np.ndarray] = []
            pdq_ids: list[np.ndarray] = []
            pdq_banks: list[np.ndarray] = []
            while True:
                rows = s.execute(
                    select(
                        ContentSignal.id,
                        ContentSignal.bank_id,
                        ContentSignal.signal_type,
                        ContentSignal.signal_value,
                    )
                    .where(ContentSignal.id > last_id)
                    .order_by(ContentSignal.id)
                    .limit(_BATCH)
                ).all()
                if not rows:
                    break
                last_id = rows[-1].id
                pdq_rows = [r for r in rows if r.signal_type == PDQ]
                if pdq_rows:
                    pdq_codes.append(pdq_hex_to_array([r.signal_value for r in pdq_rows]))
                    pdq_ids.append(np.fromiter((r.id for r in pdq_rows), np.int64, len(pdq_rows)))
                    pdq_banks.append(
                        np.fromiter((r.bank_id for r in pdq_rows), np.int32, len(pdq_rows))
                    )
                for r in rows:
                    if r.signal_type != PDQ:
                        self._apply_one("add", r.id, r.bank_id, r.signal_type, r.signal_value)
        if pdq_codes:
            self.pdq = HammingIndex.build(
                np.concatenate(pdq_codes), np.concatenate(pdq_ids), np.concatenate(pdq_banks)
            )

    # --- change log --------------------------------------------------------------------
    def sync(self) -> int:
        """Apply changes logged since the last sync; returns how many were applied."""
        with self._lock:
            return self._apply_changes()

    def _apply_changes(self) -> int:
        applied = 0
        while True:
            rows = self._next_changes()
            if not rows:
                break
            # PDQ changes in two vectorised calls, the last change of each signal winning
            # (add 7, remove 7 in one batch ends removed); the rest one by one, in log order.
            last = {r.signal_id: r for r in rows if r.signal_type == PDQ}
            gone = [sid for sid, r in last.items() if r.op == "remove"]
            if gone:
                self.pdq.remove(np.array(gone, dtype=np.int64))
            live_adds = [r for r in last.values() if r.op == "add"]
            if live_adds:
                self.pdq.add(
                    pdq_hex_to_array([r.signal_value for r in live_adds]),
                    np.fromiter((r.signal_id for r in live_adds), np.int64, len(live_adds)),
                    np.fromiter((r.bank_id for r in live_adds), np.int32, len(live_adds)),
                )
            for r in rows:
                if r.signal_type == PDQ:
                    continue
                self._apply_one(r.op, r.signal_id, r.bank_id, r.signal_type, r.signal_value)
            self.seq = rows[-1].seq
            applied += len(rows)
        self.last_sync = time.time()
        for index in (self.pdq, self.vpdq):
            if applied and index.needs_compaction():
                index.compact()
        return applied

    def _next_changes(self) -> list[Change]:
        """The next changes after ``self.seq``, bulk ranges expanded, about ``_BATCH`` of them.

        A bulk import logs one ``add_range`` per batch (signal ids ``signal_id`` to
        ``last_signal_id``) instead of a row per signal; its signals are read from
        ``content_signal``, where they were committed with the log entry. One deleted since
        is simply absent, and its later ``remove`` is then a no-op.
        """
        out: list[Change] = []
        with self.db.session() as s:
            rows = s.execute(
                select(
                    SignalChange.seq,
                    SignalChange.op,
                    SignalChange.signal_id,
                    SignalChange.last_signal_id,
                    SignalChange.bank_id,
                    SignalChange.signal_type,
                    SignalChange.signal_value,
                )
                .where(SignalChange.seq > self.seq)
                .order_by(SignalChange.seq)
                .limit(_BATCH)
            ).all()
            for r in rows:
                if r.op != RANGE_OP:
                    out.append(Change(r.seq, r.op, r.signal_id, r.bank_id, r.signal_type,
                                      r.signal_value))  # fmt: skip
                    continue
                signals = s.execute(
                    select(
                        ContentSignal.id,
                        ContentSignal.bank_id,
                        ContentSignal.signal_type,
                        ContentSignal.signal_value,
                    )
                    .where(ContentSignal.id.between(r.signal_id, r.last_signal_id))
                    .order_by(ContentSignal.id)
                ).all()
                out += [Change(r.seq, "add", c.id, c.bank_id, c.signal_type, c.signal_value)
                        for c in signals]  # fmt: skip
                if len(out) >= _BATCH:  # stop at a log entry boundary: self.seq stays exact
                    break
        return out

    def _apply_one(self, op: str, signal_id: int, bank_id: int, st: str, value: str) -> None:
        if st == PDQ:
            if op == "remove":
                self.pdq.remove(np.array([signal_id], dtype=np.int64))
            else:
                self.pdq.add(
                    pdq_hex_to_array([value]),
                    np.array([signal_id], np.int64),
                    np.array([bank_id], np.int32),
                )
        elif st == VPDQ:
            self._apply_vpdq(op, signal_id, bank_id, value)
        elif st in self.exact:
            table = self.exact[st]
            if op == "remove":
                table.remove(signal_id)
            else:
                table.add(signal_id, bank_id, value)

    def _apply_vpdq(self, op: str, signal_id: int, bank_id: int, value: str) -> None:
        old = self.vpdq_frames.pop(signal_id, 0)
        if old:
            self.vpdq.remove((np.int64(signal_id) << FRAME_BITS) + np.arange(old, dtype=np.int64))
        if op == "remove":
            return
        frames = [f for f in parse_vpdq(value)][: 1 << FRAME_BITS]
        if not frames:
            return
        ids = (np.int64(signal_id) << FRAME_BITS) + np.arange(len(frames), dtype=np.int64)
        self.vpdq.add(
            pdq_hex_to_array([f.hex for f in frames]), ids, np.full(len(frames), bank_id, np.int32)
        )
        self.vpdq_frames[signal_id] = len(frames)

    # --- queries -----------------------------------------------------------------------
    def query_pdq(self, codes: np.ndarray, radius: int) -> list[list[Candidate]]:
        """Raw PDQ hits for each query code within ``radius`` (exact)."""
        hits = self.pdq.search(codes, radius)
        return [
            [
                Candidate(int(i), int(b), int(d))
                for i, d, b in zip(h.ids, h.distances, h.banks, strict=True)
            ]
            for h in hits
        ]

    def query_vpdq_frames(self, codes: np.ndarray, radius: int) -> list[list[Candidate]]:
        """Raw vPDQ frame hits per query frame: (signal id, frame number) within ``radius``."""
        out = []
        mask = (1 << FRAME_BITS) - 1
        for h in self.vpdq.search(codes, radius):
            out.append(
                [
                    Candidate(int(i) >> FRAME_BITS, int(b), int(d), int(i) & mask)
                    for i, d, b in zip(h.ids, h.distances, h.banks, strict=True)
                ]
            )
        return out

    def query_exact(self, signal_type: str, value: str) -> list[Candidate]:
        """Rows of an exact signal type equal to ``value``."""
        table = self.exact.get(signal_type)
        return table.get(value) if table is not None else []

    # --- snapshots ---------------------------------------------------------------------
    def save_snapshot(self) -> Path | None:
        """Persist the PDQ index and the log position so a restart skips the full build."""
        if self.snapshot_dir is None:
            return None
        with self._lock:
            self.pdq.compact()
            target = self.snapshot_dir / "pdq"
            self.pdq.save(target)
            meta = {
                "seq": self.seq,
                "url": self.db.engine.url.render_as_string(),
                "pdq": len(self.pdq),
            }
            tmp = self.snapshot_dir / "meta.json.tmp"
            tmp.write_text(json.dumps(meta))
            tmp.replace(self.snapshot_dir / "meta.json")
        return target

    def _load_snapshot(self) -> bool:
        if self.snapshot_dir is None:
            return False
        meta_path = self.snapshot_dir / "meta.json"
        if not meta_path.exists():
            return False
        try:
            meta = json.loads(meta_path.read_text())
            if meta.get("url") != self.db.engine.url.render_as_string():
                return False
            seq = int(meta["seq"])
            pdq = HammingIndex.load(self.snapshot_dir / "pdq")
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            log.warning("index.snapshot_unreadable", error=str(exc))
            return False
        with self.db.session() as s:
            newest = int(s.scalar(select(func.max(SignalChange.seq))) or 0)
        if seq > newest:  # the database was restored or recreated since: the snapshot lies
            log.warning("index.snapshot_ahead_of_database", snapshot_seq=seq, database_seq=newest)
            return False
        self.pdq = pdq
        # Other types are small: rebuild them from the tables, then replay the PDQ log only.
        self._build_exact_and_video()
        self.seq = seq
        self.loaded_from_snapshot = True
        return True

    def _build_exact_and_video(self) -> None:
        with self.db.session() as s:
            rows = s.execute(
                select(
                    ContentSignal.id,
                    ContentSignal.bank_id,
                    ContentSignal.signal_type,
                    ContentSignal.signal_value,
                ).where(ContentSignal.signal_type.in_([t for t in SIGNAL_TYPES if t != PDQ]))
            ).all()
        for r in rows:
            self._apply_one("add", r.id, r.bank_id, r.signal_type, r.signal_value)

    # --- background --------------------------------------------------------------------
    def start(self, interval_s: float = 0.5) -> None:
        """Start the background thread that applies the change log every ``interval_s``."""
        if self._thread is not None:
            return
        self._stop.clear()

        def loop() -> None:
            while not self._stop.wait(interval_s):
                try:
                    self.sync()
                except Exception as exc:  # keep serving on a transient DB error
                    log.warning("index.sync_failed", error=str(exc))

        self._thread = threading.Thread(target=loop, name="rempart-index-sync", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the background thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def status(self) -> dict[str, object]:
        """Sizes, log position and freshness, for ``/m/index/status`` and ``/v1/index``."""
        return {
            "ready": self.ready,
            "seq": self.seq,
            "last_sync": self.last_sync,
            "load_seconds": round(self.load_seconds, 3),
            "from_snapshot": self.loaded_from_snapshot,
            "pdq": self.pdq.stats() | {"size": len(self.pdq)},
            "vpdq_frames": len(self.vpdq),
            "vpdq_videos": len(self.vpdq_frames),
            "exact": {k: len(v) for k, v in self.exact.items()},
        }
