"""Photo decoding: every format, orientation, reduction, and refusal of bad or huge images."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from rempart.config import MediaLimits
from rempart.media import CorruptMedia, UnsupportedMedia, load_image, open_image
from tests.media.media_factory import PHOTO_FORMATS, encode, photo


def _png_header_only(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width x height pixels (a decompression bomb)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body).to_bytes(4, "big")
        return len(body).to_bytes(4, "big") + kind + body + crc

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.mark.parametrize("fmt", sorted(PHOTO_FORMATS))
def test_every_photo_format_decodes_to_rgb(
    photos: dict[str, bytes], fmt: str, limits: MediaLimits
) -> None:
    img = open_image(photos[fmt], limits)
    assert img.mode == "RGB"
    assert img.size == (96, 64)
    original = np.asarray(photo(96, 64, seed=1), dtype=np.int16)
    error = np.abs(np.asarray(img, dtype=np.int16) - original).mean()
    assert error < (40 if fmt == "gif" else 12)  # lossy codecs stay close; GIF has 256 colours


@pytest.mark.parametrize("mode", ["L", "LA", "RGBA", "P", "I;16", "CMYK", "1"])
def test_other_pixel_modes_become_rgb(mode: str, limits: MediaLimits) -> None:
    img = (
        photo(40, 30).convert(mode)
        if mode != "I;16"
        else photo(40, 30).convert("L").convert("I;16")
    )
    fmt = "JPEG" if mode == "CMYK" else "TIFF" if mode == "I;16" else "PNG"
    out = open_image(encode(img, fmt), limits)
    assert (out.mode, out.size) == ("RGB", (40, 30))


def test_animated_images_give_their_first_frame(limits: MediaLimits) -> None:
    red, blue = Image.new("RGB", (32, 32), (255, 0, 0)), Image.new("RGB", (32, 32), (0, 0, 255))
    for fmt in ("GIF", "WEBP"):
        data = encode(
            red,
            fmt,
            save_all=True,
            append_images=[blue],
            duration=100,
            loop=0,
            **({"lossless": True} if fmt == "WEBP" else {}),
        )
        first = open_image(data, limits).getpixel((16, 16))
        assert isinstance(first, tuple)
        assert first[0] > 200 and first[2] < 50, fmt


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_exif_orientation_is_applied(fmt: str, limits: MediaLimits) -> None:
    raw = photo(60, 40, seed=3)
    exif = Image.Exif()
    exif[0x0112] = 6  # stored pixels must be rotated 90 degrees clockwise for display
    loaded = load_image(encode(raw, fmt, exif=exif.tobytes()), limits)
    assert (loaded.width, loaded.height) == (40, 60)
    stored = Image.open(io.BytesIO(encode(raw, fmt))).convert("RGB")  # same pixels, no EXIF
    upright = stored.transpose(Image.Transpose.ROTATE_270)
    assert np.array_equal(np.asarray(loaded.image), np.asarray(upright))


def test_jpeg_reduce_to_uses_dct_scaling(limits: MediaLimits) -> None:
    data = encode(photo(2048, 1536), "JPEG")
    loaded = load_image(data, limits, reduce_to=512)
    assert loaded.image.size == (1024, 768)  # 1/2: both sides stay >= 512
    assert (loaded.width, loaded.height, loaded.scale) == (2048, 1536, 2)
    assert load_image(data, limits, reduce_to=256).image.size == (512, 384)
    png = encode(photo(600, 600), "PNG")
    assert open_image(png, limits, reduce_to=128).size == (600, 600)  # only JPEG reduces


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "GIF", "HEIF"])
def test_truncated_images_are_422(fmt: str, limits: MediaLimits) -> None:
    data = encode(photo(200, 150), fmt)
    with pytest.raises(CorruptMedia) as exc:
        open_image(data[: len(data) // 2], limits)
    assert (exc.value.status, exc.value.code) == (422, "corrupt")


def test_garbage_after_magic_is_422(limits: MediaLimits) -> None:
    with pytest.raises(CorruptMedia):
        open_image(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, limits)
    with pytest.raises(CorruptMedia):
        open_image(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4, limits)


@pytest.mark.parametrize("size", [(100_000, 100_000), (9_000, 9_000)])
def test_decompression_bomb_is_422_before_decoding(size: tuple[int, int]) -> None:
    bomb = _png_header_only(*size)
    assert len(bomb) < 200
    with pytest.raises(CorruptMedia) as exc:  # Pillow's own bomb error, or our header check
        open_image(bomb, MediaLimits())
    assert (exc.value.status, exc.value.code) == (422, "too_many_pixels")
    with pytest.raises(CorruptMedia) as exc:  # Pillow's DecompressionBombError never escapes
        open_image(bomb, MediaLimits(max_pixels=10**12))
    assert exc.value.status == 422


def test_pixel_limit_is_configurable(photos: dict[str, bytes]) -> None:
    with pytest.raises(CorruptMedia, match="limit is 1,000"):
        open_image(photos["png"], MediaLimits(max_pixels=1000))


def test_video_bytes_are_not_a_photo(videos: dict[str, bytes], limits: MediaLimits) -> None:
    with pytest.raises(UnsupportedMedia) as exc:
        open_image(videos["mp4"], limits)
    assert exc.value.code == "mislabelled"


@pytest.mark.filterwarnings("ignore:Corrupt EXIF")
def test_corrupt_exif_does_not_sink_the_photo(limits: MediaLimits) -> None:
    data = encode(photo(50, 40), "JPEG")
    app1 = b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\xff\xff" + b"\x01" * 30
    data = data[:2] + b"\xff\xe1" + (len(app1) + 2).to_bytes(2, "big") + app1 + data[2:]
    assert open_image(data, limits).size == (50, 40)


def test_decoded_image_is_independent_of_input(limits: MediaLimits) -> None:
    data = bytearray(encode(photo(30, 20), "PNG"))
    img = open_image(bytes(data), limits)
    data[:] = b"\x00" * len(data)
    assert np.asarray(img).std() > 0
    assert io.BytesIO(bytes(data)).read(1) == b"\x00"
