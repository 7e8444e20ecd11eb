"""The evidence vault: encrypted, content-addressed objects, holds, retention, shredding.

Every object is sealed with its own AES-256-GCM data key (DEK); the DEK is stored only wrapped
by a key-encryption key (KEK, see ``crypto``). Destroying an object destroys its DEK
(crypto-shredding): the blob, and any backup copy of it, can then never be decrypted.

Access follows least exposure: originals only for the roles cleared for the object's category
(``child_safety`` for CSAM; ``legal`` and ``child_safety`` for the rest; never ``admin``);
moderators get at most a blurred greyscale derivative, and of CSAM not even that. Every
store, view, export, hold change, destruction and key rotation is a ledger event in the same
transaction, and so is every refused attempt to view.

Decision on law-enforcement destruction (18 U.S.C. 2258B(c)(2)): the request overrides the
NCMEC preservation holds that exist for the report concerned (``USC_2258A_H``,
``VOLUNTARY_2258A_H5``), which it releases; it is refused (409) while a court order, a 2703(f)
preservation request or a DSA Art. 18 hold is active. ``delete`` is refused (409) for every
role, ``admin`` included, while any hold is active.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from rempart.access.roles import Role
from rempart.clock import Clock, as_utc
from rempart.config import MediaLimits, Settings
from rempart.errors import Conflict, Invalid, NotFound, RempartError
from rempart.evidence.vault import crypto
from rempart.evidence.vault.crypto import Keyring, VaultSettings
from rempart.evidence.vault.derivative import blurred_greyscale
from rempart.evidence.vault.models import VaultHold, VaultKey, VaultObject
from rempart.evidence.vault.retention import (
    LE_OVERRIDABLE,
    is_active,
    one_year_after,
    retain_until,
)
from rempart.evidence.vault.schemas import (
    LEGAL_BASES,
    HoldOut,
    RotationOut,
    SweepOut,
    VaultObjectDetail,
    VaultObjectOut,
)
from rempart.moderation.models import Case
from rempart.store.db import Database

CSAM_CATEGORIES = frozenset(
    {
        "csam",
        "KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL",
        "KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL_DEEPFAKE",
    }
)
CSAM_ORIGINAL_ROLES = frozenset({Role.CHILD_SAFETY.value})
ORIGINAL_ROLES = frozenset({Role.CHILD_SAFETY.value, Role.LEGAL.value})
DERIVATIVE_ROLES = frozenset(
    {
        Role.MODERATOR.value,
        Role.SENIOR_MODERATOR.value,
        Role.LEGAL.value,
        Role.CHILD_SAFETY.value,
        Role.ADMIN.value,
    }
)
DELETE_ROLES = frozenset({Role.ADMIN.value, Role.LEGAL.value})


class LedgerLike(Protocol):
    """What the vault needs of ``rempart.evidence.ledger.service.Ledger``."""

    def append(
        self, session: Session, kind: str, *, actor: str, subject: str, data: dict[str, Any]
    ) -> int:
        """Record one event inside ``session``'s transaction; its sequence number."""
        ...


class Forbidden(RempartError):
    """The caller's roles are not cleared for this view of the object."""

    status = 403
    code = "forbidden"


class Gone(RempartError):
    """The object was destroyed (crypto-shredded); its content no longer exists."""

    status = 410
    code = "destroyed"


def is_csam(category: str) -> bool:
    """Whether a category is child sexual abuse material (the strictest access)."""
    return category in CSAM_CATEGORIES


def cleared_for_original(category: str, roles: list[str]) -> bool:
    """Whether ``roles`` may see originals of ``category`` (admin is never cleared)."""
    allowed = CSAM_ORIGINAL_ROLES if is_csam(category) else ORIGINAL_ROLES
    return any(r in allowed for r in roles)


def subject(object_id: int) -> str:
    """The ledger subject naming a vault object."""
    return f"vault_object:{object_id}"


class Vault:
    """Stores, reads, holds and destroys evidence; see the module docstring for the rules."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        clock: Clock,
        ledger: LedgerLike,
        *,
        conf: VaultSettings | None = None,
        limits: MediaLimits | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        self.ledger = ledger
        self.conf = conf or VaultSettings()
        self.limits = limits or MediaLimits()
        self.root = settings.home / "vault"
        self._ring: Keyring | None = None

    @property
    def keyring(self) -> Keyring:
        """The KEKs: loaded (or the key file created) on first use, reloaded if it changed."""
        if self._ring is None:
            self._ring = crypto.load_keyring(self.settings.home, self.conf)
        else:
            self._ring = crypto.fresh(self._ring, self.settings.home, self.conf)
        return self._ring

    # --- files ---

    def blob_path(self, sha256: str, object_id: int) -> Path:
        """Where the sealed content of an object lives."""
        return self.root / sha256[:2] / str(object_id)

    def _write_blob(self, path: Path, sealed: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(sealed)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)

    # --- storing ---

    def store(
        self,
        session: Session | None,
        data: bytes,
        *,
        category: str,
        actor: str,
        case_id: int | None = None,
        media_type: str = "application/octet-stream",
        metadata: dict[str, Any] | None = None,
    ) -> VaultObjectOut:
        """Preserve ``data`` encrypted; the same content twice returns the same live object.

        A second store of live content keeps the first one's case, metadata and retention
        start (it is logged, with its own case); a CSAM category there makes the object CSAM.

        With ``session`` the object joins the caller's transaction (a rolled-back store leaves
        only an unreadable blob behind: its key row is rolled back with it).
        """
        if session is not None:
            return self._store(session, data, category, actor, case_id, media_type, metadata)
        written: list[Path] = []
        try:
            with self.db.session() as s:
                return self._store(s, data, category, actor, case_id, media_type, metadata, written)
        except BaseException:
            for path in written:  # the key row is gone with the rollback: drop the blob too
                path.unlink(missing_ok=True)
            raise

    def _store(
        self,
        s: Session,
        data: bytes,
        category: str,
        actor: str,
        case_id: int | None,
        media_type: str,
        metadata: dict[str, Any] | None,
        written: list[Path] | None = None,
    ) -> VaultObjectOut:
        if not category or len(category) > 128:
            raise Invalid("category must be 1 to 128 characters (a DSA category code or csam)")
        if len(media_type) > 128 or len(actor) > 255:
            raise Invalid("media_type is at most 128 characters and actor at most 255")
        if case_id is not None and s.get(Case, case_id) is None:
            raise NotFound(f"no case {case_id}")
        try:
            meta = json.dumps(metadata or {}, sort_keys=True).encode()
        except (TypeError, ValueError) as exc:
            raise Invalid(f"metadata must be plain JSON: {exc}") from None
        sha = hashlib.sha256(data).hexdigest()
        found = s.scalars(
            select(VaultObject)
            .where(VaultObject.sha256 == sha, VaultObject.destroyed_at.is_(None))
            .order_by(VaultObject.id)
            .limit(1)
        ).first()
        if found is not None:
            if is_csam(category) and not is_csam(found.category):
                found.category = category  # the stricter access wins
            self.ledger.append(
                s,
                "evidence.stored",
                actor=actor,
                subject=subject(found.id),
                data={"sha256": sha, "duplicate": True, "category": category, "case_id": case_id},
            )
            return VaultObjectOut.model_validate(found)
        obj = VaultObject(
            sha256=sha,
            category=category,
            case_id=case_id,
            media_type=media_type,
            size=len(data),
            created_at=self.clock(),
            created_by=actor,
        )
        s.add(obj)
        s.flush()
        dek = crypto.new_key()
        obj.metadata_sealed = crypto.seal(dek, meta, crypto.content_aad(obj.id, sha, "metadata"))
        wrapped, kek_id = crypto.wrap(self.keyring, dek, obj.id)
        s.add(
            VaultKey(
                object_id=obj.id, wrapped_dek=wrapped, kek_id=kek_id, created_at=obj.created_at
            )
        )
        path = self.blob_path(sha, obj.id)
        self._write_blob(path, crypto.seal(dek, data, crypto.content_aad(obj.id, sha)))
        if written is not None:
            written.append(path)
        self.ledger.append(
            s,
            "evidence.stored",
            actor=actor,
            subject=subject(obj.id),
            data={
                "sha256": sha,
                "category": category,
                "case_id": case_id,
                "media_type": media_type,
                "size": len(data),
                "kek_id": kek_id,
            },
        )
        s.flush()
        return VaultObjectOut.model_validate(obj)

    # --- reading ---

    def _live(self, s: Session, object_id: int, *, lock: bool = False) -> VaultObject:
        stmt = select(VaultObject).where(VaultObject.id == object_id)
        obj = s.scalars(stmt.with_for_update() if lock else stmt).first()
        if obj is None:
            raise NotFound(f"no vault object {object_id}")
        if obj.destroyed_at is not None:
            raise Gone(
                f"vault object {object_id} was destroyed at "
                f"{as_utc(obj.destroyed_at).isoformat()} ({obj.destroyed_reason})"
            )
        return obj

    def _dek(self, s: Session, obj: VaultObject) -> bytes:
        key = s.get(VaultKey, obj.id)
        if key is None:
            raise Gone(f"vault object {obj.id} has no data key: it was crypto-shredded")
        return crypto.unwrap(self.keyring, key.wrapped_dek, key.kek_id, obj.id)

    def _plaintext(self, s: Session, obj: VaultObject) -> bytes:
        dek = self._dek(s, obj)
        path = self.blob_path(obj.sha256, obj.id)
        try:
            sealed = path.read_bytes()
        except FileNotFoundError:
            raise RempartError(
                f"the sealed content of vault object {obj.id} is missing from {path}; "
                "restore it from a backup of the vault folder",
                status=503,
                code="vault_blob_missing",
            ) from None
        data = crypto.unseal(
            dek, sealed, crypto.content_aad(obj.id, obj.sha256), what=f"vault object {obj.id}"
        )
        if hashlib.sha256(data).hexdigest() != obj.sha256:  # pragma: no cover - GCM guards it
            raise crypto.VaultKeyError(f"vault object {obj.id} does not match its sha256")
        return data

    def _refuse(
        self, object_id: int, kind: str, actor: str, roles: list[str], why: str
    ) -> NoReturn:
        """Log a refused view in its own transaction, then raise 403."""
        with self.db.session() as s:
            self.ledger.append(
                s,
                "evidence.access_refused",
                actor=actor,
                subject=subject(object_id),
                data={"view": kind, "roles": sorted(roles), "why": why},
            )
        raise Forbidden(why)

    def read(
        self,
        object_id: int,
        *,
        principal_roles: list[str],
        actor: str,
        case_ref: str | None,
        purpose: str,
        export: bool = False,
    ) -> bytes:
        """The original content, for roles cleared for its category; logged as a view.

        ``case_ref`` is typed optional for callers' convenience but required: a view without
        a case is refused (422).
        """
        kind = "evidence.exported" if export else "evidence.viewed"
        if not case_ref or not case_ref.strip() or not purpose.strip():
            raise Invalid("name the case and the purpose of every view of evidence")
        with self.db.session() as s:
            obj = self._live(s, object_id)
            category = obj.category
            if cleared_for_original(category, principal_roles):
                data = self._plaintext(s, obj)
                self.ledger.append(
                    s,
                    kind,
                    actor=actor,
                    subject=subject(obj.id),
                    data={
                        "case": case_ref,
                        "purpose": purpose,
                        "roles": sorted(principal_roles),
                        "sha256": obj.sha256,
                    },
                )
                return data
        who = "child_safety" if is_csam(category) else "legal or child_safety"
        self._refuse(
            object_id,
            kind,
            actor,
            principal_roles,
            f"originals of {category} need the {who} role; others may at most see the "
            "blurred derivative",
        )

    def export(
        self, object_id: int, *, principal_roles: list[str], actor: str, case_ref: str, purpose: str
    ) -> bytes:
        """The original content for an export (e.g. to law enforcement); logged as an export."""
        return self.read(
            object_id,
            principal_roles=principal_roles,
            actor=actor,
            case_ref=case_ref,
            purpose=purpose,
            export=True,
        )

    def derivative(
        self,
        object_id: int,
        *,
        principal_roles: list[str],
        actor: str,
        case_ref: str,
        purpose: str = "review",
    ) -> bytes:
        """A blurred greyscale JPEG of an image; refused for CSAM and for uncleared roles."""
        kind = "evidence.derivative_viewed"
        if not case_ref.strip():
            raise Invalid("name the case of every view of evidence")
        with self.db.session() as s:
            obj = self._live(s, object_id)
            category = obj.category
            allowed = not is_csam(category) and any(r in DERIVATIVE_ROLES for r in principal_roles)
            if allowed:
                image = blurred_greyscale(self._plaintext(s, obj), self.limits)
                self.ledger.append(
                    s,
                    kind,
                    actor=actor,
                    subject=subject(obj.id),
                    data={"case": case_ref, "purpose": purpose, "roles": sorted(principal_roles)},
                )
                return image
        why = (
            "no derivative of child sexual abuse material is ever shown"
            if is_csam(category)
            else "derivatives need the moderator, senior_moderator, legal or child_safety role"
        )
        self._refuse(object_id, kind, actor, principal_roles, why)

    def describe(
        self,
        object_id: int,
        *,
        principal_roles: list[str] | None = None,
        actor: str = "",
        case_ref: str | None = None,
    ) -> VaultObjectDetail:
        """An object's state and holds; with a case, its metadata for cleared roles (logged)."""
        with self.db.session() as s:
            obj = s.get(VaultObject, object_id)
            if obj is None:
                raise NotFound(f"no vault object {object_id}")
            now = self.clock()
            holds = self._holds(s, object_id, now)
            metadata = None
            roles = principal_roles or []
            if case_ref and obj.destroyed_at is None and cleared_for_original(obj.category, roles):
                dek = self._dek(s, obj)
                raw = crypto.unseal(
                    dek,
                    obj.metadata_sealed or b"",
                    crypto.content_aad(obj.id, obj.sha256, "metadata"),
                    what=f"the metadata of vault object {obj.id}",
                )
                metadata = json.loads(raw)
                self.ledger.append(
                    s,
                    "evidence.metadata_viewed",
                    actor=actor,
                    subject=subject(obj.id),
                    data={"case": case_ref, "roles": sorted(roles)},
                )
            base = VaultObjectOut.model_validate(obj).model_dump()
            return VaultObjectDetail(
                **base,
                holds=holds,
                held=any(h.active for h in holds),
                retain_until=None
                if obj.destroyed_at
                else retain_until(self.conf, obj.category, obj.created_at),
                metadata=metadata,
            )

    # --- holds ---

    def _holds(self, s: Session, object_id: int, now: datetime) -> list[HoldOut]:
        rows = s.scalars(
            select(VaultHold).where(VaultHold.object_id == object_id).order_by(VaultHold.id)
        )
        return [self._hold_out(h, now) for h in rows]

    def _hold_out(self, hold: VaultHold, now: datetime) -> HoldOut:
        out = HoldOut.model_validate(hold)
        out.active = is_active(hold, now)
        return out

    def _active_holds(self, s: Session, object_id: int, now: datetime) -> list[VaultHold]:
        rows = s.scalars(
            select(VaultHold).where(
                VaultHold.object_id == object_id, VaultHold.released_at.is_(None)
            )
        )
        return [h for h in rows if is_active(h, now)]

    def place_hold(
        self,
        object_id: int,
        legal_basis: str,
        reason: str,
        by: str,
        expires_at: datetime | None = None,
        *,
        starts_at: datetime | None = None,
    ) -> HoldOut:
        """Protect an object from destruction until released or ``expires_at``.

        A ``USC_2258A_H`` hold lasts at least one year from ``starts_at`` (the report); it
        defaults to exactly that.
        """
        if legal_basis not in LEGAL_BASES:
            raise Invalid(f"legal_basis must be one of {', '.join(LEGAL_BASES)}")
        if not reason.strip():
            raise Invalid("give the reason for the hold")
        now = self.clock()
        start = as_utc(starts_at) if starts_at else now
        end = as_utc(expires_at) if expires_at else None
        if legal_basis == "USC_2258A_H":
            floor = one_year_after(start)
            if end is None:
                end = floor
            elif end < floor:
                raise Invalid("a 2258A(h) preservation lasts at least one year from the report")
        elif end is not None and end <= now:
            raise Invalid("expires_at must be in the future")
        with self.db.session() as s:
            self._live(s, object_id, lock=True)
            hold = VaultHold(
                object_id=object_id,
                legal_basis=legal_basis,
                reason=reason,
                placed_by=by,
                starts_at=start,
                expires_at=end,
            )
            s.add(hold)
            s.flush()
            self.ledger.append(
                s,
                "evidence.hold_placed",
                actor=by,
                subject=subject(object_id),
                data={
                    "hold_id": hold.id,
                    "legal_basis": legal_basis,
                    "reason": reason,
                    "starts_at": start.isoformat(),
                    "expires_at": end.isoformat() if end else None,
                },
            )
            return self._hold_out(hold, now)

    def ncmec_preservation(
        self, object_id: int, report_finished_at: datetime, by: str, reason: str = ""
    ) -> HoldOut:
        """The 18 U.S.C. 2258A(h) hold: exactly one year from the finished report, extendable."""
        start = as_utc(report_finished_at)
        return self.place_hold(
            object_id,
            "USC_2258A_H",
            reason or "18 U.S.C. 2258A(h): preserved one year after the CyberTipline report",
            by,
            one_year_after(start),
            starts_at=start,
        )

    def _hold(self, s: Session, hold_id: int) -> VaultHold:
        hold = s.scalars(select(VaultHold).where(VaultHold.id == hold_id).with_for_update()).first()
        if hold is None:
            raise NotFound(f"no hold {hold_id}")
        return hold

    def release_hold(self, hold_id: int, by: str, reason: str = "") -> HoldOut:
        """End a hold now; a 2258A(h) hold cannot be released before its year is over."""
        now = self.clock()
        with self.db.session() as s:
            hold = self._hold(s, hold_id)
            if not is_active(hold, now):
                raise Conflict(f"hold {hold_id} is no longer active")
            if hold.legal_basis == "USC_2258A_H":
                raise Conflict(
                    "a 2258A(h) preservation cannot be released before its year ends; it ends "
                    "by itself, or through a law-enforcement destruction request (destroy)"
                )
            self._release(s, hold, by, reason, now)
            return self._hold_out(hold, now)

    def _release(self, s: Session, hold: VaultHold, by: str, reason: str, now: datetime) -> None:
        hold.released_at = now
        hold.released_by = by
        self.ledger.append(
            s,
            "evidence.hold_released",
            actor=by,
            subject=subject(hold.object_id),
            data={"hold_id": hold.id, "legal_basis": hold.legal_basis, "reason": reason},
        )

    def extend_hold(
        self, hold_id: int, by: str, reason: str, expires_at: datetime | None = None
    ) -> HoldOut:
        """Move an active hold's end later (``None``: until released), saying why."""
        if not reason.strip():
            raise Invalid("give the reason for the extension")
        now = self.clock()
        new_end = as_utc(expires_at) if expires_at else None
        with self.db.session() as s:
            hold = self._hold(s, hold_id)
            if not is_active(hold, now):
                raise Conflict(f"hold {hold_id} is no longer active; place a new one")
            old_end = as_utc(hold.expires_at) if hold.expires_at else None
            if old_end is None or (new_end is not None and new_end <= old_end):
                raise Invalid("an extension must end later than the hold does now")
            hold.expires_at = new_end
            hold.extended_reason = reason
            self.ledger.append(
                s,
                "evidence.hold_extended",
                actor=by,
                subject=subject(hold.object_id),
                data={
                    "hold_id": hold.id,
                    "reason": reason,
                    "from": old_end.isoformat(),
                    "to": new_end.isoformat() if new_end else None,
                },
            )
            return self._hold_out(hold, now)

    # --- destruction ---

    def _shred(self, s: Session, obj: VaultObject, reason: str, actor: str, now: datetime) -> Path:
        """Destroy the DEK and mark the object destroyed; the blob path to unlink after commit."""
        key = s.get(VaultKey, obj.id)
        if key is not None:
            s.delete(key)
        obj.destroyed_at = now
        obj.destroyed_reason = reason
        obj.metadata_sealed = None
        self.ledger.append(
            s,
            "evidence.destroyed",
            actor=actor,
            subject=subject(obj.id),
            data={"sha256": obj.sha256, "reason": reason, "category": obj.category},
        )
        s.flush()
        return self.blob_path(obj.sha256, obj.id)

    def sweep(self, now: datetime | None = None, *, actor: str = "system:retention") -> SweepOut:
        """Destroy every object past its retention that no active hold covers."""
        now = as_utc(now) if now else self.clock()
        with self.db.session() as s:
            rows = list(
                s.execute(
                    select(VaultObject.id, VaultObject.category, VaultObject.created_at).where(
                        VaultObject.destroyed_at.is_(None)
                    )
                )
            )
        due = [oid for oid, cat, made in rows if retain_until(self.conf, cat, made) <= now]
        destroyed = []
        for oid in due:
            with self.db.session() as s:
                obj = s.scalars(
                    select(VaultObject).where(VaultObject.id == oid).with_for_update()
                ).first()
                if obj is None or obj.destroyed_at is not None or self._active_holds(s, oid, now):
                    continue
                days = (now - as_utc(obj.created_at)).days
                path = self._shred(s, obj, f"retention ended ({days} days)", actor, now)
            path.unlink(missing_ok=True)
            destroyed.append(oid)
        return SweepOut(checked=len(rows), destroyed=destroyed)

    def destroy_on_le_request(self, object_id: int, request_ref: str, by: str) -> VaultObjectOut:
        """Destroy on a law-enforcement request (2258B(c)(2)); see the module docstring."""
        if not request_ref.strip():
            raise Invalid("name the law-enforcement request")
        now = self.clock()
        with self.db.session() as s:
            obj = self._live(s, object_id, lock=True)
            holds = self._active_holds(s, object_id, now)
            blocking = [h for h in holds if h.legal_basis not in LE_OVERRIDABLE]
            if blocking:
                listed = ", ".join(f"{h.id} ({h.legal_basis})" for h in blocking)
                raise Conflict(
                    f"vault object {object_id} is under holds a law-enforcement destruction "
                    f"request does not override: {listed}; have them released first"
                )
            for h in holds:
                self._release(s, h, by, f"law-enforcement destruction request {request_ref}", now)
            path = self._shred(
                s, obj, f"law-enforcement request {request_ref} (18 U.S.C. 2258B(c)(2))", by, now
            )
            out = VaultObjectOut.model_validate(obj)
        path.unlink(missing_ok=True)
        return out

    def delete(self, object_id: int, by: str, roles: list[str]) -> VaultObjectOut:
        """Destroy an object on request of admin or legal; refused while any hold is active."""
        if not any(r in DELETE_ROLES for r in roles):
            raise Forbidden("deleting evidence needs the admin or legal role")
        now = self.clock()
        with self.db.session() as s:
            obj = self._live(s, object_id, lock=True)
            holds = self._active_holds(s, object_id, now)
            if holds:
                listed = ", ".join(f"{h.id} ({h.legal_basis})" for h in holds)
                raise Conflict(
                    f"vault object {object_id} is under active holds ({listed}) and cannot "
                    "be deleted by anyone"
                )
            path = self._shred(s, obj, f"deleted by {by}", by, now)
            out = VaultObjectOut.model_validate(obj)
        path.unlink(missing_ok=True)
        return out

    # --- keys ---

    def rotate_kek(
        self, new_kek_id: str | None = None, *, actor: str = "system", remove_old: bool = False
    ) -> RotationOut:
        """Re-wrap every DEK with the current (file mode: a new) KEK; ciphertext is untouched.

        With keys in the environment, set ``REMPART_VAULT_KEK``/``_KEK_ID`` to the new key and
        the old one in ``REMPART_VAULT_OLD_KEKS`` first; then drop the old one once this is done.
        ``remove_old`` also drops unused old KEKs from the key file (``retire_keks``).
        """
        ring = self.keyring
        if ring.path is not None:
            kek_id = new_kek_id or _next_id(ring)
            crypto.add_file_kek(ring, kek_id)
        elif new_kek_id and new_kek_id != ring.current:
            raise Invalid(
                f"the configured KEK is {ring.current!r}; set REMPART_VAULT_KEK and "
                f"REMPART_VAULT_KEK_ID={new_kek_id} (old key in REMPART_VAULT_OLD_KEKS) first"
            )
        count = 0
        with self.db.session() as s:
            stale = s.scalars(select(VaultKey).where(VaultKey.kek_id != ring.current)).all()
            for key in stale:
                dek = crypto.unwrap(ring, key.wrapped_dek, key.kek_id, key.object_id)
                key.wrapped_dek, key.kek_id = crypto.wrap(ring, dek, key.object_id)
                count += 1
            self.ledger.append(
                s,
                "evidence.kek_rotated",
                actor=actor,
                subject="vault",
                data={"kek_id": ring.current, "rewrapped": count},
            )
        removed = self.retire_keks() if remove_old else []
        return RotationOut(kek_id=ring.current, rewrapped=count, removed=removed)

    def retire_keks(self) -> list[str]:
        """Remove from the key file the old KEKs no data key is wrapped with; their ids.

        Run it once no process still running from before the rotation can store objects
        (a process reloads the key file when it changes, before wrapping the next key).
        """
        ring = self.keyring
        with self.db.session() as s:
            used = set(s.scalars(select(VaultKey.kek_id).distinct()))
        return crypto.drop_file_keks(ring, used)


def _next_id(ring: Keyring) -> str:
    n = len(ring.keys) + 1
    while f"k{n}" in ring.keys:
        n += 1
    return f"k{n}"
