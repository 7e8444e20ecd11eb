"""vPDQ video signals: python-threatexchange's string format and HMA's match rule.

Serialized form (``threatexchange.extensions.vpdq.vpdq_util.vpdq_to_json``): a JSON list with
one ``"<pdq hex>,<quality>,<timestamp>"`` string per sampled frame, the timestamp written with
Python's ``.3`` format (3 significant digits, e.g. ``12.5``, ``1.23e+02``) exactly as pytx does,
so the same frames give byte-identical strings. The older pytx dict form
``{"<frame>": {"hash", "quality", "timestamp"}}`` is accepted on input.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rempart.signals.errors import SignalError

_HEX64 = re.compile(r"[0-9a-f]{64}")
_CHUNK_PAIRS = 1 << 20  # hash pairs compared per step: bounds memory to ~40 MiB


@dataclass(frozen=True)
class VpdqFrame:
    """One sampled frame: its number in the video, PDQ quality, PDQ hex and time in seconds."""

    frame_number: int
    quality: int
    hex: str
    timestamp: float


def _frame(number: int, hex_: Any, quality: Any, timestamp: Any) -> VpdqFrame:
    hex_ = hex_.strip().lower() if isinstance(hex_, str) else ""
    if not _HEX64.fullmatch(hex_):
        raise SignalError(f"vPDQ frame {number}: hash must be 64 hex characters")
    try:
        q, t = int(quality), float(timestamp)
    except (TypeError, ValueError):
        raise SignalError(f"vPDQ frame {number}: quality and timestamp must be numbers") from None
    if not 0 <= q <= 100:
        raise SignalError(f"vPDQ frame {number}: quality {q} is not within 0-100")
    if not math.isfinite(t) or t < 0:
        raise SignalError(f"vPDQ frame {number}: timestamp {t} is not a time >= 0")
    return VpdqFrame(number, q, hex_, t)


def serialize_vpdq(frames: Sequence[VpdqFrame]) -> str:
    """Frames as python-threatexchange's vPDQ signal string (JSON list of "hex,quality,time")."""
    return json.dumps([f"{f.hex},{f.quality},{f.timestamp:.3}" for f in frames])


def parse_vpdq(value: str) -> list[VpdqFrame]:
    """Parse a vPDQ signal string (pytx list form, or the older dict form); empty gives []."""
    if not isinstance(value, str):
        raise SignalError("vPDQ signal must be a JSON string")
    if not value.strip():
        return []
    try:
        data = json.loads(value)
    except (ValueError, RecursionError):
        raise SignalError(
            "vPDQ signal is not valid JSON; expected a list of 'hex,quality,timestamp' strings"
        ) from None
    if isinstance(data, list):
        frames = []
        for i, item in enumerate(data):
            parts = item.split(",") if isinstance(item, str) else []
            if len(parts) != 3:
                raise SignalError(f"vPDQ frame {i}: expected 'hex,quality,timestamp'")
            frames.append(_frame(i, *parts))
        return frames
    if isinstance(data, dict):
        out = []
        for key, item in data.items():
            if not (isinstance(item, dict) and str(key).isdigit()):
                raise SignalError(f"vPDQ frame {key!r}: expected an object with hash/quality")
            out.append(
                _frame(int(key), item.get("hash"), item.get("quality"), item.get("timestamp"))
            )
        return sorted(out, key=lambda f: f.frame_number)
    raise SignalError("vPDQ signal must be a JSON list of 'hex,quality,timestamp' strings")


def _prepare(frames: Sequence[VpdqFrame], min_quality: int) -> np.ndarray[Any, Any]:
    """Unique hashes (first occurrence kept, then quality-filtered, as pytx) as (N, 4) uint64."""
    seen: dict[str, int] = {}
    for f in frames:
        seen.setdefault(f.hex, f.quality)
    kept = [h for h, q in seen.items() if q >= min_quality]
    if not kept:
        return np.zeros((0, 4), dtype=np.uint64)
    raw = bytes.fromhex("".join(kept))
    return np.frombuffer(raw, dtype=np.uint8).reshape(-1, 32).view(np.uint64)


def vpdq_match(
    query_frames: Sequence[VpdqFrame],
    banked_frames: Sequence[VpdqFrame],
    frame_threshold: int = 31,
    min_quality: int = 50,
) -> tuple[float, float]:
    """(query %, banked %) of unique good-quality hashes with a counterpart within threshold.

    Same rule as pytx ``match_VPDQ_hash_brute`` (HMA's vPDQ match): de-duplicate by hash, drop
    frames below ``min_quality``, count hashes on each side having any hash on the other side at
    distance <= ``frame_threshold``. An empty side gives 0.0 (pytx would divide by zero).
    """
    query, banked = _prepare(query_frames, min_quality), _prepare(banked_frames, min_quality)
    if len(query) == 0 or len(banked) == 0:
        return 0.0, 0.0
    q_hit = np.zeros(len(query), dtype=bool)
    b_hit = np.zeros(len(banked), dtype=bool)
    step = max(1, _CHUNK_PAIRS // len(banked))
    for start in range(0, len(query), step):
        block = query[start : start + step]
        dist = np.bitwise_count(block[:, None, :] ^ banked[None, :, :]).sum(axis=2)
        close = dist <= frame_threshold
        q_hit[start : start + step] = close.any(axis=1)
        b_hit |= close.any(axis=0)
    return 100.0 * q_hit.mean(), 100.0 * b_hit.mean()
