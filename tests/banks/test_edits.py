"""Edited re-posts of banked photos match through the real scan path; unrelated photos do not.

Photos are scikit-image's real photographs, banked as HMA would (the exact PDQ of the file),
and every query goes through ``ScanService.scan`` -> ``LookupService`` -> the index at the
default threshold. The edits here use other sizes, colours and layouts than the benchmark's
(``bench/bench_edits.py``), so the query-side variants are not fitted to either.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PIL import Image

from rempart.banks.schemas import BankCreate, ContentIn
from rempart.banks.services import BankSettings
from rempart.context import Rempart
from rempart.demo import synthetic_photo
from rempart.scan.service import ScanResult
from rempart.signals.types import MD5, PDQ, SHA256
from tests.media import edits as E  # noqa: N812
from tests.photos import graphics, real_photos

BANK = "EDITED_REPOSTS"


@pytest.fixture
def banked(rempart: Rempart) -> Iterator[tuple[Rempart, list[tuple[int, Image.Image]]]]:
    """The real photos whose PDQ is usable (quality >= 50), banked: (content id, image)."""
    rempart.banks.create_bank(BankCreate(name=BANK))
    out = []
    for name, img in real_photos():
        sig = rempart.scanner.hash(E.encode(img, 95))
        if sig.pdq is None or sig.pdq.quality < 50:
            continue  # PDQ is not used for such photos at all, edited or not
        signals = rempart.scanner.describe(sig).signals
        item = rempart.banks.add_content(
            BANK, ContentIn(signals={k: signals[k] for k in (PDQ, MD5, SHA256)}, note=name)
        )
        out.append((item.id, img))
    rempart.matcher.sync()
    assert len(out) >= 10
    yield rempart, out


def scan(ctx: Rempart, img: Image.Image, quality: int = 88) -> ScanResult:
    return ctx.scanner.scan(E.encode(img, quality), analyse=False)


GREY = (128, 128, 128)
T = Image.Transpose
# (edit, the share of photos that must match): wrappers the photo survives untouched inside
# must match nearly always; crops lose content, so only most of them match
RELIED_ON = [
    ("jpeg_q30_and_60pct", E.chain(E.scale(0.6), E.jpeg(30)), 0.8),  # PDQ's own (pytx alike)
    ("grey_border_15pct", E.pad(0.15, GREY), 0.85),
    ("white_letterbox_1x1", E.letterbox(1.0, (255, 255, 255)), 0.85),
    ("black_letterbox_21x9", E.letterbox(21 / 9), 0.85),
    ("caption_on_top", E.caption_bar(0.12, "top", "this is fine"), 0.8),
    ("dark_screenshot_600px", E.screenshot(dark=True, width=600), 0.6),
    ("story_strong_blur", E.story(width=640, blur=0.05), 0.6),
    ("collage_left_gutter", E.collage("left", 0.02), 0.6),
    ("mirror_then_border", E.chain(E.transpose(T.FLIP_LEFT_RIGHT), E.pad(0.1, GREY)), 0.8),
    ("rotate_270", E.rotate(270), 0.85),
    ("inverted", E.invert, 0.85),
    ("crop_4pct_center", E.crop(0.04), 0.6),
    ("crop_6pct_bottom", E.crop(0.06, "bottom"), 0.5),
]


@pytest.mark.parametrize(("name", "edit", "share"), RELIED_ON, ids=[r[0] for r in RELIED_ON])
def test_edited_repost_matches_its_banked_photo(
    banked: tuple[Rempart, list[tuple[int, Image.Image]]], name: str, edit: E.Edit, share: float
) -> None:
    ctx, photos = banked
    hits, wrong = 0, []
    for i, (content_id, img) in enumerate(photos):
        other_id, other = photos[(i + 5) % len(photos)]
        res = scan(ctx, edit(img, other))
        found = {m.content_id for m in res.matches}
        hits += content_id in found
        allowed = {content_id, other_id} if name.startswith("collage") else {content_id}
        wrong += [m.note for m in res.matches if m.content_id not in allowed]
    assert not wrong, f"{name}: matched the wrong banked photos {wrong}"
    assert hits >= share * len(photos), f"{name}: {hits}/{len(photos)} matched"


def test_unrelated_photos_match_nothing(
    banked: tuple[Rempart, list[tuple[int, Image.Image]]],
) -> None:
    ctx, _ = banked
    others = [synthetic_photo(5000 + i, (700, 520)) for i in range(8)] + [g for _, g in graphics()]
    wrappers = [
        E.pad(0.15, GREY),
        E.screenshot(),
        E.story(),
        E.crop(0.05),
        E.caption_bar(),
        E.invert,
    ]
    for img in others:
        for pic in [img, *(w(img, img) for w in wrappers)]:
            res = scan(ctx, pic)
            assert not res.matches, [(m.note, m.distance, m.orientation) for m in res.matches]


def test_a_match_through_a_derived_query_says_which(
    banked: tuple[Rempart, list[tuple[int, Image.Image]]],
) -> None:
    ctx, photos = banked
    content_id, img = photos[0]
    framed = E.pad(0.2, (255, 255, 255))(img, img)
    res = scan(ctx, framed)
    [m] = [m for m in res.matches if m.content_id == content_id]
    assert m.orientation in ("trimmed", "content")
    assert m.query_signal != res.signals[PDQ]  # the derived hash, not the file's own
    assert any(m.orientation in n and "derived" in n for n in res.notes)
    ctx.scanner.query_variants = False  # the file's own hash alone does not match
    assert content_id not in {m.content_id for m in scan(ctx, framed).matches}


def test_banks_without_dihedral_take_derived_queries_but_not_mirrors(
    banked: tuple[Rempart, list[tuple[int, Image.Image]]],
) -> None:
    ctx, photos = banked
    border = E.pad(0.15, GREY)
    mirrored = E.chain(E.transpose(T.FLIP_LEFT_RIGHT), border)

    def hits(img: Image.Image) -> set[int]:
        return {m.content_id for m in scan(ctx, img).matches}

    # photos whose bordered and mirrored-bordered copies match while the bank takes mirrors
    both = [
        (cid, img)
        for cid, img in photos
        if cid in hits(border(img, img)) and cid in hits(mirrored(img, img))
    ]
    assert len(both) >= len(photos) // 2
    ctx.banks.update_bank(BANK, BankSettings(match_dihedral=False))
    for cid, img in both[:4]:
        assert cid in hits(border(img, img))  # derived, not a rotation: still taken
        assert cid not in hits(mirrored(img, img))  # "trimmed+flip_y": a mirror, refused
        assert cid not in hits(E.rotate(90)(img, img))
