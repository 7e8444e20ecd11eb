"""Sniff what untrusted bytes are from their magic bytes; never trust a name or declared type.

Polyglot rule (a file that is valid media *and* another format is refused, 415 ``polyglot``):

1. markup anywhere: an HTML/script/PHP/SVG opening tag (``<script``, ``<html``, ``<!doctype
   html``, ``<?php``, ``<iframe``, ``<svg``), which a browser would run if the file were ever
   served as HTML;
2. a ZIP archive: a consistent end-of-central-directory record at the end of the file, which is
   what ZIP/JAR/Office readers look for (GIFAR, JPEG+ZIP);
3. a PDF: ``%PDF-`` in the first 1024 bytes, where PDF readers look for it;
4. something foreign appended after the format's logical end (JPEG EOI, PNG IEND, GIF trailer,
   RIFF size, BMP size, ISO-BMFF and EBML top-level boxes), after any zero/blank padding:
   an executable (MZ, ELF, Mach-O, Java class, ``#!``), an archive (ZIP, RAR, 7z), a PDF, or
   markup (``<``). Other trailing bytes, such as the MP4 of a motion photo, are accepted.
   TIFF has no single logical end, so only rules 1-3 apply to it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from rempart.config import MediaLimits
from rempart.media.errors import CorruptMedia, Polyglot, TooLarge, UnsupportedMedia
from rempart.media.structure import jpeg_walk, logical_end

Kind = Literal["photo", "video"]
MAX_JPEG_SCANS = 150  # progressive JPEGs have ~10; thousands make decoding crawl (scan bomb)

MIME = {
    "jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif", "webp": "image/webp",
    "bmp": "image/bmp", "tiff": "image/tiff", "heic": "image/heic", "heif": "image/heif",
    "avif": "image/avif", "mp4": "video/mp4", "mov": "video/quicktime", "webm": "video/webm",
    "mkv": "video/x-matroska",
}  # fmt: skip
PHOTO_FORMATS = frozenset({"jpeg", "png", "gif", "webp", "bmp", "tiff", "heic", "heif", "avif"})
VIDEO_FORMATS = frozenset({"mp4", "mov", "webm", "mkv"})

_AVIF = {b"avif", b"avis"}
_HEIC = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"}
_HEIF = {b"mif1", b"msf1", b"mif2"}
_MP4 = {
    b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"iso7", b"iso8", b"iso9", b"mp41",
    b"mp42", b"mp71", b"avc1", b"hvc1", b"av01", b"M4V ", b"M4VH", b"M4VP", b"f4v ", b"dash",
    b"mmp4", b"3gp4", b"3gp5", b"3gp6", b"3gp7", b"3g2a", b"3g2b", b"3g2c", b"MSNV", b"NDAS",
    b"NDSC", b"NDSH", b"NDSM", b"NDSP", b"NDSS", b"NDXC", b"NDXH", b"NDXM", b"NDXP", b"NDXS",
    b"XAVC", b"CAEP", b"kddi",
}  # fmt: skip
_QT_ATOMS = {b"moov", b"mdat", b"wide", b"pnot", b"free", b"skip"}
_BMP_DIB_SIZES = {12, 16, 40, 52, 56, 64, 108, 124}
_NO_CLAIM = {"", "application/octet-stream", "binary/octet-stream", "auto"}

_MARKUP = re.compile(rb"<(?:script|html|!doctype\s+html|\?php|iframe|svg)[\s/>]", re.IGNORECASE)
_PADDING = re.compile(rb"[\x00\s]*")
_FOREIGN = (
    (b"MZ", "a Windows executable"), (b"\x7fELF", "an ELF executable"),
    (b"\xca\xfe\xba\xbe", "a Java class or Mach-O binary"),
    (b"\xcf\xfa\xed\xfe", "a Mach-O binary"), (b"\xfe\xed\xfa\xcf", "a Mach-O binary"),
    (b"#!", "a script"), (b"PK\x03\x04", "a ZIP archive"),
    (b"PK\x05\x06", "a ZIP archive"), (b"Rar!\x1a\x07", "a RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"), (b"%PDF-", "a PDF document"), (b"<", "markup"),
)  # fmt: skip


@dataclass(frozen=True)
class MediaInfo:
    """What the bytes are: ``kind`` (photo/video), our ``format`` name and its MIME type."""

    kind: Kind
    format: str
    mime: str


def _bmff(data: bytes) -> str | None:
    size = int.from_bytes(data[0:4], "big")
    brands = [data[8:12]] + [data[i : i + 4] for i in range(16, min(size, 256, len(data)) - 3, 4)]
    for brand in brands:
        if brand in _AVIF:
            return "avif"
        if brand in _HEIC:
            return "heic"
        if brand in _HEIF:
            return "avif" if _AVIF & set(brands) else "heif"
        if brand == b"qt  ":
            return "mov"
        if brand in _MP4:
            return "mp4"
    return None


def _ebml(data: bytes) -> str | None:
    at = data.find(b"\x42\x82", 4, 64)  # DocType element
    if at < 0 or at + 3 > len(data):
        return None
    length = data[at + 2] & 0x7F if data[at + 2] & 0x80 else 0
    doctype = data[at + 3 : at + 3 + length]
    return {b"webm": "webm", b"matroska": "mkv"}.get(doctype.rstrip(b"\x00"))


def sniff(data: bytes) -> str | None:
    """Our format name for ``data`` from its magic bytes, or None if not an accepted format."""
    head = data[:16]
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:2] == b"BM" and int.from_bytes(data[14:18], "little") in _BMP_DIB_SIZES:
        return "bmp"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "tiff"
    if head[4:8] == b"ftyp":
        return _bmff(data)
    if head[4:8] in _QT_ATOMS and int.from_bytes(head[:4], "big") >= 8:
        return "mov"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return _ebml(data)
    return None


def declared_kind(declared: str | None) -> Kind | None:
    """The kind a declared MIME type or "photo"/"video" claims; None if it claims nothing."""
    value = (declared or "").split(";")[0].strip().lower()
    if value in _NO_CLAIM:
        return None
    if value in ("photo", "image") or value.startswith("image/"):
        return "photo"
    if value == "video" or value.startswith("video/"):
        return "video"
    raise UnsupportedMedia(
        f"The declared type {declared!r} is not a photo or video; send an image or video, "
        "declared as image/*, video/*, 'photo' or 'video'."
    )


def _foreign(data: bytes, end: int | None) -> str | None:
    """What other format ``data`` (logical end ``end``) also is, by this module's polyglot rule."""
    if _MARKUP.search(data):
        return "HTML or script markup"
    tail_at = max(0, len(data) - 65_557)
    at = data.rfind(b"PK\x05\x06", tail_at)
    while at >= 0:
        if at + 22 <= len(data) and int.from_bytes(data[at + 20 : at + 22], "little") == len(
            data
        ) - (at + 22):
            return "a ZIP archive"
        at = data.rfind(b"PK\x05\x06", tail_at, at)
    if data.find(b"%PDF-", 0, 1024) >= 0:
        return "a PDF document"
    if end is None or end >= len(data):
        return None
    padding = _PADDING.match(data, end)
    start = padding.end() if padding else end
    for magic, what in _FOREIGN:
        if data.startswith(magic, start):
            return what
    return None


def detect(
    data: bytes, declared: str | None = None, limits: MediaLimits | None = None
) -> MediaInfo:
    """Identify untrusted bytes by magic; refuse empty, too big, unknown, mislabelled, polyglot."""
    limits = limits or MediaLimits()
    if not data:
        raise UnsupportedMedia(
            "The upload is empty; send the photo or video file itself.", code="empty"
        )
    if len(data) > limits.max_bytes:
        raise TooLarge(
            f"The file is {len(data):,} bytes; the limit is {limits.max_bytes:,}. "
            "Send a smaller or compressed version."
        )
    fmt = sniff(data)
    if fmt is None:
        raise UnsupportedMedia(
            "The file is not an accepted format. Photos: JPEG, PNG, WebP, GIF, BMP, TIFF, "
            "HEIC/HEIF, AVIF; videos: MP4, MOV, WebM, MKV."
        )
    kind: Kind = "photo" if fmt in PHOTO_FORMATS else "video"
    claimed = declared_kind(declared)
    if claimed is not None and claimed != kind:
        raise UnsupportedMedia(
            f"The file was declared as a {claimed} ({declared}) but its bytes are a {kind} "
            f"({fmt.upper()}); send it with the right type.",
            code="mislabelled",
        )
    if fmt == "jpeg":
        end, scans = jpeg_walk(data)
    else:
        end, scans = logical_end(data, fmt), 0
    if scans > MAX_JPEG_SCANS:
        raise CorruptMedia(
            f"The JPEG has more than {MAX_JPEG_SCANS} progressive scans, which "
            "makes decoding unbounded; re-save it as a baseline JPEG.",
            code="too_many_scans",
        )
    other = _foreign(data, end)
    if other is not None:
        raise Polyglot(
            f"The file is a {fmt.upper()} {kind} that also contains {other}; such "
            "polyglot files are refused. Export the media again without extra data."
        )
    return MediaInfo(kind=kind, format=fmt, mime=MIME[fmt])
