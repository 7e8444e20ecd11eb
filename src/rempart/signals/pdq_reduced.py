"""PDQ of a JPEG decoded at 1/2, 1/4 or 1/8 scale, computed as if it had been decoded in full.

Why this is possible: up to its 64x64 buffer, PDQ (Meta's ``pdqhashing.cpp``) is linear and
separable. Along an axis of ``n`` pixels it runs two passes of a box filter whose window is
``(n + 127) // 128``, then keeps pixel ``int((i + 0.5) * n / 64)`` for ``i`` in 0..63: one
64 x ``n`` matrix per axis. A JPEG decoded at scale 1/s (libjpeg's DCT scaling, Pillow's
``draft``) gives, for each s x s block, close to the mean of its pixels; summing that matrix's
columns block by block gives a 64 x ``ceil(n / s)`` matrix that maps the small image to
(nearly) the 64x64 buffer the full decode would give. The DCT, the median threshold and the
quality metric are then PDQ's own, written here in numpy and checked bit for bit against
``pdqhash`` by the tests.

Hashing the reduced image directly with ``pdqhash`` is much worse (a mean of 3 and a maximum of
12 bits off at 1/2 scale, 18 and 44 at 1/8), because PDQ sizes its filter from the dimensions it
is given, so the small image is filtered differently. Decoding only the luma plane at reduced
scale is 5-25x faster than decoding in full and hashing (``bench/bench_hashing.py``).
"""

from __future__ import annotations

import functools

import numpy as np
import numpy.typing as npt

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]
Bits = npt.NDArray[np.bool_]

# PDQ's 16 x 64 DCT matrix (rows are frequencies 1..16: the DC term is left out).
_DCT = np.sqrt(2.0 / 64.0) * np.cos(
    (np.pi / 2 / 64.0) * np.outer(np.arange(1, 17), 2 * np.arange(64) + 1)
)
# PDQ's dihedral variants from the 16x16 DCT (pdqhashing.cpp, dct16OriginalTo*): a mirror of
# one axis flips the sign of that axis's even-indexed rows (odd frequencies); a quarter turn
# also transposes. Order: original, rot90, rot180, rot270, flip_x, flip_y, flip_diag, antidiag.
_PARITY = np.arange(16) % 2 == 1  # True where the frequency index is odd, i.e. sign kept
_KEEP_I = np.broadcast_to(_PARITY[:, None], (16, 16))
_KEEP_J = np.broadcast_to(_PARITY[None, :], (16, 16))
_KEEP_IJ = _KEEP_I == _KEEP_J  # (i + j) even
CROWD_BAND = 0.05  # "at the median": within this share of the mean distance to it
CROWD_LIMIT = 48  # more coefficients than this at the median: decode in full instead


def window(n: int) -> int:
    """PDQ's box-filter window for an axis of ``n`` pixels (computeJaroszFilterWindowSize)."""
    return (n + 2 * 64 - 1) // (2 * 64)


def _box_bounds(n: int, w: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """First and last input index averaged into each output of PDQ's ``box1DFloat``."""
    half = (w + 2) // 2
    out = np.arange(n, dtype=np.int64)
    return np.maximum(0, out - (w - half)), np.minimum(n - 1, out + half - 1)


@functools.lru_cache(maxsize=64)
def axis_matrix(n: int) -> F64:
    """The 64 x ``n`` matrix of PDQ's filtering and decimation along one axis of ``n`` pixels."""
    lo, hi = _box_bounds(n, window(n))
    inv = 1.0 / (hi - lo + 1)
    samples = [int(((i + 0.5) * n) / 64) for i in range(64)]
    out = np.zeros((64, n + 1))
    for row, at in enumerate(samples):
        # first pass: output ``at`` averages inputs lo[at]..hi[at]; the second pass spreads
        # each of those over its own window (a difference array, summed at the end)
        mids = np.arange(lo[at], hi[at] + 1)
        weights = inv[at] * inv[mids]
        np.add.at(out[row], lo[mids], weights)
        np.add.at(out[row], hi[mids] + 1, -weights)
    matrix: F64 = np.cumsum(out, axis=1)[:, :n]
    return matrix


@functools.lru_cache(maxsize=128)
def reduced_matrix(n: int, scale: int, reverse: bool) -> F32:
    """64 x ``ceil(n / scale)`` matrix from block means to PDQ's 64 samples along one axis.

    ``reverse``: the decoded axis runs opposite to the upright one (EXIF mirror or rotation);
    blocks are anchored at the decoded axis's start, where the JPEG's block grid starts.
    """
    full = axis_matrix(n)
    if reverse:
        full = full[:, ::-1]
    starts = np.arange(0, n, scale)
    return np.ascontiguousarray(np.add.reduceat(full, starts, axis=1), dtype=np.float32)


def buffer64(
    luma: F32, full_rows: int, full_cols: int, scale: int, flips: tuple[bool, bool]
) -> F64:
    """PDQ's 64x64 buffer from upright luma decoded at 1/``scale`` of ``full_rows`` x ``full_cols``.

    ``flips`` says, per upright axis (rows, cols), whether it was reversed to make it upright.
    """
    rows = reduced_matrix(full_rows, scale, flips[0])
    cols = reduced_matrix(full_cols, scale, flips[1])
    if rows.shape[1] != luma.shape[0] or cols.shape[1] != luma.shape[1]:
        raise ValueError(
            f"reduced luma is {luma.shape}, expected {(rows.shape[1], cols.shape[1])} for a "
            f"{full_rows}x{full_cols} image at 1/{scale}"
        )
    out: F64 = ((rows @ luma) @ cols.T).astype(np.float64)
    return out


def dct16(buf: F64) -> F64:
    """PDQ's 16x16 DCT of a 64x64 buffer (frequencies 1..16 on each axis)."""
    out: F64 = _DCT @ buf @ _DCT.T
    return out


def quality(buf: F64) -> int:
    """PDQ's image-domain quality: summed truncated gradients of the 64x64 buffer, 0-100."""
    u = buf.astype(np.float32)
    down = np.trunc(np.abs((u[:-1, :] - u[1:, :]) * np.float32(100) / np.float32(255)))
    right = np.trunc(np.abs((u[:, :-1] - u[:, 1:]) * np.float32(100) / np.float32(255)))
    return min(100, int(down.sum(dtype=np.float64) + right.sum(dtype=np.float64)) // 90)


def bits_hex(coeffs: F64) -> str:
    """PDQ's hash of 16x16 DCT coefficients as hex: bit ``16i + j`` set when above the median.

    The median is torben's lower median (the 128th smallest of 256); hex is most significant
    bit first, as pdqhash and python-threatexchange print it.
    """
    flat = coeffs.ravel()
    median = np.partition(flat, 127)[127]
    bits: Bits = (flat > median)[::-1]
    return np.packbits(bits).tobytes().hex()


def dihedral_coeffs(c: F64) -> list[F64]:
    """The DCT coefficients of the 8 rotations and mirrors, in ``pdq.DIHEDRAL_ORDER``."""
    t = c.T
    return [
        c,
        np.where(_KEEP_J, c, -c).T,  # rot90: B[j][i] = A[i][j] if j odd else -A[i][j]
        np.where(_KEEP_IJ, c, -c),  # rot180
        np.where(_KEEP_I, c, -c).T,  # rot270
        np.where(_KEEP_I, c, -c),  # flip_x
        np.where(_KEEP_J, c, -c),  # flip_y
        t,  # flip_diag (transpose)
        np.where(_KEEP_IJ, c, -c).T,  # flip_antidiag
    ]


def crowded_median(coeffs: F64) -> bool:
    """Whether many coefficients sit at the median, so their bits hang on rounding.

    Symmetric graphics (checkerboards, colour wheels) have dozens of equal coefficients; there
    the reduced decode's small error flips many bits, and so would any re-encode. Photos have
    4-35 coefficients within 5% of the mean distance to the median, such graphics 70-200.
    """
    flat = coeffs.ravel()
    margin = np.abs(flat - np.partition(flat, 127)[127])
    return int(np.count_nonzero(margin < CROWD_BAND * margin.mean())) > CROWD_LIMIT


def hash_buffer(buf: F64, dihedral: bool) -> tuple[list[str], int] | None:
    """Hex hashes (the original, or all 8 orientations) and quality of a 64x64 buffer.

    None when ``crowded_median``: the caller should hash the full decode instead.
    """
    coeffs = dct16(buf)
    if crowded_median(coeffs):
        return None
    variants = dihedral_coeffs(coeffs) if dihedral else [coeffs]
    return [bits_hex(v) for v in variants], quality(buf)
