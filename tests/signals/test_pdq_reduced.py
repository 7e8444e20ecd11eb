"""The fast PDQ path: PDQ re-implemented on matrices equals pdqhash, and on reduced JPEG
decodes stays within the issue's bounds (mean 4, max 10 bits) of the full decode."""

from __future__ import annotations

import io

import numpy as np
import pdqhash
import pytest
from PIL import Image

from rempart.config import MediaLimits
from rempart.media import CorruptMedia
from rempart.media.images import _AXES, _ORIENT, load_jpeg_luma
from rempart.signals import pdq_reduced
from rempart.signals.hashing import FAST_MIN_SIDE, hash_photo
from rempart.signals.pdq import pdq_distance
from tests.media.media_factory import encode, photo
from tests.photos import graphics, real_photos

LIMITS = MediaLimits()


def reference(img: Image.Image) -> tuple[str, int]:
    bits, quality = pdqhash.compute(np.ascontiguousarray(np.asarray(img.convert("RGB"))))
    return np.packbits(bits.astype(np.uint8)).tobytes().hex(), int(quality)


def full_buffer(img: Image.Image) -> np.ndarray:
    """PDQ's 64x64 buffer computed with our per-axis matrices on the full-size luma."""
    rgb = np.asarray(img.convert("RGB")).astype(np.float64)
    luma = (rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114).astype(np.float32)
    h, w = luma.shape
    return pdq_reduced.axis_matrix(h) @ luma.astype(np.float64) @ pdq_reduced.axis_matrix(w).T


@pytest.mark.parametrize("size", [None, (333, 517), (1001, 767), (64, 64), (130, 70)])
def test_matrix_pdq_equals_pdqhash_bit_for_bit(size: tuple[int, int] | None) -> None:
    for name, img in real_photos():
        if size is not None:
            img = img.resize(size)
        expected_hex, expected_quality = reference(img)
        buf = full_buffer(img)
        got = pdq_reduced.bits_hex(pdq_reduced.dct16(buf))
        assert pdq_distance(got, expected_hex) == 0, name
        assert pdq_reduced.quality(buf) == expected_quality, name


def test_dihedral_from_coefficients_equals_pdqhash() -> None:
    for name, img in real_photos()[:6]:
        hashes, _ = pdqhash.compute_dihedral(np.ascontiguousarray(np.asarray(img)))
        expected = [np.packbits(h.astype(np.uint8)).tobytes().hex() for h in hashes]
        coeffs = pdq_reduced.dct16(full_buffer(img))
        got = [pdq_reduced.bits_hex(c) for c in pdq_reduced.dihedral_coeffs(coeffs)]
        assert got == expected, name


@pytest.mark.parametrize("orientation", range(1, 9))
def test_orientation_table_matches_pillow(orientation: int) -> None:
    stored = np.arange(7 * 5, dtype=np.uint8).reshape(7, 5)
    image = Image.fromarray(stored)
    upright = np.asarray(image.transpose(_ORIENT[orientation]) if orientation > 1 else image)
    transpose, (rows_rev, cols_rev) = _AXES[orientation]
    ours = stored.T if transpose else stored
    ours = ours[::-1] if rows_rev else ours
    ours = ours[:, ::-1] if cols_rev else ours
    assert np.array_equal(ours, upright)


def jpeg(img: Image.Image, orientation: int = 1, **kw: object) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif.tobytes(), **kw)
    return buf.getvalue()


def test_fast_path_stays_close_to_full_decode_on_photos() -> None:
    rng = np.random.default_rng(3)
    sizes = [(1024, 768), (768, 1024), (1600, 1200), (2500, 1407)]
    distances, dihedral_max, scales = [], 0, set()
    for i, (name, img) in enumerate(real_photos()):
        size = sizes[i % len(sizes)]
        big = img.resize(size, Image.Resampling.LANCZOS)
        data = jpeg(
            big,
            orientation=i % 8 + 1,
            quality=int(rng.integers(60, 98)),
            subsampling=i % 3,
            progressive=i % 4 == 0,
        )
        fast, full = hash_photo(data, LIMITS), hash_photo(data, LIMITS, fast=False)
        assert fast.pdq and full.pdq, name
        assert fast.pdq_scale > 1 and full.pdq_scale == 1, name
        assert (fast.width, fast.height) == (full.width, full.height), name
        distances.append(pdq_distance(fast.pdq.hex, full.pdq.hex))
        for a, b in zip(fast.pdq_dihedral, full.pdq_dihedral, strict=True):
            dihedral_max = max(dihedral_max, pdq_distance(a, b))
        assert abs(fast.pdq.quality - full.pdq.quality) <= 5, name
        scales.add(fast.pdq_scale)
    assert np.mean(distances) <= 4, distances
    assert max(distances) <= 10 and dihedral_max <= 10, distances
    assert scales == {2, 4}


def test_large_scale_factor_on_big_photo() -> None:
    img = real_photos()[0][1].resize((3000, 2600))
    data = jpeg(img, quality=90)
    fast, full = hash_photo(data, LIMITS), hash_photo(data, LIMITS, fast=False)
    assert fast.pdq_scale == 8 and fast.pdq and full.pdq
    assert pdq_distance(fast.pdq.hex, full.pdq.hex) <= 10


def test_fast_path_applies_only_to_large_ycbcr_or_grey_jpegs() -> None:
    big = photo(1280, 960, seed=4)
    small = hash_photo(encode(photo(2 * FAST_MIN_SIDE - 1, 900), "JPEG"), LIMITS)
    assert small.pdq_scale == 1
    assert hash_photo(encode(big, "PNG"), LIMITS).pdq_scale == 1
    cmyk = hash_photo(encode(big.convert("CMYK"), "JPEG"), LIMITS)
    assert cmyk.pdq_scale == 1 and cmyk.pdq and cmyk.pdq.quality >= 50
    grey = encode(big.convert("L"), "JPEG", quality=92)
    fast, full = hash_photo(grey, LIMITS), hash_photo(grey, LIMITS, fast=False)
    assert fast.pdq_scale == 2 and fast.pdq and full.pdq
    assert pdq_distance(fast.pdq.hex, full.pdq.hex) <= 10
    assert load_jpeg_luma(encode(big, "PNG"), LIMITS, min_side=FAST_MIN_SIDE) is None


def test_symmetric_graphics_fall_back_to_the_exact_hash() -> None:
    board = dict(graphics())["chessboard_RGB"].resize((2000, 1600), Image.Resampling.NEAREST)
    data = jpeg(board, quality=95)
    fast, full = hash_photo(data, LIMITS), hash_photo(data, LIMITS, fast=False)
    assert fast.pdq_scale == 1
    assert fast.pdq == full.pdq


def test_truncated_large_jpeg_is_corrupt_not_a_crash() -> None:
    data = jpeg(photo(1600, 1200, seed=2), quality=90)
    with pytest.raises(CorruptMedia):
        hash_photo(data[: len(data) // 2], LIMITS)


def test_reduced_matrix_rejects_mismatched_luma() -> None:
    with pytest.raises(ValueError, match="expected"):
        pdq_reduced.buffer64(np.zeros((10, 10), np.float32), 1024, 768, 2, (False, False))
