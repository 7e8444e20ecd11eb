"""Where a file's own structure ends, found by walking its top-level blocks (never decoding).

``detect`` uses the logical end to see what, if anything, was appended after it (polyglots), and
the JPEG walk to count progressive scans (a scan-bomb defence). Each walker returns ``None`` when
the end cannot be found (truncated, unknown, or too many blocks to walk cheaply).
"""

from __future__ import annotations

import re
from collections.abc import Callable

MAX_BLOCKS = 100_000  # top-level boxes/chunks walked before giving up (bounded time)
MAX_GIF_STEPS = 1_000_000  # GIF blocks and sub-blocks walked before giving up
_ENTROPY_END = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")  # a marker after JPEG entropy data


def _be(data: bytes, pos: int, size: int) -> int:
    return int.from_bytes(data[pos : pos + size], "big")


def _le(data: bytes, pos: int, size: int) -> int:
    return int.from_bytes(data[pos : pos + size], "little")


def jpeg_walk(data: bytes) -> tuple[int | None, int]:
    """(offset after the EOI marker or None, number of SOS scans seen) of a JPEG."""
    pos, scans, n = 2, 0, len(data)
    for _ in range(MAX_BLOCKS):
        if pos + 2 > n or data[pos] != 0xFF:
            return None, scans
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0xD9:
            return pos + 2, scans
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            pos += 2
            continue
        length = _be(data, pos + 2, 2)
        if pos + 4 > n or length < 2:
            return None, scans
        pos += 2 + length
        if marker == 0xDA:
            scans += 1
            found = _ENTROPY_END.search(data, pos)
            if found is None:
                return None, scans
            pos = found.start()
    return None, scans


def _png_end(data: bytes) -> int | None:
    pos, n = 8, len(data)
    for _ in range(MAX_BLOCKS):
        if pos + 12 > n:
            return None
        length, ctype = _be(data, pos, 4), data[pos + 4 : pos + 8]
        pos += 12 + length
        if ctype == b"IEND":
            return pos if pos <= n else None
    return None


def _gif_end(data: bytes) -> int | None:
    n = len(data)
    if n < 13:
        return None
    pos = 13 + (3 * (2 << (data[10] & 7)) if data[10] & 0x80 else 0)
    in_blocks = False  # inside a chain of data sub-blocks
    for _ in range(MAX_GIF_STEPS):
        if pos >= n:
            return None
        byte = data[pos]
        if in_blocks:
            pos += 1 + byte
            in_blocks = byte != 0
        elif byte == 0x3B:
            return pos + 1
        elif byte == 0x21:
            pos, in_blocks = pos + 2, True
        elif byte == 0x2C and pos + 11 <= n:
            flags = data[pos + 9]
            pos += 11 + (3 * (2 << (flags & 7)) if flags & 0x80 else 0)  # + LZW code size
            in_blocks = True
        else:
            return None
    return None


def _riff_end(data: bytes) -> int | None:
    size = _le(data, 4, 4)
    end = 8 + size + (size & 1)
    return end if end <= len(data) else None


def _bmp_end(data: bytes) -> int | None:
    size = _le(data, 2, 4)
    return size if 26 <= size <= len(data) else None


def _is_box_type(typ: bytes) -> bool:
    return len(typ) == 4 and all(0x20 <= b <= 0x7E or b == 0xA9 for b in typ)


def _bmff_end(data: bytes) -> int | None:
    pos, n = 0, len(data)
    for _ in range(MAX_BLOCKS):
        if pos + 8 > n:
            return pos if pos <= n else None
        size, typ = _be(data, pos, 4), data[pos + 4 : pos + 8]
        if not _is_box_type(typ):
            return pos
        if size == 0:
            return n
        if size == 1:
            size = _be(data, pos + 8, 8) if pos + 16 <= n else 0
        if size < 8:
            return pos
        pos += size
    return None


def _vint(data: bytes, pos: int, *, marker: bool) -> tuple[int, int] | None:
    """An EBML variable-length integer at ``pos``: (value, length); -1 means unknown size."""
    if pos >= len(data) or data[pos] == 0:
        return None
    length = 9 - data[pos].bit_length()
    if pos + length > len(data):
        return None
    value = _be(data, pos, length)
    if marker:
        return value, length
    value &= (1 << (7 * length)) - 1
    return (-1 if value == (1 << (7 * length)) - 1 else value), length


_EBML_TOP = {0x1A45DFA3, 0x18538067, 0xEC, 0xBF}  # EBML header, Segment, Void, CRC-32


def _ebml_end(data: bytes) -> int | None:
    pos, n = 0, len(data)
    for _ in range(MAX_BLOCKS):
        if pos >= n:
            return n if pos == n else None
        ident = _vint(data, pos, marker=True)
        if ident is None or ident[0] not in _EBML_TOP:
            return pos
        size = _vint(data, pos + ident[1], marker=False)
        if size is None:
            return None
        if size[0] < 0:
            return n
        pos += ident[1] + size[1] + size[0]
    return None


_WALKERS: dict[str, Callable[[bytes], int | None]] = {
    "jpeg": lambda d: jpeg_walk(d)[0],
    "png": _png_end,
    "gif": _gif_end,
    "webp": _riff_end,
    "bmp": _bmp_end,
    "heic": _bmff_end,
    "heif": _bmff_end,
    "avif": _bmff_end,
    "mp4": _bmff_end,
    "mov": _bmff_end,
    "webm": _ebml_end,
    "mkv": _ebml_end,
}


def logical_end(data: bytes, fmt: str) -> int | None:
    """Offset where ``fmt``'s own structure ends in ``data``; None if unknown (e.g. TIFF)."""
    walker = _WALKERS.get(fmt)
    return walker(data) if walker is not None else None
