"""Law-enforcement export bundles and the standalone verifier, on SQLite and PostgreSQL.

The verifier is loaded from ``tools/verify_bundle.py`` as a file (it is not part of the
package) and also run as a program, as an investigator would run it."""

from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from rempart.context import Rempart
from rempart.errors import Invalid, NotFound
from rempart.evidence.bundle import canonical_zip, make_bundle
from rempart.evidence.ledger.signing import public_pem
from rempart.evidence.vault.service import Forbidden
from rempart.moderation.models import Case, Item

TOOL = Path(__file__).resolve().parents[2] / "tools" / "verify_bundle.py"
OTHER = "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH"


def load_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("verify_bundle", TOOL)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


vb = load_tool()


def make_case(ctx: Rempart, ref: str = "post-1") -> int:
    with ctx.db.session() as s:
        item = Item(platform_ref=ref, territories=["FR"])
        s.add(item)
        s.flush()
        case = Case(item_id=item.id)
        s.add(case)
        s.flush()
        return case.id


def store(ctx: Rempart, case_id: int, data: bytes, category: str = OTHER) -> int:
    return ctx.vault.store(
        None, data, category=category, actor="intake", case_id=case_id,
        media_type="text/plain", metadata={"ip": "198.51.100.7"},
    ).id  # fmt: skip


def bundle(ctx: Rempart, case_id: int, roles: list[str] | None = None) -> Any:
    return make_bundle(
        ctx, case_id=case_id, actor="legal:ann", purpose="LE request 42", roles=roles or ["legal"]
    )


def members(blob: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(blob)) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def test_bundle_layout_custody_and_export_event(ctx: Rempart) -> None:
    case_id = make_case(ctx)
    a = store(ctx, case_id, b"threat message one")
    b = store(ctx, case_id, b"threat message two")
    out = bundle(ctx, case_id)
    files = members(out.data)
    manifest = json.loads(files["manifest.json"])
    assert manifest["case_id"] == case_id and out.object_ids == [a, b]
    assert list(files)[:2] == ["manifest.json", "manifest.sig"]
    assert manifest["public_key_pem"] == ctx.ledger.public_key_pem()
    shas = [o["sha256"] for o in manifest["objects"]]
    assert files[f"evidence/{shas[0]}"] == b"threat message one"
    assert json.loads(files[f"metadata/{shas[1]}.json"])["metadata"] == {"ip": "198.51.100.7"}
    custody = json.loads(files[f"custody/{shas[0]}.json"])
    kinds = [json.loads(e["leaf"])["kind"] for e in custody["events"]]
    assert kinds[:2] == ["evidence.stored", "evidence.exported"]
    case_events = json.loads(files[f"custody/case-{case_id}.json"])["events"]
    export = json.loads(case_events[-1]["leaf"])
    assert export["kind"] == "bundle.exported" and export["actor"] == "legal:ann"
    assert export["data"]["object_ids"] == [a, b] and export["data"]["bundle_id"] == out.bundle_id
    for e in custody["events"] + case_events:
        assert f"proofs/{e['seq']}.json" in files
    head = json.loads(files["tree_head.json"])
    assert head["tree_size"] == out.tree_size == ctx.ledger.latest_head().tree_size  # type: ignore[union-attr]
    summary = vb.verify(out.data, ctx.ledger.public_key_pem())
    assert summary["objects"] == 2 and summary["key_pinned"]
    assert summary["custody_events"] == len(custody["events"]) * 2 + len(case_events)
    assert ctx.ledger.verify().ok


def test_every_single_byte_change_is_rejected(ctx: Rempart) -> None:
    case_id = make_case(ctx)
    store(ctx, case_id, b"x")
    blob = bundle(ctx, case_id).data
    pem = ctx.ledger.public_key_pem()
    vb.verify(blob, pem)
    assert 4000 < len(blob) < 40_000  # every position of a realistic small bundle is flipped
    accepted = []
    for i in range(len(blob)):
        changed = bytearray(blob)
        changed[i] ^= 0x01 if i % 2 else 0x80
        try:
            vb.verify(bytes(changed), pem)
        except vb.Rejected:
            continue
        accepted.append(i)
    assert accepted == [], f"altered bytes accepted at {accepted[:10]} of {len(blob)}"
    # and without the pinned key too: integrity needs no pin
    for i in range(0, len(blob), 7):
        changed = bytearray(blob)
        changed[i] ^= 0xFF
        with pytest.raises(vb.Rejected):
            vb.verify(bytes(changed))


def resign(
    blob: bytes,
    key: Ed25519PrivateKey,
    *,
    head: bool = True,
    replace: dict[str, bytes] | None = None,
) -> bytes:
    """What a forger holding another key can do: re-sign the head and the manifest."""
    files = members(blob)
    manifest = json.loads(files["manifest.json"])
    for name, data in (replace or {}).items():
        files[name] = data
        for f in manifest["files"]:
            if f["path"] == name:
                f["sha256"], f["size"] = hashlib.sha256(data).hexdigest(), len(data)
    kid = hashlib.sha256(key.public_key().public_bytes_raw()).hexdigest()[:32]
    manifest["key_id"] = kid
    if head:
        h = json.loads(files["tree_head.json"])
        msg = f"{h['version']}|{h['tree_size']}|{h['timestamp']}|{h['root_hash']}".encode()
        h["signature"] = key.sign(msg).hex()
        h["key_id"] = kid
        files["tree_head.json"] = (json.dumps(h, indent=2, sort_keys=True) + "\n").encode()
        for f in manifest["files"]:
            if f["path"] == "tree_head.json":
                f["sha256"] = hashlib.sha256(files["tree_head.json"]).hexdigest()
                f["size"] = len(files["tree_head.json"])
    manifest["public_key_pem"] = public_pem(key.public_key())
    manifest["keys"] = [
        {"key_id": kid, "public_key_pem": manifest["public_key_pem"], "valid_from": None,
         "valid_until": None, "previous_key_id": None, "endorsement": None}
    ]  # fmt: skip
    files["manifest.json"] = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()
    files["manifest.sig"] = key.sign(files["manifest.json"]).hex().encode() + b"\n"
    return canonical_zip(list(files.items()))


def test_resigned_by_another_key_rejected_when_pinned(ctx: Rempart) -> None:
    case_id = make_case(ctx)
    store(ctx, case_id, b"evidence")
    blob = bundle(ctx, case_id).data
    forged = resign(blob, Ed25519PrivateKey.generate())
    vb.verify(forged)  # self-consistent: passes unpinned, which is why the key must be pinned
    with pytest.raises(vb.Rejected, match="another key than the pinned"):
        vb.verify(forged, ctx.ledger.public_key_pem())
    half = resign(blob, Ed25519PrivateKey.generate(), head=False)
    with pytest.raises(vb.Rejected, match="tree head's signature"):
        vb.verify(half)


def test_well_signed_but_malformed_or_unproven_content_is_rejected(ctx: Rempart) -> None:
    case_id = make_case(ctx)
    store(ctx, case_id, b"evidence")
    blob = bundle(ctx, case_id).data
    custody = next(n for n in members(blob) if n.startswith("custody/case-"))
    key = Ed25519PrivateKey.generate()
    with pytest.raises(vb.Rejected, match="malformed"):
        vb.verify(resign(blob, key, replace={custody: b"[]"}))
    events = json.loads(members(blob)[custody])
    leaf = json.loads(events["events"][-1]["leaf"])
    leaf["actor"] = "someone-else"  # a rewritten event, its leaf hash recomputed to match
    text = json.dumps(leaf, sort_keys=True, separators=(",", ":"))
    events["events"][-1]["leaf"] = text
    events["events"][-1]["leaf_hash"] = hashlib.sha256(b"\x00" + text.encode()).hexdigest()
    forged = resign(blob, key, replace={custody: json.dumps(events).encode()})
    with pytest.raises(vb.Rejected, match=r"proof|proven"):
        vb.verify(forged)


def test_the_two_zip_writers_agree_and_zip_tools_read_it(ctx: Rempart) -> None:
    parts = [("a.txt", b"one"), ("dir/b.bin", bytes(range(256)))]
    assert vb.canonical_zip(parts) == canonical_zip(parts)
    with zipfile.ZipFile(io.BytesIO(canonical_zip(parts))) as zf:
        assert zf.testzip() is None and zf.read("dir/b.bin") == bytes(range(256))


def test_command_line_exit_codes(ctx: Rempart, tmp_path: Path) -> None:
    case_id = make_case(ctx)
    store(ctx, case_id, b"evidence")
    path, pem = tmp_path / "bundle.zip", tmp_path / "ledger.pem"
    blob = bundle(ctx, case_id).data
    path.write_bytes(blob)
    pem.write_text(ctx.ledger.public_key_pem())
    ok = subprocess.run(
        [sys.executable, str(TOOL), str(path), "--public-key", str(pem)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert ok.returncode == 0 and ok.stdout.startswith("OK: "), ok.stderr
    bad = bytearray(blob)
    bad[len(bad) // 2] ^= 1
    path.write_bytes(bytes(bad))
    no = subprocess.run(
        [sys.executable, str(TOOL), str(path)], capture_output=True, text=True, check=False
    )
    assert no.returncode == 1 and no.stderr.startswith("REJECTED: ")


def test_bad_requests(ctx: Rempart) -> None:
    case_id = make_case(ctx)
    with pytest.raises(Invalid):
        make_bundle(ctx, actor="a", purpose="p", roles=["legal"])
    with pytest.raises(NotFound):
        make_bundle(ctx, case_id=999, actor="a", purpose="p", roles=["legal"])
    with pytest.raises(NotFound):
        make_bundle(ctx, object_ids=[999], actor="a", purpose="p", roles=["legal"])
    other = make_case(ctx, "post-2")
    oid = store(ctx, other, b"elsewhere")
    with pytest.raises(Invalid):
        make_bundle(ctx, case_id=case_id, object_ids=[oid], actor="a", purpose="p", roles=["legal"])
    csam = store(ctx, case_id, b"csam bytes", "csam")
    with pytest.raises(Forbidden):
        make_bundle(ctx, object_ids=[csam], actor="a", purpose="p", roles=["legal"])
    out = make_bundle(ctx, object_ids=[csam], actor="cs", purpose="p", roles=["child_safety"])
    vb.verify(out.data, ctx.ledger.public_key_pem())
