"""Bit-level helpers for 256-bit codes: input validation, chunk keys and Hamming distances.

Codes arrive as ``(n, 32)`` uint8 rows (PDQ byte order) and are kept as ``(n, 4)`` uint64 rows
for distance computation. Chunk keys number bits MSB-first from byte 0, so bit ``s`` of a code is
bit ``7 - s % 8`` of byte ``s // 8``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

CODE_BYTES = 32
CODE_BITS = 256
WORDS = 4
MAX_KEY_BITS = 24  # a key must fit a 4-byte window at any bit offset (<= 25) and a direct table

U8 = npt.NDArray[np.uint8]
U32 = npt.NDArray[np.uint32]
U64 = npt.NDArray[np.uint64]
I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]
IntArray = npt.NDArray[np.integer[Any]]


def as_codes(codes: object, name: str = "codes") -> U8:
    """Check that ``codes`` is an ``(n, 32)`` uint8 array and return it C-contiguous."""
    if not isinstance(codes, np.ndarray):
        raise ValueError(f"{name} must be a numpy array of shape (n, 32) and dtype uint8")
    if codes.dtype != np.uint8:
        raise ValueError(
            f"{name} must have dtype uint8 (32 bytes per 256-bit hash), got {codes.dtype}; "
            "convert hex with np.frombuffer(bytes.fromhex(h), np.uint8)"
        )
    if codes.ndim != 2 or codes.shape[1] != CODE_BYTES:
        raise ValueError(f"{name} must have shape (n, 32), got {codes.shape}")
    return np.ascontiguousarray(codes)


def as_query(query: object) -> U8:
    """Check that ``query`` is one ``(32,)`` uint8 code (a ``(1, 32)`` row is accepted)."""
    if isinstance(query, np.ndarray) and query.ndim == 2 and query.shape[0] == 1:
        query = query[0]
    if not isinstance(query, np.ndarray) or query.dtype != np.uint8 or query.shape != (32,):
        got = (
            f"{query.dtype} array of shape {query.shape}"
            if isinstance(query, np.ndarray)
            else type(query).__name__
        )
        raise ValueError(f"query must be a uint8 array of shape (32,), got {got}")
    return np.ascontiguousarray(query)


def as_int_array(values: object, n: int | None, name: str, dtype: type[np.integer[Any]]) -> Any:
    """Check a 1-d integer array (of length ``n`` when given) and convert it without overflow."""
    if not isinstance(values, np.ndarray) or values.ndim != 1:
        raise ValueError(f"{name} must be a 1-d numpy integer array")
    if values.dtype.kind not in "iu":
        raise ValueError(f"{name} must have an integer dtype, got {values.dtype}")
    if n is not None and values.shape[0] != n:
        raise ValueError(f"{name} has {values.shape[0]} entries but codes has {n} rows")
    info = np.iinfo(dtype)
    if values.size and (values.min() < info.min or values.max() > info.max):
        raise ValueError(f"{name} values must fit in {np.dtype(dtype).name}")
    return np.ascontiguousarray(values, dtype=dtype)


def check_radius(radius: object) -> int:
    """Check that ``radius`` is an int in 0..256 (a larger radius would not change results)."""
    if isinstance(radius, bool) or not isinstance(radius, int | np.integer):
        raise ValueError(f"radius must be an int in 0..256, got {radius!r}")
    if not 0 <= int(radius) <= CODE_BITS:
        raise ValueError(f"radius must be in 0..256, got {radius}")
    return int(radius)


def to_words(codes: U8) -> U64:
    """View ``(n, 32)`` uint8 codes as ``(n, 4)`` uint64 words (a copy only if not contiguous)."""
    return np.ascontiguousarray(codes).view(np.uint64)


def table_keys(codes: U8, start: int, bits: int) -> U32:
    """Key of bits ``[start, start + bits)`` of every row, from one big-endian 4-byte window."""
    first = min(start // 8, CODE_BYTES - 4)
    window = np.ascontiguousarray(codes[:, first : first + 4]).view(">u4").reshape(-1)
    shift = 8 * first + 32 - (start + bits)
    keys: U32 = window.astype(np.uint32)
    keys >>= np.uint32(shift)
    keys &= np.uint32((1 << bits) - 1)
    return keys


def query_keys(query: U8, starts: tuple[int, ...], bits: int) -> I64:
    """Keys of one query for every table, through a Python int (cheaper than numpy for one row)."""
    value = int.from_bytes(query.tobytes(), "big")
    mask = (1 << bits) - 1
    return np.array([(value >> (CODE_BITS - s - bits)) & mask for s in starts], dtype=np.int64)


def row_distances(rows: U64, queries: U64) -> U32:
    """Hamming distances between matching rows of two ``(c, 4)`` uint64 arrays of equal shape."""
    x = np.bitwise_xor(rows, queries)
    counts = np.bitwise_count(x).view(np.uint32).reshape(-1)  # 4 byte counts, <= 64 each
    pairs = (counts & np.uint32(0x00FF00FF)) + ((counts >> np.uint32(8)) & np.uint32(0x00FF00FF))
    pairs += pairs >> np.uint32(16)
    pairs &= np.uint32(0x1FF)
    return pairs


def distances_to(rows: U64, query: U64) -> U32:
    """Hamming distances from each ``(c, 4)`` row to one ``(4,)`` query."""
    return row_distances(rows, np.broadcast_to(query, rows.shape))


def scan(codes: U64, query: U64, radius: int, block: int = 1 << 16) -> tuple[I64, U32]:
    """Brute force: rows of ``codes`` within ``radius`` of ``query`` and their distances."""
    found: list[I64] = []
    dists: list[U32] = []
    for lo in range(0, codes.shape[0], block):
        part = codes[lo : lo + block]
        d = np.bitwise_count(part[:, 0] ^ query[0]).astype(np.uint32)
        for j in range(1, WORDS):
            d += np.bitwise_count(part[:, j] ^ query[j])
        hit = np.flatnonzero(d <= radius)
        found.append(hit + lo)
        dists.append(d[hit])
    if not found:
        return np.zeros(0, np.int64), np.zeros(0, np.uint32)
    return np.concatenate(found), np.concatenate(dists)


def scan_many(codes: U64, queries: U64, radius: int, cells: int = 1 << 22) -> tuple[I64, I64, U32]:
    """Brute force for several queries: (query index, row, distance) of every pair within radius."""
    n, q = codes.shape[0], queries.shape[0]
    if n == 0 or q == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.uint32)
    if n > cells:
        parts = [scan(codes, queries[i], radius) for i in range(q)]
        qi = np.repeat(np.arange(q, dtype=np.int64), [len(p[0]) for p in parts])
        return qi, np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
    cols = [np.ascontiguousarray(codes[:, j]) for j in range(WORDS)]
    step = max(1, cells // n)
    qis: list[I64] = []
    rows: list[I64] = []
    dists: list[U32] = []
    for lo in range(0, q, step):
        qs = queries[lo : lo + step]
        d = np.bitwise_count(qs[:, 0, None] ^ cols[0][None, :]).astype(np.uint32)
        for j in range(1, WORDS):
            d += np.bitwise_count(qs[:, j, None] ^ cols[j][None, :])
        qa, ra = np.nonzero(d <= radius)
        qis.append(qa.astype(np.int64) + lo)
        rows.append(ra.astype(np.int64))
        dists.append(d[qa, ra])
    return np.concatenate(qis), np.concatenate(rows), np.concatenate(dists)
