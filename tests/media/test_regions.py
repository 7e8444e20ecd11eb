"""Region proposals find the photo inside borders, bars and collages; derived hashes are PDQ's."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageOps

from rempart.media.regions import find_regions
from rempart.scan.variants import Luma
from rempart.signals.pdq import pdq_dihedral, pdq_distance, pdq_from_image
from tests.photos import real_photos

PHOTOS = real_photos()[:6]


def close(box: tuple[int, int, int, int], want: tuple[int, int, int, int], size: int) -> bool:
    return all(abs(a - b) <= 0.02 * size for a, b in zip(box, want, strict=True))


@pytest.mark.parametrize(("name", "img"), PHOTOS, ids=[n for n, _ in PHOTOS])
def test_a_uniform_border_is_trimmed_back_to_the_photo(name: str, img: Image.Image) -> None:
    b = 60
    framed = ImageOps.expand(img, border=b, fill=(30, 30, 30))
    want = (b, b, b + img.width, b + img.height)
    boxes = [r.box for r in find_regions(framed)]
    assert any(close(box, want, max(framed.size)) for box in boxes), (name, boxes)


def test_each_half_of_a_collage_is_proposed() -> None:
    (_, a), (_, b) = PHOTOS[0], PHOTOS[4]
    b = b.resize((round(b.width * a.height / b.height), a.height))
    canvas = Image.new("RGB", (a.width + b.width, a.height))
    canvas.paste(a, (0, 0))
    canvas.paste(b, (a.width, 0))
    boxes = [r.box for r in find_regions(canvas)]
    for want in [(0, 0, a.width, a.height), (a.width, 0, canvas.width, a.height)]:
        assert any(close(box, want, canvas.width) for box in boxes), boxes


def test_a_plain_photo_gets_no_proposal_that_is_the_whole_image() -> None:
    for _, img in PHOTOS:
        for r in find_regions(img):
            assert not close(r.box, (0, 0, img.width, img.height), max(img.size))


@pytest.mark.parametrize(("name", "img"), PHOTOS, ids=[n for n, _ in PHOTOS])
def test_derived_hashes_equal_pdqhash_of_the_same_pixels(name: str, img: Image.Image) -> None:
    luma = Luma(img)
    small = (
        img
        if (luma.width, luma.height) == img.size
        else img.resize((luma.width, luma.height), Image.Resampling.BOX)
    )
    whole = luma.hashes(np.arange(luma.height), np.arange(luma.width), dihedral=True)
    assert [h.hex for h in whole] == [h.hex for h in pdq_dihedral(small)]
    arr = np.asarray(small)
    pad = round(0.1 * luma.width)
    extended = Image.fromarray(np.pad(arr, ((0, 0), (0, pad), (0, 0)), mode="edge"))
    assert pdq_distance(luma.padded(0, 0, 0, 0.1).hex, pdq_from_image(extended).hex) <= 2
    part = small.crop((10, 20, luma.width - 30, luma.height - 5))
    got = luma.hashes(np.arange(20, luma.height - 5), np.arange(10, luma.width - 30), False)
    assert pdq_distance(got[0].hex, pdq_from_image(part).hex) <= 2
