"""PDQ: same hex as python-threatexchange, dihedral order, distances and array helpers."""

from __future__ import annotations

import secrets

import numpy as np
import pytest
from PIL import Image
from threatexchange.signal_type.pdq.pdq_utils import simple_distance
from threatexchange.signal_type.pdq.signal import PdqSignal

from rempart.config import MediaLimits
from rempart.media import open_image
from rempart.signals.hashing import hash_photo
from rempart.signals.pdq import (
    DIHEDRAL_ORDER,
    array_to_hex,
    pdq_dihedral,
    pdq_distance,
    pdq_from_image,
    pdq_hex_to_array,
)
from rempart.signals.types import SignalError
from tests.media.media_factory import encode, photo

TRANSFORMS = {  # DIHEDRAL_ORDER name -> the pixel operation it corresponds to
    "original": lambda a: a,
    "rot90": lambda a: np.rot90(a, 1),
    "rot180": lambda a: np.rot90(a, 2),
    "rot270": lambda a: np.rot90(a, -1),
    "flip_x": np.flipud,
    "flip_y": np.fliplr,
    "flip_diag": lambda a: a.transpose(1, 0, 2),
    "flip_antidiag": lambda a: np.rot90(a, 2).transpose(1, 0, 2),
}


@pytest.mark.parametrize(("seed", "size", "fmt", "mode"), [
    (1, (640, 480), "JPEG", "RGB"), (2, (333, 517), "PNG", "RGB"), (3, (1200, 700), "JPEG", "RGB"),
    (4, (256, 256), "PNG", "L"), (5, (90, 60), "WEBP", "RGB"),
])  # fmt: skip
def test_hex_equals_python_threatexchange(
    seed: int, size: tuple[int, int], fmt: str, mode: str, limits: MediaLimits
) -> None:
    data = encode(photo(*size, seed=seed).convert(mode), fmt)
    theirs = PdqSignal.hash_from_bytes(data)
    assert theirs, "generated photo must have PDQ quality >= 50"
    assert pdq_from_image(open_image(data, limits)).hex == theirs
    assert hash_photo(data, limits, fast=False).pdq is not None
    assert hash_photo(data, limits, fast=False).pdq.hex == theirs  # type: ignore[union-attr]


def test_dihedral_order_is_as_documented() -> None:
    img = photo(300, 200, seed=7)
    dihedral = pdq_dihedral(img)
    assert len(dihedral) == len(DIHEDRAL_ORDER) == 8
    assert dihedral[0] == pdq_from_image(img)
    pixels = np.asarray(img)
    for index, name in enumerate(DIHEDRAL_ORDER):
        moved = Image.fromarray(np.ascontiguousarray(TRANSFORMS[name](pixels)))
        distances = [pdq_distance(pdq_from_image(moved).hex, h.hex) for h in dihedral]
        assert distances[index] == min(distances) <= 31, name


@pytest.mark.parametrize(
    "op",
    [
        Image.Transpose.FLIP_LEFT_RIGHT,
        Image.Transpose.ROTATE_90,
        Image.Transpose.ROTATE_180,
        Image.Transpose.TRANSPOSE,
    ],
)
def test_mirrored_copy_is_found_among_dihedral_hashes(
    op: Image.Transpose, limits: MediaLimits
) -> None:
    original = photo(500, 400, seed=11)
    signals = hash_photo(encode(original, "JPEG"), limits, fast=False)
    copy = hash_photo(encode(original.transpose(op), "JPEG", quality=80), limits, fast=False)
    assert signals.pdq is not None and copy.pdq is not None
    assert pdq_distance(signals.pdq.hex, copy.pdq.hex) > 31  # the plain hash does not match
    candidates = [signals.pdq.hex, *signals.pdq_dihedral]
    assert min(pdq_distance(copy.pdq.hex, h) for h in candidates) <= 31


def test_distance_matches_threatexchange() -> None:
    for _ in range(20):
        a, b = secrets.token_hex(32), secrets.token_hex(32)
        assert pdq_distance(a, b) == simple_distance(a, b)
    assert pdq_distance("0" * 64, "f" * 64) == 256
    with pytest.raises(SignalError):
        pdq_distance("0" * 63, "0" * 64)
    with pytest.raises(SignalError):
        pdq_distance("z" * 64, "0" * 64)


def test_hex_array_round_trip() -> None:
    hexes = [secrets.token_hex(32) for _ in range(1000)]
    codes = pdq_hex_to_array(hexes)
    assert codes.shape == (1000, 32) and codes.dtype == np.uint8
    assert bytes(codes[5]) == bytes.fromhex(hexes[5])
    assert array_to_hex(codes) == hexes
    assert pdq_hex_to_array([]).shape == (0, 32)
    assert array_to_hex(np.zeros((0, 32), np.uint8)) == []


@pytest.mark.parametrize(
    "bad",
    [["0" * 63], ["0" * 62 + "zz"], ["0" * 62 + " 0"], ["0" * 62 + "é0"], ["0" * 66, "0" * 62]],
)
def test_hex_to_array_rejects_malformed(bad: list[str]) -> None:
    with pytest.raises(SignalError):
        pdq_hex_to_array(bad)


def test_array_to_hex_rejects_wrong_shape() -> None:
    with pytest.raises(SignalError):
        array_to_hex(np.zeros((3, 16), np.uint8))
