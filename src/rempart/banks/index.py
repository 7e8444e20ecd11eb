"""Exact Hamming-radius index for 256-bit codes (PDQ image hashes and vPDQ frame hashes).

Design (numbers in ``bench/bench_index.py``):

- **Multi-index hashing** in numpy: the bits are cut into ``m`` chunks of ``b`` bits, one
  direct-addressed CSR table per chunk; a query probes every key within a few bit flips of its
  chunks (pigeonhole bound, see ``hamming.layout``), then verifies candidates with
  ``np.bitwise_count``. Never misses a code a brute-force scan finds, for any radius 0..256; a
  radius where probing would cost more than a scan is served by a scan.
- **Segments**: the data lives in immutable, id-sorted segments (the big *main* one and a few
  small tail ones), plus a small scanned *delta* of recent additions and per-segment sorted
  *dead* rows (tombstones). ``add``/``remove`` are visible at once, with no rebuild; a full delta
  becomes a tail segment, tails merge by size (binary-counter style), and ``compact`` rebuilds
  everything into one main segment.
- **Threads**: readers never lock. Every change builds a new immutable ``_Snapshot`` and
  publishes it with one attribute assignment (atomic in CPython); a search reads
  ``self._snapshot`` once and works on that, so it sees a change entirely or not at all. Writers
  (``add``, ``remove``, the publish steps of ``compact``) hold ``self._lock``. ``compact`` builds
  the new main segment *outside* that lock, from a frozen base, and then re-applies the removals
  made meanwhile, so it can run in a background thread while searches and writes continue.
- **Storage**: ``save`` writes ``.npy`` arrays and switches a ``CURRENT`` pointer atomically;
  ``load`` reads them back without rebuilding (optionally memory-mapped).
"""

from __future__ import annotations

import itertools
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rempart.banks.hamming import storage
from rempart.banks.hamming.bits import (
    I32,
    I64,
    U8,
    U32,
    U64,
    as_codes,
    as_int_array,
    as_query,
    check_radius,
    to_words,
)
from rempart.banks.hamming.segment import EMPTY_I64, Segment, merge

__all__ = ["HammingIndex", "Hits"]

QUERY_CHUNK = 256  # queries per unit of batch work (bounds temporaries, spreads over threads)
DEFAULT_DELTA_MAX = 4096  # recent additions scanned before they become a tail segment
_EMPTY_I32: I32 = np.zeros(0, np.int32)

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _executor() -> ThreadPoolExecutor:
    """Process-wide worker threads for batch search (numpy releases the GIL in its loops)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(os.cpu_count() or 2, thread_name_prefix="hamming")
        return _pool


@dataclass(frozen=True, eq=False)
class Hits:
    """Matches of one query, ordered by distance then id."""

    ids: I64
    distances: I32
    banks: I32

    def __len__(self) -> int:
        return int(self.ids.shape[0])


_NO_HITS = Hits(EMPTY_I64, _EMPTY_I32, _EMPTY_I32)


@dataclass(frozen=True, eq=False)
class _Snapshot:
    """Immutable state read by searches; ``segments[0]`` is the main segment."""

    segments: tuple[Segment, ...]
    dead: tuple[I64, ...]  # sorted dead rows of each segment
    delta: Segment  # recent additions, scanned
    fixed: int  # segments[:fixed] are never merged by add(): the main one, or a compaction's base

    def parts(self) -> list[tuple[Segment, I64]]:
        """Every segment, the delta included, with its dead rows."""
        return [*zip(self.segments, self.dead, strict=True), (self.delta, EMPTY_I64)]

    def live(self) -> int:
        """Number of searchable entries."""
        return sum(len(s) - len(d) for s, d in self.parts())


def _alive(rows: I64, dead: I64) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """Mask of ``rows`` not in the sorted array ``dead``."""
    if not dead.size:
        return np.ones(rows.shape[0], bool)
    pos = np.minimum(np.searchsorted(dead, rows), dead.shape[0] - 1)
    return np.asarray(dead[pos] != rows)


def _kill(seg: Segment, dead: I64, ids: I64) -> I64:
    """``dead`` plus the rows of ``seg`` holding any of ``ids``."""
    rows = seg.rows_of(ids)
    return np.union1d(dead, rows).astype(np.int64) if rows.size else dead


class HammingIndex:
    """Exact Hamming-radius search over 256-bit codes; ids are the caller's.

    Ids are e.g. ``content_signal.id``. Safe for many concurrent searching threads plus
    writers (writers are serialised).
    """

    def __init__(self, *, delta_max: int = DEFAULT_DELTA_MAX, workers: int | None = None) -> None:
        """An empty index; ``workers`` threads build tables (default: one per core)."""
        self._lock = threading.Lock()
        self._compacting = threading.Lock()
        self._delta_max = max(1, delta_max)
        self._workers = workers or os.cpu_count() or 1
        self._snapshot = _Snapshot((Segment.empty(),), (EMPTY_I64,), Segment.empty(), 1)
        self.meta: dict[str, Any] = {}  # caller data saved with the index (e.g. change-log seq)

    # -- building and loading -------------------------------------------------------------

    @classmethod
    def build(
        cls, codes: np.ndarray[Any, Any], ids: np.ndarray[Any, Any], banks: np.ndarray[Any, Any]
    ) -> HammingIndex:
        """Index ``codes`` ``(n, 32)`` uint8 with unique int64 ``ids`` and int32 ``banks``."""
        c8, id64, bank32 = _validated(codes, ids, banks)
        if np.unique(id64).shape[0] != id64.shape[0]:
            raise ValueError("ids must be unique in build(); use add() to replace entries")
        index = cls()
        main = Segment.build(c8, id64, bank32, workers=index._workers)
        index._snapshot = _Snapshot((main,), (EMPTY_I64,), Segment.empty(), 1)
        return index

    def save(self, directory: Path, meta: dict[str, Any] | None = None) -> None:
        """Persist the current state (and ``meta``, JSON-able) atomically under ``directory``."""
        snap = self._snapshot
        storage.save(Path(directory), snap.parts(), dict(self.meta if meta is None else meta))

    @classmethod
    def load(cls, directory: Path, *, mmap: bool = False) -> HammingIndex:
        """Open an index saved by ``save`` without rebuilding it (``mmap``: map files read-only)."""
        parts, meta = storage.load(Path(directory), mmap)
        if not parts:
            raise ValueError(f"{directory}: saved index has no segments")
        index = cls()
        segs = tuple(p[0] for p in parts[:-1]) or (Segment.empty(),)
        dead = tuple(p[1] for p in parts[:-1]) or (EMPTY_I64,)
        index._snapshot = _Snapshot(segs, dead, parts[-1][0], 1)
        index.meta = meta
        return index

    # -- searching ------------------------------------------------------------------------

    def search(self, queries: np.ndarray[Any, Any], radius: int) -> list[Hits]:
        """Matches within ``radius`` for each row of ``queries`` ``(q, 32)`` uint8, exactly."""
        q8 = as_codes(queries, "queries")
        radius = check_radius(radius)
        snap = self._snapshot
        if q8.shape[0] <= QUERY_CHUNK:
            return _search_chunk(snap, q8, radius)
        chunks = [q8[i : i + QUERY_CHUNK] for i in range(0, q8.shape[0], QUERY_CHUNK)]
        results = _executor().map(lambda c: _search_chunk(snap, c, radius), chunks)
        return [hits for chunk in results for hits in chunk]

    def search_one(self, query: np.ndarray[Any, Any], radius: int) -> Hits:
        """Matches within ``radius`` of one ``(32,)`` uint8 query (lowest-overhead path)."""
        q8 = as_query(query)
        radius = check_radius(radius)
        words = q8.view(np.uint64)
        ids: list[I64] = []
        dists: list[U32] = []
        banks: list[I32] = []
        for seg, dead in self._snapshot.parts():
            rows, d = seg.search_one(q8, words, radius)
            if not rows.size:
                continue
            if dead.size:
                keep = _alive(rows, dead)
                rows, d = rows[keep], d[keep]
            ids.append(seg.ids[rows])
            dists.append(d)
            banks.append(seg.banks_of(rows))
        if not ids:
            return _NO_HITS
        id_all, d_all = np.concatenate(ids), np.concatenate(dists).astype(np.int32)
        order = np.lexsort((id_all, d_all))
        return Hits(id_all[order], d_all[order], np.concatenate(banks)[order])

    def __len__(self) -> int:
        return self._snapshot.live()

    # -- changes --------------------------------------------------------------------------

    def add(
        self, codes: np.ndarray[Any, Any], ids: np.ndarray[Any, Any], banks: np.ndarray[Any, Any]
    ) -> None:
        """Add entries, visible to the next search; re-adding an existing id replaces it."""
        c8, id64, bank32 = _validated(codes, ids, banks)
        if not id64.size:
            return
        # keep the last occurrence of an id repeated within this call
        _, last = np.unique(id64[::-1], return_index=True)
        keep = id64.shape[0] - 1 - last
        c8, id64, bank32 = c8[keep], id64[keep], bank32[keep]
        with self._lock:
            snap = self._snapshot
            dead = [_kill(s, d, id64) for s, d in zip(snap.segments, snap.dead, strict=True)]
            old = snap.delta
            stay = np.flatnonzero(~np.isin(old.ids, id64))
            delta = Segment.build(
                np.concatenate([old.codes[stay].view(np.uint8).reshape(-1, 32), c8]),
                np.concatenate([old.ids[stay], id64]),
                np.concatenate([old.banks_of(stay), bank32]),
                layout=None,
            )
            segments = list(snap.segments)
            if len(delta) >= self._delta_max:
                self._flush(segments, dead, delta, snap.fixed)
                delta = Segment.empty()
            self._snapshot = _Snapshot(tuple(segments), tuple(dead), delta, snap.fixed)

    def remove(self, ids: np.ndarray[Any, Any]) -> None:
        """Remove entries by id, visible to the next search; unknown ids are ignored."""
        id64 = np.unique(as_int_array(ids, None, "ids", np.int64))
        if not id64.size:
            return
        with self._lock:
            snap = self._snapshot
            dead = [_kill(s, d, id64) for s, d in zip(snap.segments, snap.dead, strict=True)]
            delta = snap.delta
            gone = np.isin(delta.ids, id64)
            if gone.any():
                stay = np.flatnonzero(~gone)
                delta = Segment.build(
                    delta.codes[stay].view(np.uint8).reshape(-1, 32),
                    delta.ids[stay],
                    delta.banks_of(stay),
                    layout=None,
                )
            self._snapshot = _Snapshot(snap.segments, tuple(dead), delta, snap.fixed)

    def _flush(self, segments: list[Segment], dead: list[I64], delta: Segment, fixed: int) -> None:
        """Turn a full delta into a tail segment; merge tails while the newer is >= half the older.

        Like a binary counter, each entry is rebuilt O(log(tail / delta_max)) times.
        """
        segments.append(merge([(delta, EMPTY_I64)]))
        dead.append(EMPTY_I64)
        while len(segments) - fixed >= 2 and _live(segments[-2], dead[-2]) < 2 * _live(
            segments[-1], dead[-1]
        ):
            merged = merge([(segments[-2], dead[-2]), (segments[-1], dead[-1])])
            del segments[-2:], dead[-2:]
            segments.append(merged)
            dead.append(EMPTY_I64)

    # -- maintenance ----------------------------------------------------------------------

    def needs_compaction(self) -> bool:
        """Whether tails, delta or tombstones have grown enough that ``compact`` pays off."""
        snap = self._snapshot
        main = _live(snap.segments[0], snap.dead[0])
        tail = sum(_live(s, d) for s, d in snap.parts()[1:])
        stored = sum(len(s) for s in snap.segments)
        tombstones = sum(len(d) for d in snap.dead)
        return (
            tombstones > max(self._delta_max, stored // 10)
            or len(snap.segments) > 4
            or tail > max(self._delta_max, main // 20)
        )

    def compact(self) -> None:
        """Rebuild all live entries into one main segment; searches and writes may continue."""
        with self._compacting:
            with self._lock:
                snap = self._snapshot
                parts = list(zip(snap.segments, snap.dead, strict=True))
                if len(snap.delta):
                    parts.append((snap.delta, EMPTY_I64))
                if len(parts) == 1 and not parts[0][1].size:
                    return
                base = _Snapshot(
                    tuple(p[0] for p in parts),
                    tuple(p[1] for p in parts),
                    Segment.empty(),
                    len(parts),
                )
                self._snapshot = base
            main = merge(parts, workers=self._workers)  # the long part, without the lock
            with self._lock:
                cur = self._snapshot
                k = len(base.segments)
                assert all(a is b for a, b in zip(cur.segments[:k], base.segments, strict=False))
                late = [
                    seg.ids[np.setdiff1d(now, then, assume_unique=True)]
                    for seg, now, then in zip(base.segments, cur.dead[:k], base.dead, strict=True)
                ]
                dead = np.sort(main.rows_of(np.concatenate(late)))
                self._snapshot = _Snapshot(
                    (main, *cur.segments[k:]), (dead, *cur.dead[k:]), cur.delta, 1
                )

    # -- introspection --------------------------------------------------------------------

    def memory_bytes(self) -> int:
        """Bytes of every array the index holds (codes, ids, banks, tables, delta, tombstones)."""
        return sum(s.nbytes() + d.nbytes for s, d in self._snapshot.parts())

    def stats(self) -> dict[str, int | float | str]:
        """Sizes, layout and build time, for metrics and the admin console."""
        snap = self._snapshot
        main = snap.segments[0]
        live = snap.live()
        mem = self.memory_bytes()
        layout = main.layout
        return {
            "size": live,
            "main_rows": len(main),
            "delta_size": len(snap.delta),
            "tail_segments": len(snap.segments) - 1,
            "tail_rows": sum(len(s) for s in snap.segments[1:]),
            "tombstones": sum(len(d) for d in snap.dead),
            "layout": "multi-index hashing" if layout else "scan",
            "tables": layout.tables if layout else 0,
            "chunk_bits": layout.bits if layout else 0,
            "build_seconds": round(main.build_seconds, 3),
            "memory_bytes": mem,
            "bytes_per_hash": round(mem / live, 1) if live else 0.0,
        }


def _live(seg: Segment, dead: I64) -> int:
    return len(seg) - int(dead.shape[0])


def _validated(
    codes: np.ndarray[Any, Any], ids: np.ndarray[Any, Any], banks: np.ndarray[Any, Any]
) -> tuple[U8, I64, I32]:
    """Check shapes and dtypes of a batch of entries; raise ValueError saying what is wrong."""
    c8 = as_codes(codes)
    n = int(c8.shape[0])
    return c8, as_int_array(ids, n, "ids", np.int64), as_int_array(banks, n, "banks", np.int32)


def _search_chunk(snap: _Snapshot, q8: U8, radius: int) -> list[Hits]:
    """Batch search of a few hundred queries against one snapshot."""
    n = int(q8.shape[0])
    words: U64 = to_words(q8)
    qs: list[I64] = []
    ids: list[I64] = []
    dists: list[U32] = []
    banks: list[I32] = []
    for seg, dead in snap.parts():
        qi, rows, d = seg.search_many(q8, words, radius)
        if dead.size and rows.size:
            keep = _alive(rows, dead)
            qi, rows, d = qi[keep], rows[keep], d[keep]
        qs.append(qi)
        ids.append(seg.ids[rows])
        dists.append(d)
        banks.append(seg.banks_of(rows))
    q_all = np.concatenate(qs)
    if not q_all.size:
        return [_NO_HITS] * n
    id_all, d_all = np.concatenate(ids), np.concatenate(dists).astype(np.int32)
    order = np.lexsort((id_all, d_all, q_all))
    q_all, id_all, d_all = q_all[order], id_all[order], d_all[order]
    bank_all = np.concatenate(banks)[order]
    bounds = np.searchsorted(q_all, np.arange(n + 1)).tolist()
    return [
        Hits(id_all[a:b], d_all[a:b], bank_all[a:b]) if b > a else _NO_HITS
        for a, b in itertools.pairwise(bounds)
    ]
