"""Vault encryption: AES-256-GCM with one data key (DEK) per object, wrapped by a KEK.

Key-encryption keys (KEKs) come from ``REMPART_VAULT_KEK`` (base64 of 32 bytes) named by
``REMPART_VAULT_KEK_ID``, with keys being rotated out in ``REMPART_VAULT_OLD_KEKS`` (JSON
``{"id": "base64"}``). When ``REMPART_VAULT_KEK`` is unset they live in ``<home>/vault-kek``
(0600), one ``<id> <base64>`` line each, the last line current; it is generated on first use.
Keep the KEKs out of database and vault backups: with them gone, nothing can be decrypted.

Associated data binds every ciphertext to its object id and content hash, and every wrapped
DEK to its object id and KEK id, so a blob or key copied onto another object does not open.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from rempart.errors import RempartError

NONCE = 12
KEY_FILE = "vault-kek"


class VaultSettings(BaseSettings):
    """Vault keys and retention, read from ``REMPART_VAULT_*`` environment variables."""

    model_config = SettingsConfigDict(env_prefix="REMPART_VAULT_", extra="ignore")

    kek: str | None = Field(None, description="Current KEK, base64 of 32 bytes; file if unset.")
    kek_id: str = Field("env-1", description="Name of the current KEK (stored with each DEK).")
    old_keks: dict[str, str] = Field(
        default_factory=dict, description="KEKs being rotated out, by id (JSON object)."
    )
    retention_days: dict[str, int] = Field(
        default_factory=dict, description="Days an unheld object is kept, per category."
    )
    default_retention_days: int = Field(
        180, ge=0, description="Days for categories not in retention_days."
    )


class VaultKeyError(RempartError):
    """A KEK is missing or malformed, or a ciphertext does not open with the keys at hand."""

    status = 503
    code = "vault_key"


def new_key() -> bytes:
    """32 random bytes: a fresh DEK or KEK."""
    return secrets.token_bytes(32)


def decode_key(text: str, origin: str) -> bytes:
    """A 32-byte key from its base64 text; a clear error naming ``origin`` otherwise."""
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != 32:
        raise VaultKeyError(f"{origin} must be the base64 encoding of 32 random bytes")
    return key


@dataclass
class Keyring:
    """The KEKs at hand, by id, and which one wraps new DEKs."""

    keys: dict[str, bytes]
    current: str
    path: Path | None = None  # the key file, when keys come from one
    stamp: int = 0  # the key file's mtime (ns) when read: another process may rotate it

    def kek(self, kek_id: str) -> bytes:
        """The KEK named ``kek_id``; a clear error if it is not configured."""
        try:
            return self.keys[kek_id]
        except KeyError:
            raise VaultKeyError(
                f"the vault key-encryption key {kek_id!r} is not configured; restore it "
                "(REMPART_VAULT_OLD_KEKS or the vault-kek file) to read objects wrapped with it"
            ) from None


def _write_key_file(path: Path, keys: dict[str, bytes]) -> None:
    """Replace the key file atomically with 0600 permissions; the last key is current."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        body = "".join(f"{k} {base64.b64encode(v).decode()}\n" for k, v in keys.items())
        os.write(fd, body.encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def _read_key_file(path: Path) -> Keyring:
    keys: dict[str, bytes] = {}
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        kek_id, _, text = line.strip().partition(" ")
        keys[kek_id] = decode_key(text, f"{path} line {n}")
    if not keys:
        raise VaultKeyError(f"{path} holds no key; delete it only if the vault is empty")
    return Keyring(keys, current=list(keys)[-1], path=path, stamp=path.stat().st_mtime_ns)


def load_keyring(home: Path, conf: VaultSettings) -> Keyring:
    """The KEKs: from the environment if ``REMPART_VAULT_KEK`` is set, else the key file."""
    if conf.kek:
        keys = {k: decode_key(v, f"REMPART_VAULT_OLD_KEKS[{k}]") for k, v in conf.old_keks.items()}
        keys[conf.kek_id] = decode_key(conf.kek, "REMPART_VAULT_KEK")
        return Keyring(keys, current=conf.kek_id)
    path = home / KEY_FILE
    if not path.exists():
        tmp = path.with_name(f".{path.name}.new.{secrets.token_hex(6)}")
        _write_key_file(tmp, {"k1": new_key()})
        try:
            os.link(tmp, path)  # another process may have created it first: keep theirs
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return _read_key_file(path)


def add_file_kek(ring: Keyring, kek_id: str) -> None:
    """Generate a KEK named ``kek_id``, make it current and save the key file (file mode only)."""
    if ring.path is None:
        raise VaultKeyError("KEKs come from REMPART_VAULT_KEK; set the new one there")
    if kek_id in ring.keys:
        raise VaultKeyError(f"a KEK named {kek_id!r} already exists")
    ring.keys[kek_id] = new_key()
    ring.current = kek_id
    _write_key_file(ring.path, ring.keys)
    ring.stamp = ring.path.stat().st_mtime_ns


def drop_file_keks(ring: Keyring, keep: set[str]) -> list[str]:
    """Remove from the key file every KEK not in ``keep`` (nor current); the ids removed."""
    if ring.path is None:
        return []
    gone = [k for k in ring.keys if k not in keep and k != ring.current]
    for k in gone:
        del ring.keys[k]
    # the current key must stay the last line
    ring.keys[ring.current] = ring.keys.pop(ring.current)
    _write_key_file(ring.path, ring.keys)
    ring.stamp = ring.path.stat().st_mtime_ns
    return gone


def fresh(ring: Keyring, home: Path, conf: VaultSettings) -> Keyring:
    """``ring``, or the key file read again if another process rewrote it since."""
    if ring.path is None:
        return ring
    try:
        if ring.path.stat().st_mtime_ns == ring.stamp:
            return ring
    except FileNotFoundError:
        raise VaultKeyError(
            f"the vault key file {ring.path} disappeared; restore it from its backup"
        ) from None
    return load_keyring(home, conf)


def _seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    nonce = secrets.token_bytes(NONCE)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def _open(key: bytes, sealed: bytes, aad: bytes) -> bytes:
    if len(sealed) < NONCE + 16:
        raise InvalidTag
    return AESGCM(key).decrypt(sealed[:NONCE], sealed[NONCE:], aad)


def content_aad(object_id: int, sha256: str, part: str = "content") -> bytes:
    """Associated data of an object's content or metadata: its id and content hash."""
    return f"rempart-vault/v1/{part}/{object_id}/{sha256}".encode()


def seal(dek: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """nonce || ciphertext || tag of ``plaintext`` under ``dek``."""
    return _seal(dek, plaintext, aad)


def unseal(dek: bytes, sealed: bytes, aad: bytes, *, what: str) -> bytes:
    """The plaintext of a sealed value; ``VaultKeyError`` naming ``what`` if it does not open."""
    try:
        return _open(dek, sealed, aad)
    except InvalidTag:
        raise VaultKeyError(f"{what} does not decrypt: it was altered or moved") from None


def wrap(ring: Keyring, dek: bytes, object_id: int) -> tuple[bytes, str]:
    """The DEK wrapped by the current KEK, and that KEK's id."""
    aad = f"rempart-vault/v1/dek/{object_id}/{ring.current}".encode()
    return _seal(ring.kek(ring.current), dek, aad), ring.current


def unwrap(ring: Keyring, wrapped: bytes, kek_id: str, object_id: int) -> bytes:
    """The DEK of ``object_id``; ``VaultKeyError`` if the KEK is wrong or missing."""
    aad = f"rempart-vault/v1/dek/{object_id}/{kek_id}".encode()
    try:
        return _open(ring.kek(kek_id), wrapped, aad)
    except InvalidTag:
        raise VaultKeyError(
            f"the data key of vault object {object_id} does not unwrap with KEK {kek_id!r}: "
            "the configured key is not the one it was stored with"
        ) from None
