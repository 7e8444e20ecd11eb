"""Video probing and frame sampling with PyAV, and refusal of bad or oversized videos."""

from __future__ import annotations

import io

import av
import numpy as np
import pytest

from rempart.config import MediaLimits
from rempart.media import (
    CorruptMedia,
    TooLarge,
    UnsupportedMedia,
    iter_frames,
    iter_indexed_frames,
    probe_video,
)
from tests.media.media_factory import make_video

CODECS = {"mp4": "h264", "mov": "h264", "webm": "vp9", "mkv": "vp8"}


@pytest.mark.parametrize("fmt", sorted(CODECS))
def test_every_container_probes_and_decodes(
    videos: dict[str, bytes], fmt: str, limits: MediaLimits
) -> None:
    info = probe_video(videos[fmt], limits)
    assert (info.width, info.height, info.codec, info.format) == (160, 120, CODECS[fmt], fmt)
    assert info.fps == pytest.approx(10)
    assert info.duration_s == pytest.approx(3.0, abs=0.15)
    frames = list(iter_frames(videos[fmt], limits, every_s=1.0, max_side=None))
    assert [round(t, 3) for t, _ in frames] == [0.0, 1.0, 2.0]
    assert all(f.shape == (120, 160, 3) and f.dtype == np.uint8 for _, f in frames)
    assert frames[0][1].std() > 10  # real pictures, not blank frames


def test_sampling_interval_and_downscale(videos: dict[str, bytes], limits: MediaLimits) -> None:
    indexed = list(iter_indexed_frames(videos["mp4"], limits, every_s=0.5, max_side=80))
    assert [n for n, _, _ in indexed] == [0, 5, 10, 15, 20, 25]
    assert [t for _, t, _ in indexed] == [0.0, 0.5, 1.0, 1.5, 2.0, 2.5]
    assert indexed[0][2].shape == (60, 80, 3)


def test_too_long_is_413(videos: dict[str, bytes]) -> None:
    with pytest.raises(TooLarge) as exc:
        probe_video(videos["webm"], MediaLimits(max_duration_s=1.0))
    assert (exc.value.status, exc.value.code) == (413, "too_long")
    with pytest.raises(TooLarge):
        list(iter_frames(videos["mp4"], MediaLimits(max_duration_s=1.0)))


def test_too_many_pixels_is_422(videos: dict[str, bytes]) -> None:
    with pytest.raises(CorruptMedia) as exc:
        probe_video(videos["mkv"], MediaLimits(max_video_pixels=160 * 119))
    assert (exc.value.status, exc.value.code) == (422, "too_many_pixels")


def test_decoding_stops_at_max_frames(videos: dict[str, bytes]) -> None:
    got = list(iter_indexed_frames(videos["mp4"], MediaLimits(max_frames=12), every_s=0.1))
    assert [n for n, _, _ in got] == list(range(12))


@pytest.mark.parametrize("fmt", ["mp4", "webm"])
def test_truncated_or_damaged_video_is_422(
    videos: dict[str, bytes], fmt: str, limits: MediaLimits
) -> None:
    data = videos[fmt]
    with pytest.raises(CorruptMedia) as exc:
        list(iter_frames(data[: len(data) // 3] if fmt == "mp4" else data[:200], limits))
    assert exc.value.status == 422
    with pytest.raises(CorruptMedia):
        probe_video(data[:40] + bytes(2000), limits)


def _audio_only() -> bytes:
    buf = io.BytesIO()
    with av.open(buf, "w", format="mp4") as out:
        stream = out.add_stream("aac", rate=8000)
        for i in range(4):
            frame = av.AudioFrame.from_ndarray(
                np.zeros((1, 1024), np.float32), format="fltp", layout="mono"
            )
            frame.sample_rate, frame.pts = 8000, i * 1024
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return buf.getvalue()


def test_no_video_stream_is_415(limits: MediaLimits) -> None:
    with pytest.raises(UnsupportedMedia) as exc:
        probe_video(_audio_only(), limits)
    assert (exc.value.status, exc.value.code) == (415, "no_video")


def test_codec_outside_allow_list_is_415(limits: MediaLimits) -> None:
    data = make_video(n=3, w=32, h=32, codec="ffv1", fmt="matroska")
    with pytest.raises(UnsupportedMedia) as exc:
        probe_video(data, limits)
    assert exc.value.code == "unsupported_codec"


def test_photo_is_not_a_video(photos: dict[str, bytes], limits: MediaLimits) -> None:
    with pytest.raises(UnsupportedMedia, match="bytes are a photo"):
        probe_video(photos["png"], limits)
