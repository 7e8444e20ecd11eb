"""Photo hashing benchmark: Rempart's fast PDQ path against the plain path, in one run.

The plain path is python-threatexchange's ``pdq_from_bytes`` (what HMA runs: decode the whole
JPEG with Pillow, then pdqhash). The fast path is Rempart's: the Y plane decoded at 1/2-1/8
DCT scale and PDQ's full-size filtering emulated on it (``rempart.signals.pdq_reduced``).
Inputs are real photographs (scikit-image's samples) resized to 1024x768 .. 4000x3000 and
saved as JPEGs of varied quality and chroma subsampling. Targets (issue 2): >= 3x the
images/s of the plain path, within a mean of 4 and a max of 10 bits of its hash.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image
from threatexchange.signal_type.pdq.pdq_hasher import pdq_from_bytes

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.photos import real_photos

from rempart.config import MediaLimits
from rempart.signals.hashing import hash_photo
from rempart.signals.pdq import pdq_distance

SIZES = [(1024, 768), (1280, 960), (1600, 1200), (1920, 1080), (2048, 1536), (3000, 2000),
         (4000, 3000)]  # fmt: skip
LIMITS = MediaLimits()


def corpus(sizes: list[tuple[int, int]], per_size: int) -> dict[tuple[int, int], list[bytes]]:
    """JPEG bytes of real photos at each size (LANCZOS upscaling plus mild sensor noise)."""
    rng = np.random.default_rng(2026)
    photos = real_photos()
    out: dict[tuple[int, int], list[bytes]] = {}
    for w, h in sizes:
        files = []
        for i in range(per_size):
            _, img = photos[(i * 7 + w) % len(photos)]
            big = np.asarray(img.resize((w, h), Image.Resampling.LANCZOS), dtype=np.float32)
            big += rng.normal(0, 2.0, big.shape)
            buf = io.BytesIO()
            Image.fromarray(np.clip(big, 0, 255).astype(np.uint8)).save(
                buf, "JPEG", quality=int(rng.integers(75, 96)), subsampling=i % 3
            )
            files.append(buf.getvalue())
        out[(w, h)] = files
    return out


def rate(fn: Callable[[bytes], object], files: list[bytes], repeat: int) -> float:
    """Images per second of ``fn`` over ``files`` (best of ``repeat`` passes)."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for data in files:
            fn(data)
        best = min(best, time.perf_counter() - t0)
    return len(files) / best


def fast_pdq(data: bytes) -> str:
    """Rempart's fast path, PDQ only (the peer computes no dihedral variants or digests)."""
    sig = hash_photo(data, LIMITS, dihedral=False)
    assert sig.pdq is not None
    return sig.pdq.hex


def main() -> None:
    """Print images/s of both paths per size, the bit distances, and PASS/FAIL per target."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="fewer images, one pass")
    args = ap.parse_args()
    per_size, repeat = (4, 1) if args.quick else (12, 3)
    files = corpus(SIZES, per_size)
    print(f"PDQ hashing, {per_size} JPEG photos per size, single thread")
    print(f"{'size':>11} {'plain img/s':>12} {'fast img/s':>11} {'speed-up':>9} "
          f"{'full+dihedral+digests img/s':>28} {'mean bits':>10} {'max bits':>9}")  # fmt: skip
    total_plain = total_fast = 0.0
    all_dist: list[int] = []
    worst_ratio = float("inf")
    for size, data in files.items():
        for d in data[:1]:  # warm caches (per-size matrices) outside the timing
            fast_pdq(d)
        plain = rate(lambda d: pdq_from_bytes(d), data, repeat)
        fast = rate(fast_pdq, data, repeat)
        scan_path = rate(lambda d: hash_photo(d, LIMITS), data, repeat)
        dist = [pdq_distance(fast_pdq(d), pdq_from_bytes(d)[0]) for d in data]
        all_dist += dist
        total_plain += len(data) / plain
        total_fast += len(data) / fast
        worst_ratio = min(worst_ratio, fast / plain)
        print(f"{size[0]:>5}x{size[1]:<5} {plain:>12.1f} {fast:>11.1f} {fast / plain:>8.1f}x "
              f"{scan_path:>28.1f} {np.mean(dist):>10.2f} {max(dist):>9}")  # fmt: skip
    speedup = total_plain / total_fast
    mean, worst = float(np.mean(all_dist)), max(all_dist)
    print(f"all sizes: {speedup:.1f}x the images/s of the plain path, {worst_ratio:.1f}x at the "
          f"slowest size (target >= 3x at every size: {'PASS' if worst_ratio >= 3 else 'FAIL'}); "
          f"distance mean {mean:.2f} (<= 4: {'PASS' if mean <= 4 else 'FAIL'}), "
          f"max {worst} (<= 10: {'PASS' if worst <= 10 else 'FAIL'})")  # fmt: skip


if __name__ == "__main__":
    main()
