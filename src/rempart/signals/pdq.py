"""PDQ photo hashes (Meta's perceptual hash) and fast hex <-> array conversions.

Hex strings are the 256 hash bits, most significant first, as lowercase hex: the same string
python-threatexchange's ``PdqSignal.hash_from_bytes`` and HMA produce for the same pixels.
"""

from __future__ import annotations

import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pdqhash
from PIL import Image

from rempart.signals.errors import SignalError

Codes = np.ndarray[Any, np.dtype[np.uint8]]
# pdqhash.compute_dihedral order, as numpy operations on the upright HxW image:
# original, np.rot90(k=1) (90 deg anticlockwise), 180 deg, np.rot90(k=-1) (90 deg clockwise),
# np.flipud (top-bottom), np.fliplr (left-right mirror), transpose (main diagonal),
# anti-transpose. Names follow PDQ's C++ (hashRotate90 ... hashFlipMinus1).
DIHEDRAL_ORDER = (
    "original", "rot90", "rot180", "rot270", "flip_x", "flip_y", "flip_diag", "flip_antidiag",
)  # fmt: skip


@dataclass(frozen=True)
class PdqHash:
    """A PDQ hash as 64 lowercase hex characters, and its quality (0-100; < 50 is unreliable)."""

    hex: str
    quality: int


def _pixels(img: Image.Image) -> np.ndarray[Any, np.dtype[np.uint8]]:
    rgb = img if img.mode == "RGB" else img.convert("RGB")
    return np.ascontiguousarray(np.asarray(rgb, dtype=np.uint8))


def _hex(bits: Any) -> str:
    return np.packbits(np.asarray(bits, dtype=np.uint8)).tobytes().hex()


def pdq_from_array(pixels: np.ndarray[Any, np.dtype[np.uint8]]) -> PdqHash:
    """PDQ of an RGB uint8 HxWx3 array (video frames, or images already as pixels)."""
    bits, quality = pdqhash.compute(np.ascontiguousarray(pixels, dtype=np.uint8))
    return PdqHash(_hex(bits), int(quality))


def pdq_from_image(img: Image.Image) -> PdqHash:
    """PDQ of a PIL image (converted to RGB), equal to python-threatexchange's for RGB input."""
    return pdq_from_array(_pixels(img))


def pdq_dihedral(img: Image.Image) -> list[PdqHash]:
    """The 8 PDQ hashes of the image's rotations and mirrors, in ``DIHEDRAL_ORDER``."""
    hashes, quality = pdqhash.compute_dihedral(_pixels(img))
    return [PdqHash(_hex(bits), int(quality)) for bits in hashes]


def _check_hex(value: str) -> int:
    if len(value) != 64:
        raise SignalError(f"PDQ hash must be 64 hex characters; got {len(value)}")
    try:
        return int(value, 16)
    except ValueError:
        raise SignalError(f"PDQ hash is not hexadecimal: {value[:80]!r}") from None


def pdq_distance(a_hex: str, b_hex: str) -> int:
    """Hamming distance (0-256) between two PDQ hex strings."""
    return (_check_hex(a_hex) ^ _check_hex(b_hex)).bit_count()


def pdq_hex_to_array(hexes: Sequence[str]) -> Codes:
    """PDQ hex strings as an (N, 32) uint8 array, vectorized (~0.2 s per million)."""
    if not hexes:
        return np.zeros((0, 32), dtype=np.uint8)
    if set(map(len, hexes)) != {64}:
        raise SignalError("every PDQ hash must be 64 hex characters")
    try:
        raw = binascii.unhexlify("".join(hexes))
    except (binascii.Error, ValueError):
        raise SignalError("a PDQ hash contains non-hexadecimal characters") from None
    return np.frombuffer(raw, dtype=np.uint8).reshape(len(hexes), 32)


def array_to_hex(codes: Codes) -> list[str]:
    """Inverse of ``pdq_hex_to_array``: (N, 32) uint8 to lowercase hex strings."""
    arr = np.ascontiguousarray(codes, dtype=np.uint8)
    if arr.ndim != 2 or arr.shape[1] != 32:
        raise SignalError(f"expected an (N, 32) uint8 array; got shape {arr.shape}")
    text = arr.tobytes().hex()
    return [text[i : i + 64] for i in range(0, len(text), 64)]
