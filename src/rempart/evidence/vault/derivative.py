"""The least-exposure view of an image: small, greyscale and strongly blurred."""

from __future__ import annotations

import io

from PIL import Image, ImageFilter

from rempart.config import MediaLimits
from rempart.media.errors import UnsupportedMedia
from rempart.media.images import open_image

MAX_SIDE = 384  # pixels of the longer side


def blurred_greyscale(data: bytes, limits: MediaLimits) -> bytes:
    """A JPEG of the image reduced, greyscale and Gaussian-blurred (radius 1/25 of its size)."""
    try:
        image = open_image(data, limits, reduce_to=MAX_SIDE)
    except UnsupportedMedia as exc:
        raise UnsupportedMedia(
            f"only images have a blurred derivative: {exc.detail}", code="no_derivative"
        ) from None
    image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    grey = image.convert("L")
    radius = max(6.0, max(grey.size) / 25)
    blurred = grey.filter(ImageFilter.GaussianBlur(radius))
    out = io.BytesIO()
    blurred.save(out, format="JPEG", quality=70)
    return out.getvalue()
