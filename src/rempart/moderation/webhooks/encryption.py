"""Encryption at rest of webhook signing secrets, with AES-256-GCM.

The HMAC secrets and Ed25519 private keys of webhook endpoints are *encrypted*, not hashed:
Rempart has to read them back to sign every delivery. The 256-bit key is
``REMPART_SECRET_KEY`` (base64 of 32 bytes) or, when that is unset, ``<home>/secret.key``,
generated on first use with 0600 permissions. Whoever holds both the key and the database can
read the secrets, so keep the key out of database backups.

Each value is bound to its endpoint's name (GCM associated data), so a ciphertext copied to
another row does not decrypt.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from rempart.config import Settings
from rempart.errors import RempartError

PREFIX = "v1:"  # format version of stored values: v1:<base64(nonce || ciphertext || tag)>
NONCE_BYTES = 12
KEY_FILE = "secret.key"


class SecretKeyError(RempartError):
    """The encryption key is missing, malformed, or not the one the secrets were stored with."""

    status = 503
    code = "secret_key"


def generate_key() -> str:
    """A new random key, base64-encoded, as ``REMPART_SECRET_KEY`` expects."""
    return base64.b64encode(secrets.token_bytes(32)).decode()


def _decode_key(text: str, origin: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != 32:
        raise SecretKeyError(
            f"{origin} must be the base64 encoding of 32 random bytes; make one with "
            '`python -c "import base64, os; print(base64.b64encode(os.urandom(32)).decode())"`'
        )
    return key


def _create_key_file(path: Path) -> None:
    """Write a new key atomically with 0600 permissions; keep an existing one (first wins)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, (generate_key() + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)  # fails if another process created the key first
    except FileExistsError:
        pass
    finally:
        tmp.unlink()


def load_key(settings: Settings) -> bytes:
    """The 32-byte key: from ``settings.secret_key``, else the key file under ``home``."""
    if settings.secret_key:
        return _decode_key(settings.secret_key, "REMPART_SECRET_KEY")
    path = settings.home / KEY_FILE
    if not path.exists():
        _create_key_file(path)
    return _decode_key(path.read_text(), str(path))


class SecretBox:
    """Encrypts and decrypts small secrets with one AES-256-GCM key."""

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise SecretKeyError("the webhook encryption key must be 32 bytes")
        self._aead = AESGCM(key)

    def encrypt(self, plaintext: bytes, *, context: str) -> str:
        """A printable ciphertext of ``plaintext``, bound to ``context`` (the endpoint name)."""
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext, context.encode())
        return PREFIX + base64.b64encode(nonce + sealed).decode()

    def decrypt(self, token: str, *, context: str) -> bytes:
        """The plaintext of ``token``; a clear error if the key changed or the value was altered."""
        try:
            if not token.startswith(PREFIX):
                raise ValueError("unknown format")
            raw = base64.b64decode(token.removeprefix(PREFIX), validate=True)
            return self._aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context.encode())
        except (InvalidTag, ValueError, binascii.Error):
            raise SecretKeyError(
                f"cannot decrypt the signing secret of webhook endpoint {context!r}: the "
                "encryption key (REMPART_SECRET_KEY or <home>/secret.key) is not the one it was "
                "stored with, or the stored value was altered"
            ) from None
