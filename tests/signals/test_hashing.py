"""Photo and video hashing end to end: digests, PDQ notes, orientation, the fast path, dispatch."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from PIL import Image

from rempart.config import MediaLimits
from rempart.media import UnsupportedMedia
from rempart.signals.hashing import (
    PhotoSignals,
    VideoSignals,
    hash_content,
    hash_photo,
    hash_video,
)
from rempart.signals.pdq import pdq_distance
from tests.media.media_factory import encode, make_video, photo


def test_photo_signals(limits: MediaLimits) -> None:
    data = encode(photo(320, 240, seed=5), "JPEG")
    sig = hash_photo(data, limits)
    assert sig.sha256 == hashlib.sha256(data).hexdigest()
    assert sig.md5 == hashlib.md5(data).hexdigest()
    assert (sig.width, sig.height, sig.format, sig.pdq_note) == (320, 240, "jpeg", None)
    assert sig.pdq is not None and len(sig.pdq.hex) == 64 and sig.pdq.quality >= 50
    assert len(sig.pdq_dihedral) == 7 and sig.pdq.hex not in sig.pdq_dihedral
    assert hash_photo(data, limits, dihedral=False).pdq_dihedral == []


def test_flat_image_keeps_hash_but_says_it_will_not_match(limits: MediaLimits) -> None:
    sig = hash_photo(encode(Image.new("RGB", (200, 200), (120, 130, 140)), "PNG"), limits)
    assert sig.pdq is not None and sig.pdq.quality < 50
    assert sig.pdq_note is not None
    assert f"quality {sig.pdq.quality} is below 50" in sig.pdq_note
    assert "not used for matching" in sig.pdq_note
    assert hash_photo(encode(photo(64, 64), "PNG"), limits, min_quality=101).pdq_note


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_exif_orientation_is_applied_before_hashing(fmt: str, limits: MediaLimits) -> None:
    raw = photo(400, 300, seed=9)
    exif = Image.Exif()
    exif[0x0112] = 6
    tagged = hash_photo(encode(raw, fmt, exif=exif.tobytes()), limits, fast=False)
    upright = hash_photo(encode(raw.transpose(Image.Transpose.ROTATE_270), fmt), limits, fast=False)
    unrotated = hash_photo(encode(raw, fmt), limits, fast=False)
    assert tagged.pdq and upright.pdq and unrotated.pdq
    assert (tagged.width, tagged.height) == (300, 400)
    assert pdq_distance(tagged.pdq.hex, upright.pdq.hex) <= (0 if fmt == "PNG" else 8)
    assert pdq_distance(tagged.pdq.hex, unrotated.pdq.hex) > 31


SIZES = [(1024, 1024), (1280, 1024), (1920, 1080), (2048, 1536), (2560, 2048), (4000, 3000)]


def test_fast_path_stays_close_to_plain_path(limits: MediaLimits) -> None:
    distances = []
    for seed, size in enumerate(SIZES):
        data = encode(photo(*size, seed=100 + seed), "JPEG", quality=90)
        fast, plain = hash_photo(data, limits), hash_photo(data, limits, fast=False)
        assert fast.pdq and plain.pdq
        assert (fast.width, fast.height) == (plain.width, plain.height) == size
        distances.append(pdq_distance(fast.pdq.hex, plain.pdq.hex))
    assert np.mean(distances) <= 4, distances
    assert max(distances) <= 10, distances


def test_hash_content_dispatches_on_sniffed_kind(limits: MediaLimits) -> None:
    photo_sig = hash_content(encode(photo(80, 60), "WEBP"), "image/webp", limits)
    assert isinstance(photo_sig, PhotoSignals) and photo_sig.format == "webp"
    video = make_video(n=20, w=96, h=64)
    video_sig = hash_content(video, None, limits)
    assert isinstance(video_sig, VideoSignals)
    assert video_sig.video_md5 == hashlib.md5(video).hexdigest()
    assert video_sig.sha256 == hashlib.sha256(video).hexdigest()
    assert (video_sig.width, video_sig.height, video_sig.format) == (96, 64, "mp4")
    assert video_sig.duration_s == pytest.approx(2.0, abs=0.15)
    assert [f.frame_number for f in video_sig.vpdq] == [0, 10]
    with pytest.raises(UnsupportedMedia, match="declared as a photo"):
        hash_content(video, "photo", limits)
    with pytest.raises(UnsupportedMedia, match="declared as a video"):
        hash_video(encode(photo(80, 60), "PNG"), limits)


def test_video_truncated_at_max_frames_is_flagged() -> None:
    sig = hash_video(make_video(n=30, w=64, h=48), MediaLimits(max_frames=12))
    assert sig.truncated and sig.notes
    assert [f.frame_number for f in sig.vpdq] == [0, 10]
