"""The evidence vault on SQLite and PostgreSQL with the real ledger and an injected clock:
encryption at rest, content addressing, the access matrix, holds, retention, shredding, KEKs."""

from __future__ import annotations

import base64
import io
import os
import shutil
from datetime import timedelta

import pytest
from PIL import Image, ImageChops, ImageFilter, ImageStat
from sqlalchemy import select

from rempart.access.roles import ALL_ROLES
from rempart.context import Rempart
from rempart.errors import Conflict, Invalid
from rempart.evidence.ledger.models import LedgerEvent
from rempart.evidence.vault import crypto
from rempart.evidence.vault.crypto import VaultKeyError, VaultSettings
from rempart.evidence.vault.models import VaultKey, VaultObject
from rempart.evidence.vault.service import Forbidden, Gone, Vault
from tests.clock import FakeClock
from tests.conftest import encode, photo

CONF = VaultSettings(retention_days={"csam": 90, "STATEMENT_CATEGORY_SCAMS_AND_FRAUD": 10})
CSAM = "csam"
OTHER = "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH"
DAY = timedelta(days=1)
BLUR = ImageFilter.GaussianBlur(3)


def make_vault(ctx: Rempart, conf: VaultSettings = CONF) -> Vault:
    return Vault(ctx.db, ctx.settings, ctx.clock, ctx.ledger, conf=conf)


@pytest.fixture
def vault(ctx: Rempart) -> Vault:
    return make_vault(ctx)


@pytest.fixture
def image() -> bytes:
    return encode(photo(3), "JPEG", quality=90)


def events(ctx: Rempart, kind: str | None = None) -> list[LedgerEvent]:
    with ctx.db.session() as s:
        stmt = select(LedgerEvent).order_by(LedgerEvent.seq)
        if kind:
            stmt = stmt.where(LedgerEvent.kind == kind)
        return list(s.scalars(stmt))


def stored(vault: Vault, data: bytes, category: str = OTHER) -> int:
    return vault.store(
        None,
        data,
        category=category,
        actor="intake",
        media_type="image/jpeg",
        metadata={"uploader": "user-8841-secret", "ip": "198.51.100.7"},
    ).id


def read(vault: Vault, oid: int, roles: list[str], who: str = "ann") -> bytes:
    return vault.read(oid, principal_roles=roles, actor=who, case_ref="case-7", purpose="review")


# --- encryption at rest, content addressing ---


def test_blob_and_metadata_hold_no_plaintext(vault: Vault, ctx: Rempart, image: bytes) -> None:
    oid = stored(vault, image)
    with ctx.db.session() as s:
        obj = s.get(VaultObject, oid)
        assert obj is not None
        sealed_meta = obj.metadata_sealed or b""
        sha = obj.sha256
    blob = vault.blob_path(sha, oid).read_bytes()
    assert len(blob) == len(image) + 12 + 16  # nonce + ciphertext + tag
    for i in range(0, len(image) - 16, 997):
        assert image[i : i + 16] not in blob
    assert b"user-8841" not in sealed_meta and b"198.51.100.7" not in sealed_meta
    assert oct(os.stat(vault.blob_path(sha, oid)).st_mode & 0o777) == "0o600"
    assert read(vault, oid, ["legal"]) == image
    detail = vault.describe(oid, principal_roles=["legal"], actor="ann", case_ref="case-7")
    assert detail.metadata == {"uploader": "user-8841-secret", "ip": "198.51.100.7"}
    assert vault.describe(oid, principal_roles=["auditor"], case_ref="case-7").metadata is None
    assert vault.describe(oid, principal_roles=["legal"]).metadata is None  # no case, no view
    views = events(ctx, "evidence.metadata_viewed")
    assert [(e.actor, e.data["case"]) for e in views] == [("ann", "case-7")]


def test_key_file_is_private_and_wrong_kek_fails_cleanly(
    vault: Vault, ctx: Rempart, image: bytes
) -> None:
    oid = stored(vault, image)
    key_file = ctx.settings.home / "vault-kek"
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    current = vault.keyring.current
    other = base64.b64encode(os.urandom(32)).decode()
    wrong = make_vault(ctx, VaultSettings(kek=other, kek_id=current))
    with pytest.raises(VaultKeyError, match="does not unwrap"):
        read(wrong, oid, ["legal"])
    missing = make_vault(ctx, VaultSettings(kek=other, kek_id="elsewhere"))
    with pytest.raises(VaultKeyError, match="not configured"):
        read(missing, oid, ["legal"])
    with pytest.raises(VaultKeyError, match="32 random bytes"):
        _ = make_vault(ctx, VaultSettings(kek="c2hvcnQ=")).keyring


def test_moved_blob_does_not_open(vault: Vault, image: bytes) -> None:
    a = vault.store(None, image, category=OTHER, actor="intake")
    b = vault.store(None, image + b"x", category=OTHER, actor="intake")
    shutil.copyfile(vault.blob_path(a.sha256, a.id), vault.blob_path(b.sha256, b.id))
    with pytest.raises(VaultKeyError, match="altered or moved"):
        read(vault, b.id, ["legal"])


def test_same_content_is_one_object(vault: Vault, ctx: Rempart, image: bytes) -> None:
    first = vault.store(None, image, category=OTHER, actor="intake")
    again = vault.store(None, image, category=CSAM, actor="intake")
    other = vault.store(None, image[:-1], category=OTHER, actor="intake")
    assert again.id == first.id and other.id != first.id
    assert again.category == CSAM  # the stricter access wins
    with ctx.db.session() as s:
        assert len(s.scalars(select(VaultObject)).all()) == 2
    stores = events(ctx, "evidence.stored")
    assert [e.data.get("duplicate", False) for e in stores] == [False, True, False]


def test_store_in_callers_transaction_and_unknown_case(vault: Vault, ctx: Rempart) -> None:
    with ctx.db.session() as s:
        out = vault.store(s, b"chat log", category=OTHER, actor="intake", media_type="text/plain")
    assert read(vault, out.id, ["child_safety"]) == b"chat log"
    with pytest.raises(Exception, match="no case 999"):
        vault.store(None, b"x", category=OTHER, actor="intake", case_id=999)


# --- access ---

ORIGINALS = {OTHER: {"child_safety", "legal"}, CSAM: {"child_safety"}}
DERIVATIVES = {
    OTHER: {"moderator", "senior_moderator", "legal", "child_safety", "admin"},
    CSAM: set(),
}


@pytest.mark.parametrize("category", [OTHER, CSAM])
def test_access_matrix(vault: Vault, ctx: Rempart, image: bytes, category: str) -> None:
    oid = stored(vault, image, category)
    for role in ALL_ROLES:
        if role in ORIGINALS[category]:
            assert read(vault, oid, [role], who=f"{role}-1") == image
        else:
            with pytest.raises(Forbidden):
                read(vault, oid, [role], who=f"{role}-1")
        if role in DERIVATIVES[category]:
            jpeg = vault.derivative(oid, principal_roles=[role], actor=f"{role}-1", case_ref="c")
            assert Image.open(io.BytesIO(jpeg)).mode == "L"
        else:
            with pytest.raises(Forbidden):
                vault.derivative(oid, principal_roles=[role], actor=f"{role}-1", case_ref="c")
    viewed = {e.actor for e in events(ctx, "evidence.viewed")}
    assert viewed == {f"{r}-1" for r in ORIGINALS[category]}
    shown = {e.actor for e in events(ctx, "evidence.derivative_viewed")}
    assert shown == {f"{r}-1" for r in DERIVATIVES[category]}
    refused = events(ctx, "evidence.access_refused")
    expected = 2 * len(ALL_ROLES) - len(ORIGINALS[category]) - len(DERIVATIVES[category])
    assert len(refused) == expected


def test_every_view_and_export_names_actor_case_and_time(
    vault: Vault, ctx: Rempart, clock: FakeClock, image: bytes
) -> None:
    oid = stored(vault, image)
    clock.advance(hours=2)
    vault.read(oid, principal_roles=["legal"], actor="lee", case_ref="case-12", purpose="appeal")
    vault.export(
        oid, principal_roles=["child_safety"], actor="cs-1", case_ref="case-12", purpose="ncmec"
    )
    vault.derivative(oid, principal_roles=["moderator"], actor="mo", case_ref="case-12")
    got = [
        (e.kind, e.actor, e.subject, e.data["case"], e.data["purpose"], e.at)
        for e in events(ctx)
        if e.kind.startswith("evidence.") and e.kind != "evidence.stored"
    ]
    sub = f"vault_object:{oid}"
    at = clock.now.replace(tzinfo=None) if ctx.db.is_sqlite else clock.now
    assert [g[:5] for g in got] == [
        ("evidence.viewed", "lee", sub, "case-12", "appeal"),
        ("evidence.exported", "cs-1", sub, "case-12", "ncmec"),
        ("evidence.derivative_viewed", "mo", sub, "case-12", "review"),
    ]
    assert all(g[5].replace(tzinfo=None) == at.replace(tzinfo=None) for g in got)
    for case in (" ", None):
        with pytest.raises(Invalid, match="name the case"):
            vault.read(oid, principal_roles=["legal"], actor="lee", case_ref=case, purpose="x")


def test_derivative_is_small_grey_and_blurred(vault: Vault, image: bytes) -> None:
    oid = stored(vault, image)
    jpeg = vault.derivative(oid, principal_roles=["moderator"], actor="mo", case_ref="c")
    out = Image.open(io.BytesIO(jpeg))
    assert out.format == "JPEG" and out.mode == "L" and max(out.size) <= 384
    original = Image.open(io.BytesIO(image)).convert("L").resize(out.size)

    def detail(img: Image.Image) -> float:  # what a small blur removes: fine detail
        return float(ImageStat.Stat(ImageChops.difference(img, img.filter(BLUR))).mean[0])

    assert detail(out) < detail(original) / 5


def test_derivative_of_non_image_is_a_clear_error(vault: Vault) -> None:
    out = vault.store(None, b"plain text", category=OTHER, actor="x", media_type="text/plain")
    with pytest.raises(Exception, match="only images") as exc:
        vault.derivative(out.id, principal_roles=["moderator"], actor="mo", case_ref="c")
    assert getattr(exc.value, "status", None) == 415


# --- holds and retention ---


def test_ncmec_hold_one_year_extended_then_swept(
    vault: Vault, ctx: Rempart, clock: FakeClock, image: bytes
) -> None:
    oid = stored(vault, image, CSAM)
    report_at = clock.now
    hold = vault.ncmec_preservation(oid, report_at, "cs-1")
    assert hold.expires_at == report_at.replace(year=report_at.year + 1) and hold.active
    clock.advance(days=91)  # csam retention (90 days) is over, the hold is not
    assert vault.sweep().destroyed == []
    with pytest.raises(Conflict, match="2258A"):
        vault.release_hold(hold.id, "legal-1")
    later = report_at.replace(year=report_at.year + 1) + timedelta(days=180)
    ext = vault.extend_hold(hold.id, "legal-1", "2258A(h)(5) request", later)
    assert ext.extended_reason == "2258A(h)(5) request"
    clock.now = report_at.replace(year=report_at.year + 1) + DAY
    assert vault.sweep().destroyed == []
    assert read(vault, oid, ["child_safety"]) == image
    clock.now = later - timedelta(seconds=1)
    assert vault.sweep().destroyed == []
    clock.now = later
    assert vault.sweep().destroyed == [oid]
    with pytest.raises(Gone):
        read(vault, oid, ["child_safety"])
    kinds = [e.kind for e in events(ctx) if e.subject == f"vault_object:{oid}"]
    assert kinds[:3] == ["evidence.stored", "evidence.hold_placed", "evidence.hold_extended"]
    assert kinds[-1] == "evidence.destroyed"


def test_unextended_ncmec_hold_expires_after_exactly_one_year(
    vault: Vault, clock: FakeClock, image: bytes
) -> None:
    oid = stored(vault, image, CSAM)
    start = clock.now
    vault.ncmec_preservation(oid, start, "cs-1")
    end = start.replace(year=start.year + 1)
    assert vault.sweep(end - timedelta(seconds=1)).destroyed == []
    assert vault.sweep(end).destroyed == [oid]
    with pytest.raises(Invalid, match="one year"):
        vault.place_hold(stored(vault, b"y", CSAM), "USC_2258A_H", "r", "x", end - DAY)


def test_legal_hold_lasts_until_released(
    vault: Vault, ctx: Rempart, clock: FakeClock, image: bytes
) -> None:
    oid = stored(vault, image)
    hold = vault.place_hold(oid, "COURT_ORDER", "order 2026/17", "legal-1")
    assert hold.expires_at is None
    clock.advance(days=5 * 365)
    assert vault.sweep().destroyed == []
    released = vault.release_hold(hold.id, "legal-1", "order lifted")
    assert released.released_by == "legal-1" and not released.active
    with pytest.raises(Conflict):
        vault.release_hold(hold.id, "legal-1")
    assert vault.sweep().destroyed == [oid]
    kinds = [e.kind for e in events(ctx) if e.subject == f"vault_object:{oid}"]
    assert kinds == [
        "evidence.stored",
        "evidence.hold_placed",
        "evidence.hold_released",
        "evidence.destroyed",
    ]


def test_retention_per_category(vault: Vault, clock: FakeClock) -> None:
    fraud = vault.store(None, b"a", category="STATEMENT_CATEGORY_SCAMS_AND_FRAUD", actor="x").id
    speech = vault.store(None, b"b", category=OTHER, actor="x").id  # default: 180 days
    clock.advance(days=10)
    assert vault.sweep().destroyed == [fraud]
    clock.advance(days=169)
    assert vault.sweep().destroyed == []
    clock.advance(days=1)
    assert vault.sweep().destroyed == [speech]


def test_no_role_can_delete_under_hold(vault: Vault, image: bytes) -> None:
    oid = stored(vault, image)
    hold = vault.place_hold(oid, "DSA_ART18", "threat to life referral", "legal-1")
    for role in ALL_ROLES:
        with pytest.raises((Conflict, Forbidden)) as exc:
            vault.delete(oid, f"{role}-1", [role])
        want = 409 if role in ("admin", "legal") else 403
        assert exc.value.status == want, role
    with pytest.raises(Conflict):
        vault.delete(oid, "root", list(ALL_ROLES))
    assert read(vault, oid, ["legal"]) == image
    vault.release_hold(hold.id, "legal-1")
    assert vault.delete(oid, "legal-1", ["legal"]).destroyed_reason == "deleted by legal-1"


def test_le_request_overrides_ncmec_hold_not_court_order(
    vault: Vault, ctx: Rempart, image: bytes
) -> None:
    oid = stored(vault, image, CSAM)
    ncmec = vault.ncmec_preservation(oid, ctx.clock(), "cs-1")
    court = vault.place_hold(oid, "COURT_ORDER", "order 9", "legal-1")
    with pytest.raises(Conflict, match="COURT_ORDER"):
        vault.destroy_on_le_request(oid, "FBI-2026-41", "legal-1")
    vault.release_hold(court.id, "legal-1")
    out = vault.destroy_on_le_request(oid, "FBI-2026-41", "legal-1")
    assert "2258B(c)(2)" in (out.destroyed_reason or "")
    holds = vault.describe(oid).holds
    assert [h.id for h in holds if h.released_by == "legal-1"] == [ncmec.id, court.id]
    with pytest.raises(Gone):
        vault.destroy_on_le_request(oid, "FBI-2026-41", "legal-1")
    destroyed = events(ctx, "evidence.destroyed")
    assert destroyed[-1].actor == "legal-1" and "FBI-2026-41" in destroyed[-1].data["reason"]


def test_crypto_shredding_survives_a_restored_backup(
    vault: Vault, ctx: Rempart, image: bytes, tmp_path: object
) -> None:
    oid = stored(vault, image)
    with ctx.db.session() as s:
        obj = s.get(VaultObject, oid)
        assert obj is not None
        sha = obj.sha256
    path = vault.blob_path(sha, oid)
    backup = path.read_bytes()
    vault.delete(oid, "admin-1", ["admin"])
    assert not path.exists()
    path.write_bytes(backup)  # someone restores the vault folder from a backup
    with pytest.raises(Gone):
        read(vault, oid, ["legal"])
    with ctx.db.session() as s:
        assert s.get(VaultKey, oid) is None
        obj = s.get(VaultObject, oid)
        assert obj is not None and obj.destroyed_at is not None and obj.metadata_sealed is None
    for kek in vault.keyring.keys.values():  # no key at hand opens it
        with pytest.raises(VaultKeyError):
            crypto.unseal(kek, backup, crypto.content_aad(oid, sha), what="backup")
    assert vault.describe(oid, principal_roles=["legal"]).metadata is None
    with pytest.raises(Gone):
        vault.place_hold(oid, "COURT_ORDER", "too late", "legal-1")


# --- key rotation ---


def test_file_kek_rotation_keeps_ciphertext(vault: Vault, ctx: Rempart, image: bytes) -> None:
    ids = [stored(vault, image + bytes([i])) for i in range(3)]
    with ctx.db.session() as s:
        shas = {o.id: o.sha256 for o in s.scalars(select(VaultObject))}
    before = {i: vault.blob_path(shas[i], i).read_bytes() for i in ids}
    old = vault.keyring.current
    out = vault.rotate_kek("k2", actor="ops", remove_old=True)
    assert (out.kek_id, out.rewrapped, out.removed) == ("k2", 3, [old])
    assert {i: vault.blob_path(shas[i], i).read_bytes() for i in ids} == before
    lines = (ctx.settings.home / "vault-kek").read_text().split()
    assert lines[0] == "k2" and len(lines) == 2  # the old KEK is gone from the file
    fresh = make_vault(ctx)  # reloads the key file
    assert [read(fresh, i, ["legal"]) for i in ids] == [image + bytes([i]) for i in range(3)]
    assert events(ctx, "evidence.kek_rotated")[-1].data == {"kek_id": "k2", "rewrapped": 3}
    with pytest.raises(VaultKeyError, match="already exists"):
        fresh.rotate_kek("k2")


def test_env_kek_rotation_then_old_key_removed(ctx: Rempart, image: bytes) -> None:
    a = base64.b64encode(os.urandom(32)).decode()
    b = base64.b64encode(os.urandom(32)).decode()
    first = make_vault(ctx, VaultSettings(kek=a, kek_id="a"))
    oid = stored(first, image)
    with pytest.raises(Invalid, match="REMPART_VAULT_KEK"):
        first.rotate_kek("b")
    both = make_vault(ctx, VaultSettings(kek=b, kek_id="b", old_keks={"a": a}))
    assert both.rotate_kek("b").rewrapped == 1
    assert read(make_vault(ctx, VaultSettings(kek=b, kek_id="b")), oid, ["legal"]) == image
    with pytest.raises(VaultKeyError):
        read(make_vault(ctx, VaultSettings(kek=a, kek_id="a")), oid, ["legal"])


def test_rempart_wires_the_vault(ctx: Rempart) -> None:
    out = ctx.vault.store(None, b"evidence", category=OTHER, actor="intake")
    assert ctx.vault.describe(out.id).size == 8


def test_a_running_process_picks_up_a_rotation(ctx: Rempart, image: bytes) -> None:
    server = make_vault(ctx)
    before = stored(server, image)
    make_vault(ctx).rotate_kek("k2", actor="cli", remove_old=True)  # another process
    after = stored(server, image + b"!")  # wraps with k2, not the removed k1
    with ctx.db.session() as s:
        assert {k.kek_id for k in s.scalars(select(VaultKey))} == {"k2"}
    assert read(server, before, ["legal"]) == image
    assert read(make_vault(ctx), after, ["legal"]) == image + b"!"


def test_failed_store_leaves_no_blob(vault: Vault, ctx: Rempart) -> None:
    with pytest.raises(Invalid):  # the ledger refuses the event, so the store rolls back
        vault.store(None, b"content", category=OTHER, actor="   ")
    with pytest.raises(Invalid, match="at most 255"):
        vault.store(None, b"content", category=OTHER, actor="x" * 256)
    assert not any(p.is_file() for p in (ctx.settings.home / "vault").rglob("*"))
    with ctx.db.session() as s:
        assert s.scalars(select(VaultObject)).all() == []
