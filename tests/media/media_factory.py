"""Media generated for the tests (never downloaded): photo-like images in every format, videos.

Shared by tests/media and tests/signals .
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from fractions import Fraction
from typing import Any

import av
import numpy as np
import pillow_heif
from PIL import Image

pillow_heif.register_heif_opener()


def photo(w: int, h: int, seed: int = 0) -> Image.Image:
    """Waves, discs and noise: detailed enough for PDQ quality 100."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.zeros((h, w, 3), np.float32)
    for c in range(3):
        fx, fy = rng.uniform(0.5, 4, 2)
        img[..., c] = 127 + 100 * np.sin(x / w * fx * 6.28 + rng.uniform(0, 6.28)) * np.cos(
            y / h * fy * 6.28
        )
    for _ in range(10):
        cx, cy, r = rng.integers(0, w), rng.integers(0, h), rng.integers(3, max(4, min(w, h) // 3))
        img[(x - cx) ** 2 + (y - cy) ** 2 < r * r] = rng.integers(0, 255, 3)
    img += rng.normal(0, 4, img.shape)
    return Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))


def encode(img: Image.Image, fmt: str, **kw: Any) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


PHOTO_FORMATS = {  # our name -> Pillow save format
    "jpeg": "JPEG", "png": "PNG", "webp": "WEBP", "gif": "GIF", "bmp": "BMP", "tiff": "TIFF",
    "heic": "HEIF", "avif": "AVIF",
}  # fmt: skip


def frames(n: int, w: int, h: int, seed: int = 0) -> Iterator[np.ndarray]:
    """Moving discs over a pulsing gradient."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    base = np.stack(
        [
            128 + 100 * np.sin(x / w * 6.28 * (1 + rng.random()) + rng.random() * 6),
            128 + 100 * np.cos(y / h * 6.28 * (1 + rng.random())),
            128 + 100 * np.sin((x + y) / (w + h) * 12 + rng.random() * 6),
        ],
        -1,
    )
    centers, vel = rng.uniform(0, 1, (5, 2)), rng.uniform(-0.05, 0.05, (5, 2))
    colors, radii = rng.uniform(0, 255, (5, 3)), rng.uniform(0.08, 0.2, 5) * min(w, h)
    for i in range(n):
        img = base * (0.7 + 0.3 * np.sin(i / 10))
        for c, v, col, r in zip(centers, vel, colors, radii, strict=True):
            cx, cy = ((c + v * i) % 1.0) * [w, h]
            img[(x - cx) ** 2 + (y - cy) ** 2 < r * r] = col
        yield np.clip(img, 0, 255).astype(np.uint8)


def make_video(
    n: int = 30, w: int = 160, h: int = 120, fps: int = 10, codec: str = "libx264",
    fmt: str = "mp4", seed: int = 0, source: Iterator[np.ndarray] | None = None, **opts: str,
) -> bytes:  # fmt: skip
    """Encode generated frames with PyAV into an in-memory container."""
    buf = io.BytesIO()
    with av.open(buf, "w", format=fmt) as out:
        stream = out.add_stream(codec, rate=Fraction(fps))
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        stream.options = opts
        for arr in source if source is not None else frames(n, w, h, seed):
            for packet in stream.encode(av.VideoFrame.from_ndarray(arr, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return buf.getvalue()


VIDEO_FORMATS = {  # our name -> (PyAV muxer, encoder)
    "mp4": ("mp4", "libx264"), "mov": ("mov", "libx264"), "webm": ("webm", "libvpx-vp9"),
    "mkv": ("matroska", "libvpx"),
}  # fmt: skip
