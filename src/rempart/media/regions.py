"""Where the photo is inside a re-posted image: borders, bars, canvases and collage parts.

Re-posts often wrap the original in something PDQ sees as part of the picture: uniform borders
and letterbox bars, a caption or meme bar, a screenshot's app chrome, a blurred, enlarged copy
of the photo behind it (a "story" frame), or another photo beside it (a collage). Each of those
moves the hash far from the banked one although the photo itself is untouched. ``find_regions``
proposes the rectangles that may be the original photo, so that the scan can hash them as extra
queries; it never changes the hash of the image itself.

The analysis runs on a copy ``ANALYSIS_SIDE`` pixels on its short side (milliseconds):

- ``trimmed``: the image with its uniform outer lines removed (borders, letterbox bars, the
  blank part of a caption bar): a line goes when 97% of it is within ``BORDER_TOL`` of the
  outermost line's colour; two passes (a border around a letterbox), each pass's box kept;
- ``content``: the same peeling, lenient: a line is canvas when 60% of it has the canvas
  colour, and runs of other lines up to ``TEXT_GAP`` of the side (caption or meme text, app
  chrome) are crossed when canvas follows; three passes (a dark status bar, then a light page);
- ``split``: the rectangles between straight seams, lines where the luma jumps along most of
  their length (photo edges inside a screenshot or story frame, two photos side by side),
  found in the whole image and inside the first trimmed or content boxes.

Blank rectangles (luma std below ``MIN_STD``) are never proposed; boxes that are almost the
whole image, or almost another box, are dropped.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

Array = np.ndarray[Any, np.dtype[np.float32]]
Mask = np.ndarray[Any, np.dtype[np.bool_]]
Box = tuple[int, int, int, int]  # left, top, right, bottom (exclusive), in image pixels

ANALYSIS_SIDE = 384
MIN_PART = 0.15  # a region must span at least this share of the image on both axes
SAME_EDGE = 0.02  # boxes whose every edge is within this share of the side are the same
BORDER_TOL = 24.0  # a border line's pixels stay within this of its colour (JPEG ringing)
BORDER_SHARE = 0.97  # ... for at least this share of the line
CANVAS_SHARE = 0.6  # a canvas line (caption, app chrome) is this much one colour
TEXT_GAP = 0.08  # ... and lines of caption text up to this share of the side are crossed
MIN_STD = 6.0  # a region whose luma varies less than this (grey levels) is blank
MAX_SEAMS = 3  # strongest seams per axis
SEAM_RATIO = 3.0  # a seam's mean luma jump is this many times its neighbours'
SEAM_MIN_JUMP = 10.0  # ... and at least this many grey levels
SEAM_SHARE = 0.6  # ... and the jump is clear on this share of the line


@dataclass(frozen=True)
class Region:
    """A rectangle that may be the original photo, and how it was found."""

    box: Box
    kind: str  # "trimmed", "content" or "split"


def _small(img: Image.Image) -> tuple[Array, float, float]:
    """RGB float array of a reduced copy, and the x, y factors back to the image's pixels."""
    w, h = img.size
    f = min(1.0, ANALYSIS_SIDE / min(w, h), 4 * ANALYSIS_SIDE / max(w, h))
    sw, sh = max(1, round(w * f)), max(1, round(h * f))
    rgb = img if img.mode == "RGB" else img.convert("RGB")
    small = rgb.resize((sw, sh), Image.Resampling.BOX) if f < 1.0 else rgb
    return np.asarray(small, dtype=np.float32), w / sw, h / sh


def _peel(rgb: Array, share: float, gap: float) -> tuple[int, int, int, int]:
    """Outer lines on each side (top, bottom, left, right) that are canvas, as line counts.

    A line is canvas when ``share`` of its pixels are within ``BORDER_TOL`` of the outermost
    line's colour; runs of other lines (caption text) up to ``gap`` of the side are crossed
    when canvas lines follow them.
    """
    h, w = rgb.shape[:2]

    def count(lines: Array, limit: int) -> int:
        colour = np.median(lines[0], axis=0)
        allowed = round(gap * len(lines))
        last, n = -1, 0
        while n < limit and n - last <= allowed + 1:
            block = np.abs(lines[n : min(limit, n + 16)] - colour)
            near = np.maximum(np.maximum(block[..., 0], block[..., 1]), block[..., 2])
            for canvas in (near <= BORDER_TOL).mean(axis=1) >= share:
                if n - last > allowed + 1 or (last < 0 and n > 0):
                    break  # too long a run of other lines, or the outermost is not canvas
                if canvas:
                    last = n
                n += 1
            else:
                continue
            break
        return last + 1

    top = count(rgb, h - 1)
    bottom = count(rgb[::-1], h - 1 - top)
    cols = np.ascontiguousarray(rgb.transpose(1, 0, 2))
    left = count(cols, w - 1)
    right = count(cols[::-1], w - 1 - left)
    return top, bottom, left, right


def _trim(rgb: Array, share: float, gap: float, passes: int) -> list[Box]:
    """Boxes left after each pass of peeling canvas lines (none if nothing was peeled)."""
    h, w = rgb.shape[:2]
    x0, y0, x1, y1 = 0, 0, w, h
    out: list[Box] = []
    for _ in range(passes):
        if y1 - y0 < 8 or x1 - x0 < 8:
            break
        top, bottom, left, right = _peel(rgb[y0:y1, x0:x1], share, gap)
        if top + bottom + left + right == 0:
            break
        x0, y0, x1, y1 = x0 + left, y0 + top, x1 - right, y1 - bottom
        out.append((x0, y0, x1, y1))
    return out


def _seams(luma: Array, axis: int) -> list[int]:
    """Positions of straight seams across ``luma`` (axis 1: vertical lines), strongest first."""
    a = luma if axis == 1 else luma.T
    h, w = a.shape
    if w < 16 or h < 8:
        return []
    jump = np.abs(a[:, 2:] - a[:, :-2])  # jump[:, x - 1] straddles the gap before column x
    mean = jump.mean(axis=0)
    xs = np.arange(3, w - 3)
    offsets = np.r_[-10:-3, 2:9] - 1  # neighbours on both sides, in ``mean``'s indexing
    base = np.median(mean[np.clip(xs[:, None] + offsets, 0, len(mean) - 1)], axis=1) + 1.0
    m = mean[xs - 1]
    peak = (m >= SEAM_MIN_JUMP) & (m >= SEAM_RATIO * base) & (m >= mean[xs - 2]) & (m >= mean[xs])
    found: list[tuple[float, int]] = []
    for i in np.flatnonzero(peak):
        x = int(xs[i])
        if (jump[:, x - 1] > max(SEAM_MIN_JUMP / 2, 2 * float(base[i]))).mean() >= SEAM_SHARE:
            found.append((float(m[i] / base[i]), x))
    found.sort(reverse=True)
    out: list[int] = []
    for _, x in found:
        if all(abs(x - y) > 3 for y in out):
            out.append(x)
    return out[:MAX_SEAMS]


def _segments(cuts: list[int], n: int) -> list[tuple[int, int]]:
    points = sorted({0, n, *cuts})
    return [(a, b) for a, b in itertools.pairwise(points) if b - a >= MIN_PART * n]


def _split(luma: Array) -> list[Box]:
    """Boxes between the seams, largest first (the whole image excluded)."""
    h, w = luma.shape
    cols = _segments(_seams(luma, 1), w)
    rows = _segments(_seams(luma, 0), h)
    boxes = [(c0, r0, c1, r1) for r0, r1 in rows for c0, c1 in cols]
    boxes.sort(key=lambda b: -(b[2] - b[0]) * (b[3] - b[1]))
    return [b for b in boxes if b != (0, 0, w, h)]


def find_regions(img: Image.Image, *, limit: int = 6) -> list[Region]:
    """Up to ``limit`` rectangles of ``img`` that may be the original photo (see module doc)."""
    rgb, fx, fy = _small(img)
    h, w = rgb.shape[:2]
    if h < 16 or w < 16:
        return []
    luma = (rgb @ np.array([0.299, 0.587, 0.114], np.float32)).astype(np.float32)
    found: list[tuple[Box, str]] = []
    found += [(b, "trimmed") for b in _trim(rgb, BORDER_SHARE, 0.0, 2)]
    found += [(b, "content") for b in _trim(rgb, CANVAS_SHARE, TEXT_GAP, 3)]
    bases = [b for b, _ in found]
    found += [(b, "split") for b in _split(luma)]
    for base in bases[:3]:
        x0, y0, x1, y1 = base
        found += [
            ((x0 + a, y0 + b, x0 + c, y0 + d), "split") for a, b, c, d in _split(luma[y0:y1, x0:x1])
        ]
    kept: list[tuple[Box, str]] = []
    full = (0, 0, w, h)
    for box, kind in found:
        bw, bh = box[2] - box[0], box[3] - box[1]
        if bw < MIN_PART * w or bh < MIN_PART * h:
            continue
        if float(luma[box[1] : box[3], box[0] : box[2]].std()) < MIN_STD:
            continue  # blank: a bar or border, never a photo PDQ could match
        if any(_same(box, other, w, h) for other in [full, *(b for b, _ in kept)]):
            continue
        kept.append((box, kind))
    W, H = img.size  # noqa: N806
    return [
        Region(
            (
                max(0, round(b[0] * fx)),
                max(0, round(b[1] * fy)),
                min(W, round(b[2] * fx)),
                min(H, round(b[3] * fy)),
            ),
            kind,
        )
        for b, kind in kept[:limit]
    ]


def _same(a: Box, b: Box, w: int, h: int) -> bool:
    tol = (SAME_EDGE * w, SAME_EDGE * h, SAME_EDGE * w, SAME_EDGE * h)
    return all(abs(p - q) <= t for p, q, t in zip(a, b, tol, strict=True))
