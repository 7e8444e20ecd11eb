"""API keys: created with a random secret shown once, stored only as SHA-256, revocable."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from rempart.access.roles import Role, parse_roles
from rempart.clock import Clock, as_utc, utcnow
from rempart.errors import NotFound
from rempart.events import NO_LOG, EventLog, current_actor
from rempart.store.db import Database
from rempart.store.models import ApiKey

KEY_PREFIX = "rmp_"
SESSION = timedelta(hours=1)  # uses of a key within this count as one login


@dataclass(frozen=True)
class Principal:
    """The caller behind a valid key."""

    key_id: int
    name: str
    roles: list[str]


@dataclass(frozen=True)
class KeyInfo:
    """A key as listed (never the secret)."""

    id: int
    name: str
    prefix: str
    roles: list[str]
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


def hash_secret(secret: str) -> str:
    """SHA-256 hex of a key; keys are 256-bit random, so a fast hash is enough."""
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiKeyService:
    """Create, verify, list and revoke API keys."""

    def __init__(self, db: Database, clock: Clock = utcnow, events: EventLog = NO_LOG) -> None:
        self.db = db
        self.clock = clock
        self.events = events  # key creation and revocation are ledger events

    def create(self, name: str, roles: list[str]) -> tuple[KeyInfo, str]:
        """Create a key; returns its info and the secret, which is not stored anywhere."""
        parsed = [r.value for r in parse_roles(roles)]
        if not name.strip():
            raise ValueError("give the key a name (who or what uses it)")
        secret = KEY_PREFIX + secrets.token_urlsafe(32)
        row = ApiKey(
            name=name.strip(),
            prefix=secret[:10],
            key_hash=hash_secret(secret),
            roles=parsed,
            created_at=self.clock(),
        )
        with self.db.session() as s:
            s.add(row)
            s.flush()
            self.events.append(
                s,
                "key_change",
                actor=current_actor(),
                subject=f"api_key:{row.id}",
                data={"op": "create", "name": row.name, "roles": parsed, "prefix": row.prefix},
            )
            return _info(row), secret

    def verify(self, secret: str) -> Principal | None:
        """The principal for a live key, or ``None`` for an unknown or revoked one."""
        if not secret or len(secret) > 256:
            return None
        digest = hash_secret(secret)
        with self.db.session() as s:
            row = s.scalar(select(ApiKey).where(ApiKey.key_hash == digest))
            if row is None or row.revoked_at is not None:
                return None
            if not hmac.compare_digest(row.key_hash, digest):
                return None
            now = self.clock()
            if row.last_used_at is None or as_utc(row.last_used_at) <= now - SESSION:
                # a key's first use in an hour is a "login" in the ledger (not every request)
                row.last_used_at = now
                self.events.append(
                    s,
                    "login",
                    actor=row.name,
                    subject=f"api_key:{row.id}",
                    data={"prefix": row.prefix},
                )
            return Principal(key_id=row.id, name=row.name, roles=list(row.roles))

    def list(self) -> list[KeyInfo]:
        """Every key, newest first."""
        with self.db.session() as s:
            return [_info(r) for r in s.scalars(select(ApiKey).order_by(ApiKey.id.desc()))]

    def revoke(self, key_id: int) -> KeyInfo:
        """Revoke a key; later calls with it get 401."""
        with self.db.session() as s:
            row = s.get(ApiKey, key_id)
            if row is None:
                raise NotFound(f"no API key with id {key_id}")
            if row.revoked_at is None:
                row.revoked_at = self.clock()
                self.events.append(
                    s,
                    "key_change",
                    actor=current_actor(),
                    subject=f"api_key:{row.id}",
                    data={"op": "revoke", "name": row.name},
                )
            return _info(row)


def _info(row: ApiKey) -> KeyInfo:
    return KeyInfo(
        id=row.id,
        name=row.name,
        prefix=row.prefix,
        roles=list(row.roles),
        created_at=as_utc(row.created_at),
        revoked_at=as_utc(row.revoked_at) if row.revoked_at else None,
        last_used_at=as_utc(row.last_used_at) if row.last_used_at else None,
    )


__all__ = ["ApiKeyService", "KeyInfo", "Principal", "Role"]
