"""Fuzzing: random and mutated bytes may only ever raise ``MediaError``, never anything else."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rempart.config import MediaLimits
from rempart.media import MediaError, detect, open_image
from rempart.signals.hashing import hash_photo, hash_video
from tests.media.media_factory import PHOTO_FORMATS, encode, make_video, photo

LIMITS = MediaLimits(max_pixels=4_000_000, max_video_pixels=1_000_000, max_frames=200)
SEEDS = [encode(photo(48, 32, seed=2), fmt) for fmt in PHOTO_FORMATS.values()]
SEEDS.append(encode(photo(48, 32, seed=2), "JPEG", progressive=True))
VIDEO_SEEDS = [
    make_video(n=12, w=64, h=48),
    make_video(n=12, w=64, h=48, codec="libvpx", fmt="webm"),
]
FUZZ = settings(
    max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)


@st.composite
def mutated(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    """A valid file with a few bytes flipped, inserted, deleted, or cut short."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        at = draw(st.integers(0, max(0, len(data) - 1)))
        if op == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 64))]
        else:
            del data[max(at, 1) :]
    return bytes(data)


def _photo_pipeline(data: bytes) -> None:
    with contextlib.suppress(MediaError):
        detect(data, None, LIMITS)
    with contextlib.suppress(MediaError):
        open_image(data, LIMITS, reduce_to=16)
    try:
        hash_photo(data, LIMITS, fast=False)
    except MediaError as exc:
        assert exc.status in (413, 415, 422)
        assert exc.code and exc.detail


@FUZZ
@given(mutated(SEEDS))
def test_mutated_photos_raise_only_media_errors(data: bytes) -> None:
    _photo_pipeline(data)


@FUZZ
@given(
    st.sampled_from(
        [
            b"",
            b"\xff\xd8\xff",
            b"\x89PNG\r\n\x1a\n",
            b"GIF89a",
            b"RIFF\0\0\0\0WEBP",
            b"II*\x00",
            b"BM",
            b"\x00\x00\x00\x18ftypheic",
            b"\x1a\x45\xdf\xa3",
        ]
    ),
    st.binary(max_size=300),
)
def test_magic_plus_random_bytes_raise_only_media_errors(magic: bytes, rest: bytes) -> None:
    _photo_pipeline(magic + rest)


@settings(
    max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(mutated(VIDEO_SEEDS))
@pytest.mark.filterwarnings("ignore")
def test_mutated_videos_raise_only_media_errors(data: bytes) -> None:
    try:
        hash_video(data, LIMITS)
    except MediaError as exc:
        assert exc.status in (413, 415, 422)
