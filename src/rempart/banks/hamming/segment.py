"""One immutable block of codes, sorted by id, with its multi-index hash tables.

Tables are stored CSR-style and concatenated so that all tables are probed in one vectorized
pass: bucket ``key`` of table ``t`` is ``offsets[t << bits | key]``..``offsets[... + 1]`` in
``postings`` (row numbers, table ``t`` occupying ``postings[t*n:(t+1)*n]``). A segment is never
modified after it is built, so readers need no lock.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from rempart.banks.hamming.bits import (
    I32,
    I64,
    U8,
    U32,
    U64,
    IntArray,
    distances_to,
    query_keys,
    row_distances,
    scan,
    scan_many,
    table_keys,
)
from rempart.banks.hamming.layout import (
    CANDIDATE_NS,
    Layout,
    choose_layout,
    plan_for,
    probing_pays,
    scan_cost,
)

GROUP_CANDIDATES = 1 << 20  # bound on candidates verified at once by a batch (bounds temporaries)
EMPTY_I64: I64 = np.zeros(0, np.int64)
EMPTY_U32: U32 = np.zeros(0, np.uint32)


def _frozen(*arrays: np.ndarray[Any, Any]) -> None:
    for a in arrays:
        if a.flags.writeable:
            a.flags.writeable = False


@dataclass(frozen=True, eq=False)
class Segment:
    """Codes (``(n, 4)`` uint64), ids (sorted, unique), banks, and optional hash tables."""

    codes: U64
    ids: I64
    bank_codes: IntArray
    bank_values: I32
    layout: Layout | None
    offsets: U32
    postings: U32
    build_seconds: float = 0.0

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    @classmethod
    def empty(cls) -> Segment:
        """A segment with no rows."""
        return cls.build(np.zeros((0, 32), np.uint8), EMPTY_I64, np.zeros(0, np.int32))

    @classmethod
    def build(
        cls,
        codes: U8,
        ids: I64,
        banks: I32,
        *,
        layout: Layout | str | None = "auto",
        workers: int = 1,
    ) -> Segment:
        """Sort rows by id and build the tables (``layout="auto"``: cheapest by the cost model)."""
        started = time.perf_counter()
        if ids.size and not bool(np.all(ids[1:] > ids[:-1])):
            order = np.argsort(ids, kind="stable")
            codes, ids, banks = codes[order], ids[order], banks[order]
        values, inverse = np.unique(banks, return_inverse=True)
        small = np.uint8 if values.size <= 1 << 8 else np.uint16
        bank_codes: IntArray = inverse.astype(small if values.size <= 1 << 16 else np.int32)
        n = int(ids.shape[0])
        chosen = choose_layout(n) if layout == "auto" else layout
        assert chosen is None or isinstance(chosen, Layout)
        offsets, postings = _build_tables(codes, chosen, workers) if chosen else (EMPTY_U32,) * 2
        words = np.ascontiguousarray(codes).view(np.uint64)
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        values = values.astype(np.int32)
        _frozen(words, ids, bank_codes, values, offsets, postings)
        elapsed = time.perf_counter() - started
        return cls(words, ids, bank_codes, values, chosen, offsets, postings, elapsed)

    def banks_of(self, rows: I64) -> I32:
        """Bank id of each row."""
        return self.bank_values[self.bank_codes[rows]]

    def rows_of(self, ids: I64) -> I64:
        """Rows holding any of ``ids`` (unknown ids are skipped)."""
        if not len(self) or not ids.size:
            return EMPTY_I64
        pos = np.searchsorted(self.ids, ids)
        inside = pos < len(self)
        pos, wanted = pos[inside], ids[inside]
        found: I64 = pos[self.ids[pos] == wanted].astype(np.int64)
        return found

    def nbytes(self) -> int:
        """Bytes held by this segment's arrays."""
        arrays = (self.codes, self.ids, self.bank_codes, self.bank_values, self.offsets)
        return sum(a.nbytes for a in arrays) + self.postings.nbytes

    def search_one(self, query: U8, words: U64, radius: int) -> tuple[I64, U32]:
        """Rows within ``radius`` of one query, and their distances (each row once)."""
        n = len(self)
        if not n:
            return EMPTY_I64, EMPTY_U32
        layout = self.layout
        if layout is None or not probing_pays(layout, n, radius):
            return scan(self.codes, words, radius)
        plan = plan_for(layout, radius)
        keys = query_keys(query, layout.starts, layout.bits)
        buckets = plan.bases + (keys[plan.tables] ^ plan.masks)
        starts = self.offsets[buckets]
        counts = (self.offsets[buckets + 1] - starts).astype(np.int64)
        total = int(counts.sum())
        if total * CANDIDATE_NS > scan_cost(n):  # skewed buckets: scanning is cheaper
            return scan(self.codes, words, radius)
        if not total:
            return EMPTY_I64, EMPTY_U32
        rows = self.postings[_ragged(starts, counts, total)]
        dist = distances_to(np.take(self.codes, rows, axis=0), words)
        hit = np.flatnonzero(dist <= radius)
        found: I64 = rows[hit].astype(np.int64)
        dist = dist[hit]
        if found.size > 1:
            found, first = np.unique(found, return_index=True)
            dist = dist[first]
        return found, dist

    def search_many(self, queries: U8, words: U64, radius: int) -> tuple[I64, I64, U32]:
        """(query index, row, distance) of every pair within ``radius`` (each pair once)."""
        n, q = len(self), int(queries.shape[0])
        layout = self.layout
        if not n or not q:
            return EMPTY_I64, EMPTY_I64, EMPTY_U32
        if layout is None or not probing_pays(layout, n, radius):
            return scan_many(self.codes, words, radius)
        plan = plan_for(layout, radius)
        keys = np.stack([table_keys(queries, s, layout.bits) for s in layout.starts], axis=1)
        buckets = (plan.bases + (keys.astype(np.int64)[:, plan.tables] ^ plan.masks)).ravel()
        starts = self.offsets[buckets]
        counts = (self.offsets[buckets + 1] - starts).astype(np.int64)
        per_query = counts.reshape(q, plan.probes).sum(axis=1)
        skewed = per_query * CANDIDATE_NS > scan_cost(n)
        parts: list[tuple[I64, I64, U32]] = []
        if skewed.any():
            bad = np.flatnonzero(skewed)
            parts.append(_scanned(self.codes, words, bad, radius))
            per_query = np.where(skewed, 0, per_query)
            counts.reshape(q, plan.probes)[skewed] = 0
        for lo, hi in _groups(per_query, GROUP_CANDIDATES):
            total = int(per_query[lo:hi].sum())
            if not total:
                continue
            span = slice(lo * plan.probes, hi * plan.probes)
            found = self.postings[_ragged(starts[span], counts[span], total)]
            qi = np.repeat(np.arange(lo, hi, dtype=np.int64), per_query[lo:hi])
            dist = row_distances(np.take(self.codes, found, axis=0), np.take(words, qi, axis=0))
            hit = np.flatnonzero(dist <= radius)
            parts.append(_unique_pairs(qi[hit], found[hit].astype(np.int64), dist[hit], n))
        if not parts:
            return EMPTY_I64, EMPTY_I64, EMPTY_U32
        return (
            np.concatenate([p[0] for p in parts]),
            np.concatenate([p[1] for p in parts]),
            np.concatenate([p[2] for p in parts]),
        )


def _scanned(codes: U64, words: U64, which: I64, radius: int) -> tuple[I64, I64, U32]:
    """Scan for the queries ``which`` (index into ``words``)."""
    qi, rows, dist = scan_many(codes, words[which], radius)
    return which[qi], rows, dist


def _ragged(starts: U32, counts: I64, total: int) -> I64:
    """Concatenation of ``range(starts[i], starts[i] + counts[i])`` for all i, vectorized."""
    ends = np.cumsum(counts)
    index = np.repeat(starts.astype(np.int64) - (ends - counts), counts)
    index += np.arange(total, dtype=np.int64)
    return index


def _groups(per_query: I64, limit: int) -> Iterable[tuple[int, int]]:
    """Split queries into consecutive ranges of at most ``limit`` candidates (>= 1 query each)."""
    lo, acc = 0, 0
    for i, c in enumerate(per_query.tolist()):
        if acc and acc + c > limit:
            yield lo, i
            lo, acc = i, 0
        acc += c
    if lo < len(per_query):
        yield lo, len(per_query)


def _unique_pairs(qi: I64, rows: I64, dist: U32, n: int) -> tuple[I64, I64, U32]:
    """Drop repeated (query, row) pairs: a match is found once per table whose chunk is close."""
    if qi.size < 2:
        return qi, rows, dist
    _, first = np.unique(qi * n + rows, return_index=True)
    return qi[first], rows[first], dist[first]


def _build_tables(codes: U8, layout: Layout, workers: int) -> tuple[U32, U32]:
    """CSR offsets and postings of every table (tables built in parallel threads)."""
    n, buckets = int(codes.shape[0]), layout.buckets
    if layout.tables * n >= 1 << 32:
        raise ValueError(f"too many rows for one segment: {n}")
    offsets = np.empty(layout.tables * buckets + 1, np.uint32)
    postings = np.empty(layout.tables * n, np.uint32)
    offsets[-1] = layout.tables * n
    rows = np.arange(n, dtype=np.uint64)

    def one(t: int) -> None:
        keys = table_keys(codes, layout.starts[t], layout.bits)
        packed = (keys.astype(np.uint64) << np.uint64(32)) | rows
        packed.sort()  # by key, then row: a bucket's rows come out in id order
        postings[t * n : (t + 1) * n] = packed.astype(np.uint32)
        del packed
        counts = np.bincount(keys, minlength=buckets)
        part = offsets[t * buckets : (t + 1) * buckets]
        part[0] = t * n
        np.cumsum(counts[:-1].astype(np.uint32), out=part[1:])
        part[1:] += np.uint32(t * n)

    _run(one, range(layout.tables), workers)
    return offsets, postings


def _run(fn: Callable[[int], None], items: Iterable[int], workers: int) -> None:
    if workers <= 1:
        for i in items:
            fn(i)
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for _ in pool.map(fn, items):
            pass


def merge(segments: Iterable[tuple[Segment, I64]], workers: int = 1) -> Segment:
    """One new segment holding the live rows of ``(segment, dead rows)`` pairs."""
    codes: list[U64] = []
    ids: list[I64] = []
    banks: list[I32] = []
    for seg, dead in segments:
        keep = np.ones(len(seg), bool)
        keep[dead] = False
        codes.append(seg.codes[keep])
        ids.append(seg.ids[keep])
        banks.append(seg.banks_of(np.flatnonzero(keep)))
    if not codes:
        return Segment.empty()
    words = np.concatenate(codes)
    return Segment.build(
        words.view(np.uint8).reshape(-1, 32),
        np.concatenate(ids),
        np.concatenate(banks),
        workers=workers,
    )
