"""Review queues: severity order, SLA deadlines, and leased claims that never give one job to two.

Claim order (``CLAIM_ORDER``), the most urgent first:

1. ``rank`` ascending: child safety (0), threat to life (1), authority orders (2), trusted
   flaggers (3), everything else (4);
2. among authority orders, the order's deadline (``due_at``) first;
3. the policy's ``priority``, higher first;
4. ``due_at`` (the SLA deadline), earlier first;
5. ``created_at``, then ``id``: first come, first served.

A claim is a lease: ``claimed_by`` holds it until ``lease_until``; after that anyone may claim the
job again. Every claim (and every move of the job) bumps ``lease_token``, a fencing token: renew,
release and complete name the token they were given, so a reviewer whose lease expired and was
taken by someone else is refused (409) instead of deciding over the new holder. Claims are one
conditional ``UPDATE ... WHERE lease is free`` checked by its row count, atomic on SQLite (writes
are serialised) and PostgreSQL (the second writer re-checks the row after the first commits).

A queue with ``restricted_role`` is visible only to keys holding that role, ``admin`` included:
to every other key its queue and jobs do not exist (404), and a job never moves out of it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, cast

import structlog
from sqlalchemy import ColumnElement, CursorResult, Select, Update, case, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from rempart.access.roles import Role, allows
from rempart.clock import Clock, as_utc, utcnow
from rempart.config import Settings
from rempart.errors import Conflict, Invalid, NotFound, RempartError
from rempart.moderation.models import Case, JobNote, ReviewJob, ReviewQueue
from rempart.moderation.queue_schemas import (
    DEFAULT_LEASE_S,
    MAX_LEASE_S,
    MAX_NOTE,
    MIN_LEASE_S,
    QUEUE_NAME,
    ClaimedJob,
    JobOut,
    NoteOut,
    QueueOut,
    QueueStats,
    Rank,
)
from rempart.store.db import Database
from rempart.store.models import ApiKey

log = structlog.get_logger(__name__)

ESCALATIONS = "escalations"
ANY_QUEUE = "*"  # claim_next across every queue the caller may work
REVIEWERS = frozenset({Role.MODERATOR, Role.SENIOR_MODERATOR})
JOB_STATUSES = ("open", "done", "cancelled")
MAX_REASON = 2000
RANK_NAMES = {int(r): r.name.lower() for r in Rank}
CANDIDATES = 16  # jobs tried per look at the queue before looking again

CLAIM_ORDER: tuple[ColumnElement[Any], ...] = (
    ReviewJob.rank.asc(),
    case((ReviewJob.rank == int(Rank.AUTHORITY_ORDER), ReviewJob.due_at)).asc(),
    ReviewJob.priority.desc(),
    ReviewJob.due_at.asc(),
    ReviewJob.created_at.asc(),
    ReviewJob.id.asc(),
)


def forbidden(detail: str) -> RempartError:
    """A 403 for a key that may see a queue but not act on it."""
    return RempartError(detail, code="forbidden", status=403)


class QueueService:
    """Queues and their jobs: enqueue, claim under a lease, renew, release, move, complete."""

    def __init__(self, db: Database, settings: Settings, clock: Clock = utcnow) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock

    # --- queues -------------------------------------------------------------------------------

    def ensure_queue(
        self,
        name: str,
        *,
        description: str = "",
        sla_hours: float = 24,
        restricted_role: str | None = None,
    ) -> QueueOut:
        """Create a queue or update its definition (the policy's queue list feeds this).

        A restriction may be added at any time but not lifted or changed while the queue holds
        open jobs: that would show them to roles they were kept from.
        """
        _check_queue_name(name)
        if not 0 < sla_hours <= 24 * 365:
            raise Invalid(f"sla_hours must be above 0 and at most {24 * 365}, not {sla_hours}")
        role = _check_role(restricted_role)
        for attempt in range(2):
            try:
                with self.db.session() as s:
                    q = s.scalar(select(ReviewQueue).where(ReviewQueue.name == name))
                    if q is None:
                        q = ReviewQueue(name=name)
                        s.add(q)
                    elif q.restricted_role not in (None, role) and _open_jobs(s, q.id):
                        raise Conflict(
                            f"queue {name!r} is restricted to {q.restricted_role} and has open "
                            "jobs; close or move them before changing its restriction"
                        )
                    q.description = description
                    q.sla_hours = float(sla_hours)
                    q.restricted_role = role
                    s.flush()
                    return _queue_out(q)
            except IntegrityError:  # created meanwhile by another process: update it
                if attempt:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def queues(self, roles: Sequence[str]) -> list[QueueOut]:
        """The queues these roles may see, by name."""
        with self.db.session() as s:
            rows = s.scalars(select(ReviewQueue).order_by(ReviewQueue.name))
            return [_queue_out(q) for q in rows if _visible(q, roles)]

    def stats(self, roles: Sequence[str] | None = None) -> list[QueueStats]:
        """Per queue: open, under a live lease, overdue, age of the oldest (all if no roles)."""
        now = self.clock()
        live = (ReviewJob.lease_until.is_not(None)) & (ReviewJob.lease_until > now)
        stmt = (
            select(
                ReviewJob.queue_id,
                func.count(),
                func.sum(case((live, 1), else_=0)),
                func.sum(case((ReviewJob.due_at < now, 1), else_=0)),
                func.min(ReviewJob.created_at),
            )
            .where(ReviewJob.status == "open")
            .group_by(ReviewJob.queue_id)
        )
        with self.db.session() as s:
            counts = {row[0]: row[1:] for row in s.execute(stmt)}
            out = []
            for q in s.scalars(select(ReviewQueue).order_by(ReviewQueue.name)):
                if roles is not None and not _visible(q, roles):
                    continue
                n, claimed, overdue, oldest = counts.get(q.id, (0, 0, 0, None))
                out.append(
                    QueueStats(
                        name=q.name,
                        restricted_role=q.restricted_role,
                        open=int(n),
                        claimed=int(claimed or 0),
                        overdue=int(overdue or 0),
                        oldest_age_s=(now - as_utc(oldest)).total_seconds() if oldest else None,
                    )
                )
            return out

    # --- enqueue, complete, cancel: inside the caller's transaction ----------------------------

    def enqueue(
        self,
        session: Session,
        *,
        case_id: int,
        queue: str,
        rank: int,
        priority: int = 0,
        reason: str = "",
        due_at: datetime | None = None,
    ) -> int:
        """Put a case in a queue in the caller's transaction; returns the job id.

        One open job per (case, queue): enqueueing again keeps that job, raises its rank and
        priority to the more urgent and keeps the earlier ``due_at`` (default: now + the SLA).
        """
        rank = _check_rank(rank)
        reason = reason.replace("\x00", "")
        if not -(2**31) < priority < 2**31:
            raise Invalid(f"priority must fit in 32 bits, not {priority}")
        q = session.scalar(select(ReviewQueue).where(ReviewQueue.name == queue))
        if q is None:
            raise NotFound(f"no review queue named {queue!r}; declare it in the policy first")
        kind = _lock_case(session, case_id)
        if kind == Role.CHILD_SAFETY.value and q.restricted_role != Role.CHILD_SAFETY.value:
            raise Invalid(
                f"case {case_id} is a child-safety case; it may only go to a queue restricted "
                f"to child_safety, and {queue!r} is not"
            )
        now = self.clock()
        due = as_utc(due_at) if due_at is not None else now + timedelta(hours=q.sla_hours)
        job = session.scalar(
            select(ReviewJob)
            .where(
                ReviewJob.case_id == case_id,
                ReviewJob.queue_id == q.id,
                ReviewJob.status == "open",
            )
            .order_by(ReviewJob.id)
            .limit(1)
        )
        if job is not None:
            job.rank = min(job.rank, rank)
            job.priority = max(job.priority, priority)
            job.due_at = min(as_utc(job.due_at), due)
            if reason and reason not in job.reason:
                job.reason = (f"{job.reason}; {reason}" if job.reason else reason)[:MAX_REASON]
            session.flush()
            return job.id
        job = ReviewJob(
            case_id=case_id,
            queue_id=q.id,
            rank=rank,
            priority=priority,
            reason=reason[:MAX_REASON],
            status="open",
            lease_token=0,
            due_at=due,
            escalated=False,
            created_at=now,
        )
        session.add(job)
        session.flush()
        log.info("queue.enqueued", job_id=job.id, case_id=case_id, queue=queue, rank=rank)
        return job.id

    def complete(
        self,
        session: Session,
        job_id: int,
        *,
        reviewer: str,
        lease_token: int,
        decision_id: int | None,
    ) -> JobOut:
        """Mark a job done in the caller's transaction (the one recording the decision).

        Refused (409) unless ``reviewer`` still holds a live lease with this ``lease_token``:
        a reviewer whose lease expired, or was taken over, must not decide.
        """
        now = self.clock()
        stmt = (
            update(ReviewJob)
            .where(ReviewJob.id == job_id, *_held(reviewer, lease_token, now))
            .values(
                status="done",
                done_at=now,
                done_by=reviewer,
                decision_id=decision_id,
                lease_until=None,
            )
            .execution_options(synchronize_session=False)
        )
        if _rowcount(session, stmt) != 1:
            raise _lease_error(session, job_id, reviewer, lease_token, now, live=True)
        _expire_loaded(session, job_id)
        log.info("queue.completed", job_id=job_id, reviewer=reviewer, decision_id=decision_id)
        return _job(session, job_id, now)

    def cancel(self, session: Session, case_id: int) -> int:
        """Cancel every open job of a case in the caller's transaction; returns how many."""
        now = self.clock()
        stmt = (
            update(ReviewJob)
            .where(ReviewJob.case_id == case_id, ReviewJob.status == "open")
            .values(
                status="cancelled",
                done_at=now,
                lease_until=None,
                lease_token=ReviewJob.lease_token + 1,
            )
            .execution_options(synchronize_session=False)
        )
        n = _rowcount(session, stmt)
        if n:
            for job_id in session.scalars(select(ReviewJob.id).where(ReviewJob.case_id == case_id)):
                _expire_loaded(session, job_id)
        return n

    # --- claims and leases ----------------------------------------------------------------------

    def claim_next(
        self,
        queue: str,
        *,
        reviewer: str,
        roles: Sequence[str],
        lease_s: int = DEFAULT_LEASE_S,
    ) -> ClaimedJob | None:
        """Take the most urgent job of a queue whose lease is free; ``None`` if there is none.

        ``queue="*"`` takes the most urgent job of every queue the caller may work, in the
        same claim order: a reviewer working "what is next" gets child safety (if cleared),
        then threats to life, orders by deadline, trusted flaggers, then the rest.
        """
        reviewer = _check_reviewer_name(reviewer)
        _check_lease(lease_s)
        with self.db.session() as s:
            if queue == ANY_QUEUE:
                queue_ids = [q.id for q in s.scalars(select(ReviewQueue)) if _may_review(q, roles)]
                if not queue_ids:
                    raise forbidden(
                        "working the queues needs the moderator or senior_moderator role"
                    )
            else:
                q = _queue(s, queue, roles)
                _check_may_review(q, roles)
                queue_ids = [q.id]
        if not self.db.is_sqlite:
            return self._claim_next_locked(queue_ids, reviewer, lease_s)
        while True:
            now = self.clock()
            with self.db.session() as s:
                ids = list(s.scalars(_free_jobs(queue_ids, now).limit(CANDIDATES)))
            if not ids:
                return None
            for job_id in ids:
                with self.db.session() as s:
                    if _take(s, job_id, reviewer, now, lease_s):
                        return _claimed(s, job_id, now, reviewer)

    def _claim_next_locked(
        self, queue_ids: list[int], reviewer: str, lease_s: int
    ) -> ClaimedJob | None:
        """PostgreSQL: lock the best free row with SKIP LOCKED so claimers do not queue up."""
        while True:
            now = self.clock()
            with self.db.session() as s:
                job_id = s.scalar(
                    _free_jobs(queue_ids, now).limit(1).with_for_update(skip_locked=True)
                )
                if job_id is None:
                    return None
                if _take(s, job_id, reviewer, now, lease_s):  # always, under the row lock
                    return _claimed(s, job_id, now, reviewer)

    def claim(
        self,
        job_id: int,
        *,
        reviewer: str,
        roles: Sequence[str],
        lease_s: int = DEFAULT_LEASE_S,
    ) -> ClaimedJob:
        """Take one named job; 409 while another reviewer holds a live lease on it.

        Claiming a job one already holds starts a new lease (and a new token).
        """
        reviewer = _check_reviewer_name(reviewer)
        _check_lease(lease_s)
        now = self.clock()
        with self.db.session() as s:
            _, q = _visible_job(s, job_id, roles)
            _check_may_review(q, roles)
        with self.db.session() as s:
            if _take(s, job_id, reviewer, now, lease_s, mine_ok=True):
                return _claimed(s, job_id, now, reviewer)
            job = s.get(ReviewJob, job_id)
            if job is None:
                raise NotFound(f"no review job with id {job_id}")
            if job.status != "open":
                raise Conflict(f"job {job_id} is {job.status}", code="job_closed")
            raise Conflict(
                f"job {job_id} is claimed by {job.claimed_by} until "
                f"{_iso(job.lease_until)}; pick another or wait for the lease to expire",
                code="job_claimed",
            )

    def renew(
        self,
        job_id: int,
        reviewer: str,
        lease_token: int,
        lease_s: int = DEFAULT_LEASE_S,
        *,
        roles: Sequence[str] | None = None,
    ) -> ClaimedJob:
        """Extend a live lease to ``lease_s`` from now; 409 if it expired or was taken over."""
        _check_lease(lease_s)
        now = self.clock()
        with self.db.session() as s:
            if roles is not None:
                _visible_job(s, job_id, roles)
            stmt = (
                update(ReviewJob)
                .where(ReviewJob.id == job_id, *_held(reviewer, lease_token, now))
                .values(lease_until=now + timedelta(seconds=lease_s))
                .execution_options(synchronize_session=False)
            )
            if _rowcount(s, stmt) != 1:
                raise _lease_error(s, job_id, reviewer, lease_token, now, live=True)
            return _claimed(s, job_id, now, reviewer)

    def release(
        self,
        job_id: int,
        reviewer: str,
        lease_token: int,
        *,
        roles: Sequence[str] | None = None,
    ) -> JobOut:
        """Give a held job back to its queue (an expired lease too, if nobody took it since)."""
        now = self.clock()
        with self.db.session() as s:
            if roles is not None:
                _visible_job(s, job_id, roles)
            stmt = (
                update(ReviewJob)
                .where(
                    ReviewJob.id == job_id,
                    ReviewJob.status == "open",
                    ReviewJob.claimed_by == reviewer,
                    ReviewJob.lease_token == lease_token,
                )
                .values(claimed_by=None, lease_until=None)
                .execution_options(synchronize_session=False)
            )
            if _rowcount(s, stmt) != 1:
                raise _lease_error(s, job_id, reviewer, lease_token, now, live=False)
            return _job(s, job_id, now)

    # --- moving jobs --------------------------------------------------------------------------

    def reassign(
        self,
        job_id: int,
        *,
        to_queue: str | None = None,
        to_reviewer: str | None = None,
        by: str,
        roles: Sequence[str],
        lease_s: int = DEFAULT_LEASE_S,
    ) -> JobOut:
        """Senior moderators: move a job to another queue and/or hand its lease to a reviewer.

        The previous holder's token stops working. ``to_reviewer`` must name a live API key
        that may review the job's queue, so a restricted job is never handed to someone
        not cleared for it.
        """
        if not allows(list(roles), Role.SENIOR_MODERATOR):
            raise forbidden("reassigning a job needs the senior_moderator role")
        if to_queue is None and to_reviewer is None:
            raise Invalid("give to_queue, to_reviewer or both")
        by = _check_reviewer_name(by)
        _check_lease(lease_s)
        now = self.clock()
        with self.db.session() as s:
            job, q = _visible_job(s, job_id, roles)
            _check_open(job)
            token = job.lease_token
            values: dict[str, Any] = {
                "lease_token": token + 1,
                "claimed_by": None,
                "lease_until": None,
            }
            said = []
            if to_queue is not None and to_queue != q.name:
                target = _queue(s, to_queue, roles)
                _check_move(s, job, q, target)
                values["queue_id"] = target.id
                values["due_at"] = min(as_utc(job.due_at), now + timedelta(hours=target.sla_hours))
                said.append(f"moved from {q.name} to {target.name}")
                q = target
            if to_reviewer is not None:
                to_reviewer = _check_reviewer_name(to_reviewer)
                _check_assignee(s, q, to_reviewer)
                values["claimed_by"] = to_reviewer
                values["lease_until"] = now + timedelta(seconds=lease_s)
                said.append(f"handed to {to_reviewer}")
            _update_if_unchanged(s, job_id, token, values)
            text = "reassigned: " + ("; ".join(said) or "lease released")
            s.add(JobNote(job_id=job_id, author=by, text=text, created_at=now))
            log.info("queue.reassigned", job_id=job_id, by=by, change="; ".join(said))
            return _job(s, job_id, now)

    def escalate(
        self,
        job_id: int,
        *,
        by: str,
        reason: str,
        to_queue: str = ESCALATIONS,
        roles: Sequence[str] | None = None,
    ) -> JobOut:
        """Mark a job escalated and move it (rank kept, lease released) with a note saying why.

        The default ``escalations`` queue is created on first use. A job of a restricted queue
        may only be escalated within queues of the same restriction (e.g. its own queue).
        """
        if not reason.strip():
            raise Invalid("say why the job is escalated (reason)")
        reason = _check_text(reason, "the reason").strip()
        by = _check_reviewer_name(by)
        if to_queue == ESCALATIONS:
            with self.db.session() as s:  # a hidden job is not found before anything is made
                _visible_job(s, job_id, roles)
            self._ensure_escalations()
        now = self.clock()
        with self.db.session() as s:
            job, q = _visible_job(s, job_id, roles)
            if roles is not None:
                _check_may_review(q, roles)
            _check_open(job)
            senior = roles is not None and allows(list(roles), Role.SENIOR_MODERATOR)
            if _live(job, now) and job.claimed_by != by and not senior:
                raise Conflict(
                    f"job {job_id} is claimed by {job.claimed_by}; only its holder or a senior "
                    "moderator may escalate it",
                    code="job_claimed",
                )
            target = q if to_queue == q.name else _queue(s, to_queue, roles)
            _check_move(s, job, q, target)
            _update_if_unchanged(
                s,
                job_id,
                job.lease_token,
                {
                    "queue_id": target.id,
                    "escalated": True,
                    "claimed_by": None,
                    "lease_until": None,
                    "lease_token": job.lease_token + 1,
                    "due_at": min(as_utc(job.due_at), now + timedelta(hours=target.sla_hours)),
                },
            )
            s.add(
                JobNote(
                    job_id=job_id,
                    author=by,
                    text=f"escalated from {q.name} to {target.name}: {reason}",
                    created_at=now,
                )
            )
            log.info("queue.escalated", job_id=job_id, by=by, to_queue=target.name)
            return _job(s, job_id, now)

    def _ensure_escalations(self) -> None:
        """Create the default escalation queue if no policy declared it."""
        with self.db.session() as s:
            if s.scalar(select(ReviewQueue.id).where(ReviewQueue.name == ESCALATIONS)):
                return
        self.ensure_queue(ESCALATIONS, description="Escalated jobs, for senior moderators")

    # --- notes and reads ----------------------------------------------------------------------

    def add_note(
        self, job_id: int, author: str, text: str, *, roles: Sequence[str] | None = None
    ) -> NoteOut:
        """Add an internal note to a job (kept with the job; never shown to users)."""
        author = _check_reviewer_name(author)
        _check_text(text, "a note")
        with self.db.session() as s:
            _, q = _visible_job(s, job_id, roles)
            if roles is not None:
                _check_may_review(q, roles)
            note = JobNote(job_id=job_id, author=author, text=text, created_at=self.clock())
            s.add(note)
            s.flush()
            return _note_out(note)

    def notes(self, job_id: int, *, roles: Sequence[str] | None = None) -> list[NoteOut]:
        """A job's notes, oldest first."""
        with self.db.session() as s:
            _visible_job(s, job_id, roles)
            rows = s.scalars(
                select(JobNote)
                .where(JobNote.job_id == job_id)
                .order_by(JobNote.created_at, JobNote.id)
            )
            return [_note_out(n) for n in rows]

    def get(self, job_id: int, roles: Sequence[str]) -> JobOut:
        """One job with its SLA state; 404 for a job of a queue these roles may not see."""
        with self.db.session() as s:
            _visible_job(s, job_id, roles)
            return _job(s, job_id, self.clock())

    def list_jobs(
        self,
        queue: str,
        *,
        roles: Sequence[str],
        status: str = "open",
        limit: int = 100,
    ) -> list[JobOut]:
        """A queue's jobs: open ones in claim order, closed ones most recent first."""
        if status not in JOB_STATUSES:
            raise Invalid(f"status is one of {', '.join(JOB_STATUSES)}, not {status!r}")
        if not 1 <= limit <= 1000:
            raise Invalid(f"limit must be between 1 and 1000, not {limit}")
        now = self.clock()
        with self.db.session() as s:
            q = _queue(s, queue, roles)
            order = (
                CLAIM_ORDER if status == "open" else (ReviewJob.done_at.desc(), ReviewJob.id.desc())
            )
            rows = s.scalars(
                select(ReviewJob)
                .where(ReviewJob.queue_id == q.id, ReviewJob.status == status)
                .order_by(*order)
                .limit(limit)
            )
            return [_job_out(j, q.name, now) for j in rows]


# --- helpers -----------------------------------------------------------------------------------


def _visible(q: ReviewQueue, roles: Sequence[str]) -> bool:
    """Least exposure: a restricted queue is seen only with its role (admin is no exception)."""
    return q.restricted_role is None or q.restricted_role in roles


def _queue(s: Session, name: str, roles: Sequence[str] | None) -> ReviewQueue:
    """The named queue if these roles may see it (``None``: a trusted in-process caller).

    A hidden queue is reported as missing, so its existence does not leak.
    """
    q = (
        s.scalar(select(ReviewQueue).where(ReviewQueue.name == name))
        if re.fullmatch(QUEUE_NAME, name)
        else None
    )
    if q is None or (roles is not None and not _visible(q, roles)):
        raise NotFound(f"no review queue named {name!r}")
    return q


def _visible_job(
    s: Session, job_id: int, roles: Sequence[str] | None
) -> tuple[ReviewJob, ReviewQueue]:
    """A job and its queue; 404 if missing or in a queue these roles may not see."""
    row = s.execute(
        select(ReviewJob, ReviewQueue)
        .join(ReviewQueue, ReviewQueue.id == ReviewJob.queue_id)
        .where(ReviewJob.id == job_id)
    ).first()
    if row is None or (roles is not None and not _visible(row[1], roles)):
        raise NotFound(f"no review job with id {job_id}")
    return row[0], row[1]


def _may_review(q: ReviewQueue, roles: Sequence[str]) -> bool:
    """Whether these roles may work the queue (what ``_check_may_review`` enforces)."""
    if q.restricted_role is not None:
        return q.restricted_role in roles
    return allows(list(roles), REVIEWERS)


def _check_may_review(q: ReviewQueue, roles: Sequence[str]) -> None:
    """Work on a queue needs its restricted role, or else moderator or senior_moderator."""
    if q.restricted_role is not None:
        if q.restricted_role not in roles:
            raise NotFound(f"no review queue named {q.name!r}")
        return
    if not allows(list(roles), REVIEWERS):
        raise forbidden(f"working queue {q.name!r} needs the moderator or senior_moderator role")


def _check_assignee(s: Session, q: ReviewQueue, name: str) -> None:
    """A job is handed only to a live key of that name allowed to review its queue."""
    keys = s.scalars(select(ApiKey).where(ApiKey.name == name, ApiKey.revoked_at.is_(None)))
    for key in keys:
        granted = list(key.roles)
        if q.restricted_role is not None:
            if q.restricted_role in granted:
                return
        elif allows(granted, REVIEWERS):
            return
    need = q.restricted_role or "moderator or senior_moderator"
    raise Invalid(f"no live API key named {name!r} has the {need} role queue {q.name!r} needs")


def _check_move(s: Session, job: ReviewJob, src: ReviewQueue, target: ReviewQueue) -> None:
    """A job never leaves its restriction, and a child-safety case never leaves child safety."""
    if src.restricted_role is not None and target.restricted_role != src.restricted_role:
        raise Invalid(
            f"job {job.id} is in {src.name!r}, restricted to {src.restricted_role}; it may only "
            f"move to a queue with the same restriction (e.g. escalate it within {src.name!r})"
        )
    kind = s.scalar(select(Case.kind).where(Case.id == job.case_id))
    if kind == Role.CHILD_SAFETY.value and target.restricted_role != Role.CHILD_SAFETY.value:
        raise Invalid(f"job {job.id} is a child-safety case; {target.name!r} is not restricted")


def _check_open(job: ReviewJob) -> None:
    """409 for a job already done or cancelled."""
    if job.status != "open":
        raise Conflict(f"job {job.id} is {job.status}", code="job_closed")


def _lock_case(session: Session, case_id: int) -> str:
    """Lock a case row so enqueues of one case run one at a time; returns its kind.

    PostgreSQL takes a row lock; SQLite takes the database write lock by a no-op update.
    """
    if session.get_bind().dialect.name == "sqlite":
        session.execute(
            update(Case)
            .where(Case.id == case_id)
            .values(status=Case.status)
            .execution_options(synchronize_session=False)
        )
        kind = session.scalar(select(Case.kind).where(Case.id == case_id))
    else:
        kind = session.scalar(select(Case.kind).where(Case.id == case_id).with_for_update())
    if kind is None:
        raise NotFound(f"no case with id {case_id}")
    return kind


def _free_jobs(queue_ids: list[int], now: datetime) -> Select[int]:
    """Ids of these queues' open jobs whose lease is free or expired, in claim order."""
    return (
        select(ReviewJob.id)
        .where(
            ReviewJob.queue_id.in_(queue_ids),
            ReviewJob.status == "open",
            or_(ReviewJob.lease_until.is_(None), ReviewJob.lease_until <= now),
        )
        .order_by(*CLAIM_ORDER)
    )


def _take(
    s: Session, job_id: int, reviewer: str, now: datetime, lease_s: int, *, mine_ok: bool = False
) -> bool:
    """The claim itself: one conditional UPDATE; only the writer that changed the row wins."""
    free = or_(ReviewJob.lease_until.is_(None), ReviewJob.lease_until <= now)
    if mine_ok:
        free = or_(free, ReviewJob.claimed_by == reviewer)
    stmt = (
        update(ReviewJob)
        .where(ReviewJob.id == job_id, ReviewJob.status == "open", free)
        .values(
            claimed_by=reviewer,
            lease_until=now + timedelta(seconds=lease_s),
            lease_token=ReviewJob.lease_token + 1,
        )
        .execution_options(synchronize_session=False)
    )
    return _rowcount(s, stmt) == 1


def _rowcount(s: Session, stmt: Update) -> int:
    """Rows an UPDATE changed: how a conditional claim knows whether it won."""
    result = cast(CursorResult[Any], s.execute(stmt))
    return int(result.rowcount)


def _held(reviewer: str, token: int, now: datetime) -> tuple[ColumnElement[bool], ...]:
    """WHERE clauses true only while ``reviewer`` holds a live lease with ``token``."""
    return (
        ReviewJob.status == "open",
        ReviewJob.claimed_by == reviewer,
        ReviewJob.lease_token == token,
        ReviewJob.lease_until.is_not(None),
        ReviewJob.lease_until > now,
    )


def _update_if_unchanged(s: Session, job_id: int, token: int, values: dict[str, Any]) -> None:
    """Apply a move only if nobody claimed the job since it was read (token unchanged)."""
    stmt = (
        update(ReviewJob)
        .where(ReviewJob.id == job_id, ReviewJob.status == "open", ReviewJob.lease_token == token)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if _rowcount(s, stmt) != 1:
        raise Conflict(f"job {job_id} changed meanwhile (claimed or moved); try again")
    _expire_loaded(s, job_id)


def _lease_error(
    s: Session, job_id: int, reviewer: str, token: int, now: datetime, *, live: bool
) -> RempartError:
    """Why a renew, release or complete was refused, in words the reviewer can act on."""
    _expire_loaded(s, job_id)
    job = s.get(ReviewJob, job_id)
    if job is None:
        return NotFound(f"no review job with id {job_id}")
    if job.status != "open":
        return Conflict(f"job {job_id} is {job.status}", code="job_closed")
    if job.claimed_by != reviewer or job.lease_token != token:
        holder = f"; {job.claimed_by} holds it now" if _live(job, now) else ""
        return Conflict(
            f"you no longer hold job {job_id}: lease token {token} is stale{holder}; "
            "claim it again to work on it",
            code="lease_lost",
        )
    if live:
        return Conflict(
            f"your lease on job {job_id} expired at {_iso(job.lease_until)}; claim it again",
            code="lease_expired",
        )
    return Conflict(f"job {job_id} could not be released", code="lease_lost")  # pragma: no cover


def _live(job: ReviewJob, now: datetime) -> bool:
    """Whether someone holds a lease on the job right now."""
    return job.lease_until is not None and as_utc(job.lease_until) > now


def _expire_loaded(s: Session, job_id: int) -> None:
    """Forget a job the session had loaded: a Core UPDATE changed it underneath."""
    obj = s.identity_map.get(s.identity_key(ReviewJob, job_id))
    if obj is not None:
        s.expire(obj)


def _claimed(s: Session, job_id: int, now: datetime, reviewer: str) -> ClaimedJob:
    """The job just claimed or renewed, read under the same transaction."""
    out = ClaimedJob.model_validate(_job(s, job_id, now).model_dump())
    log.info("queue.claimed", job_id=job_id, reviewer=reviewer, lease_token=out.lease_token)
    return out


def _job(s: Session, job_id: int, now: datetime) -> JobOut:
    """Load one job (fresh from the database) as its out-model."""
    row = s.execute(
        select(ReviewJob, ReviewQueue.name)
        .join(ReviewQueue, ReviewQueue.id == ReviewJob.queue_id)
        .where(ReviewJob.id == job_id)
        .execution_options(populate_existing=True)
    ).one()
    return _job_out(row[0], row[1], now)


def _job_out(j: ReviewJob, queue: str, now: datetime) -> JobOut:
    """A job row as its out-model, with the SLA state at ``now``."""
    due = as_utc(j.due_at)
    is_open = j.status == "open"
    return JobOut(
        id=j.id,
        case_id=j.case_id,
        queue=queue,
        rank=j.rank,
        rank_name=RANK_NAMES.get(j.rank, str(j.rank)),
        priority=j.priority,
        reason=j.reason,
        status=j.status,
        claimed=is_open and _live(j, now),
        claimed_by=j.claimed_by,
        lease_until=as_utc(j.lease_until) if j.lease_until else None,
        lease_token=j.lease_token,
        due_at=due,
        overdue=is_open and due < now,
        seconds_left=(due - now).total_seconds() if is_open else None,
        escalated=j.escalated,
        created_at=as_utc(j.created_at),
        done_at=as_utc(j.done_at) if j.done_at else None,
        done_by=j.done_by,
        decision_id=j.decision_id,
    )


def _queue_out(q: ReviewQueue) -> QueueOut:
    """A queue row as its out-model."""
    return QueueOut(
        name=q.name,
        description=q.description,
        sla_hours=q.sla_hours,
        restricted_role=q.restricted_role,
    )


def _note_out(n: JobNote) -> NoteOut:
    """A note row as its out-model."""
    return NoteOut(
        id=n.id, job_id=n.job_id, author=n.author, text=n.text, created_at=as_utc(n.created_at)
    )


def _open_jobs(s: Session, queue_id: int) -> int:
    """How many open jobs a queue holds."""
    stmt = select(func.count()).where(ReviewJob.queue_id == queue_id, ReviewJob.status == "open")
    return int(s.scalar(stmt) or 0)


def _check_queue_name(name: str) -> None:
    """Queue names are the policy's lowercase slugs."""
    if not re.fullmatch(QUEUE_NAME, name):
        raise Invalid(f"queue names are lowercase slugs (a-z, 0-9, _ . -; 64 at most): {name!r}")


def _check_role(role: str | None) -> str | None:
    """A restricted role must be a known role."""
    if role is None:
        return None
    try:
        return Role(role).value
    except ValueError:
        known = ", ".join(r.value for r in Role)
        raise Invalid(f"unknown role {role!r}; known roles: {known}") from None


def _check_rank(rank: int) -> int:
    """Ranks are 0 (child safety) to 4 (other)."""
    try:
        return int(Rank(rank))
    except ValueError:
        raise Invalid(f"rank is 0 (child safety) to 4 (other), not {rank!r}") from None


def _check_reviewer_name(name: str) -> str:
    """A reviewer is named (the API key's name), at most 255 characters."""
    name = name.strip()
    if not name or len(name) > 255 or "\x00" in name:
        raise Invalid("name the reviewer (1 to 255 characters, no NUL)")
    return name


def _check_text(text: str, what: str) -> str:
    """Notes and reasons: some text, at most MAX_NOTE characters, no NUL (PostgreSQL refuses it)."""
    if not text.strip():
        raise Invalid(f"{what} needs some text")
    if len(text) > MAX_NOTE:
        raise Invalid(f"{what} is at most {MAX_NOTE} characters")
    if "\x00" in text:
        raise Invalid(f"{what} may not contain NUL characters")
    return text


def _check_lease(lease_s: int) -> None:
    """Leases run from MIN_LEASE_S to MAX_LEASE_S seconds."""
    if not MIN_LEASE_S <= lease_s <= MAX_LEASE_S:
        raise Invalid(f"lease_s must be between {MIN_LEASE_S} and {MAX_LEASE_S}, not {lease_s}")


def _iso(value: datetime | None) -> str:
    """A stored time in ISO 8601 UTC, for messages."""
    return as_utc(value).isoformat(timespec="seconds") if value else "-"
