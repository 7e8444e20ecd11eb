"""Multi-index hashing layout: how many tables, how wide, and which buckets a query probes.

The 256 bits are cut into ``m`` disjoint chunks of ``b`` bits (``m * b <= 256``), each the key
of one direct-addressed table. Exactness comes from a pigeonhole bound (Norouzi et al., "Fast
search in Hamming space with multi-index hashing", 2012): write ``r = s*m + a`` with
``0 <= a < m``; if every one of the first ``a + 1`` chunks differed in more than ``s`` bits and
every other chunk in more than ``s - 1`` bits, the distance would be at least ``r + 1``. So probing
all keys within ``s`` flips in ``a + 1`` tables and within ``s - 1`` flips in the rest finds every
code within ``r``. The layout is chosen per segment size by a cost model calibrated on a 2-core
AMD EPYC (numpy 2.4): probes, candidates and brute-force rows in nanoseconds each.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from rempart.banks.hamming.bits import CODE_BITS, I64, MAX_KEY_BITS

# Cost model, nanoseconds (measured at 1M-10M rows; see bench/bench_index.py).
PROBE_NS = 100.0  # one bucket lookup: two offset reads (a cache miss) + ragged expansion
CANDIDATE_NS = 60.0  # one candidate: posting read, code gather, distance, compare
SCAN_ROW_NS = 12.0  # one row of brute force (sequential)
MIH_FIXED_NS = 60_000.0  # per-query constant of the probe path (numpy call overheads)
SCAN_FIXED_NS = 5_000.0
MAX_PROBES = 4_000_000  # above this many probes per query a scan is always cheaper
DEFAULT_BUDGET = 124.0  # bytes per hash for a segment, leaving room for delta and tombstones
FIXED_BYTES = 32 + 8 + 2  # code, id, bank code (1-4 bytes; 2 assumed)
MIN_INDEX_BYTES = 8 << 20  # small segments may always use this much for tables


@dataclass(frozen=True)
class Layout:
    """``tables`` chunks of ``bits`` bits starting at bit 0, one direct table per chunk."""

    tables: int
    bits: int

    @property
    def starts(self) -> tuple[int, ...]:
        """First bit of each chunk."""
        return tuple(t * self.bits for t in range(self.tables))

    @property
    def buckets(self) -> int:
        """Buckets per table."""
        return 1 << self.bits

    def index_bytes(self, n: int) -> int:
        """Bytes of postings (uint32 per row and table) and offsets (uint32 per bucket)."""
        return 4 * self.tables * n + 4 * (self.tables * self.buckets + 1)


@dataclass(frozen=True, eq=False)
class Plan:
    """The buckets to probe for one radius: table of each probe, XOR mask and table base."""

    tables: I64
    masks: I64
    bases: I64
    probes: int


def probes_per_table(bits: int, flips: int) -> int:
    """Number of keys within ``flips`` bit flips of a ``bits``-bit key (0 when flips < 0)."""
    if flips < 0:
        return 0
    return sum(math.comb(bits, i) for i in range(min(flips, bits) + 1))


def flip_counts(layout: Layout, radius: int) -> list[int]:
    """Flips to probe in each table for ``radius`` (-1: skip the table), by the pigeonhole bound."""
    s, a = divmod(radius, layout.tables)
    return [min(s if t <= a else s - 1, layout.bits) for t in range(layout.tables)]


def probe_count(layout: Layout, radius: int) -> int:
    """Total probes per query for ``radius``."""
    return sum(probes_per_table(layout.bits, f) for f in flip_counts(layout, radius))


def mih_cost(layout: Layout, n: int, radius: int) -> float:
    """Estimated nanoseconds for one query by probing (uniform keys assumed)."""
    probes = probe_count(layout, radius)
    candidates = probes * n / layout.buckets
    return MIH_FIXED_NS + PROBE_NS * probes + CANDIDATE_NS * candidates


def scan_cost(n: int) -> float:
    """Estimated nanoseconds for one query by brute force."""
    return SCAN_FIXED_NS + SCAN_ROW_NS * n


def probing_pays(layout: Layout | None, n: int, radius: int) -> bool:
    """Whether probing beats a scan for this segment size and radius."""
    if layout is None or probe_count(layout, radius) > MAX_PROBES:
        return False
    return mih_cost(layout, n, radius) < scan_cost(n)


def choose_layout(n: int, radius: int = 31, budget: float = DEFAULT_BUDGET) -> Layout | None:
    """Cheapest layout for ``n`` rows at ``radius`` within ``budget`` bytes/hash; None: scan."""
    best: Layout | None = None
    best_cost = scan_cost(n)
    for tables in range(2, 33):
        bits = min(MAX_KEY_BITS, CODE_BITS // tables)
        layout = Layout(tables, bits)
        if layout.index_bytes(n) > max((budget - FIXED_BYTES) * n, MIN_INDEX_BYTES):
            continue
        if probe_count(layout, radius) > MAX_PROBES:
            continue
        cost = mih_cost(layout, n, radius)
        if cost < best_cost:
            best, best_cost = layout, cost
    return best


@functools.lru_cache(maxsize=128)
def flip_masks(bits: int, flips: int) -> I64:
    """All ``bits``-wide values with at most ``flips`` bits set (XOR masks for probing)."""
    level = np.zeros(1, np.int64)
    high = np.full(1, -1, np.int64)  # highest set bit of each mask in ``level``
    out = [level]
    for _ in range(min(flips, bits)):
        grown = [level[high < j] | (1 << j) for j in range(bits)]
        highs = [np.full(len(g), j, np.int64) for j, g in enumerate(grown)]
        level, high = np.concatenate(grown), np.concatenate(highs)
        out.append(level)
    masks = np.concatenate(out)
    masks.flags.writeable = False
    return masks


@functools.lru_cache(maxsize=256)
def plan_for(layout: Layout, radius: int) -> Plan:
    """Probe plan of ``layout`` for ``radius`` (cached; arrays are read-only)."""
    tables: list[I64] = []
    masks: list[I64] = []
    for t, flips in enumerate(flip_counts(layout, radius)):
        if flips < 0:
            continue
        m = flip_masks(layout.bits, flips)
        tables.append(np.full(len(m), t, np.int64))
        masks.append(m)
    tab = np.concatenate(tables) if tables else np.zeros(0, np.int64)
    msk = np.concatenate(masks) if masks else np.zeros(0, np.int64)
    bases = tab << layout.bits
    for a in (tab, msk, bases):
        a.flags.writeable = False
    return Plan(tab, msk, bases, len(msk))
