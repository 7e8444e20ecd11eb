"""Decode the invisible watermark that Stable Diffusion's reference scripts embed.

SD 1.x/2.x embed the 136-bit message ``StableDiffusionV1`` and SDXL a fixed 48-bit pattern,
both with invisible-watermark's ``dwtDct`` method: one bit per 4x4 block of the Haar-wavelet
approximation of the U (chroma) plane, read back from the largest AC coefficient's value
modulo 36. This is the same algorithm as ``imwatermark.maxDct.EmbedMaxDct.decode``, vectorised
so that one pass serves both messages and both channel orders (the reference scripts embed in
BGR order, diffusers' SDXL pipeline in RGB order), and without importing ``imwatermark``,
whose package import needs torch. Tests check it bit for bit against imwatermark.

It is a positive-only signal: a match is strong evidence (a clean photo is ~40 bit errors away),
no match says nothing, since ordinary 4:2:0 JPEG, resizing or cropping erase the mark.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import pywt  # type: ignore[import-untyped]

SCALE = 36  # EmbedMaxDct's default scales=[0, 36, 36]: only U is used (its loop is range(2))
MIN_PIXELS = 256 * 256  # imwatermark refuses smaller images
MAX_PIXELS = 4_194_304  # 2048x2048: larger images are not SD outputs as generated; skip

_SD1 = np.unpackbits(np.frombuffer(b"StableDiffusionV1", dtype=np.uint8)).astype(bool)
_SDXL = np.array(
    [int(b) for b in bin(0b101100111110110010010000011110111011000110011110)[2:]], dtype=bool
)
# (name, bits, most bit errors accepted). Random bits land that close with odds < 1e-15 and
# < 1e-9; unmarked photos decode to nearly all zeros, 58-74 and 19-30 errors away. The encoder
# itself leaves some errors on busy photos (its uint8 round trip wraps), hence the tolerance.
MESSAGES: tuple[tuple[str, np.ndarray[Any, np.dtype[np.bool_]], int], ...] = (
    ("Stable Diffusion 1.x/2.x (StableDiffusionV1)", _SD1, 24),
    ("Stable Diffusion XL", _SDXL, 4),
)


@dataclass(frozen=True)
class WatermarkHit:
    """A decoded watermark: which one, the channel order, and the bit errors."""

    name: str
    order: str
    errors: int
    bits: int


def block_bits(bgr: np.ndarray[Any, np.dtype[np.uint8]]) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """One raw bit per 4x4 block of the U plane's Haar approximation, in row-major order."""
    rows, cols = bgr.shape[0] // 4 * 4, bgr.shape[1] // 4 * 4
    yuv = cv2.cvtColor(np.ascontiguousarray(bgr), cv2.COLOR_BGR2YUV)
    approx, _ = pywt.dwt2(yuv[:rows, :cols, 1], "haar")
    bh, bw = approx.shape[0] // 4, approx.shape[1] // 4
    blocks = approx[: bh * 4, : bw * 4].reshape(bh, 4, bw, 4).transpose(0, 2, 1, 3)
    ac = np.abs(blocks.reshape(-1, 16)[:, 1:])
    peak = ac[np.arange(ac.shape[0]), ac.argmax(axis=1)]
    bits: np.ndarray[Any, np.dtype[np.bool_]] = (peak % SCALE) > 0.5 * SCALE
    return bits


def vote(bits: np.ndarray[Any, np.dtype[np.bool_]], length: int) -> np.ndarray[Any, Any]:
    """The message of ``length`` bits: block ``i`` votes for bit ``i % length``."""
    slot = np.arange(bits.shape[0]) % length
    ones = np.bincount(slot, weights=bits.astype(np.float64), minlength=length)
    total = np.bincount(slot, minlength=length)
    return (ones / np.maximum(total, 1)) * 255 > 127


def decode(rgb: np.ndarray[Any, np.dtype[np.uint8]]) -> WatermarkHit | None:
    """The SD watermark in an RGB image, or None (too small or too large images: None)."""
    height, width = rgb.shape[:2]
    if height * width < MIN_PIXELS or height * width > MAX_PIXELS or rgb.ndim != 3:
        return None
    best: WatermarkHit | None = None
    for order, pixels in (("BGR", rgb[:, :, ::-1]), ("RGB", rgb)):
        raw = block_bits(pixels)
        for name, message, tolerance in MESSAGES:
            errors = int(np.count_nonzero(vote(raw, message.size) != message))
            if errors <= tolerance and (best is None or errors < best.errors):
                best = WatermarkHit(name, order, errors, int(message.size))
    return best
