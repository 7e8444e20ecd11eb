"""Law-enforcement export bundles: evidence, metadata, chain of custody, proofs, signed head.

A bundle is a ZIP archive written byte-for-byte canonically (stored members, fixed times, a
fixed member order), so ``tools/verify_bundle.py`` can rebuild it from its members and reject
any byte that differs. Layout::

    manifest.json            bundle id, case, objects, every other member's sha256 and size,
                             the ledger public key (PEM) and key id, and the whole key
                             history (each key's validity and its endorsement by the key it
                             replaced), so a verifier who pinned an older key can follow it
    manifest.sig             Ed25519 signature (hex) of manifest.json with the ledger key
    tree_head.json           the signed ledger head every proof is against
    evidence/<sha256>        the decrypted original (read through ``Vault.export``: logged)
    metadata/<sha256>.json   the vault's description of the object, and its sealed metadata
    custody/<sha256>.json    every ledger event about the object, each with its leaf bytes
    custody/case-<id>.json   every ledger event about the case (the export itself included)
    proofs/<seq>.json        an RFC 9162 inclusion proof of event ``seq`` in the head
    <extra members>          e.g. ``referral.json`` for an Art. 18 referral

Building one appends ``evidence.exported`` per object and one ``bundle.exported`` event (who,
when, which case, why) before the head is signed, so the export is in its own custody.
"""

from __future__ import annotations

import hashlib
import json
import struct
import uuid
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from rempart.clock import as_utc
from rempart.context import Rempart
from rempart.errors import Invalid, NotFound, RempartError
from rempart.evidence.ledger import merkle
from rempart.evidence.ledger.keys import SigningKeyOut
from rempart.evidence.ledger.models import LedgerEvent
from rempart.evidence.ledger.schemas import EventOut, TreeHead
from rempart.evidence.ledger.service import leaf_data
from rempart.evidence.ledger.signing import iso, key_id, public_pem
from rempart.evidence.vault.models import VaultObject
from rempart.evidence.vault.service import subject as object_subject
from rempart.moderation.models import Case

FORMAT = "rempart-bundle-v1"
MEDIA_TYPE = "application/vnd.rempart.bundle+zip"  # a bundle kept in the vault (referrals)
MAX_OBJECTS = 500
_PAGE = 1000

# --- canonical ZIP (the verifier carries the same writer and rebuilds to compare) ----------

_DOS_DATE = (0 << 9) | (1 << 5) | 1  # 1980-01-01
_FLAGS = 0x0800  # names are UTF-8
_LOCAL = struct.Struct("<IHHHHHIIIHH")
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
_END = struct.Struct("<IHHHHIIH")


def canonical_zip(members: Sequence[tuple[str, bytes]]) -> bytes:
    """A ZIP of stored members, every header field fixed: the same members give the same bytes."""
    out = bytearray()
    central = bytearray()
    for name, data in members:
        raw = name.encode()
        crc = zlib.crc32(data)
        offset = len(out)
        out += _LOCAL.pack(
            0x04034B50, 20, _FLAGS, 0, 0, _DOS_DATE, crc, len(data), len(data), len(raw), 0
        )
        out += raw + data
        central += _CENTRAL.pack(
            0x02014B50, 0x0314, 20, _FLAGS, 0, 0, _DOS_DATE, crc, len(data), len(data),
            len(raw), 0, 0, 0, 0, 0o100644 << 16, offset,
        )  # fmt: skip
        central += raw
    start = len(out)
    out += central
    out += _END.pack(0x06054B50, 0, 0, len(members), len(members), len(central), start, 0)
    return bytes(out)


def _json(value: Any) -> bytes:
    """Readable, stable JSON for a bundle member."""
    return (json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


class BundleError(RempartError):
    """The ledger disagrees with itself while building a bundle: refuse to export."""

    status = 500
    code = "bundle_ledger_mismatch"


@dataclass(frozen=True)
class Bundle:
    """A built bundle: the archive and what a referral records about it."""

    data: bytes
    bundle_id: str
    manifest_sha256: str
    object_ids: list[int]
    tree_size: int


def _objects(ctx: Rempart, case_id: int | None, object_ids: Sequence[int] | None) -> list[int]:
    """The live objects to export: those named, or every live one of the case."""
    with ctx.db.session() as s:
        if case_id is not None and s.get(Case, case_id) is None:
            raise NotFound(f"no case {case_id}")
        if object_ids:
            rows = list(s.scalars(select(VaultObject).where(VaultObject.id.in_(object_ids))))
            missing = sorted(set(object_ids) - {r.id for r in rows})
            if missing:
                raise NotFound(f"no vault object {missing[0]}")
            wrong = [r.id for r in rows if case_id is not None and r.case_id != case_id]
            if wrong:
                raise Invalid(f"vault object {wrong[0]} does not belong to case {case_id}")
        else:
            stmt = select(VaultObject).where(
                VaultObject.case_id == case_id,
                VaultObject.destroyed_at.is_(None),
                VaultObject.media_type != MEDIA_TYPE,  # earlier bundles are not evidence
            )
            rows = list(s.scalars(stmt.order_by(VaultObject.id)))
    ids = sorted({r.id for r in rows})
    if len(ids) > MAX_OBJECTS:
        raise Invalid(f"a bundle holds at most {MAX_OBJECTS} objects; split the export")
    return ids


def _custody(ctx: Rempart, subject: str, tree_size: int) -> list[EventOut]:
    """Every event about ``subject`` inside the first ``tree_size`` events, in seq order."""
    out: list[EventOut] = []
    after: int | None = None
    while True:
        page = ctx.ledger.events(subject=subject, after_seq=after, limit=_PAGE)
        out.extend(e for e in page if e.seq < tree_size)
        if len(page) < _PAGE or page[-1].seq >= tree_size:
            return out
        after = page[-1].seq


def _leaves(ctx: Rempart, tree_size: int) -> list[bytes]:
    """The stored leaf hashes of the first ``tree_size`` events."""
    with ctx.db.session() as s:
        stmt = (
            select(LedgerEvent.leaf_hash)
            .where(LedgerEvent.seq < tree_size)
            .order_by(LedgerEvent.seq)
        )
        return [bytes.fromhex(h) for h in s.scalars(stmt)]


def _event_entry(e: EventOut) -> dict[str, Any]:
    """One custody entry: the event and the exact leaf bytes it hashes to."""
    leaf = leaf_data(e.seq, e.at, e.kind, e.actor, e.subject, e.data)
    if merkle.leaf_hash(leaf).hex() != e.leaf_hash:
        raise BundleError(
            f"ledger event {e.seq} does not hash to its stored leaf; run `rempart ledger verify`"
        )
    return {"seq": e.seq, "leaf": leaf.decode(), "leaf_hash": e.leaf_hash}


def _head_json(head: TreeHead) -> dict[str, Any]:
    """The head as the verifier reads it (the timestamp exactly as signed)."""
    return {
        "version": head.version,
        "tree_size": head.tree_size,
        "root_hash": head.root_hash,
        "timestamp": iso(head.timestamp),
        "signature": head.signature,
        "key_id": head.key_id,
    }


def _key_json(k: SigningKeyOut) -> dict[str, Any]:
    """One key of the history as the verifier reads it (times exactly as endorsed)."""
    return {
        "key_id": k.key_id,
        "public_key_pem": k.public_key_pem,
        "valid_from": iso(k.valid_from) if k.valid_from else None,
        "valid_until": iso(k.valid_until) if k.valid_until else None,
        "previous_key_id": k.previous_key_id,
        "endorsement": k.endorsement,
    }


def make_bundle(
    ctx: Rempart,
    *,
    case_id: int | None = None,
    object_ids: Sequence[int] | None = None,
    actor: str,
    purpose: str,
    roles: Sequence[str],
    extra: dict[str, bytes] | None = None,
) -> Bundle:
    """Build a bundle for a case or some objects (see the module docstring); logged."""
    if case_id is None and not object_ids:
        raise Invalid("name a case or the vault objects to export")
    if not actor.strip() or not purpose.strip():
        raise Invalid("name who exports and the purpose of the export")
    ids = _objects(ctx, case_id, object_ids)
    bundle_id = str(uuid.uuid4())
    case_ref = f"case:{case_id}" if case_id is not None else f"bundle:{bundle_id}"
    originals: dict[int, bytes] = {}
    for oid in ids:  # each read checks the roles' clearance and logs evidence.exported
        originals[oid] = ctx.vault.export(
            oid, principal_roles=list(roles), actor=actor, case_ref=case_ref, purpose=purpose
        )
    details = {oid: ctx.vault.describe(oid) for oid in ids}
    metas = {
        oid: ctx.vault.describe(oid, principal_roles=list(roles), actor=actor, case_ref=case_ref)
        for oid in ids
    }
    ctx.ledger.append_now(
        "bundle.exported",
        actor=actor,
        subject=case_ref,
        data={
            "bundle_id": bundle_id,
            "case_id": case_id,
            "object_ids": ids,
            "purpose": purpose,
            "roles": sorted(roles),
        },
    )
    key = ctx.ledger.signer()
    head = ctx.ledger.sign_head()
    if head.key_id != key_id(key.public_key()):
        raise BundleError("the ledger key was rotated during the export; export again")
    leaves = _leaves(ctx, head.tree_size)
    if len(leaves) != head.tree_size or merkle.root(leaves).hex() != head.root_hash:
        raise BundleError("the ledger's leaves do not give the signed root")
    members: list[tuple[str, bytes]] = []
    objects: list[dict[str, Any]] = []
    seqs: set[int] = set()
    subjects = [(case_ref, f"custody/{case_ref.replace(':', '-')}.json")]
    for oid in ids:
        d = details[oid]
        objects.append(
            {
                "object_id": oid,
                "sha256": d.sha256,
                "category": d.category,
                "media_type": d.media_type,
                "size": d.size,
            }
        )
        members.append((f"evidence/{d.sha256}", originals[oid]))
        meta = json.loads(d.model_dump_json())
        meta["metadata"] = metas[oid].metadata
        members.append((f"metadata/{d.sha256}.json", _json(meta)))
        subjects.append((object_subject(oid), f"custody/{d.sha256}.json"))
    for subj, path in subjects:
        events = [_event_entry(e) for e in _custody(ctx, subj, head.tree_size)]
        seqs.update(e["seq"] for e in events)
        members.append((path, _json({"subject": subj, "events": events})))
    for seq in sorted(seqs):
        proof = {
            "seq": seq,
            "tree_size": head.tree_size,
            "leaf_hash": leaves[seq].hex(),
            "root_hash": head.root_hash,
            "path": [p.hex() for p in merkle.inclusion_path(seq, leaves)],
        }
        members.append((f"proofs/{seq}.json", _json(proof)))
    members.append(("tree_head.json", _json(_head_json(head))))
    for name, data in sorted((extra or {}).items()):
        members.append((name, data))
    names = [n for n, _ in members]
    if len(set(names)) != len(names) or {"manifest.json", "manifest.sig"} & set(names):
        raise Invalid("bundle member names must be unique and not manifest.*")
    manifest = {
        "format": FORMAT,
        "bundle_id": bundle_id,
        "created_at": iso(as_utc(ctx.clock())),
        "created_by": actor,
        "purpose": purpose,
        "case_id": case_id,
        "objects": objects,
        "tree_size": head.tree_size,
        "root_hash": head.root_hash,
        "files": [
            {"path": n, "sha256": hashlib.sha256(b).hexdigest(), "size": len(b)} for n, b in members
        ],
        "public_key_pem": public_pem(key.public_key()),
        "key_id": key_id(key.public_key()),
        "keys": [_key_json(k) for k in ctx.ledger.key_history()],
    }
    manifest_bytes = _json(manifest)
    signature = key.sign(manifest_bytes).hex().encode() + b"\n"
    archive = canonical_zip(
        [("manifest.json", manifest_bytes), ("manifest.sig", signature), *members]
    )
    return Bundle(
        data=archive,
        bundle_id=bundle_id,
        manifest_sha256=hashlib.sha256(manifest_bytes).hexdigest(),
        object_ids=ids,
        tree_size=head.tree_size,
    )


def build_bundle(
    ctx: Rempart,
    *,
    case_id: int | None = None,
    object_ids: Sequence[int] | None = None,
    actor: str,
    purpose: str,
    roles: Sequence[str],
) -> bytes:
    """The archive of ``make_bundle``: evidence, custody, proofs and head, signed."""
    return make_bundle(
        ctx, case_id=case_id, object_ids=object_ids, actor=actor, purpose=purpose, roles=roles
    ).data
