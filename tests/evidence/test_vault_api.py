"""``/v1/evidence`` and ``rempart evidence`` over the real app, keys, ledger and vault."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from rempart.access.roles import ALL_ROLES
from rempart.cli.main import app
from rempart.config import Settings, get_settings
from rempart.context import Rempart
from rempart.evidence.ledger.models import LedgerEvent
from tests.conftest import encode, photo

CSAM = "csam"
OTHER = "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH"
ORIGINALS = {OTHER: {"child_safety", "legal"}, CSAM: {"child_safety"}}
DERIVATIVES = {
    OTHER: {"moderator", "senior_moderator", "legal", "child_safety", "admin"},
    CSAM: set(),
}
runner = CliRunner()


@pytest.fixture
def image() -> bytes:
    return encode(photo(5), "JPEG", quality=90)


def put(rempart: Rempart, data: bytes, category: str = OTHER) -> int:
    return rempart.vault.store(
        None, data, category=category, actor="intake", media_type="image/jpeg", metadata={"u": 1}
    ).id


def h(keys: dict[str, str], role: str) -> dict[str, str]:
    return {"X-API-Key": keys[role]}


@pytest.mark.parametrize("category", [OTHER, CSAM])
def test_content_and_derivative_per_role(
    app_client: TestClient, rempart: Rempart, keys: dict[str, str], image: bytes, category: str
) -> None:
    oid = put(rempart, image, category)
    for role in ALL_ROLES:
        r = app_client.get(
            f"/v1/evidence/{oid}/content",
            params={"case": "case-3", "purpose": "review"},
            headers=h(keys, role),
        )
        if role in ORIGINALS[category]:
            assert r.status_code == 200, role
            assert r.content == image and r.headers["content-type"] == "image/jpeg"
            assert r.headers["cache-control"] == "no-store"
        else:
            assert r.status_code == 403, (role, r.text)
            assert r.headers["content-type"] == "application/problem+json"
        r = app_client.get(
            f"/v1/evidence/{oid}/derivative", params={"case": "case-3"}, headers=h(keys, role)
        )
        want = 200 if role in DERIVATIVES[category] else 403
        assert r.status_code == want, (role, r.text)
        if want == 200:
            assert r.headers["content-type"] == "image/jpeg" and r.content != image
    with rempart.db.session() as s:
        views = s.scalars(select(LedgerEvent).where(LedgerEvent.kind == "evidence.viewed")).all()
        assert {(e.actor, e.data["case"]) for e in views} == {
            (f"test-{r}", "case-3") for r in ORIGINALS[category]
        }


def test_metadata_only_for_cleared_roles(
    app_client: TestClient, rempart: Rempart, keys: dict[str, str], image: bytes
) -> None:
    oid = put(rempart, image)
    legal = app_client.get(f"/v1/evidence/{oid}", params={"case": "c1"}, headers=h(keys, "legal"))
    assert legal.status_code == 200 and legal.json()["metadata"] == {"u": 1}
    auditor = app_client.get(f"/v1/evidence/{oid}", headers=h(keys, "auditor"))
    assert auditor.status_code == 200 and auditor.json()["metadata"] is None
    assert auditor.json()["sha256"] == legal.json()["sha256"]
    assert app_client.get(f"/v1/evidence/{oid}", headers=h(keys, "moderator")).status_code == 403
    assert app_client.get("/v1/evidence/999", headers=h(keys, "legal")).status_code == 404


def test_holds_block_deletion_over_http(
    app_client: TestClient, rempart: Rempart, keys: dict[str, str], image: bytes
) -> None:
    oid = put(rempart, image)
    r = app_client.post(
        f"/v1/evidence/{oid}/holds",
        json={"legal_basis": "COURT_ORDER", "reason": "order 12"},
        headers=h(keys, "legal"),
    )
    assert r.status_code == 201 and r.json()["active"] and r.json()["expires_at"] is None
    hold_id = r.json()["id"]
    for role in ("admin", "legal"):
        r = app_client.delete(f"/v1/evidence/{oid}", headers=h(keys, role))
        assert r.status_code == 409 and "cannot be deleted" in r.json()["detail"]
    assert app_client.delete(f"/v1/evidence/{oid}", headers=h(keys, "moderator")).status_code == 403
    release = f"/v1/evidence/holds/{hold_id}/release"
    assert app_client.post(release, headers=h(keys, "admin")).status_code == 403
    r = app_client.post(release, json={"reason": "lifted"}, headers=h(keys, "legal"))
    assert r.status_code == 200 and r.json()["released_by"] == "test-legal"
    r = app_client.delete(f"/v1/evidence/{oid}", headers=h(keys, "admin"))
    assert r.status_code == 200 and r.json()["destroyed_at"]
    r = app_client.get(
        f"/v1/evidence/{oid}/content",
        params={"case": "c", "purpose": "p"},
        headers=h(keys, "legal"),
    )
    assert r.status_code == 410


def test_bad_holds_are_clear_errors(
    app_client: TestClient, rempart: Rempart, keys: dict[str, str], image: bytes
) -> None:
    oid = put(rempart, image, CSAM)
    url = f"/v1/evidence/{oid}/holds"
    bad = app_client.post(url, json={"legal_basis": "X", "reason": "r"}, headers=h(keys, "legal"))
    assert bad.status_code == 422
    short = app_client.post(
        url,
        json={"legal_basis": "USC_2258A_H", "reason": "r", "expires_at": "2020-01-01T00:00:00Z"},
        headers=h(keys, "legal"),
    )
    assert short.status_code == 422 and "one year" in short.json()["detail"]
    r = app_client.post(
        url, json={"legal_basis": "USC_2258A_H", "reason": "report 1"}, headers=h(keys, "legal")
    )
    assert r.status_code == 201
    ext = app_client.post(
        f"/v1/evidence/holds/{r.json()['id']}/extend",
        json={"reason": "(h)(5)", "expires_at": None},
        headers=h(keys, "legal"),
    )
    assert ext.status_code == 200 and ext.json()["expires_at"] is None


def test_le_destroy_and_sweep_over_http(
    app_client: TestClient, rempart: Rempart, keys: dict[str, str], image: bytes
) -> None:
    oid = put(rempart, image, CSAM)
    rempart.vault.ncmec_preservation(oid, rempart.clock(), "cs-1")
    url = f"/v1/evidence/{oid}/destroy"
    assert app_client.post(url, headers=h(keys, "legal")).status_code == 422
    assert (
        app_client.post(url, json={"request_ref": "LE-1"}, headers=h(keys, "admin")).status_code
        == 403
    )
    r = app_client.post(url, json={"request_ref": "LE-1"}, headers=h(keys, "legal"))
    assert r.status_code == 200 and "LE-1" in r.json()["destroyed_reason"]
    r = app_client.post("/v1/evidence/sweep", headers=h(keys, "admin"))
    assert r.status_code == 200 and r.json() == {"checked": 0, "destroyed": []}


# --- CLI ---


@pytest.fixture
def home(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("REMPART_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("REMPART_DATABASE_URL", db_url)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def run(*args: str) -> tuple[int, str, str]:
    r = runner.invoke(app, ["evidence", *args])
    return r.exit_code, r.stdout, r.stderr


def test_cli_store_hold_release_sweep_rotate_destroy(home: Path, image: bytes) -> None:
    f = home / "photo.jpg"
    f.write_bytes(image)
    code, out, _ = run("store", str(f), "--category", "csam", "--media-type", "image/jpeg")
    assert code == 0 and "vault object 1" in out
    code, out, _ = run("hold", "1", "--basis", "COURT_ORDER", "--reason", "order 4")
    assert code == 0 and "hold 1" in out
    code, out, err = run("destroy", "1", "--request", "LE-9")
    assert code == 1 and "COURT_ORDER" in err
    assert run("release", "1", "--reason", "lifted")[0] == 0
    code, out, _ = run("rotate-kek", "--kek-id", "k2")
    assert code == 0 and "1 data keys re-wrapped" in out
    code, out, _ = run("show", "1")
    assert code == 0 and "category=csam" in out and "hold 1 COURT_ORDER inactive" in out
    code, out, _ = run("sweep")
    assert code == 0 and "destroyed 0" in out
    code, out, _ = run("destroy", "1", "--request", "LE-9")
    assert code == 0 and "destroyed" in out
    code, _, err = run("show", "7")
    assert code == 1 and "no vault object 7" in err
    code, _, err = run("hold", "1", "--basis", "NOPE", "--reason", "r")
    assert code == 1 and "legal_basis must be one of" in err
    ctx = Rempart.open(Settings(), load_index=False)
    try:
        assert ctx.vault.describe(1).destroyed_at is not None
    finally:
        ctx.close()
