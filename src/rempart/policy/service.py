"""``PolicyService``: load versioned policies into the database, evaluate, record and replay.

Exactly one policy version is active at a time. Versions are immutable: the same text always
has the same version, a changed text needs a higher one, and every version's text stays in the
database so any recorded evaluation can be replayed under the version that made it.
"""

from __future__ import annotations

import hashlib
import threading
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

import structlog
from pydantic import BaseModel
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from rempart.clock import Clock, as_utc, utcnow
from rempart.config import Settings
from rempart.errors import Conflict, Invalid, NotFound
from rempart.events import NO_LOG, EventLog, current_actor
from rempart.policy.engine import evaluate
from rempart.policy.facts import Facts
from rempart.policy.loader import Format, format_of, load_policy
from rempart.policy.models import PolicyEvaluation, PolicyVersion
from rempart.policy.schemas import Policy
from rempart.policy.verdict import Verdict
from rempart.store.db import Database

log = structlog.get_logger(__name__)
DEFAULT_SOURCE = "rempart:policy/default.yaml"
MAX_VERSION = 2**31 - 1  # the column is a 32-bit integer
MAX_ID = 2**63 - 1


def default_text() -> str:
    """The text of the policy shipped with Rempart."""
    return resources.files("rempart.policy").joinpath("default.yaml").read_text("utf-8")


def normalize_text(text: str) -> str:
    """One text per content: line endings unified so a file and its upload hash the same."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


class PolicyVersionOut(BaseModel):
    """A loaded policy version."""

    id: int
    name: str
    version: int
    sha256: str
    description: str
    rules: int
    shadow_rules: int
    source: str
    loaded_at: datetime
    loaded_by: str
    active: bool


class LoadedPolicy(PolicyVersionOut):
    """The answer to a load: the version, and whether this load created it."""

    created: bool


class PolicyVersionDetail(PolicyVersionOut):
    """A version with its text and parsed form."""

    text: str
    policy: Policy


class RecordedVerdict(BaseModel):
    """A verdict and the evaluation row that records it."""

    evaluation_id: int
    policy_version_id: int
    subject_type: str
    subject_ref: str
    created_at: datetime
    verdict: Verdict


class EvaluationOut(BaseModel):
    """A recorded evaluation."""

    id: int
    policy_version_id: int
    subject_type: str
    subject_ref: str
    outcome: str
    rule_ids: list[str]
    shadow_rule_ids: list[str]
    created_at: datetime
    facts: Facts
    verdict: Verdict


class Replay(BaseModel):
    """A recorded evaluation re-run under its own policy version: do the verdicts agree?"""

    evaluation_id: int
    policy: str
    policy_version: int
    agrees: bool
    differences: list[str]
    recorded: Verdict
    verdict: Verdict


def _check_subject(subject_type: str, subject_ref: str) -> None:
    if not subject_type or len(subject_type) > 32 or not subject_type.isprintable():
        raise Invalid("subject_type must be 1 to 32 printable characters")
    if not subject_ref or len(subject_ref) > 255 or not subject_ref.isprintable():
        raise Invalid("subject_ref must be 1 to 255 printable characters")


class PolicyService:
    """Versioned policies and their evaluation, over one database."""

    def __init__(self, db: Database, settings: Settings, clock: Clock = utcnow) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        self._parsed: dict[str, Policy] = {}  # sha256 of the text → policy (content-addressed)
        self._lock = threading.Lock()
        self._ensured = False
        self.events: EventLog = NO_LOG  # loads and activations are ledger events

    # --- loading -------------------------------------------------------------------------
    def load_text(
        self,
        text: str,
        *,
        source: str = "",
        by: str = "",
        activate: bool = True,
        fmt: Format | None = None,
    ) -> LoadedPolicy:
        """Validate and store a policy version; idempotent for the same text.

        A new version is activated unless ``activate`` is false; reloading a stored version
        changes nothing. A changed text under a stored version, or a version below the latest
        of that policy, is refused (``Conflict``).
        """
        text = normalize_text(text)
        policy = load_policy(text, fmt)
        for attempt in (1, 2):
            try:
                with self.db.session() as s:
                    return self._store(s, policy, text, source, by, activate)
            except IntegrityError:  # a concurrent load of the same version won; read it
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def load_file(self, path: Path, *, by: str = "", activate: bool = True) -> LoadedPolicy:
        """Load a policy file (YAML, or TOML by its ``.toml`` suffix)."""
        text = _read(path)
        return self.load_text(text, source=str(path), by=by, activate=activate, fmt=format_of(path))

    def ensure_default(self, session: Session | None = None) -> PolicyVersionOut:
        """Load ``settings.policy_file`` (else the shipped default) once per process.

        It is stored and activated when nothing is active, or when it is a new version of the
        active policy; when another policy (or an older version, by rollback) was activated
        since, that choice stands (and that version is returned).
        """
        path = self.settings.policy_file
        text = normalize_text(_read(path) if path else default_text())
        policy = load_policy(text, format_of(path) if path else "yaml")
        source = str(path) if path else DEFAULT_SOURCE
        if session is None:
            with self.db.session() as s:
                out = self._ensure(s, policy, text, source)
        else:
            out = self._ensure(session, policy, text, source)
        self._ensured = True
        return out

    def _ensure(self, s: Session, policy: Policy, text: str, source: str) -> PolicyVersionOut:
        current = self._active_row(s)
        if current is not None and current.name != policy.name:
            return self._out(s, current)  # another policy was chosen since: it stands
        try:
            return self._store(s, policy, text, source, "system", activate=True)
        except Conflict as exc:
            if current is None:
                raise
            log.warning("policy.file_not_loaded", source=source, error=exc.detail)
            return self._out(s, current)

    def _store(
        self, s: Session, policy: Policy, text: str, source: str, by: str, activate: bool
    ) -> LoadedPolicy:
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        found = s.scalar(
            select(PolicyVersion).where(
                PolicyVersion.name == policy.name, PolicyVersion.version == policy.version
            )
        )
        if found is not None:
            if found.sha256 != digest:
                raise Conflict(
                    f"policy {policy.name!r} version {policy.version} is already loaded with "
                    f"different content; raise version above {self._latest(s, policy.name)} "
                    "to load the change",
                    code="policy_version_exists",
                )
            return LoadedPolicy(**self._out(s, found).model_dump(), created=False)
        latest = self._latest(s, policy.name)
        if latest is not None and policy.version < latest:
            raise Conflict(
                f"policy {policy.name!r} version {policy.version} is below the latest loaded "
                f"version {latest}; versions only go up (use {latest + 1})",
                code="policy_version_old",
            )
        row = PolicyVersion(
            name=policy.name,
            version=policy.version,
            sha256=digest,
            text=text,
            source=source[:255],
            loaded_at=self.clock(),
            loaded_by=by[:128],
            active=False,
        )
        s.add(row)
        s.flush()
        with self._lock:
            self._parsed[digest] = policy
        if activate:
            self._set_active(s, row)
        self.events.append(
            s,
            "policy_change",
            actor=by or current_actor(),
            subject=f"policy:{row.name}",
            data={"op": "load", "version": row.version, "sha256": digest, "active": row.active},
        )
        log.info("policy.loaded", name=row.name, version=row.version, active=row.active)
        return LoadedPolicy(**self._out(s, row).model_dump(), created=True)

    @staticmethod
    def _latest(s: Session, name: str) -> int | None:
        latest: int | None = s.scalar(
            select(func.max(PolicyVersion.version)).where(PolicyVersion.name == name)
        )
        return latest

    @staticmethod
    def _set_active(s: Session, row: PolicyVersion) -> None:
        s.execute(
            update(PolicyVersion)
            .where(PolicyVersion.active.is_(True), PolicyVersion.id != row.id)
            .values(active=False)
        )
        row.active = True

    # --- versions ------------------------------------------------------------------------
    def activate(self, name: str, version: int) -> PolicyVersionOut:
        """Make one stored version the active policy (e.g. to roll back)."""
        with self.db.session() as s:
            row = self._row(s, name, version)
            self._set_active(s, row)
            self.events.append(
                s,
                "policy_change",
                actor=current_actor(),
                subject=f"policy:{name}",
                data={"op": "activate", "version": version, "sha256": row.sha256},
            )
            log.info("policy.activated", name=name, version=version)
            return self._out(s, row)

    def versions(self, name: str | None = None) -> list[PolicyVersionOut]:
        """Every stored version, by policy name then version (the configured one loaded)."""
        with self.db.session() as s:
            if not self._ensured:
                self.ensure_default(s)
            q = select(PolicyVersion).order_by(PolicyVersion.name, PolicyVersion.version)
            if name is not None:
                q = q.where(PolicyVersion.name == name)
            return [self._out(s, r) for r in s.scalars(q)]

    def get(self, name: str, version: int | None = None) -> PolicyVersionDetail:
        """One version with its text; without ``version``, the active one or else the latest."""
        with self.db.session() as s:
            if not self._ensured:
                self.ensure_default(s)
            if version is None:
                version = s.scalar(
                    select(PolicyVersion.version)
                    .where(PolicyVersion.name == name)
                    .order_by(PolicyVersion.active.desc(), PolicyVersion.version.desc())
                    .limit(1)
                )
                if version is None:
                    raise NotFound(f"no policy named {name!r} is loaded")
            row = self._row(s, name, version)
            return PolicyVersionDetail(
                **self._out(s, row).model_dump(),
                text=row.text,
                policy=self._policy(s, row.id, row.sha256),
            )

    def active(self) -> Policy:
        """The active policy (parsed once per version; loads the default the first time)."""
        with self.db.session() as s:
            return self._active(s)[1]

    def _active(self, s: Session) -> tuple[int, Policy]:
        if not self._ensured:
            self.ensure_default(s)
        q = (
            select(PolicyVersion.id, PolicyVersion.sha256)
            .where(PolicyVersion.active.is_(True))
            .order_by(PolicyVersion.id.desc())
            .limit(1)
        )
        found = s.execute(q).first()
        if found is None:  # nothing active any more: the default again
            self.ensure_default(s)
            found = s.execute(q).first()
            if found is None:  # pragma: no cover - ensure_default activates or raises
                raise NotFound("no policy is active")
        return found.id, self._policy(s, found.id, found.sha256)

    @staticmethod
    def _active_row(s: Session) -> PolicyVersion | None:
        return s.scalar(
            select(PolicyVersion)
            .where(PolicyVersion.active.is_(True))
            .order_by(PolicyVersion.id.desc())
            .limit(1)
        )

    def _policy(self, s: Session, row_id: int, sha256: str | None = None) -> Policy:
        if sha256 is None:
            sha256 = s.scalar(select(PolicyVersion.sha256).where(PolicyVersion.id == row_id))
            if sha256 is None:
                raise NotFound(f"no policy version with id {row_id}")
        with self._lock:
            cached = self._parsed.get(sha256)
        if cached is not None:
            return cached
        text = s.scalar(select(PolicyVersion.text).where(PolicyVersion.id == row_id))
        if text is None:
            raise NotFound(f"no policy version with id {row_id}")
        policy = load_policy(text)
        with self._lock:
            self._parsed[sha256] = policy
        return policy

    @staticmethod
    def _row(s: Session, name: str, version: int) -> PolicyVersion:
        if not 1 <= version <= MAX_VERSION:
            raise NotFound(f"policy {name!r} has no version {version}")
        row = s.scalar(
            select(PolicyVersion).where(
                PolicyVersion.name == name, PolicyVersion.version == version
            )
        )
        if row is None:
            raise NotFound(f"policy {name!r} has no version {version}")
        return row

    def _out(self, s: Session, row: PolicyVersion) -> PolicyVersionOut:
        policy = self._policy(s, row.id, row.sha256)
        return PolicyVersionOut(
            id=row.id,
            name=row.name,
            version=row.version,
            sha256=row.sha256,
            description=policy.description,
            rules=len(policy.rules),
            shadow_rules=sum(r.mode == "shadow" for r in policy.rules),
            source=row.source,
            loaded_at=as_utc(row.loaded_at),
            loaded_by=row.loaded_by,
            active=row.active,
        )

    # --- evaluation ----------------------------------------------------------------------
    def dry_run(
        self, facts: Facts, *, name: str | None = None, version: int | None = None
    ) -> Verdict:
        """Evaluate without recording, under the active policy or a named version."""
        if name is not None:
            detail = self.get(name, version)
            return evaluate(detail.policy, facts)
        return evaluate(self.active(), facts)

    def evaluate(
        self,
        facts: Facts,
        *,
        subject_type: str,
        subject_ref: str,
        session: Session | None = None,
    ) -> RecordedVerdict:
        """Evaluate under the active policy and record it (in ``session`` when given)."""
        _check_subject(subject_type, subject_ref)
        if session is not None:
            return self._record(session, facts, subject_type, subject_ref)
        with self.db.session() as s:
            return self._record(s, facts, subject_type, subject_ref)

    def _record(
        self, s: Session, facts: Facts, subject_type: str, subject_ref: str
    ) -> RecordedVerdict:
        version_id, policy = self._active(s)
        verdict = evaluate(policy, facts)
        row = PolicyEvaluation(
            policy_version_id=version_id,
            subject_type=subject_type,
            subject_ref=subject_ref,
            facts=facts.model_dump(mode="json"),
            outcome=verdict.outcome,
            rule_ids=list(verdict.rule_ids),
            shadow_rule_ids=list(verdict.shadow_rule_ids),
            verdict=verdict.model_dump(mode="json"),
            created_at=self.clock(),
        )
        s.add(row)
        s.flush()
        return RecordedVerdict(
            evaluation_id=row.id,
            policy_version_id=version_id,
            subject_type=subject_type,
            subject_ref=subject_ref,
            created_at=as_utc(row.created_at),
            verdict=verdict,
        )

    def replay(self, evaluation_id: int) -> Replay:
        """Re-evaluate stored facts under the stored version and say whether it agrees."""
        with self.db.session() as s:
            in_range = 1 <= evaluation_id <= MAX_ID
            row = s.get(PolicyEvaluation, evaluation_id) if in_range else None
            if row is None:
                raise NotFound(f"no policy evaluation with id {evaluation_id}")
            policy = self._policy(s, row.policy_version_id)
            recorded = Verdict.model_validate(row.verdict)
            facts = Facts.model_validate(row.facts)
        verdict = evaluate(policy, facts)
        before: dict[str, Any] = recorded.model_dump(mode="json")
        after: dict[str, Any] = verdict.model_dump(mode="json")
        differences = [k for k in after if before.get(k) != after[k]]
        return Replay(
            evaluation_id=evaluation_id,
            policy=policy.name,
            policy_version=policy.version,
            agrees=not differences,
            differences=differences,
            recorded=recorded,
            verdict=verdict,
        )

    def evaluations(
        self,
        subject_ref: str | None = None,
        *,
        subject_type: str | None = None,
        limit: int = 100,
    ) -> list[EvaluationOut]:
        """Recorded evaluations, newest first, optionally for one subject."""
        with self.db.session() as s:
            q = select(PolicyEvaluation).order_by(PolicyEvaluation.id.desc()).limit(limit)
            if subject_ref is not None:
                q = q.where(PolicyEvaluation.subject_ref == subject_ref)
            if subject_type is not None:
                q = q.where(PolicyEvaluation.subject_type == subject_type)
            return [
                EvaluationOut(
                    id=r.id,
                    policy_version_id=r.policy_version_id,
                    subject_type=r.subject_type,
                    subject_ref=r.subject_ref,
                    outcome=r.outcome,
                    rule_ids=list(r.rule_ids),
                    shadow_rule_ids=list(r.shadow_rule_ids),
                    created_at=as_utc(r.created_at),
                    facts=Facts.model_validate(r.facts),
                    verdict=Verdict.model_validate(r.verdict),
                )
                for r in s.scalars(q)
            ]


def _read(path: Path) -> str:
    try:
        return path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise Invalid(f"cannot read policy file {path}: {exc}") from None
