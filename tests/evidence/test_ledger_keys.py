"""Signing-key rotation: old heads stay verifiable, a retired key cannot sign later heads.

Run on SQLite and PostgreSQL, with the injected clock so key periods are exact.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from rempart.cli.main import app as cli
from rempart.config import Settings, get_settings
from rempart.context import Rempart
from rempart.errors import Invalid
from rempart.evidence.bundle import make_bundle
from rempart.evidence.ledger.models import LedgerKey, LedgerTreeHead
from rempart.evidence.ledger.schemas import HEAD_VERSION
from rempart.evidence.ledger.signing import KEY_FILE, LedgerKeyError, head_message, key_id
from rempart.evidence.ledger.witness import FileWitness, check, publish
from rempart.moderation.models import Case, Item
from tests.clock import FakeClock
from tests.evidence.test_bundle import load_tool

vb = load_tool()


def private(ctx: Rempart) -> Ed25519PrivateKey:
    """The private key the ledger's key file holds now (what an insider could copy)."""
    ctx.ledger.key_id()  # created on first use
    key = serialization.load_pem_private_key(
        (ctx.settings.home / KEY_FILE).read_bytes(), password=None
    )
    assert isinstance(key, Ed25519PrivateKey)
    return key


def log(ctx: Rempart, n: int, clock: FakeClock) -> None:
    for i in range(n):
        clock.advance(seconds=1)
        ctx.ledger.append_now("decision", actor="rev:1", subject=f"case:{i}", data={"i": i})


def forge_head(ctx: Rempart, key: Ed25519PrivateKey, clock: FakeClock) -> int:
    """A correct head over the whole log, signed with ``key`` and dated now."""
    with ctx.db.session() as s:
        size, root = ctx.ledger.current_root(s, fresh=True)
        at = clock()
        row = LedgerTreeHead(
            tree_size=size,
            root_hash=root.hex(),
            timestamp=at,
            signature=key.sign(head_message(HEAD_VERSION, size, at, root.hex())).hex(),
            key_id=key_id(key.public_key()),
        )
        s.add(row)
        s.flush()
        return row.id


def test_rotation_keeps_old_heads_verifiable(ctx: Rempart, clock: FakeClock) -> None:
    log(ctx, 4, clock)
    first = ctx.ledger.sign_head()
    old_id, old_pem = ctx.ledger.key_id(), ctx.ledger.public_key_pem()
    clock.advance(minutes=5)
    new = ctx.ledger.rotate_key(actor="admin:ann", reason="yearly rotation")
    assert new.previous_key_id == old_id and new.key_id != old_id and new.current
    assert new.valid_from == clock() and ctx.ledger.key_id() == new.key_id
    assert ctx.ledger.public_key_pem() != old_pem
    log(ctx, 3, clock)
    second = ctx.ledger.sign_head()
    assert (first.key_id, second.key_id) == (old_id, new.key_id)

    history = ctx.ledger.key_history()
    assert [k.key_id for k in history] == [old_id, new.key_id]
    assert history[0].valid_until == new.valid_from and not history[0].current
    assert history[0].public_key_pem == old_pem  # the retired public key is kept
    # the rotation is a ledger event, covered by a last head signed with the old key
    event = ctx.ledger.events(kind="ledger.key_rotated")[0]
    assert event.actor == "admin:ann" and event.data["key_id"] == new.key_id
    assert event.data["reason"] == "yearly rotation" and new.rotation_seq == event.seq
    last_old = next(h for h in ctx.ledger.heads() if h.key_id == old_id)
    assert last_old.tree_size == event.seq + 1 and last_old.timestamp == new.valid_from
    report = ctx.ledger.verify()
    assert report.ok, report.problems
    assert report.heads == 3


def test_head_signed_by_retired_key_after_retirement_is_rejected(
    ctx: Rempart, clock: FakeClock
) -> None:
    log(ctx, 3, clock)
    ctx.ledger.sign_head()
    retired = private(ctx)  # copied before the rotation destroys the file
    clock.advance(minutes=1)
    ctx.ledger.rotate_key(actor="admin", reason="staff change")
    assert private(ctx).public_key() != retired.public_key()
    log(ctx, 2, clock)
    assert ctx.ledger.verify().ok
    forged = forge_head(ctx, retired, clock)
    report = ctx.ledger.verify()
    assert not report.ok
    [problem] = report.problems
    assert problem.kind == "head_key" and problem.head_id == forged
    assert "after its key" in problem.detail and "retired" in problem.detail


def test_head_by_an_unknown_key_and_a_tampered_history_are_caught(
    ctx: Rempart, clock: FakeClock
) -> None:
    log(ctx, 2, clock)
    ctx.ledger.sign_head()
    forge_head(ctx, Ed25519PrivateKey.generate(), clock)
    assert [p.kind for p in ctx.ledger.verify().problems] == ["head_key"]
    with ctx.db.session() as s:
        s.delete(s.scalars(select(LedgerTreeHead).order_by(LedgerTreeHead.id.desc())).first())
    clock.advance(minutes=1)
    ctx.ledger.rotate_key(actor="admin", reason="r")
    # an insider swaps the new key's public half for their own in the history table
    with ctx.db.session() as s:
        row = s.scalars(select(LedgerKey).order_by(LedgerKey.id.desc())).first()
        assert row is not None
        mine = Ed25519PrivateKey.generate().public_key()
        row.public_key_pem = mine.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()
    kinds = {p.kind for p in ctx.ledger.verify().problems}
    assert "key_history" in kinds


def test_replaced_key_file_refuses_to_sign(ctx: Rempart, settings: Settings) -> None:
    ctx.ledger.sign_head()
    path = settings.home / KEY_FILE
    path.write_bytes(
        Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    fresh = Rempart.open(settings, clock=FakeClock(), load_index=False)
    try:
        with pytest.raises(LedgerKeyError, match="current signing key"):
            fresh.ledger.sign_head()
    finally:
        fresh.close()


def test_interrupted_rotation_is_completed(ctx: Rempart, settings: Settings) -> None:
    """A crash after the rotation committed but before the key file moved: finished on load."""
    from rempart.evidence.ledger.service import NEXT_KEY_FILE

    path = settings.home / KEY_FILE
    ctx.ledger.key_id()
    old = path.read_bytes()
    new = ctx.ledger.rotate_key(actor="admin", reason="r")
    # the state a crash between the commit and the file move leaves behind
    (settings.home / NEXT_KEY_FILE).write_bytes(path.read_bytes())
    path.write_bytes(old)
    fresh = Rempart.open(settings, clock=FakeClock(start=ctx.clock() + timedelta(hours=1)),
                         load_index=False)  # fmt: skip
    try:
        head = fresh.ledger.sign_head()
        assert head.key_id == new.key_id
        assert not (settings.home / NEXT_KEY_FILE).exists()
        assert fresh.ledger.verify().ok
    finally:
        fresh.close()


def test_rotation_needs_a_reason_and_a_later_clock(ctx: Rempart, clock: FakeClock) -> None:
    with pytest.raises(Invalid):
        ctx.ledger.rotate_key(actor="admin", reason=" ")
    ctx.ledger.sign_head()
    with pytest.raises(Invalid, match="clock"):
        ctx.ledger.rotate_key(actor="admin", reason="same instant as the head")


def test_witness_accepts_heads_of_retired_keys(
    ctx: Rempart, clock: FakeClock, tmp_path: Path
) -> None:
    witness = FileWitness(tmp_path / "heads.jsonl")
    log(ctx, 3, clock)
    publish(witness, ctx.ledger)
    clock.advance(minutes=1)
    ctx.ledger.rotate_key(actor="admin", reason="r")
    log(ctx, 2, clock)
    publish(witness, ctx.ledger)
    report = check(witness, ctx.ledger)
    assert report.ok, report.problems
    assert report.witness_heads == 2


def make_case(ctx: Rempart) -> int:
    with ctx.db.session() as s:
        item = Item(platform_ref="post-k", territories=["FR"])
        s.add(item)
        s.flush()
        case = Case(item_id=item.id)
        s.add(case)
        s.flush()
        return case.id


def test_bundles_before_and_after_rotation_verify(ctx: Rempart, clock: FakeClock) -> None:
    case_id = make_case(ctx)
    ctx.vault.store(None, b"threat", category="STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
                    actor="intake", case_id=case_id, media_type="text/plain")  # fmt: skip
    old_pem = ctx.ledger.public_key_pem()
    before = make_bundle(ctx, case_id=case_id, actor="legal", purpose="p", roles=["legal"]).data
    clock.advance(minutes=1)
    ctx.ledger.rotate_key(actor="admin", reason="r")
    new_pem = ctx.ledger.public_key_pem()
    clock.advance(minutes=1)
    after = make_bundle(ctx, case_id=case_id, actor="legal", purpose="p", roles=["legal"]).data
    assert vb.verify(before, old_pem)["keys_in_history"] == 1
    summary = vb.verify(after, new_pem)
    assert summary["keys_in_history"] == 2
    # who pinned only the old key follows its endorsement of the new one
    assert vb.verify(after, old_pem)["key_pinned"]
    # a bundle from before the rotation does not know the new key
    with pytest.raises(vb.Rejected, match="pinned"):
        vb.verify(before, new_pem)
    assert vb.verify(before, [new_pem, old_pem])["objects"] == 1


def test_bundle_forged_with_the_retired_key_is_rejected(ctx: Rempart, clock: FakeClock) -> None:
    """An insider kept the retired private key and re-signs a later bundle with it."""
    from tests.evidence.test_bundle import members, resign

    case_id = make_case(ctx)
    ctx.vault.store(None, b"threat", category="STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
                    actor="intake", case_id=case_id, media_type="text/plain")  # fmt: skip
    retired = private(ctx)
    clock.advance(minutes=1)
    ctx.ledger.rotate_key(actor="admin", reason="r")
    new_pem = ctx.ledger.public_key_pem()
    clock.advance(minutes=1)
    blob = make_bundle(ctx, case_id=case_id, actor="legal", purpose="p", roles=["legal"]).data
    keys = json.loads(members(blob)["manifest.json"])["keys"]
    # keeping the true history: the head is dated after the retired key's end
    forged = resign(blob, retired)
    files = members(forged)
    manifest = json.loads(files["manifest.json"])
    manifest["keys"] = keys
    files["manifest.json"] = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()
    files["manifest.sig"] = retired.sign(files["manifest.json"]).hex().encode() + b"\n"
    from rempart.evidence.bundle import canonical_zip

    with pytest.raises(vb.Rejected, match="retired key cannot sign"):
        vb.verify(canonical_zip(list(files.items())))
    # dropping the history that retires it: caught by pinning the published current key
    with pytest.raises(vb.Rejected, match="pinned"):
        vb.verify(resign(blob, retired), new_pem)


def test_rotate_key_api_and_cli(
    ctx: Rempart, clock: FakeClock, keys: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from rempart.api.app import create_app

    with TestClient(create_app(ctx)) as client:
        first = client.get("/v1/ledger/keys").json()
        assert len(first) == 1 and first[0]["current"]
        for role in ("legal", "auditor", "moderator"):
            r = client.post("/v1/ledger/keys/rotate", json={"reason": "x"},
                            headers={"X-API-Key": keys[role]})  # fmt: skip
            assert r.status_code == 403
        assert client.post("/v1/ledger/keys/rotate", json={"reason": ""},
                           headers={"X-API-Key": keys["admin"]}).status_code == 422  # fmt: skip
        clock.advance(minutes=1)
        r = client.post("/v1/ledger/keys/rotate", json={"reason": "compromise drill"},
                        headers={"X-API-Key": keys["admin"]})  # fmt: skip
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["previous_key_id"] == first[0]["key_id"]
        assert client.get("/v1/ledger/public-key").json()["key_id"] == body["key_id"]
        events = client.get("/v1/ledger/events", params={"kind": "ledger.key_rotated"},
                            headers={"X-API-Key": keys["auditor"]}).json()  # fmt: skip
        assert events[0]["actor"] == "test-admin"
    monkeypatch.setenv("REMPART_HOME", str(ctx.settings.home))
    monkeypatch.setenv("REMPART_DATABASE_URL", ctx.settings.db_url)
    get_settings.cache_clear()
    runner = CliRunner()
    out = runner.invoke(cli, ["ledger", "rotate-key", "--reason", "cli drill", "--by", "ops"])
    assert out.exit_code == 0, out.output
    listed = runner.invoke(cli, ["ledger", "keys"])
    assert listed.exit_code == 0 and len(json.loads(listed.stdout)) == 3
    verified = runner.invoke(cli, ["ledger", "verify"])
    assert verified.exit_code == 0 and "ledger intact" in verified.stdout
    bad = runner.invoke(cli, ["ledger", "rotate-key", "--reason", "  "])
    assert bad.exit_code != 0 and "reason" in bad.output
    get_settings.cache_clear()
