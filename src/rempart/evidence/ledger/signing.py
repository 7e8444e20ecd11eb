"""The Ed25519 key that signs tree heads, and the exact bytes it signs.

The private key is ``<home>/ledger_ed25519.pem`` (PKCS#8), generated on first use with 0600
permissions, like the webhook secret key; ``rempart ledger rotate-key`` replaces it and keeps
the old public key in the key history (``keys.py``). Anyone holding the public key (``GET
/v1/ledger/public-key``) can check a head: the signed message is the UTF-8 text
``version|tree_size|timestamp|root_hash`` with the timestamp as ``YYYY-MM-DDTHH:MM:SS.ffffffZ``
and the root as lower-case hex.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from rempart.clock import as_utc
from rempart.config import Settings
from rempart.errors import RempartError

KEY_FILE = "ledger_ed25519.pem"


class LedgerKeyError(RempartError):
    """The ledger's signing key file is unreadable or not an Ed25519 private key."""

    status = 503
    code = "ledger_key"


def iso(at: datetime) -> str:
    """The canonical text of a time: UTC, microseconds, a trailing Z."""
    return as_utc(at).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def head_message(version: str, tree_size: int, timestamp: datetime, root_hash: str) -> bytes:
    """The bytes a tree head's signature covers."""
    return f"{version}|{tree_size}|{iso(timestamp)}|{root_hash}".encode()


def key_id(public: Ed25519PublicKey) -> str:
    """A short stable name of a public key: the first 16 bytes of SHA-256 of its raw form, hex."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:32]


def public_pem(public: Ed25519PublicKey) -> str:
    """The public key as SubjectPublicKeyInfo PEM."""
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def load_public_pem(text: str) -> Ed25519PublicKey:
    """Parse a PEM public key; a clear error when it is not Ed25519."""
    key = serialization.load_pem_public_key(text.encode())
    if not isinstance(key, Ed25519PublicKey):
        raise LedgerKeyError("the ledger public key is not an Ed25519 key")
    return key


def write_private_key(path: Path, *, replace: bool = False) -> Ed25519PrivateKey:
    """Write a new private key atomically with 0600 permissions and return it.

    Without ``replace`` an existing file wins (two processes starting at once) and the key
    returned is the one in the file; with it, the file is overwritten.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, pem)
        os.fsync(fd)
    finally:
        os.close(fd)
    if replace:
        os.replace(tmp, path)
        return key
    try:
        os.link(tmp, path)  # fails if another process created the key first
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return key


def load_signing_key(settings: Settings) -> Ed25519PrivateKey:
    """The private key under ``settings.home``, generated on first use."""
    path = settings.home / KEY_FILE
    if not path.exists():
        write_private_key(path)
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError, OSError) as exc:
        raise LedgerKeyError(f"cannot read the ledger signing key {path}: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise LedgerKeyError(f"{path} is not an Ed25519 private key")
    return key


def signature_valid(public: Ed25519PublicKey, signature_hex: str, message: bytes) -> bool:
    """Whether ``signature_hex`` is a valid Ed25519 signature of ``message``."""
    try:
        public.verify(bytes.fromhex(signature_hex), message)
    except (InvalidSignature, ValueError):
        return False
    return True
