"""Real photographs for tests and benchmarks, from the files scikit-image ships in its wheel.

Synthetic images do not have the statistics of photos (PDQ, provenance and classifier tests
need both); these are loaded from the installed package, never downloaded.
"""

from __future__ import annotations

import functools
from pathlib import Path

import skimage.data
from PIL import Image

DATA = Path(skimage.data.__file__).parent
PHOTOS = (
    "astronaut.png", "brick.png", "camera.png", "cell.png", "chelsea.png", "clock_motion.png",
    "coffee.png", "coins.png", "grass.png", "gravel.png", "hubble_deep_field.jpg", "ihc.png",
    "moon.png", "motorcycle_left.png", "motorcycle_right.png", "retina.jpg", "rocket.jpg",
)  # fmt: skip
GRAPHICS = ("chessboard_RGB.png", "color.png", "logo.png", "page.png", "phantom.png", "text.png")


@functools.cache
def _load(name: str) -> Image.Image:
    with Image.open(DATA / name) as im:
        return im.convert("RGB")


def real_photos() -> list[tuple[str, Image.Image]]:
    """(name, RGB image) of every photograph shipped with scikit-image (300-1411 px)."""
    return [(name.split(".")[0], _load(name).copy()) for name in PHOTOS]


def graphics() -> list[tuple[str, Image.Image]]:
    """(name, RGB image) of the shipped synthetic graphics: checkerboard, colour wheel, text."""
    return [(name.split(".")[0], _load(name).copy()) for name in GRAPHICS]
