"""Pull metadata blocks out of image files by walking their structure, never decoding pixels.

What comes out: EXIF (TIFF-structured bytes), XMP packets, PNG text chunks, IPTC IIM records and,
for JPEG, whether the chroma is subsampled (which tells whether the SD watermark could survive).
Every walk is bounded: a fixed number of blocks, and a fixed size per block and in total, so a
hostile file costs at most linear time in its size. Compressed PNG text is inflated with a
ceiling, so a zlib bomb yields a truncated text, not a memory blow-up.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field

MAX_BLOCKS = 100_000  # chunks/segments walked per file
MAX_TEXT = 1 << 20  # bytes kept per PNG text chunk (after inflating)
MAX_TEXTS = 256  # PNG text chunks kept per file
MAX_XMP = 4 << 20  # bytes of XMP kept per file, all packets together
MAX_IFD_ENTRIES = 1_000

_XMP_JPEG = b"http://ns.adobe.com/xap/1.0/\x00"
_XMP_START = re.compile(rb"<x:xmpmeta[\s>]|<rdf:RDF[\s>]")
_XMP_END = (b"</x:xmpmeta>", b"</rdf:RDF>")
_SOF = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})

# EXIF/TIFF tags read (IFD0 and the Exif sub-IFD).
TAG_IMAGE_DESCRIPTION = 0x010E
TAG_MAKE = 0x010F
TAG_MODEL = 0x0110
TAG_SOFTWARE = 0x0131
TAG_ARTIST = 0x013B
TAG_PROCESSING_SOFTWARE = 0x000B
TAG_ORIENTATION = 0x0112
TAG_XMP = 0x02BC
TAG_IPTC = 0x83BB
TAG_EXIF_IFD = 0x8769
TAG_USER_COMMENT = 0x9286
_WANTED = frozenset(
    {
        TAG_IMAGE_DESCRIPTION, TAG_MAKE, TAG_MODEL, TAG_SOFTWARE, TAG_ARTIST,
        TAG_PROCESSING_SOFTWARE, TAG_XMP, TAG_IPTC, TAG_USER_COMMENT, TAG_ORIENTATION,
    }
)  # fmt: skip
_TEXT_TAGS = frozenset(
    {TAG_IMAGE_DESCRIPTION, TAG_MAKE, TAG_MODEL, TAG_SOFTWARE, TAG_ARTIST, TAG_PROCESSING_SOFTWARE}
)
_TYPE_SIZE = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8}


@dataclass
class Metadata:
    """Raw metadata found in one file; empty lists when the format carries none."""

    exif: dict[int, str | bytes] = field(default_factory=dict)
    xmp: list[bytes] = field(default_factory=list)
    png_text: list[tuple[str, str]] = field(default_factory=list)
    iim: list[bytes] = field(default_factory=list)
    chroma_subsampled: bool | None = None  # JPEG only: 4:2:0/4:2:2 chroma
    size: tuple[int, int] | None = None  # (width, height) from the header: JPEG, PNG, WebP
    problems: list[str] = field(default_factory=list)

    def add_xmp(self, packet: bytes) -> None:
        """Keep an XMP packet while the per-file budget lasts."""
        if sum(len(p) for p in self.xmp) + len(packet) <= MAX_XMP:
            self.xmp.append(packet)
        else:
            self.problems.append("XMP larger than the reading limit was skipped")


def _be(data: bytes, pos: int, size: int) -> int:
    return int.from_bytes(data[pos : pos + size], "big")


def read_metadata(data: bytes, fmt: str) -> Metadata:
    """Metadata of ``data`` whose sniffed format is ``fmt`` (rempart.media names)."""
    meta = Metadata()
    walker = {"jpeg": _jpeg, "png": _png, "webp": _webp, "tiff": _tiff}.get(fmt)
    if walker is not None:
        walker(data, meta)
    if not meta.xmp:
        _scan_xmp(data, meta)  # GIF, HEIF/AVIF, video: XMP sits in the file as plain text
    return meta


def _jpeg(data: bytes, meta: Metadata) -> None:
    pos, n = 2, len(data)
    for _ in range(MAX_BLOCKS):
        if pos + 4 > n or data[pos] != 0xFF:
            return
        marker = data[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            pos += 2
            continue
        if marker in (0xD9, 0xDA):  # end of image, start of scan: no more metadata
            return
        length = _be(data, pos + 2, 2)
        if length < 2:
            return
        body = data[pos + 4 : pos + 2 + length]
        if marker == 0xE1 and body.startswith(b"Exif\x00"):
            meta.exif.update(parse_tiff(body[6:]))
        elif marker == 0xE1 and body.startswith(_XMP_JPEG):
            meta.add_xmp(body[len(_XMP_JPEG) :])
        elif marker == 0xED and body.startswith(b"Photoshop 3.0\x00"):
            meta.iim.extend(_photoshop_iim(body[14:]))
        elif marker in _SOF and len(body) >= 6:
            meta.size = (_be(body, 3, 2), _be(body, 1, 2))
            comps = body[5]
            sampling = [body[6 + 3 * i + 1] for i in range(comps) if 6 + 3 * i + 1 < len(body)]
            if comps == 3 and len(sampling) == 3:
                meta.chroma_subsampled = len(set(sampling)) > 1
        pos += 2 + length


def _photoshop_iim(data: bytes) -> list[bytes]:
    """IPTC IIM blocks (resource 0x0404) of a Photoshop image resource block list."""
    out, pos, n = [], 0, len(data)
    for _ in range(MAX_BLOCKS):
        if pos + 12 > n or data[pos : pos + 4] != b"8BIM":
            break
        rid = _be(data, pos + 4, 2)
        name_len = data[pos + 6]
        pos += 7 + name_len + ((name_len + 1) % 2)  # Pascal name padded to even
        size = _be(data, pos, 4)
        pos += 4
        if rid == 0x0404:
            out.append(data[pos : pos + size])
        pos += size + (size % 2)
    return out


def _inflate(payload: bytes) -> bytes | None:
    """Inflate at most MAX_TEXT bytes; None if the stream is corrupt."""
    try:
        return zlib.decompressobj().decompress(payload, MAX_TEXT)
    except zlib.error:
        return None


def _png(data: bytes, meta: Metadata) -> None:
    pos, n = 8, len(data)
    for _ in range(MAX_BLOCKS):
        if pos + 8 > n:
            return
        length, ctype = _be(data, pos, 4), data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length] if ctype != b"IDAT" else b""
        pos += 12 + length
        if ctype == b"IEND":
            return
        if ctype == b"IHDR" and len(body) >= 8:
            meta.size = (_be(body, 0, 4), _be(body, 4, 4))
        elif ctype == b"eXIf":
            meta.exif.update(parse_tiff(body))
        elif ctype in (b"tEXt", b"zTXt", b"iTXt"):
            if len(meta.png_text) >= MAX_TEXTS:
                continue
            entry = _png_text(ctype, body)
            if length > MAX_TEXT:
                meta.problems.append("a PNG text chunk over 1 MiB was read only in part")
            if entry is None:
                meta.problems.append(f"an unreadable PNG {ctype.decode()} chunk was skipped")
            elif ctype == b"iTXt" and entry[0] == "XML:com.adobe.xmp":
                meta.add_xmp(entry[1].encode("utf-8"))
            else:
                meta.png_text.append(entry)


def _png_text(ctype: bytes, body: bytes) -> tuple[str, str] | None:
    """(keyword, text) of a tEXt/zTXt/iTXt chunk, or None if malformed."""
    key, sep, rest = body.partition(b"\x00")
    if not sep or not 1 <= len(key) <= 79:
        return None
    keyword = key.decode("latin-1")
    if ctype == b"tEXt":
        return keyword, rest[:MAX_TEXT].decode("latin-1")
    if ctype == b"zTXt":
        raw = _inflate(rest[1:]) if rest[:1] == b"\x00" else None
        return None if raw is None else (keyword, raw.decode("latin-1"))
    if len(rest) < 2:
        return None
    compressed, method = rest[0], rest[1]
    parts = rest[2:].split(b"\x00", 2)  # language tag, translated keyword, text
    if len(parts) != 3:
        return None
    text: bytes | None = parts[2]
    if compressed:
        text = _inflate(parts[2]) if method == 0 else None
    if text is None:
        return None
    return keyword, text[:MAX_TEXT].decode("utf-8", "replace")


def _webp(data: bytes, meta: Metadata) -> None:
    pos, n = 12, len(data)
    for _ in range(MAX_BLOCKS):
        if pos + 8 > n:
            return
        fourcc, size = data[pos : pos + 4], int.from_bytes(data[pos + 4 : pos + 8], "little")
        body = data[pos + 8 : pos + 8 + size]
        pos += 8 + size + (size % 2)
        if meta.size is None and fourcc in (b"VP8X", b"VP8L", b"VP8 "):
            meta.size = _webp_size(fourcc, body)
        if fourcc == b"EXIF":
            meta.exif.update(parse_tiff(body[6:] if body.startswith(b"Exif\x00") else body))
        elif fourcc == b"XMP ":
            meta.add_xmp(body)


def _webp_size(fourcc: bytes, body: bytes) -> tuple[int, int] | None:
    """Canvas size from a VP8X, VP8L or VP8 chunk header."""
    le = int.from_bytes
    if fourcc == b"VP8X" and len(body) >= 10:
        return le(body[4:7], "little") + 1, le(body[7:10], "little") + 1
    if fourcc == b"VP8L" and len(body) >= 5 and body[0] == 0x2F:
        bits = le(body[1:5], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if fourcc == b"VP8 " and len(body) >= 10 and body[3:6] == b"\x9d\x01\x2a":
        return le(body[6:8], "little") & 0x3FFF, le(body[8:10], "little") & 0x3FFF
    return None


def _tiff(data: bytes, meta: Metadata) -> None:
    tags = parse_tiff(data)
    xmp, iim = tags.pop(TAG_XMP, None), tags.pop(TAG_IPTC, None)
    meta.exif.update(tags)
    if isinstance(xmp, bytes):
        meta.add_xmp(xmp)
    if isinstance(iim, bytes):
        meta.iim.append(iim)


def _scan_xmp(data: bytes, meta: Metadata) -> None:
    """Find plain-text XMP packets anywhere in the bytes (bounded by the XMP budget)."""
    pos = 0
    for _ in range(16):
        found = _XMP_START.search(data, pos)
        if found is None:
            return
        tag = _XMP_END[0] if found.group().startswith(b"<x:") else _XMP_END[1]
        at = data.find(tag, found.start())
        if at < 0:
            return
        end = at + len(tag)
        meta.add_xmp(data[found.start() : end])
        pos = end


def parse_tiff(data: bytes) -> dict[int, str | bytes]:
    """Wanted tags of IFD0 and the Exif sub-IFD of TIFF-structured bytes (EXIF or a TIFF file).

    ASCII values come back as text, UNDEFINED/BYTE values as bytes; anything malformed is
    skipped silently (EXIF written by phones is often slightly broken).
    """
    if len(data) < 8 or data[:2] not in (b"II", b"MM"):
        return {}
    order = "little" if data[:2] == b"II" else "big"

    def num(pos: int, size: int) -> int:
        return int.from_bytes(data[pos : pos + size], order)  # type: ignore[arg-type]

    if num(2, 2) != 42:
        return {}
    out: dict[int, str | bytes] = {}
    ifds, seen = [num(4, 4)], set[int]()
    while ifds and len(seen) < 2:
        offset = ifds.pop()
        if offset in seen or offset + 2 > len(data):
            continue
        seen.add(offset)
        count = min(num(offset, 2), MAX_IFD_ENTRIES)
        for i in range(count):
            entry = offset + 2 + 12 * i
            if entry + 12 > len(data):
                break
            tag, typ, cnt = num(entry, 2), num(entry + 2, 2), num(entry + 4, 4)
            if tag == TAG_EXIF_IFD and typ in (4, 13):
                ifds.append(num(entry + 8, 4))
                continue
            if tag not in _WANTED or typ not in _TYPE_SIZE:
                continue
            size = _TYPE_SIZE[typ] * cnt
            start = entry + 8 if size <= 4 else num(entry + 8, 4)
            if size > len(data) or start + size > len(data):
                continue
            raw = data[start : start + size]
            if tag == TAG_ORIENTATION and typ == 3:
                out[tag] = str(num(start, 2))
            elif typ == 2 or (tag in _TEXT_TAGS and typ in (1, 7)):
                out[tag] = raw.split(b"\x00", 1)[0].decode("utf-8", "replace").strip()
            elif typ in (1, 7) or tag in (TAG_XMP, TAG_IPTC):
                out[tag] = raw
    return out


def user_comment(raw: bytes) -> str:
    """Text of an EXIF UserComment (8-byte charset prefix, then ASCII/UTF-16/JIS text)."""
    prefix, body = raw[:8], raw[8:]
    if prefix.startswith(b"UNICODE"):
        if body[:2] in (b"\xff\xfe", b"\xfe\xff"):
            return body.decode("utf-16", "replace")
        be, le = body.decode("utf-16-be", "replace"), body.decode("utf-16-le", "replace")
        return be if _printable(be) >= _printable(le) else le
    if prefix.startswith(b"ASCII") or prefix == b"\x00" * 8:
        return body.decode("utf-8", "replace").strip("\x00 ")
    return raw.decode("utf-8", "replace").strip("\x00 ")


def _printable(text: str) -> int:
    return sum(1 for ch in text[:2000] if ch.isascii() and (ch.isprintable() or ch in "\n\t"))


def iim_records(block: bytes) -> list[tuple[int, int, bytes]]:
    """(record, dataset, value) of an IPTC IIM block; stops at the first malformed record."""
    out, pos, n = [], 0, len(block)
    for _ in range(MAX_BLOCKS):
        if pos + 5 > n or block[pos] != 0x1C:
            break
        rec, ds, size = block[pos + 1], block[pos + 2], _be(block, pos + 3, 2)
        pos += 5
        if size & 0x8000:  # extended length: not used by the fields we read
            break
        out.append((rec, ds, block[pos : pos + size]))
        pos += size
    return out
