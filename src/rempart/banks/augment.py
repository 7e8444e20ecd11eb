"""Bank-side augmentation: extra PDQ signals of a banked photo's crops and small rotations.

A re-post cropped by 20-30 % or turned by a few degrees lands 40-90 bits from the original's
PDQ, and nothing computed from the query alone can recover the missing part. So when a photo
is banked from its bytes, a few edited copies of it are hashed too and stored as *derived*
``content_signal`` rows (``derived`` = the label, e.g. ``crop80``). They are indexed and
matched like any PDQ signal; a match through one carries ``banked:<label>`` in its
``orientation``. They are never shown or exported as the item's hashes, and go with it.

Kept small (``bench/bench_edits.py`` measures the set): each derived hash costs one index
entry and one more chance of a false match, and one within ``MIN_SPREAD`` of a hash already
stored for the item adds nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from PIL import Image

from rempart.config import MediaLimits, Settings
from rempart.media.errors import MediaError
from rempart.media.images import load_image
from rempart.signals.pdq import pdq_distance, pdq_from_image
from rempart.signals.types import PDQ

MIN_SPREAD = 20  # a derived hash this close to one already stored adds nothing
WORK_SIDE = 1024  # decode (JPEG draft) and work at about this long side: PDQ sees 64x64

Transform = Callable[[Image.Image], Image.Image]


def _centre(keep: float) -> Transform:
    def fn(im: Image.Image) -> Image.Image:
        w, h = im.size
        cw, ch = round(w * keep), round(h * keep)
        x, y = (w - cw) // 2, (h - ch) // 2
        return im.crop((x, y, x + cw, y + ch))

    return fn


def _side(keep: float, side: str) -> Transform:
    """Keep ``keep`` of one dimension, on the named side (``left`` keeps the left part)."""

    def fn(im: Image.Image) -> Image.Image:
        w, h = im.size
        cw, ch = round(w * keep), round(h * keep)
        box = {
            "left": (0, 0, cw, h),
            "right": (w - cw, 0, w, h),
            "top": (0, 0, w, ch),
            "bottom": (0, h - ch, w, h),
        }[side]
        return im.crop(box)

    return fn


def _rotate(deg: float) -> Transform:
    """Turn by ``deg`` (counter-clockwise) in the same frame, corners black, as an editor does."""

    def fn(im: Image.Image) -> Image.Image:
        return im.rotate(deg, Image.Resampling.BICUBIC, expand=False)

    return fn


# Chosen by measurement (bench/bench_edits.py and a per-augment sweep over its 23 photos): one
# derived PDQ covers only about +-2 % of crop or +-1.5 degrees of rotation around its own, so
# the set holds points where re-posts cluster, not ranges: centre crops keeping 80 % and 70 %
# of each side, one side cut by 20 % or 30 % left and right (landscape to portrait/square, the
# common case) and by 25 % top and bottom, and rotations of 4 and 8 degrees either way.
# Rotations cropped to the inscribed rectangle were measured too: they only match that exact
# kind of edit, while a rotation in its frame is what most editors produce.
AUGMENTS: list[tuple[str, Transform]] = [
    ("crop80", _centre(0.80)),
    ("crop70", _centre(0.70)),
    ("left80", _side(0.80, "left")),  # the left 80 % kept: the right side cut off
    ("left70", _side(0.70, "left")),
    ("right80", _side(0.80, "right")),
    ("right70", _side(0.70, "right")),
    ("top75", _side(0.75, "top")),
    ("bottom75", _side(0.75, "bottom")),
    ("rot+4", _rotate(4)),
    ("rot-4", _rotate(-4)),
    ("rot+8", _rotate(8)),
    ("rot-8", _rotate(-8)),
]
MAX_AUGMENTS = 12


def derive_image(
    img: Image.Image, own: Sequence[str] = (), *, min_quality: int = 50
) -> list[tuple[str, str]]:
    """``(label, pdq hex)`` for each augment of ``img`` worth storing.

    Skipped: hashes below ``min_quality`` and hashes within ``MIN_SPREAD`` of one in ``own``
    (the item's own PDQ) or of one derived before.
    """
    img = img.convert("RGB")
    if max(img.size) > WORK_SIDE:
        img = img.copy()
        img.thumbnail((WORK_SIDE, WORK_SIDE), Image.Resampling.BILINEAR)
    kept: list[str] = list(own)
    out: list[tuple[str, str]] = []
    for label, fn in AUGMENTS[:MAX_AUGMENTS]:
        edited = fn(img)
        if min(edited.size) < 16:
            continue
        pdq = pdq_from_image(edited)
        if pdq.quality < min_quality:
            continue
        if any(pdq_distance(pdq.hex, k) <= MIN_SPREAD for k in kept):
            continue
        kept.append(pdq.hex)
        out.append((label, pdq.hex))
    return out


def derive_photo(
    data: bytes, limits: MediaLimits, own: Sequence[str] = (), *, min_quality: int = 50
) -> list[tuple[str, str]]:
    """``derive_image`` of untrusted photo bytes (decoded within ``limits``)."""
    loaded = load_image(data, limits, reduce_to=WORK_SIDE)
    return derive_image(loaded.image, own, min_quality=min_quality)


def augment_upload(
    settings: Settings, limits: MediaLimits, data: bytes, signals: Mapping[str, str]
) -> list[tuple[str, str]]:
    """The derived signals to bank with a photo uploaded as ``data`` whose own signals are
    ``signals``: none when ``settings.bank_augment`` is off or the photo has no usable PDQ
    (a video, or too flat to hash); an image that cannot be decoded again gives none too."""
    own = signals.get(PDQ)
    if not settings.bank_augment or not own:
        return []
    try:
        return derive_photo(data, limits, [own], min_quality=settings.pdq_min_quality)
    except MediaError:
        return []
