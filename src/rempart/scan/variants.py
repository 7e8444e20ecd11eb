"""Extra PDQ queries derived from a photo, for edits the file's own hash does not survive.

PDQ survives re-encoding, resizing and colour changes, and the dihedral queries cover rotations
by 90 degrees and mirrors; it does not survive the photo being wrapped in something (borders,
letterbox bars, caption and meme bars, screenshots, blurred "story" backgrounds, collages) nor
colour inversion, and it barely survives a crop of a few percent. Each derived query is
labelled, and a match from it says so in ``Match.orientation`` (e.g. ``content``,
``trimmed+flip_y``, ``uncrop:center6``) and in a note of the scan result:

- ``trimmed`` / ``content`` / ``split``: the PDQ of a rectangle ``rempart.media.regions``
  proposes as the original photo (see there), and of its 7 other orientations
  (``trimmed+rot90`` ...; only banks with ``match_dihedral`` take those);
- ``uncrop:<side><percent>``: the photo with its edge pixels repeated outwards, as if a crop
  of that share had been undone (``UNCROP_*``);
- ``inverted``: the complement of the file's PDQ (inverting the luma negates every DCT
  coefficient, so each bit flips), with no decoding at all.

The photo is decoded once more at a reduced size (JPEG DCT scaling) and every derived hash is
computed by PDQ's own linear filtering on that luma (``Luma``), bit-equal to pdqhash of the
same pixels; the file's own hash, the one banked and shared, is never changed.

A derived hash is only queried when its quality is usable and it differs from the file's own
hash (a rectangle that is nearly the whole image adds nothing). ``bench/bench_edits.py`` measures
what each costs in latency and false matches.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from rempart.config import MediaLimits
from rempart.media.images import load_image
from rempart.media.regions import find_regions
from rempart.signals import pdq_reduced
from rempart.signals.pdq import (
    DIHEDRAL_ORDER,
    PdqHash,
    pdq_distance,
)

DECODE_SIDE = 512  # JPEGs are decoded at the smallest DCT scale keeping both sides >= this
HASH_SIDE = 512  # derived queries are hashed on a copy this short side (PDQ uses 64x64)
BOX = Image.Resampling.BOX
F64 = np.ndarray[Any, np.dtype[np.float64]]
Idx = np.ndarray[Any, np.dtype[np.int64]]
MIN_NEW_BITS = 10  # a derived hash this close to one already queried adds nothing

# "uncrop" hypotheses: the share of the original's width and height a crop may have removed,
# centred or from one side; the query is the photo with its edge pixels repeated back to that
# size (PDQ's coarse DCT then sees nearly the original layout). Measured by the benchmark:
# crops up to ~8% match mostly, ~10-15% sometimes, 20% or more essentially never.
UNCROP_CENTER = (0.03, 0.06, 0.09, 0.12)
UNCROP_SIDE = (0.04, 0.08, 0.12)

LABELS = {
    "uncrop": "a cropped photo extended back to its presumed full size",
    "trimmed": "uniform borders or bars removed",
    "content": "the photo found inside a larger canvas (screenshot, story, caption, meme)",
    "split": "one part of a collage",
    "inverted": "colours inverted",
}


@dataclass(frozen=True)
class Derived:
    """A derived PDQ query: its label, hash and the rectangle of the image it hashes."""

    label: str
    pdq: PdqHash
    box: tuple[int, int, int, int] | None = None


def inverted(pdq: PdqHash) -> Derived:
    """The query that matches a colour-inverted copy of the photo."""
    value = int(pdq.hex, 16) ^ ((1 << 256) - 1)
    return Derived("inverted", PdqHash(f"{value:064x}", pdq.quality))


class Luma:
    """A photo's luma, ``HASH_SIDE`` on its short side, hashed by PDQ's own arithmetic.

    PDQ up to its 64x64 buffer is two linear maps (``pdq_reduced.axis_matrix``), so the PDQ of
    a crop, or of the photo with its edge pixels repeated outwards, is the same maps composed
    with that crop or repetition: no new image is made, each query costs a few small matrix
    products. Equal to pdqhash of the same pixels up to float rounding (a bit or two).
    """

    def __init__(self, img: Image.Image) -> None:
        size = _fit(img.size)
        small = img if size == img.size else img.resize(size, BOX)
        rgb = np.asarray(small.convert("RGB"), dtype=np.float64)
        self.luma: F64 = rgb @ np.array([0.299, 0.587, 0.114])
        self.height, self.width = self.luma.shape
        self.fx, self.fy = img.width / self.width, img.height / self.height

    @staticmethod
    def _taps(index: Idx) -> tuple[Idx, F64]:
        """PDQ's 64 samples of the axis ``index`` builds, as (source pixels, weights), 64 x K.

        PDQ's filter is a short box, so each sample reads a few pixels: gathering those is
        far cheaper than multiplying by the dense 64 x n matrix.
        """
        full = pdq_reduced.axis_matrix(len(index))
        zero = np.abs(full) < 1e-9  # the matrix is built by cumulative sums: ~1e-17 residues
        k = int((~zero).sum(axis=1).max())
        order = np.argsort(zero, axis=1, kind="stable")[:, :k]  # the taps first
        weights: F64 = np.take_along_axis(full, order, axis=1)
        return index[order], weights

    def hashes(self, rows: Idx, cols: Idx, dihedral: bool) -> list[PdqHash]:
        """PDQ (and its 7 other orientations) of the image ``luma[rows][:, cols]``."""
        src_r, w_r = self._taps(rows)
        src_c, w_c = self._taps(cols)
        tmp = np.einsum("ikw,ik->iw", self.luma[src_r], w_r)  # 64 x width
        buf: F64 = np.einsum("ijk,jk->ij", tmp[:, src_c], w_c)
        coeffs = pdq_reduced.dct16(buf)
        quality = pdq_reduced.quality(buf)
        variants = pdq_reduced.dihedral_coeffs(coeffs) if dihedral else [coeffs]
        return [PdqHash(pdq_reduced.bits_hex(v), quality) for v in variants]

    def box(self, box: tuple[int, int, int, int], dihedral: bool) -> list[PdqHash]:
        """PDQ of a rectangle given in the original image's pixels."""
        x0, y0 = int(box[0] / self.fx), int(box[1] / self.fy)
        x1 = max(x0 + 1, min(self.width, round(box[2] / self.fx)))
        y1 = max(y0 + 1, min(self.height, round(box[3] / self.fy)))
        return self.hashes(np.arange(y0, y1), np.arange(x0, x1), dihedral)

    def padded(self, top: float, bottom: float, left: float, right: float) -> PdqHash:
        """PDQ of the image with its edge pixels repeated outwards by these shares of it."""
        h, w = self.height, self.width
        rows = np.clip(np.arange(-round(top * h), h + round(bottom * h)), 0, h - 1)
        cols = np.clip(np.arange(-round(left * w), w + round(right * w)), 0, w - 1)
        return self.hashes(rows, cols, dihedral=False)[0]


def _fit(size: tuple[int, int]) -> tuple[int, int]:
    """Reduced so the short side is ``HASH_SIDE`` (the photo inside a tall screenshot keeps
    enough pixels) and the long side at most 4x that; never enlarged."""
    f = min(1.0, HASH_SIDE / min(size), 4 * HASH_SIDE / max(size))
    return max(1, round(size[0] * f)), max(1, round(size[1] * f))


def uncrop(luma: Luma) -> list[Derived]:
    """Queries for a photo that may be a crop of the banked one (see ``UNCROP_*``)."""
    pads: list[tuple[str, tuple[float, float, float, float]]] = []
    for share in UNCROP_CENTER:
        f = share / (1 - share) / 2
        pads.append((f"uncrop:center{round(share * 100)}", (f, f, f, f)))
    for share in UNCROP_SIDE:
        f = share / (1 - share)
        pads += [
            (f"uncrop:top{round(share * 100)}", (f, 0, 0, 0)),
            (f"uncrop:bottom{round(share * 100)}", (0, f, 0, 0)),
            (f"uncrop:left{round(share * 100)}", (0, 0, f, 0)),
            (f"uncrop:right{round(share * 100)}", (0, 0, 0, f)),
        ]
    return [Derived(label, luma.padded(*pad)) for label, pad in pads]


def derive(
    data: bytes,
    limits: MediaLimits,
    own: PdqHash | None,
    *,
    min_quality: int = 50,
    dihedral: bool = True,
) -> list[Derived]:
    """Derived queries of photo bytes already hashed to ``own`` (None: PDQ unusable).

    With ``dihedral`` each rectangle is also queried in its 7 other orientations, labelled
    e.g. ``content+flip_y`` (a mirrored photo in a screenshot); only banks with
    ``match_dihedral`` take those.

    Raises ``MediaError`` only if the bytes cannot be decoded, which hashing already checked.
    """
    out: list[Derived] = []
    if own is not None and own.quality >= min_quality:
        out.append(inverted(own))
    loaded = load_image(data, limits, reduce_to=DECODE_SIDE)
    img = loaded.image
    luma = Luma(img)
    seen = [own.hex] if own is not None else []
    if own is not None and own.quality >= min_quality:
        for d in uncrop(luma):
            if d.pdq.quality >= min_quality:
                out.append(d)
    sx, sy = loaded.width / img.width, loaded.height / img.height
    for region in find_regions(img):
        hashes = luma.box(region.box, dihedral)
        pdq = hashes[0]
        if pdq.quality < min_quality:
            continue
        if any(pdq_distance(pdq.hex, s) < MIN_NEW_BITS for s in seen):
            continue
        seen.append(pdq.hex)
        x0, y0, x1, y1 = region.box
        box = (round(x0 * sx), round(y0 * sy), round(x1 * sx), round(y1 * sy))
        out.append(Derived(region.kind, pdq, box))
        out += [
            Derived(f"{region.kind}+{name}", h, box)
            for h, name in zip(hashes[1:], DIHEDRAL_ORDER[1:], strict=True)
        ]
    return out
