"""Queueing statements of reasons and submitting them to the Transparency Database in batches.

``enqueue`` runs inside the decision's transaction (or its own): the statement is scrubbed of
personal data, reduced to what the TDB stores, validated by our copy of the TDB's rules and
stored under a fresh, never reused puid: ``pending`` when valid, ``rejected`` (with the field
errors) when not, and then it is never sent. ``submit_due`` claims due rows, sends them 100 at
a time and records what the TDB did: ``sent`` on 201 (with its uuid and permalink); on a 422
the named statements are ``rejected`` and the rest of the batch (which the TDB did not store
either) is sent again at once; a puid the TDB already holds counts as sent. When the TDB cannot
be reached the batch waits with exponential backoff, and after ``MAX_ATTEMPTS`` it is
``failed`` until someone retries it. A worker that dies leaves its claim to expire, so every
statement is sent at least once, and the puid makes a second copy impossible.
"""

from __future__ import annotations

import builtins
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from rempart.clock import Clock, as_utc
from rempart.compliance.tdb.client import TdbClient, TdbError, TdbUnauthorized, TdbUnavailable
from rempart.compliance.tdb.models import (
    FAILED,
    PENDING,
    REJECTED,
    SENT,
    STATUSES,
    TdbSubmission,
)
from rempart.compliance.tdb.rules import MAX_BATCH, PUID_RE, fit, normalize, validate_statement
from rempart.compliance.tdb.schema import MAX_LENGTHS, SCHEMA_VERSION
from rempart.compliance.tdb.scrub import scrub_statement
from rempart.config import Settings
from rempart.errors import Conflict, Invalid, NotFound
from rempart.moderation.models import Decision
from rempart.store.db import Database

log = structlog.get_logger(__name__)

MAX_ATTEMPTS = 10  # submission runs that may fail to reach the TDB before a row is failed
RETRY_BACKOFF_S = 60.0  # first wait after a failed run; doubles each time
MAX_RETRY_BACKOFF_S = 6 * 3600.0
LEASE_S = 900.0  # a claimed row whose worker died is due again after this


class TdbSubmissionOut(BaseModel):
    """One statement for the TDB and where it stands."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    decision_id: int
    puid: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    field_errors: dict[str, Any]
    tdb_uuid: str | None
    permalink: str | None
    created_at: datetime
    sent_at: datetime | None
    superseded_by: str | None
    body: dict[str, Any]


class SubmitSummary(BaseModel):
    """What one ``submit_due`` run did."""

    schema_version: str = SCHEMA_VERSION
    claimed: int = 0
    calls: int = 0
    sent: int = 0
    already_present: int = 0
    rejected: int = 0
    deferred: int = 0
    failed: int = 0
    errors: list[str] = []


@dataclass
class _Row:
    id: int
    puid: str
    body: dict[str, Any]
    attempts: int


def prepare_statement(body: dict[str, Any], *, source_is_person: bool = True) -> dict[str, Any]:
    """A statement as we store it for sending: free text scrubbed of personal data (texts that
    fitted their limit before scrubbing still fit after), then as the TDB stores it."""
    scrubbed = scrub_statement(body, source_is_person=source_is_person)
    return normalize(fit(scrubbed, body))


def _out(row: TdbSubmission) -> TdbSubmissionOut:
    out = TdbSubmissionOut.model_validate(row)
    out.created_at = as_utc(out.created_at)
    for name in ("next_attempt_at", "sent_at"):
        value = getattr(out, name)
        if value is not None:
            setattr(out, name, as_utc(value))
    return out


class TdbSubmitter:
    """The TDB outbox of one platform: enqueue, submit in batches, report per decision."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        clock: Clock,
        *,
        client: TdbClient | None = None,
        max_attempts: int = MAX_ATTEMPTS,
        retry_backoff_s: float = RETRY_BACKOFF_S,
    ) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        self._client = client
        self.max_attempts = max_attempts
        self.retry_backoff_s = retry_backoff_s

    # --- configuration ---------------------------------------------------------------------

    @property
    def configured(self) -> bool:
        """Whether statements can be sent (a client was given, or URL and token are set)."""
        return self._client is not None or bool(self.settings.tdb_url and self.settings.tdb_token)

    @property
    def client(self) -> TdbClient:
        """The TDB client; a clear conflict when the TDB is not configured."""
        if self._client is None:
            if not (self.settings.tdb_url and self.settings.tdb_token):
                raise Conflict(
                    "the Transparency Database is not configured: set REMPART_TDB_URL "
                    "(sandbox or production) and REMPART_TDB_TOKEN",
                    code="tdb_not_configured",
                )
            self._client = TdbClient(self.settings.tdb_url, self.settings.tdb_token)
        return self._client

    # --- queueing ----------------------------------------------------------------------------

    def new_puid(self, decision_id: int, *, session: Session | None = None) -> str:
        """A puid never used before: ``<prefix>-<decision id>-<16 random hex digits>``."""
        prefix = self.settings.puid_prefix
        if not PUID_RE.fullmatch(prefix) or len(prefix) > 100:
            raise Invalid(
                f"REMPART_PUID_PREFIX {prefix!r} may only hold a-z, A-Z, 0-9, - and _ "
                "(at most 100 characters)"
            )
        if session is None:
            with self.db.session() as s:
                return self.new_puid(decision_id, session=s)
        while True:
            puid = f"{prefix}-{decision_id}-{secrets.token_hex(8)}"
            if not self._puid_taken(session, puid):
                return puid

    @staticmethod
    def _puid_taken(session: Session, puid: str) -> bool:
        found = session.execute(select(TdbSubmission.id).where(TdbSubmission.puid == puid))
        return found.first() is not None

    def enqueue(
        self,
        decision_id: int,
        body: dict[str, Any],
        *,
        session: Session | None = None,
        source_is_person: bool = True,
    ) -> TdbSubmissionOut:
        """Queue a decision's statement; invalid ones are stored as ``rejected``, never sent.

        Pass the decision's ``session`` to queue in its transaction. ``source_is_person``
        (the default) drops ``source_identity``; say False for an organisation or authority.
        Queuing the same statement twice for a decision returns the first; a different one
        supersedes it (the TDB has no update: a correction is a new statement).
        """
        if session is None:
            with self.db.session() as s:
                return self.enqueue(decision_id, body, session=s, source_is_person=source_is_person)
        if not isinstance(body, dict):
            raise Invalid("a statement of reasons is a JSON object")
        try:
            json.dumps(body, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise Invalid(
                f"a statement holds JSON values only (dates as YYYY-MM-DD text): {exc}"
            ) from None
        decision = session.get(Decision, decision_id)
        if decision is None:
            raise NotFound(f"no decision {decision_id}")
        statement = prepare_statement(body, source_is_person=source_is_person)
        given = statement.get("puid")
        if given is not None:
            if not isinstance(given, str) or not PUID_RE.fullmatch(given):
                raise Invalid("puid may only hold a-z, A-Z, 0-9, - and _")
            if len(given) > MAX_LENGTHS["puid"] or self._puid_taken(session, given):
                raise Conflict(f"puid {given} is already used; a puid is never reused")
        earlier = self._current(session, decision_id, decision.reverses_id)
        for row in earlier:
            same = {k: v for k, v in row.body.items() if k != "puid"}
            mine = {k: v for k, v in statement.items() if k != "puid"}
            if row.decision_id == decision_id and row.status in (PENDING, SENT) and same == mine:
                return _out(row)  # already queued: enqueuing is idempotent
        puid = given or self.new_puid(decision_id, session=session)
        statement["puid"] = puid
        errors = validate_statement(statement)
        now = self.clock()
        row = TdbSubmission(
            decision_id=decision_id,
            puid=puid,
            body=statement,
            status=REJECTED if errors else PENDING,
            attempts=0,
            next_attempt_at=None if errors else now,
            last_error="refused by local validation against the TDB rules" if errors else None,
            field_errors=errors,
            created_at=now,
        )
        session.add(row)
        for old in earlier:
            old.superseded_by = puid
        session.flush()
        log.info("tdb.enqueued", decision_id=decision_id, puid=puid, status=row.status)
        return _out(row)

    @staticmethod
    def _current(
        session: Session, decision_id: int, reverses_id: int | None
    ) -> builtins.list[TdbSubmission]:
        """The not yet superseded statements of a decision and of the one it reverses."""
        ids = [decision_id] + ([reverses_id] if reverses_id is not None else [])
        query = (
            select(TdbSubmission)
            .where(TdbSubmission.decision_id.in_(ids), TdbSubmission.superseded_by.is_(None))
            .order_by(TdbSubmission.id)
        )
        return builtins.list(session.scalars(query))

    # --- submitting ----------------------------------------------------------------------------

    def submit_due(self, limit: int = 1000) -> SubmitSummary:
        """Send up to ``limit`` due statements in batches of at most 100; say what happened."""
        client = self.client
        summary = SubmitSummary()
        rows = self._claim(max(1, limit))
        summary.claimed = len(rows)
        done: set[int] = set()
        try:
            for start in range(0, len(rows), MAX_BATCH):
                batch = rows[start : start + MAX_BATCH]
                if not self._send(client, batch, summary, done):
                    break  # the TDB is unreachable: leave the rest for the next run
        finally:
            self._release([r.id for r in rows if r.id not in done])
        log.info("tdb.submitted", **summary.model_dump(exclude={"errors"}))
        return summary

    def _claim(self, limit: int) -> builtins.list[_Row]:
        """Take due pending rows for this run by pushing their due time past a lease."""
        now = self.clock()
        due = (
            select(TdbSubmission.id)
            .where(TdbSubmission.status == PENDING, TdbSubmission.next_attempt_at <= now)
            .order_by(TdbSubmission.next_attempt_at, TdbSubmission.id)
            .limit(limit)
        )
        if not self.db.is_sqlite:
            due = due.with_for_update(skip_locked=True)
        claim = (
            update(TdbSubmission)
            .where(TdbSubmission.id.in_(due.scalar_subquery()))
            .values(next_attempt_at=now + timedelta(seconds=LEASE_S))
            .returning(
                TdbSubmission.id, TdbSubmission.puid, TdbSubmission.body, TdbSubmission.attempts
            )
        )
        with self.db.session() as s:
            found = s.execute(claim, execution_options={"synchronize_session": False}).all()
        return sorted((_Row(*r) for r in found), key=lambda r: r.id)

    def _release(self, ids: builtins.list[int]) -> None:
        """Claimed rows not dealt with in this run are due again at once."""
        if not ids:
            return
        with self.db.session() as s:
            s.execute(
                update(TdbSubmission)
                .where(TdbSubmission.id.in_(ids), TdbSubmission.status == PENDING)
                .values(next_attempt_at=self.clock()),
                execution_options={"synchronize_session": False},
            )

    def _send(
        self, client: TdbClient, batch: builtins.list[_Row], summary: SubmitSummary, done: set[int]
    ) -> bool:
        """Submit one batch until it is stored or emptied; False when the TDB is unreachable."""
        while batch:
            summary.calls += 1
            try:
                result = client.submit([r.body for r in batch])
            except TdbUnauthorized as exc:
                self._note(batch, exc.detail)
                raise
            except TdbUnavailable as exc:
                self._defer(batch, exc.detail, exc.retry_after_s, summary, done)
                return False
            except TdbError as exc:
                self._defer(batch, exc.detail, None, summary, done)
                return True
            if result.ok:
                self._mark_sent(batch, result.created, summary, done)
                return True
            rejected = {batch[i].id: errors for i, errors in result.rejected.items()}
            present = {
                r.id: result.duplicates[r.puid] for r in batch if r.puid in result.duplicates
            }
            self._mark_rejected(batch, rejected, summary, done)
            self._mark_present(client, batch, present, summary, done)
            batch = [r for r in batch if r.id not in rejected and r.id not in present]
        return True

    def _mark_sent(
        self,
        batch: builtins.list[_Row],
        created: builtins.list[dict[str, Any]],
        summary: SubmitSummary,
        done: set[int],
    ) -> None:
        by_puid = {c.get("puid"): c for c in created if isinstance(c.get("puid"), str)}
        now = self.clock()
        with self.db.session() as s:
            for i, row in enumerate(batch):
                record = by_puid.get(row.puid) or created[i]
                self._set(
                    s,
                    row.id,
                    status=SENT,
                    sent_at=now,
                    next_attempt_at=None,
                    tdb_uuid=_str(record.get("uuid"), 64),
                    permalink=_str(record.get("permalink"), 1000),
                    last_error=None,
                    attempts=row.attempts + 1,
                )
                done.add(row.id)
        summary.sent += len(batch)

    def _mark_rejected(
        self,
        batch: builtins.list[_Row],
        rejected: dict[int, dict[str, builtins.list[str]]],
        summary: SubmitSummary,
        done: set[int],
    ) -> None:
        if not rejected:
            return
        tries = {r.id: r.attempts + 1 for r in batch}
        with self.db.session() as s:
            for row_id, errors in rejected.items():
                self._set(
                    s,
                    row_id,
                    status=REJECTED,
                    field_errors=errors,
                    next_attempt_at=None,
                    attempts=tries[row_id],
                    last_error="refused by the Transparency Database",
                )
                done.add(row_id)
        summary.rejected += len(rejected)
        log.warning("tdb.rejected", count=len(rejected))

    def _mark_present(
        self,
        client: TdbClient,
        batch: builtins.list[_Row],
        present: dict[int, dict[str, Any]],
        summary: SubmitSummary,
        done: set[int],
    ) -> None:
        """Statements the TDB already holds (an earlier answer was lost): sent, with its record."""
        if not present:
            return
        puids = {r.id: r.puid for r in batch}
        tries = {r.id: r.attempts + 1 for r in batch}
        now = self.clock()
        records = {}
        for row_id, record in present.items():
            if not record.get("uuid"):
                try:
                    record = client.existing(puids[row_id]) or record
                except TdbError as exc:
                    summary.errors.append(f"{puids[row_id]}: {exc.detail}")
            records[row_id] = record
        with self.db.session() as s:
            for row_id, record in records.items():
                self._set(
                    s,
                    row_id,
                    status=SENT,
                    sent_at=now,
                    next_attempt_at=None,
                    tdb_uuid=_str(record.get("uuid"), 64),
                    permalink=_str(record.get("permalink"), 1000),
                    attempts=tries[row_id],
                    last_error="the TDB already held this puid; counted as sent",
                )
                done.add(row_id)
        summary.already_present += len(records)

    def _defer(
        self,
        batch: builtins.list[_Row],
        error: str,
        retry_after_s: float | None,
        summary: SubmitSummary,
        done: set[int],
    ) -> None:
        """A failed call: wait longer each time, and give up after ``max_attempts`` runs."""
        now = self.clock()
        summary.errors.append(error)
        with self.db.session() as s:
            for row in batch:
                attempts = row.attempts + 1
                if attempts >= self.max_attempts:
                    self._set(
                        s,
                        row.id,
                        status=FAILED,
                        attempts=attempts,
                        last_error=error,
                        next_attempt_at=None,
                    )
                    summary.failed += 1
                else:
                    wait = min(MAX_RETRY_BACKOFF_S, self.retry_backoff_s * 2.0 ** (attempts - 1))
                    wait = max(wait, retry_after_s or 0.0)
                    self._set(
                        s,
                        row.id,
                        attempts=attempts,
                        last_error=error,
                        next_attempt_at=now + timedelta(seconds=wait),
                    )
                    summary.deferred += 1
                done.add(row.id)
        log.warning("tdb.deferred", count=len(batch), error=error)

    def _note(self, batch: builtins.list[_Row], error: str) -> None:
        with self.db.session() as s:
            for row in batch:
                self._set(s, row.id, last_error=error)

    @staticmethod
    def _set(session: Session, row_id: int, **values: Any) -> None:
        session.execute(
            update(TdbSubmission).where(TdbSubmission.id == row_id).values(**values),
            execution_options={"synchronize_session": False},
        )

    def retry_failed(self) -> int:
        """Put every ``failed`` statement back in the queue, due now; returns how many."""
        with self.db.session() as s:
            result = s.execute(
                update(TdbSubmission)
                .where(TdbSubmission.status == FAILED)
                .values(status=PENDING, attempts=0, next_attempt_at=self.clock()),
                execution_options={"synchronize_session": False},
            )
        return int(getattr(result, "rowcount", 0) or 0)

    # --- reading -------------------------------------------------------------------------------

    def list(
        self,
        status: str | None = None,
        decision_id: int | None = None,
        *,
        limit: int = 100,
        offset: int = 0,
    ) -> builtins.list[TdbSubmissionOut]:
        """Submissions, newest first, optionally of one status and/or one decision."""
        if status is not None and status not in STATUSES:
            raise Invalid(f"unknown status {status!r}; one of {', '.join(STATUSES)}")
        query = select(TdbSubmission).order_by(TdbSubmission.id.desc())
        if status is not None:
            query = query.where(TdbSubmission.status == status)
        if decision_id is not None:
            query = query.where(TdbSubmission.decision_id == decision_id)
        query = query.limit(max(1, min(limit, 1000))).offset(max(0, offset))
        with self.db.session() as s:
            return [_out(r) for r in s.scalars(query)]

    def get(self, puid: str) -> TdbSubmissionOut:
        """One submission by its puid."""
        with self.db.session() as s:
            row = s.scalars(select(TdbSubmission).where(TdbSubmission.puid == puid)).first()
            if row is None:
                raise NotFound(f"no TDB submission with puid {puid}")
            return _out(row)

    def field_errors(self, decision_id: int) -> dict[str, Any]:
        """The field errors of a decision's latest statement (ours or the TDB's); {} if none."""
        with self.db.session() as s:
            row = s.scalars(
                select(TdbSubmission)
                .where(TdbSubmission.decision_id == decision_id)
                .order_by(TdbSubmission.id.desc())
                .limit(1)
            ).first()
            return dict(row.field_errors) if row is not None else {}

    def counts(self) -> dict[str, int]:
        """How many submissions are in each status."""
        with self.db.session() as s:
            rows = s.execute(
                select(TdbSubmission.status, func.count()).group_by(TdbSubmission.status)
            ).all()
        found = {status: int(n) for status, n in rows}
        return {status: found.get(status, 0) for status in STATUSES}


def _str(value: Any, limit: int) -> str | None:
    return value[:limit] if isinstance(value, str) and value else None
