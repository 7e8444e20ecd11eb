"""Decode untrusted photo bytes into an oriented RGB ``PIL.Image``, bounded in time and memory.

The pixel area is checked from the header before any pixel is decoded; only the plugin matching
the sniffed format may parse the bytes; animated and multi-page files give their first frame.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import pillow_heif
from PIL import Image

from rempart.config import MediaLimits
from rempart.media.detect import MediaInfo, detect
from rempart.media.errors import CorruptMedia, MediaError, UnsupportedMedia

pillow_heif.register_heif_opener()  # HEIC/HEIF; AVIF is native in Pillow >= 11.3

_PIL_FORMAT = {
    "jpeg": "JPEG", "png": "PNG", "gif": "GIF", "webp": "WEBP", "bmp": "BMP", "tiff": "TIFF",
    "heic": "HEIF", "heif": "HEIF", "avif": "AVIF",
}  # fmt: skip
# EXIF orientation -> the transpose that displays the pixels upright (as ImageOps.exif_transpose).
_ORIENT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE, 8: Image.Transpose.ROTATE_90,
}  # fmt: skip


# EXIF orientation -> (transpose the decoded array?, (upright rows reversed?, upright cols
# reversed?)) relative to the decoded axes, e.g. 6 (turn 90 degrees clockwise to view):
# upright[r, c] = stored[height - 1 - c, r].
_AXES: dict[int, tuple[bool, tuple[bool, bool]]] = {
    1: (False, (False, False)), 2: (False, (False, True)), 3: (False, (True, True)),
    4: (False, (True, False)), 5: (True, (False, False)), 6: (True, (False, True)),
    7: (True, (True, True)), 8: (True, (True, False)),
}  # fmt: skip
T = TypeVar("T")


@dataclass(frozen=True)
class ReducedLuma:
    """A JPEG's Y plane decoded at 1/``scale``, as decoded (never mirrored), upright axes.

    ``luma`` is transposed when the EXIF orientation swaps the axes, but not reversed:
    ``flips`` says which upright axis (rows, cols) runs opposite to ``luma``'s, so that a
    consumer can keep the JPEG block grid anchored where it really is. ``width`` and
    ``height`` are the full upright size.
    """

    luma: np.ndarray[Any, np.dtype[np.float32]]
    width: int
    height: int
    scale: int
    flips: tuple[bool, bool]


@dataclass(frozen=True)
class LoadedImage:
    """A decoded photo: upright RGB ``image`` (maybe reduced) and the full upright size."""

    image: Image.Image
    format: str
    width: int
    height: int
    scale: int  # JPEG DCT reduction applied when decoding: 1, 2, 4 or 8


def _orientation(im: Image.Image) -> int:
    """EXIF orientation (1-8); 1 when absent or unreadable (bad EXIF must not sink the photo)."""
    try:
        value = int(im.getexif().get(0x0112, 1))
    except Exception:
        return 1
    return value if value in _ORIENT else 1


def _open(data: bytes, info: MediaInfo, limits: MediaLimits) -> Image.Image:
    """Open with the sniffed format's plugin only, and refuse a pixel area over the limit."""
    pil_format = _PIL_FORMAT[info.format]
    if pil_format not in Image.OPEN:
        raise UnsupportedMedia(
            f"{info.format.upper()} decoding is not available here; "
            "convert the photo to JPEG or PNG."
        )
    im = Image.open(io.BytesIO(data), formats=[pil_format])  # reads the header only
    width, height = im.size
    if width < 1 or height < 1:
        raise CorruptMedia(f"The {info.format.upper()} header gives no image size.")
    if width * height > limits.max_pixels:
        raise CorruptMedia(
            f"The image claims {width}x{height} pixels ({width * height:,}); the limit is "
            f"{limits.max_pixels:,}. Resize it and upload again.",
            code="too_many_pixels",
        )
    return im


def _decode(
    data: bytes, info: MediaInfo, limits: MediaLimits, reduce_to: int | None
) -> LoadedImage:
    im = _open(data, info, limits)
    width, height = im.size
    if reduce_to and info.format == "jpeg":
        im.draft("RGB", (reduce_to, reduce_to))
    im.load()
    scale = max(1, round(width / im.size[0]))
    orientation = _orientation(im)
    out = im if im.mode == "RGB" else im.convert("RGB")
    if orientation != 1:
        out = out.transpose(_ORIENT[orientation])
    if orientation >= 5:
        width, height = height, width
    return LoadedImage(out, info.format, width, height, scale)


def load_image(
    data: bytes,
    limits: MediaLimits,
    *,
    reduce_to: int | None = None,
    info: MediaInfo | None = None,
) -> LoadedImage:
    """Decode photo bytes (sniffed unless ``info`` is given) with limits; see ``open_image``."""
    info = _photo_info(data, limits, info)
    return _guarded(info, lambda: _decode(data, info, limits, reduce_to))


def load_jpeg_luma(
    data: bytes, limits: MediaLimits, *, min_side: int, info: MediaInfo | None = None
) -> ReducedLuma | None:
    """A JPEG's luma at the smallest DCT scale keeping both sides >= ``min_side``; else None.

    None when the photo is not a JPEG, is too small to reduce, or is not YCbCr/grey (CMYK):
    the caller then decodes in full. Only the Y plane is produced, which is what PDQ's luma
    (0.299 R + 0.587 G + 0.114 B) is, up to rounding.
    """
    info = _photo_info(data, limits, info)
    if info.format != "jpeg":
        return None
    return _guarded(info, lambda: _reduced_luma(data, info, limits, min_side))


def _reduced_luma(
    data: bytes, info: MediaInfo, limits: MediaLimits, min_side: int
) -> ReducedLuma | None:
    im = _open(data, info, limits)
    width, height = im.size
    scale = 1
    while scale < 8 and min(width, height) >= 2 * scale * min_side:
        scale *= 2
    if scale == 1 or im.mode not in ("RGB", "L"):
        return None
    im.draft("L", (width // scale, height // scale))  # Pillow picks the scale by floor division
    im.load()
    if im.mode != "L" or round(width / im.size[0]) != scale:
        return None  # the decoder did not reduce as asked: let the caller decode in full
    orientation = _orientation(im)
    luma = np.asarray(im, dtype=np.float32)
    transpose, flips = _AXES[orientation]
    upright = (height, width) if not transpose else (width, height)
    return ReducedLuma(luma.T if transpose else luma, upright[1], upright[0], scale, flips)


def _photo_info(data: bytes, limits: MediaLimits, info: MediaInfo | None) -> MediaInfo:
    info = info or detect(data, "photo", limits)
    if info.kind != "photo":
        raise UnsupportedMedia(
            f"Expected a photo but the bytes are a {info.format} video.", code="mislabelled"
        )
    return info


def _guarded(info: MediaInfo, work: Callable[[], T]) -> T:
    """Run a decode; any decoder failure on untrusted bytes is the file's fault (422)."""
    try:
        return work()
    except MediaError:
        raise
    except Image.DecompressionBombError as exc:
        raise CorruptMedia(
            f"The image is too large to decode safely ({exc}); resize it.", code="too_many_pixels"
        ) from exc
    except Exception as exc:
        raise CorruptMedia(
            f"The {info.format.upper()} image is truncated or corrupt and cannot be decoded; "
            "export it again and re-upload."
        ) from exc


def open_image(data: bytes, limits: MediaLimits, *, reduce_to: int | None = None) -> Image.Image:
    """Upright RGB image from untrusted bytes; JPEGs decode at reduced DCT scale if ``reduce_to``.

    ``reduce_to`` asks for the smallest JPEG DCT scale (1/2, 1/4, 1/8) whose both sides stay
    >= ``reduce_to`` (Pillow ``draft``); other formats ignore it.
    """
    return load_image(data, limits, reduce_to=reduce_to).image
