"""Probe and decode untrusted video in-process with PyAV, bounded by ``MediaLimits``.

The demuxer is fixed by the sniffed format (no probing of other demuxers), codecs come from an
allow-list, the frame area and duration are checked from the headers and again on every decoded
frame (headers can lie), and decoding stops after ``max_frames`` frames.

Frames are sampled the way the vPDQ reference hasher does, so our hashes equal its hashes:
frame ``i`` (in decode output order) is kept when ``i % int(every_s * fps) == 0`` and stamped
``i / fps``, with ``fps`` the stream's average (else base) frame rate. Display rotation metadata
is not applied, as in vPDQ.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import av
import numpy as np

from rempart.config import MediaLimits
from rempart.media.detect import MediaInfo, detect
from rempart.media.errors import CorruptMedia, MediaError, TooLarge, UnsupportedMedia

Frame = np.ndarray[Any, np.dtype[np.uint8]]
_DEMUXER = {"mp4": "mov", "mov": "mov", "webm": "matroska", "mkv": "matroska"}
ALLOWED_CODECS = frozenset({
    "h264", "hevc", "vp8", "vp9", "av1", "mpeg4", "mpeg2video", "mpeg1video", "mjpeg", "prores",
    "theora", "h263",
})  # fmt: skip


@dataclass(frozen=True)
class VideoInfo:
    """What a video's headers say, after the limits were checked."""

    duration_s: float | None
    width: int
    height: int
    frame_count_estimate: int | None
    fps: float | None
    codec: str
    format: str


def _info(data: bytes, limits: MediaLimits, info: MediaInfo | None) -> MediaInfo:
    info = info or detect(data, "video", limits)
    if info.kind != "video":
        raise UnsupportedMedia(
            f"Expected a video but the bytes are a {info.format} photo.", code="mislabelled"
        )
    return info


def _check_area(width: int, height: int, limits: MediaLimits) -> None:
    if width < 1 or height < 1:
        raise CorruptMedia("The video stream has no frame size; export it again.")
    if width * height > limits.max_video_pixels:
        raise CorruptMedia(
            f"The video frames are {width}x{height} ({width * height:,} pixels); the limit is "
            f"{limits.max_video_pixels:,}. Scale the video down and upload again.",
            code="too_many_pixels",
        )


def _too_long(seconds: float, limits: MediaLimits) -> TooLarge:
    return TooLarge(
        f"The video lasts {seconds:,.1f} s; the limit is "
        f"{limits.max_duration_s:,.0f} s. Trim it and upload again.",
        code="too_long",
    )


def _probe(container: Any, info: MediaInfo, limits: MediaLimits) -> VideoInfo:
    if not container.streams.video:
        raise UnsupportedMedia(
            "The file has no video stream; send a video with pictures.", code="no_video"
        )
    stream = container.streams.video[0]
    ctx = stream.codec_context
    codec = str(ctx.codec.canonical_name)
    if codec not in ALLOWED_CODECS:
        raise UnsupportedMedia(
            f"The video codec {codec!r} is not accepted; re-encode it as "
            "H.264, HEVC, VP8, VP9 or AV1.",
            code="unsupported_codec",
        )
    _check_area(int(ctx.width), int(ctx.height), limits)
    rate = stream.average_rate or stream.base_rate
    fps = float(rate) if rate else None
    duration: float | None = None
    if stream.duration and stream.time_base:
        duration = float(stream.duration * stream.time_base)
    elif container.duration:
        duration = container.duration / av.time_base
    if duration is not None and duration > limits.max_duration_s:
        raise _too_long(duration, limits)
    frames = int(stream.frames) or (round(duration * fps) if duration and fps else None)
    return VideoInfo(duration, int(ctx.width), int(ctx.height), frames, fps, codec, info.format)


def _open(data: bytes, info: MediaInfo) -> Any:
    return av.open(
        io.BytesIO(data), mode="r", format=_DEMUXER[info.format], metadata_errors="replace"
    )


def probe_video(data: bytes, limits: MediaLimits, *, info: MediaInfo | None = None) -> VideoInfo:
    """Read a video's headers (no decoding) and refuse what breaks the limits or allow-lists."""
    info = _info(data, limits, info)
    try:
        with _open(data, info) as container:
            return _probe(container, info, limits)
    except MediaError:
        raise
    except Exception as exc:
        raise CorruptMedia(
            f"The {info.format.upper()} video is truncated or corrupt; "
            "export it again and re-upload."
        ) from exc


def _to_rgb(frame: Any, max_side: int | None) -> Frame:
    width, height = int(frame.width), int(frame.height)
    if max_side and max(width, height) > max_side:
        scale = max_side / max(width, height)
        width, height = max(1, round(width * scale)), max(1, round(height * scale))
    array = frame.to_ndarray(format="rgb24", width=width, height=height, interpolation="LANCZOS")
    return np.ascontiguousarray(array, dtype=np.uint8)


def _decode(
    container: Any, video: VideoInfo, limits: MediaLimits, every_s: float, max_side: int | None
) -> Iterator[tuple[int, float, Frame]]:
    stream = container.streams.video[0]
    stream.thread_type = "AUTO"
    mod = max(1, int(every_s * video.fps)) if video.fps else 0
    next_t = 0.0
    for index, frame in enumerate(container.decode(stream)):
        if index >= limits.max_frames:
            return
        _check_area(int(frame.width), int(frame.height), limits)
        if video.fps:
            if index % mod:
                continue
            stamp = index / video.fps
        else:  # no frame rate: sample by presentation time instead
            stamp = float(frame.time or 0.0)
            if stamp < next_t:
                continue
            next_t = stamp + every_s
        if stamp > limits.max_duration_s:
            raise _too_long(stamp, limits)
        yield index, stamp, _to_rgb(frame, max_side)


def iter_indexed_frames(
    data: bytes,
    limits: MediaLimits,
    *,
    every_s: float = 1.0,
    max_side: int | None = 512,
    info: MediaInfo | None = None,
) -> Iterator[tuple[int, float, Frame]]:
    """Yield (frame number, timestamp s, RGB uint8 HxWx3) about once per ``every_s`` seconds."""
    info = _info(data, limits, info)
    if every_s <= 0:
        raise ValueError("every_s must be positive")
    count = 0
    try:
        with _open(data, info) as container:
            video = _probe(container, info, limits)
            for item in _decode(container, video, limits, every_s, max_side):
                count += 1
                yield item
    except MediaError:
        raise
    except Exception as exc:
        raise CorruptMedia(
            f"The {info.format.upper()} video is truncated or corrupt; "
            "export it again and re-upload."
        ) from exc
    if count == 0:
        raise CorruptMedia("No frame of the video could be decoded; export it again.")


def iter_frames(
    data: bytes, limits: MediaLimits, *, every_s: float = 1.0, max_side: int | None = 512
) -> Iterator[tuple[float, Frame]]:
    """Yield (timestamp s, RGB uint8 HxWx3 frame) about once per ``every_s`` seconds."""
    for _, stamp, frame in iter_indexed_frames(data, limits, every_s=every_s, max_side=max_side):
        yield stamp, frame
