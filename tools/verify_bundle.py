#!/usr/bin/env python3
"""Check a Rempart law-enforcement export bundle offline.

Needs only the Python standard library and ``cryptography``. Usage::

    python tools/verify_bundle.py bundle.zip [--public-key ledger.pem ...]

It checks, in order: that the archive is exactly the canonical ZIP of its members (so no byte
anywhere can change unnoticed), the Ed25519 signature of ``manifest.json`` (``manifest.sig``),
every member's sha256 and size against the manifest (and that nothing is missing or extra),
the signed tree head, every chain-of-custody event's leaf hash recomputed from its leaf bytes,
and every event's RFC 9162 inclusion proof against the head's root. Without ``--public-key``
the key in the manifest is used, which proves integrity but not origin: pin the platform's
published ledger key to prove the bundle came from it.

Keys rotate: the manifest carries the ledger's key history (each key with its validity period
and the previous key's Ed25519 endorsement of ``rempart-ledger-key-v1|<raw key hex>|<from>``).
The verifier checks that chain, that the head's timestamp lies in the signing key's period (a
retired key cannot sign later heads), and accepts a pinned key that is the signing key or any
earlier key of the chain: trust follows the endorsements forward. ``--public-key`` may be given
several times (e.g. every key the platform ever published).

Exit status 0 with a summary when everything holds; 1 naming the first failure; 2 on usage.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import struct
import sys
import zipfile
import zlib
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

FORMAT = "rempart-bundle-v1"
HEAD_VERSION = "rempart-ledger-v1"
KEY_VERSION = "rempart-ledger-key-v1"

_DOS_DATE = (0 << 9) | (1 << 5) | 1  # 1980-01-01
_FLAGS = 0x0800
_LOCAL = struct.Struct("<IHHHHHIIIHH")
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
_END = struct.Struct("<IHHHHIIH")


class Rejected(Exception):
    """The bundle fails a check; the message names it."""


def canonical_zip(members: list[tuple[str, bytes]]) -> bytes:
    """The canonical ZIP of stored members (the same writer the platform uses)."""
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


# --- RFC 9162 §2.1 ----------------------------------------------------------------------


def leaf_hash(data: bytes) -> bytes:
    """SHA-256(0x00 || data)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def verify_inclusion(index: int, size: int, leaf: bytes, path: list[bytes], root: bytes) -> bool:
    """RFC 9162 §2.1.3.2: whether ``path`` proves ``leaf`` is leaf ``index`` of tree ``root``."""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


# --- checks -----------------------------------------------------------------------------


def _members(blob: bytes) -> dict[str, bytes]:
    """The archive's members, after checking it is exactly their canonical ZIP."""
    try:
        with zipfile.ZipFile(io.BytesIO(blob)) as zf:
            members = [(i.filename, zf.read(i)) for i in zf.infolist()]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as exc:
        raise Rejected(f"not a readable ZIP archive: {exc}") from None
    except Exception as exc:  # zipfile raises many things on damaged input
        raise Rejected(f"not a readable ZIP archive: {type(exc).__name__}: {exc}") from None
    if canonical_zip(members) != blob:
        raise Rejected("the archive is not the canonical encoding of its members (altered bytes)")
    names = [n for n, _ in members]
    if len(set(names)) != len(names):
        raise Rejected("the archive names a member twice")
    return dict(members)


def _load_json(files: dict[str, bytes], name: str) -> Any:
    if name not in files:
        raise Rejected(f"{name} is missing")
    try:
        return json.loads(files[name].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise Rejected(f"{name} is not valid JSON: {exc}") from None


def _public_key(pem: str, what: str) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(pem.encode())
    except (ValueError, TypeError) as exc:
        raise Rejected(f"{what} is not a PEM public key: {exc}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise Rejected(f"{what} is not an Ed25519 public key")
    return key


def _raw(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _signed(key: Ed25519PublicKey, signature_hex: str, message: bytes) -> bool:
    try:
        key.verify(bytes.fromhex(signature_hex), message)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def _hex32(value: Any, what: str) -> bytes:
    if not isinstance(value, str) or len(value) != 64:
        raise Rejected(f"{what} is not a 64-character hex hash")
    try:
        out = bytes.fromhex(value)
    except ValueError:
        raise Rejected(f"{what} is not a 64-character hex hash") from None
    if out.hex() != value:
        raise Rejected(f"{what} is not lower-case hex")
    return out


def _key_chain(listed: Any) -> list[tuple[dict[str, Any], Ed25519PublicKey]]:
    """The manifest's key history, checked: each key endorsed by the one it replaced."""
    if listed is None:
        return []  # a bundle from before key histories: only the embedded key
    if not isinstance(listed, list) or not listed:
        raise Rejected("the manifest's key history is not a list of keys")
    chain: list[tuple[dict[str, Any], Ed25519PublicKey]] = []
    for i, entry in enumerate(listed):
        if not isinstance(entry, dict):
            raise Rejected("the manifest's key history holds a malformed key")
        key = _public_key(str(entry.get("public_key_pem", "")), f"key {i} of the history")
        if entry.get("key_id") != hashlib.sha256(_raw(key)).hexdigest()[:32]:
            raise Rejected(f"key {i} of the history has a key_id that does not name it")
        if not chain:
            if entry.get("valid_from") is not None or entry.get("previous_key_id") is not None:
                raise Rejected("the first key of the history claims a predecessor")
        else:
            prev, prev_key = chain[-1]
            start = entry.get("valid_from")
            if entry.get("previous_key_id") != prev.get("key_id") or not isinstance(start, str):
                raise Rejected(f"key {i} of the history does not follow key {i - 1}")
            if prev.get("valid_until") != start:
                raise Rejected(f"key {i} of the history does not start when key {i - 1} ended")
            message = f"{KEY_VERSION}|{_raw(key).hex()}|{start}".encode()
            if not _signed(prev_key, str(entry.get("endorsement", "")), message):
                raise Rejected(f"key {i} of the history is not endorsed by the key it replaced")
        chain.append((entry, key))
    if any(e.get("valid_until") is None for e, _ in chain[:-1]):
        raise Rejected("a key other than the last of the history has no end")
    return chain


def verify(blob: bytes, pinned_pem: str | list[str] | None = None) -> dict[str, Any]:
    """Every check of the module docstring; the summary, or ``Rejected`` at the first failure.

    ``pinned_pem``: one PEM public key, or several (any of them may be trusted).
    """
    pins = [pinned_pem] if isinstance(pinned_pem, str) else list(pinned_pem or [])
    try:
        return _verify(blob, pins)
    except (AttributeError, TypeError, KeyError, ValueError, IndexError) as exc:
        raise Rejected(f"malformed bundle ({type(exc).__name__}: {exc})") from None


def _verify(blob: bytes, pinned: list[str]) -> dict[str, Any]:
    files = _members(blob)
    manifest = _load_json(files, "manifest.json")
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise Rejected(f"manifest.json is not a {FORMAT} manifest")
    embedded = _public_key(str(manifest.get("public_key_pem", "")), "the manifest's public key")
    key = embedded
    chain = _key_chain(manifest.get("keys"))
    position = next((i for i, (_, k) in enumerate(chain) if _raw(k) == _raw(key)), None)
    if chain and position is None:
        raise Rejected("the manifest's key is not in its key history")
    if pinned:
        pins = {_raw(_public_key(p, "the pinned public key")) for p in pinned}
        trusted = [_raw(k) for _, k in chain[: (position or 0) + 1]] if chain else [_raw(key)]
        if not pins & set(trusted):
            raise Rejected(
                "the manifest names another key than the pinned one (nor one it endorsed)"
            )
    sig = files.get("manifest.sig", b"").decode("ascii", "replace").strip()
    if not _signed(key, sig, files["manifest.json"]):
        raise Rejected("manifest.sig is not a valid signature of manifest.json")
    if manifest.get("key_id") != hashlib.sha256(_raw(key)).hexdigest()[:32]:
        raise Rejected("the manifest's key_id does not name its key")

    listed = manifest.get("files")
    if not isinstance(listed, list):
        raise Rejected("the manifest has no file list")
    seen: set[str] = set()
    for entry in listed:
        path = entry.get("path") if isinstance(entry, dict) else None
        if not isinstance(path, str) or path in seen or path.startswith("manifest."):
            raise Rejected(f"the manifest lists a bad or repeated path: {path!r}")
        seen.add(path)
        if path not in files:
            raise Rejected(f"{path} is listed in the manifest but missing")
        data = files[path]
        if len(data) != entry.get("size") or hashlib.sha256(data).hexdigest() != entry.get(
            "sha256"
        ):
            raise Rejected(f"{path} does not match its sha256 and size in the manifest")
    extra = sorted(set(files) - seen - {"manifest.json", "manifest.sig"})
    if extra:
        raise Rejected(f"{extra[0]} is in the archive but not in the manifest")

    head = _load_json(files, "tree_head.json")
    size, root_hex = head.get("tree_size"), head.get("root_hash")
    root = _hex32(root_hex, "the head's root hash")
    if head.get("version") != HEAD_VERSION or not isinstance(size, int) or size < 1:
        raise Rejected("tree_head.json is not a rempart-ledger-v1 head")
    message = f"{head['version']}|{size}|{head.get('timestamp')}|{root_hex}".encode()
    if not _signed(key, str(head.get("signature", "")), message):
        raise Rejected("the tree head's signature is not valid for the key")
    if head.get("key_id") != manifest["key_id"]:
        raise Rejected("the tree head names another key")
    if manifest.get("tree_size") != size or manifest.get("root_hash") != root_hex:
        raise Rejected("the manifest and the tree head disagree")
    if chain:
        entry = chain[position or 0][0]
        stamp = str(head.get("timestamp"))
        start, end = entry.get("valid_from"), entry.get("valid_until")
        if (start is not None and stamp < start) or (end is not None and stamp > end):
            raise Rejected(
                f"the tree head is dated {stamp}, outside its key's validity "
                f"({start or 'start'} .. {end or 'now'}): a retired key cannot sign it"
            )

    objects = manifest.get("objects") or []
    subjects: dict[str, str] = {}
    for obj in objects:
        sha = obj.get("sha256")
        ev = files.get(f"evidence/{sha}")
        if ev is None or hashlib.sha256(ev).hexdigest() != sha or len(ev) != obj.get("size"):
            raise Rejected(f"the evidence of vault object {obj.get('object_id')} is wrong")
        _load_json(files, f"metadata/{sha}.json")
        subjects[f"custody/{sha}.json"] = f"vault_object:{obj.get('object_id')}"
    events = 0
    for path in sorted(p for p in files if p.startswith("custody/")):
        custody = _load_json(files, path)
        expected = subjects.get(path)
        if expected is not None and custody.get("subject") != expected:
            raise Rejected(f"{path} is the custody of another subject")
        for entry in custody.get("events", []):
            seq, leaf = entry.get("seq"), entry.get("leaf")
            if not isinstance(seq, int) or not isinstance(leaf, str):
                raise Rejected(f"{path} holds a malformed event")
            lh = leaf_hash(leaf.encode("utf-8"))
            if lh != _hex32(entry.get("leaf_hash"), f"event {seq}'s leaf hash"):
                raise Rejected(f"event {seq} in {path} does not hash to its leaf hash")
            fields = json.loads(leaf)
            if fields.get("seq") != seq or fields.get("subject") != custody.get("subject"):
                raise Rejected(f"event {seq} in {path} names another seq or subject")
            proof = _load_json(files, f"proofs/{seq}.json")
            path_hashes = [_hex32(p, f"proof {seq}'s path") for p in proof.get("path", [])]
            if proof.get("tree_size") != size or proof.get("leaf_hash") != entry["leaf_hash"]:
                raise Rejected(f"proofs/{seq}.json is not about this event in this head")
            if not verify_inclusion(seq, size, lh, path_hashes, root):
                raise Rejected(f"event {seq} is not proven included in the signed head")
            events += 1
    return {
        "bundle_id": manifest.get("bundle_id"),
        "case_id": manifest.get("case_id"),
        "created_at": manifest.get("created_at"),
        "objects": len(objects),
        "custody_events": events,
        "tree_size": size,
        "root_hash": root_hex,
        "key_id": manifest["key_id"],
        "key_pinned": bool(pinned),
        "keys_in_history": len(chain),
    }


def main(argv: list[str] | None = None) -> int:
    """Command line: verify one bundle, print a summary or the first failure."""
    parser = argparse.ArgumentParser(description="Verify a Rempart export bundle offline.")
    parser.add_argument("bundle", help="the bundle archive (.zip)")
    parser.add_argument(
        "--public-key",
        action="append",
        help="PEM file of a ledger public key the platform published (repeatable)",
    )
    args = parser.parse_args(argv)
    try:
        with open(args.bundle, "rb") as f:
            blob = f.read()
        pinned = []
        for name in args.public_key or []:
            with open(name, encoding="utf-8") as f:
                pinned.append(f.read())
    except OSError as exc:
        print(f"REJECTED: cannot read input: {exc}", file=sys.stderr)
        return 2
    try:
        summary = verify(blob, pinned)
    except Rejected as exc:
        print(f"REJECTED: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # malformed content must reject, never pass
        print(f"REJECTED: malformed bundle ({type(exc).__name__}: {exc})", file=sys.stderr)
        return 1
    print("OK: " + json.dumps(summary, sort_keys=True))
    if not summary["key_pinned"]:
        print("note: the key was not pinned (--public-key); origin is not proven", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
