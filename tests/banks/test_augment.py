"""Bank-side augmentation: a photo banked from its bytes also stores PDQs of its crops and small
rotations (derived signals), which match edited re-posts but are never shown as its hashes.

Everything goes through the real upload routes (HMA ``/c/bank/<name>/content`` and
``/v1/banks/<name>/media``), the real change log and index, and ``ScanService.scan``.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select

from rempart.banks.augment import AUGMENTS, MAX_AUGMENTS, MIN_SPREAD, augment_upload, derive_image
from rempart.banks.schemas import BankCreate, ContentIn
from rempart.context import Rempart
from rempart.demo import synthetic_photo
from rempart.signals.pdq import pdq_distance
from rempart.signals.types import PDQ
from rempart.store.models import ContentSignal, SignalChange
from tests.media import edits as E  # noqa: N812
from tests.photos import graphics, real_photos

BANK = "AUGMENTED"


def hdr(keys: dict[str, str], role: str = "admin") -> dict[str, str]:
    return {"X-API-Key": keys[role]}


def jpeg(img: Image.Image, quality: int = 95) -> bytes:
    return E.encode(img, quality)


def photos() -> list[tuple[str, Image.Image]]:
    """Real photographs whose PDQ is usable, at most 6 (each upload costs ~0.1-0.5 s)."""
    return [(n, im) for n, im in real_photos() if n not in ("page", "text")][:6]


def hma_upload(client: TestClient, h: dict[str, str], bank: str, data: bytes) -> dict[str, Any]:
    r = client.post(
        f"/c/bank/{bank}/content", files={"photo": ("p.jpg", data, "image/jpeg")}, headers=h
    )
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def make_bank(client: TestClient, h: dict[str, str]) -> None:
    assert client.post("/c/banks", json={"name": BANK}, headers=h).status_code == 201


def derived_rows(rempart: Rempart, content_id: int | None = None) -> list[ContentSignal]:
    with rempart.db.session() as s:
        q = select(ContentSignal).where(ContentSignal.derived.is_not(None))
        if content_id is not None:
            q = q.where(ContentSignal.content_id == content_id)
        return list(s.scalars(q))


def wait_for(check: Callable[[], bool], timeout: float = 3.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(0.05)
    return check()


def test_derive_image_is_small_distinct_and_usable() -> None:
    """At most MAX_AUGMENTS hashes, none near the original or each other, quality checked."""
    img = real_photos()[0][1]
    own = derive_image(img, [], min_quality=0)  # the full set, to compare against
    assert 0 < len(own) <= MAX_AUGMENTS <= 12 and len(AUGMENTS) <= MAX_AUGMENTS
    labels = [label for label, _ in own]
    assert len(set(labels)) == len(labels)
    for i, (_, a) in enumerate(own):
        for _, b in own[i + 1 :]:
            assert pdq_distance(a, b) > MIN_SPREAD
    # a flat image has no usable PDQ in any crop: nothing is stored
    assert derive_image(Image.new("RGB", (640, 480), (90, 90, 90)), [], min_quality=50) == []
    # an augment equal to one already held is skipped
    again = derive_image(img, [own[0][1]], min_quality=0)
    assert own[0][1] not in [h for _, h in again]


def test_crop_and_rotation_of_banked_photo_match(
    app_client: TestClient, keys: dict[str, str], rempart: Rempart
) -> None:
    """A 25 % crop (centre and one side) and a 5 degree rotation match their banked photo
    through ScanService.scan; the match says it went through a derived signal."""
    h = hdr(keys)
    make_bank(app_client, h)
    ids: dict[str, int] = {}
    for name, img in photos():
        ids[name] = hma_upload(app_client, h, BANK, jpeg(img))["id"]
    rempart.matcher.sync()
    edits = {
        "crop_centre_25": E.crop(0.25),
        "crop_left_22": E.crop(0.22, "left"),
        "rotate_5": E.rotate(5),
        "rotate_-3.5": E.rotate(-3.5),
    }
    for ename, fn in edits.items():
        hits, via = 0, []
        for name, img in photos():
            res = rempart.scanner.scan(jpeg(fn(img, img), 88), analyse=False)
            mine = [m for m in res.matches if m.content_id == ids[name]]
            others = [m for m in res.matches if m.content_id != ids[name]]
            assert not others, (ename, name, others[0].orientation)
            if mine:
                hits += 1
                via.append(mine[0].orientation)
        assert hits >= len(photos()) // 2, (ename, hits)
        assert any("banked:" in v for v in via), (ename, via)


def test_without_augments_those_edits_do_not_match(rempart: Rempart) -> None:
    """The same edits fail when the switch is off, and no derived signal is stored."""
    settings = rempart.settings.model_copy(update={"bank_augment": False})
    ctx = Rempart.open(settings)
    try:
        ctx.banks.create_bank(BankCreate(name=BANK))
        ids = {}
        for name, img in photos():
            data = jpeg(img)
            signals = ctx.scanner.describe(ctx.scanner.hash(data)).signals
            derived = augment_upload(ctx.settings, ctx.limits, data, signals)
            assert derived == []
            ids[name] = ctx.banks.add_content(BANK, ContentIn(signals=signals), derived).id
        assert derived_rows(ctx) == []
        ctx.matcher.sync()
        hits = 0
        for name, img in photos():
            res = ctx.scanner.scan(jpeg(E.crop(0.25)(img, img), 88), analyse=False)
            hits += any(m.content_id == ids[name] for m in res.matches)
        assert hits == 0
    finally:
        ctx.close()


def test_switch_off_over_http_stores_none(
    app_client: TestClient, keys: dict[str, str], rempart: Rempart
) -> None:
    rempart.settings.bank_augment = False
    try:
        h = hdr(keys)
        make_bank(app_client, h)
        item = hma_upload(app_client, h, BANK, jpeg(photos()[0][1]))
        assert PDQ in item["signals"]
        assert derived_rows(rempart, item["id"]) == []
    finally:
        rempart.settings.bank_augment = True


def test_derived_signals_are_never_shown_or_exported(
    app_client: TestClient, keys: dict[str, str], rempart: Rempart
) -> None:
    h = hdr(keys)
    make_bank(app_client, h)
    img = photos()[1][1]
    data = jpeg(img)
    item = hma_upload(app_client, h, BANK, data)
    cid = item["id"]
    rows = derived_rows(rempart, cid)
    assert len(rows) >= 4  # stored, ...
    hidden = {r.signal_value for r in rows}
    with rempart.db.session() as s:
        own = s.scalars(
            select(ContentSignal.signal_value).where(
                ContentSignal.content_id == cid, ContentSignal.derived.is_(None)
            )
        ).all()
        logged = s.scalar(
            select(func.count())
            .select_from(SignalChange)
            .where(SignalChange.signal_id.in_([r.id for r in rows]), SignalChange.op == "add")
        )
    assert logged == len(rows)  # live sync sees them like any signal
    pdq = item["signals"][PDQ]
    assert list(item["signals"]).count(PDQ) == 1 and pdq in own and pdq not in hidden

    def shows(text: str) -> bool:
        return any(v in text for v in hidden)

    # HMA: content GET (all ways of asking for signals), the add answer
    for q in ("include_signals=true", "signal_type=pdq"):
        r = app_client.get(f"/c/bank/{BANK}/content/{cid}?{q}", headers=h)
        assert r.status_code == 200 and r.json()["signals"][PDQ] == pdq
        assert not shows(r.text)
    assert not shows(json.dumps(item))
    # HMA /signal banking of a hash does not add derived signals (no bytes to augment)
    r = app_client.post(f"/c/bank/{BANK}/signal", json={PDQ: pdq}, headers=h)
    assert r.status_code == 200 and derived_rows(rempart, r.json()["id"]) == []
    # v1: content, listing, every export format (CSV, JSON lines, ThreatExchange text)
    v1 = app_client.get(f"/v1/banks/{BANK}/content/{cid}", headers=h)
    assert v1.status_code == 200 and v1.json()["signals"][PDQ] == pdq and not shows(v1.text)
    listing = app_client.get(f"/v1/banks/{BANK}/content", headers=h)
    assert listing.status_code == 200 and not shows(listing.text)
    for fmt in ("csv", "jsonl", "te"):
        out = app_client.get(f"/v1/banks/{BANK}/export?format={fmt}", headers=h)
        assert out.status_code == 200, out.text
        assert pdq in out.text and not shows(out.text), fmt
    # v1 media upload also augments, and hides them the same way
    up = app_client.post(
        f"/v1/banks/{BANK}/media", files={"file": ("a.jpg", jpeg(photos()[2][1]))}, headers=h
    )
    assert up.status_code == 201, up.text
    extra = {r.signal_value for r in derived_rows(rempart, up.json()["id"])}
    assert extra and not any(v in up.text for v in extra)


def test_deleting_content_removes_derived_signals_and_their_matches(
    app_client: TestClient, keys: dict[str, str], rempart: Rempart
) -> None:
    h = hdr(keys)
    make_bank(app_client, h)
    img = photos()[0][1]
    item = hma_upload(app_client, h, BANK, jpeg(img))
    rows = derived_rows(rempart, item["id"])
    assert rows
    rempart.matcher.sync()
    cropped = jpeg(E.crop(0.2)(img, img), 88)
    assert any(m.content_id == item["id"] for m in rempart.scanner.scan(cropped).matches)
    r = app_client.delete(f"/c/bank/{BANK}/content/{item['id']}", headers=h)
    assert r.json() == {"deleted": 1}
    assert derived_rows(rempart, item["id"]) == []
    with rempart.db.session() as s:
        removed = s.scalar(
            select(func.count())
            .select_from(SignalChange)
            .where(SignalChange.signal_id.in_([r.id for r in rows]), SignalChange.op == "remove")
        )
    assert removed == len(rows)
    rempart.matcher.sync()
    assert wait_for(lambda: not rempart.scanner.scan(cropped, analyse=False).matches)
    # a bank's deletion takes them too
    item = hma_upload(app_client, h, BANK, jpeg(img))
    assert derived_rows(rempart, item["id"])
    assert app_client.delete(f"/c/bank/{BANK}", headers=h).status_code == 200
    assert derived_rows(rempart) == []


def test_unrelated_photos_do_not_match(
    app_client: TestClient, keys: dict[str, str], rempart: Rempart
) -> None:
    """Photos that are not banked, as they are and edited, match nothing, augments or not."""
    h = hdr(keys)
    make_bank(app_client, h)
    for _, img in photos():
        hma_upload(app_client, h, BANK, jpeg(img))
    rempart.matcher.sync()
    banked = {n for n, _ in photos()}
    others = [im for n, im in real_photos() if n not in banked] + [im for _, im in graphics()]
    others += [synthetic_photo(20_000 + i, (700, 500)) for i in range(4)]
    assert len(others) >= 6
    for img in others:
        for fn in (None, E.crop(0.25), E.rotate(5), E.crop(0.3, "right")):
            pic = img if fn is None else fn(img, img)
            buf = io.BytesIO()
            pic.convert("RGB").save(buf, "JPEG", quality=90)
            res = rempart.scanner.scan(buf.getvalue(), analyse=False)
            assert res.matches == [], [m.orientation for m in res.matches]


@pytest.mark.parametrize("bad", [b"", b"not an image at all", b"\xff\xd8\xff\xe0garbage"])
def test_bad_upload_is_a_problem_not_500(
    app_client: TestClient, keys: dict[str, str], bad: bytes
) -> None:
    h = hdr(keys)
    make_bank(app_client, h)
    r = app_client.post(
        f"/c/bank/{BANK}/content", files={"photo": ("p.jpg", bad, "image/jpeg")}, headers=h
    )
    assert 400 <= r.status_code < 500
