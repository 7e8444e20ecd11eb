"""The history of the ledger's signing keys, and which key may sign a head at a given time.

Every key the ledger ever signed with stays in ``ledger_key`` with its validity period
(``valid_from`` .. ``valid_until``; the first key has no start, the current one no end). A
rotation is one transaction that logs a ``ledger.key_rotated`` event (naming the new public
key), signs a last head with the old key over it, closes the old key's period and opens the new
one's at the same instant. The old key also *endorses* the new one: it signs
``rempart-ledger-key-v1|<new raw public key hex>|<valid_from>``, so anyone who pinned the old
key can follow the chain to the new one without trusting the operator. The retired private key
is destroyed (its file is replaced); its public key keeps every old head verifiable, and a head
that names a retired key with a timestamp after its retirement is rejected.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import BaseModel, Field

from rempart.clock import as_utc
from rempart.evidence.ledger.signing import LedgerKeyError, iso, load_public_pem, signature_valid

KEY_VERSION = "rempart-ledger-key-v1"
ROTATION_KIND = "ledger.key_rotated"
KEYS_SUBJECT = "ledger:keys"


class SigningKeyOut(BaseModel):
    """One key of the history: its public half and when it was allowed to sign heads."""

    key_id: str
    algorithm: str = "Ed25519"
    public_key_pem: str
    valid_from: datetime | None = Field(None, description="none: from the start of the log")
    valid_until: datetime | None = Field(None, description="none: the current key")
    previous_key_id: str | None = None
    endorsement: str | None = Field(
        None, description="the previous key's Ed25519 signature (hex) of the key message"
    )
    rotation_seq: int | None = Field(None, description="seq of the ledger.key_rotated event")
    reason: str = ""
    current: bool = False


class RotateKeyIn(BaseModel):
    """Why the signing key is being rotated (kept in the ledger event)."""

    reason: str = Field(min_length=1, max_length=1000, description="e.g. scheduled yearly")


def raw_hex(public: Ed25519PublicKey) -> str:
    """The 32 raw bytes of a public key, hex."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return raw.hex()


def key_message(public: Ed25519PublicKey, valid_from: datetime) -> bytes:
    """The bytes a retiring key signs to endorse its successor."""
    return f"{KEY_VERSION}|{raw_hex(public)}|{iso(valid_from)}".encode()


def valid_at(key: SigningKeyOut, at: datetime) -> bool:
    """Whether ``key`` was allowed to sign at ``at`` (both ends of the period included)."""
    t = as_utc(at)
    if key.valid_from is not None and t < as_utc(key.valid_from):
        return False
    return key.valid_until is None or t <= as_utc(key.valid_until)


def head_key_problem(
    keys: Sequence[SigningKeyOut], key_id: str, timestamp: datetime, signature: str, message: bytes
) -> tuple[str, str] | None:
    """Why a head's signature is not acceptable (kind, detail), or None when it is."""
    key = next((k for k in keys if k.key_id == key_id), None)
    if key is None:
        return "head_key", f"names signing key {key_id}, which is not in the ledger's key history"
    if not valid_at(key, timestamp):
        if key.valid_until is not None and as_utc(timestamp) > as_utc(key.valid_until):
            return "head_key", (
                f"is dated {iso(timestamp)}, after its key {key_id} was retired "
                f"({iso(key.valid_until)})"
            )
        start = iso(key.valid_from) if key.valid_from else "the start"
        return "head_key", f"is dated {iso(timestamp)}, before its key {key_id} was valid ({start})"
    try:
        public = load_public_pem(key.public_key_pem)
    except (ValueError, LedgerKeyError):
        return "head_key", f"names key {key_id}, whose stored public key is unreadable"
    if not signature_valid(public, signature, message):
        return "head_signature", "has an invalid signature: it was forged or altered"
    return None


def rotation_data(new: SigningKeyOut) -> dict[str, Any]:
    """What the ``ledger.key_rotated`` event records about the new key."""
    return {
        "previous_key_id": new.previous_key_id,
        "key_id": new.key_id,
        "public_key_pem": new.public_key_pem,
        "valid_from": iso(new.valid_from) if new.valid_from else None,
        "endorsement": new.endorsement,
        "reason": new.reason,
    }


def history_problems(
    keys: Sequence[SigningKeyOut], rotations: dict[int, dict[str, Any]]
) -> list[str]:
    """What is wrong with the key history: broken chain, bad endorsement, no ledger event.

    ``rotations`` maps the seq of each ``ledger.key_rotated`` event to its data.
    """
    problems: list[str] = []
    if not keys:
        return problems
    if keys[0].valid_from is not None or keys[0].previous_key_id is not None:
        problems.append(f"the first key {keys[0].key_id} claims a predecessor or a start")
    current = [k.key_id for k in keys if k.valid_until is None]
    if current != [keys[-1].key_id]:
        problems.append("exactly the last key of the history must be current (no end)")
    named = {k.rotation_seq for k in keys if k.rotation_seq is not None}
    for seq in sorted(set(rotations) - named):
        problems.append(f"ledger event {seq} rotates to a key the key history does not hold")
    for prev, key in itertools.pairwise(keys):
        where = f"key {key.key_id}"
        if key.previous_key_id != prev.key_id:
            problems.append(f"{where} does not follow {prev.key_id} in the history")
        if (
            key.valid_from is None
            or prev.valid_until is None
            or (as_utc(key.valid_from) != as_utc(prev.valid_until))
        ):
            problems.append(f"{where} does not start when {prev.key_id} was retired")
            continue
        try:
            public = load_public_pem(key.public_key_pem)
            endorsed = signature_valid(
                load_public_pem(prev.public_key_pem),
                key.endorsement or "",
                key_message(public, key.valid_from),
            )
        except (ValueError, LedgerKeyError):
            endorsed = False
        if not endorsed:
            problems.append(f"{where} is not endorsed by the key it replaced ({prev.key_id})")
        event = rotations.get(key.rotation_seq) if key.rotation_seq is not None else None
        if event != rotation_data(key):
            problems.append(
                f"{where} has no matching {ROTATION_KIND} event in the ledger "
                f"(seq {key.rotation_seq}): the key history was altered"
            )
    return problems
