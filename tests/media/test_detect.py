"""Sniffing by magic bytes: formats, limits, mislabels and polyglots."""

from __future__ import annotations

import io
import zipfile

import pytest

from rempart.config import MediaLimits
from rempart.media import CorruptMedia, MediaError, Polyglot, TooLarge, UnsupportedMedia, detect
from tests.media.media_factory import PHOTO_FORMATS, encode, photo


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("Evil.class", b"\xca\xfe\xba\xbe payload")
    return buf.getvalue()


@pytest.mark.parametrize("fmt", sorted(PHOTO_FORMATS))
def test_photo_formats_are_sniffed(photos: dict[str, bytes], fmt: str) -> None:
    info = detect(photos[fmt], "photo")
    assert (info.kind, info.format) == ("photo", fmt)
    assert info.mime.startswith("image/")


@pytest.mark.parametrize("fmt", ["mp4", "mov", "webm", "mkv"])
def test_video_formats_are_sniffed(videos: dict[str, bytes], fmt: str) -> None:
    info = detect(videos[fmt], "video/mp4")
    assert (info.kind, info.format) == ("video", fmt)


def test_declared_type_is_ignored_within_a_kind(photos: dict[str, bytes]) -> None:
    assert detect(photos["jpeg"], "image/png; charset=binary").format == "jpeg"
    assert detect(photos["png"], "application/octet-stream").format == "png"
    assert detect(photos["png"], None).format == "png"


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x00" * 64,
        b"hello world, not media",
        b"GIF88a" + b"\0" * 20,
        b"%PDF-1.7\n" + b"x" * 50,
        b"RIFF\0\0\0\0AVI LIST",
    ],
)
def test_empty_and_unknown_bytes_are_415(data: bytes) -> None:
    with pytest.raises(UnsupportedMedia) as exc:
        detect(data)
    assert exc.value.status == 415
    assert exc.value.code in {"empty", "unsupported_type"}
    assert exc.value.detail


def test_over_max_bytes_is_413(photos: dict[str, bytes]) -> None:
    with pytest.raises(TooLarge) as exc:
        detect(photos["png"], limits=MediaLimits(max_bytes=100))
    assert (exc.value.status, exc.value.code) == (413, "too_large")


@pytest.mark.parametrize("declared", ["video", "video/mp4"])
def test_png_declared_as_video_is_mislabelled(photos: dict[str, bytes], declared: str) -> None:
    with pytest.raises(UnsupportedMedia) as exc:
        detect(photos["png"], declared)
    assert (exc.value.status, exc.value.code) == (415, "mislabelled")
    assert "declared as a video" in exc.value.detail


def test_video_declared_as_photo_and_non_media_declarations(videos: dict[str, bytes]) -> None:
    with pytest.raises(UnsupportedMedia, match="declared as a photo"):
        detect(videos["mp4"], "image/jpeg")
    with pytest.raises(UnsupportedMedia, match="not a photo or video"):
        detect(videos["mp4"], "text/html")


def _jpeg_with_comment(comment: bytes) -> bytes:
    data = encode(photo(64, 48), "JPEG")
    segment = b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment
    return data[:2] + segment + data[2:]


@pytest.mark.parametrize(
    ("make", "what"),
    [
        (lambda: encode(photo(64, 48), "JPEG") + _zip(), "ZIP"),
        (lambda: encode(photo(64, 48), "GIF") + _zip(), "ZIP"),  # GIFAR
        (
            lambda: encode(photo(64, 48), "PNG") + b"MZ\x90\x00" + b"\x00" * 60 + b"PE\0\0",
            "Windows",
        ),
        (lambda: encode(photo(64, 48), "JPEG") + b"\n\n<html><body>hi</body></html>", "markup"),
        (lambda: encode(photo(64, 48), "WEBP") + b"\x00\x00\x7fELF\x02\x01\x01", "ELF"),
        (lambda: encode(photo(64, 48), "BMP") + b"#!/bin/sh\necho hi\n", "script"),
        (lambda: _jpeg_with_comment(b"<script>alert(1)</script>"), "markup"),
        (lambda: _jpeg_with_comment(b"%PDF-1.4 obj"), "PDF"),
        (lambda: encode(photo(64, 48), "TIFF") + _zip(), "ZIP"),
    ],
)
def test_polyglots_are_refused(make: object, what: str) -> None:
    data = make()  # type: ignore[operator]
    with pytest.raises(Polyglot) as exc:
        detect(data)
    assert (exc.value.status, exc.value.code) == (415, "polyglot")
    assert what.lower() in exc.value.detail.lower()


@pytest.mark.parametrize("fmt", ["mp4", "webm", "mkv", "mov"])
def test_video_polyglots_are_refused(videos: dict[str, bytes], fmt: str) -> None:
    with pytest.raises(Polyglot):
        detect(videos[fmt] + b"PK\x03\x04" + b"\x00" * 40)
    with pytest.raises(Polyglot):
        detect(videos[fmt] + _zip())


def test_benign_trailers_are_accepted(videos: dict[str, bytes]) -> None:
    jpeg = encode(photo(64, 48), "JPEG")
    assert detect(jpeg + b"\x00" * 100).format == "jpeg"
    assert detect(jpeg + videos["mp4"]).format == "jpeg"  # motion photo: JPEG + MP4
    assert detect(encode(photo(64, 48), "PNG") + b"\x00\x01\x02junk").format == "png"


def test_jpeg_scan_bomb_is_422() -> None:
    scan = b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00" + b"\x12\x34"
    data = b"\xff\xd8\xff\xdb\x00\x43\x00" + b"\x01" * 64 + scan * 500 + b"\xff\xd9"
    with pytest.raises(CorruptMedia) as exc:
        detect(data)
    assert (exc.value.status, exc.value.code) == (422, "too_many_scans")


def test_errors_share_a_base() -> None:
    assert issubclass(Polyglot, UnsupportedMedia)
    for cls in (TooLarge, UnsupportedMedia, CorruptMedia):
        assert issubclass(cls, MediaError)
