"""Pydantic shapes of review queues, jobs and notes, shared by the service, the API and the CLI."""

from __future__ import annotations

from datetime import datetime
from enum import IntEnum

from pydantic import BaseModel, Field, model_validator

QUEUE_NAME = r"^[a-z0-9][a-z0-9_.-]{0,63}$"  # the policy engine's queue-name slug
MIN_LEASE_S = 10
MAX_LEASE_S = 8 * 3600  # a lease longer than a shift hides a forgotten job
DEFAULT_LEASE_S = 900
MAX_NOTE = 10_000
NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold NUL


class Rank(IntEnum):
    """Severity order of a job: lower is more urgent and is always served first."""

    CHILD_SAFETY = 0
    THREAT_TO_LIFE = 1
    AUTHORITY_ORDER = 2  # ordered among themselves by the order's deadline
    TRUSTED_FLAGGER = 3
    OTHER = 4


class QueueOut(BaseModel):
    """A review queue's definition."""

    name: str
    description: str
    sla_hours: float
    restricted_role: str | None


class QueueStats(BaseModel):
    """Backlog of one queue: open jobs, those under a live lease, those past due, the oldest."""

    name: str
    restricted_role: str | None
    open: int
    claimed: int
    overdue: int
    oldest_age_s: float | None


class JobOut(BaseModel):
    """A review job with its lease and SLA state as of the moment it was read."""

    id: int
    case_id: int
    queue: str
    rank: int
    rank_name: str
    priority: int
    reason: str
    status: str
    claimed: bool = Field(description="whether a reviewer holds a live lease on it")
    claimed_by: str | None
    lease_until: datetime | None
    lease_token: int = Field(description="fencing token: bumped on every claim or move")
    due_at: datetime
    overdue: bool
    seconds_left: float | None = Field(description="until due_at (negative once overdue)")
    escalated: bool
    created_at: datetime
    done_at: datetime | None
    done_by: str | None
    decision_id: int | None


class ClaimedJob(JobOut):
    """A job as its new holder gets it: ``lease_token`` must be sent to renew, release, decide."""


class NoteOut(BaseModel):
    """An internal note on a job (reviewers only; never shown to users)."""

    id: int
    job_id: int
    author: str
    text: str
    created_at: datetime


class ClaimIn(BaseModel):
    """How long the claimed lease lasts."""

    lease_s: int = Field(DEFAULT_LEASE_S, ge=MIN_LEASE_S, le=MAX_LEASE_S)


class RenewIn(BaseModel):
    """Extend a lease the caller still holds."""

    lease_token: int = Field(ge=0, le=2**31 - 1)
    lease_s: int = Field(DEFAULT_LEASE_S, ge=MIN_LEASE_S, le=MAX_LEASE_S)


class ReleaseIn(BaseModel):
    """Give a job back to its queue."""

    lease_token: int = Field(ge=0, le=2**31 - 1)


class NoteIn(BaseModel):
    """An internal note."""

    text: str = Field(min_length=1, max_length=MAX_NOTE, pattern=NO_NUL)


class ReassignIn(BaseModel):
    """Move a job to another queue, hand its lease to a named reviewer, or both."""

    to_queue: str | None = Field(None, pattern=QUEUE_NAME)
    to_reviewer: str | None = Field(None, min_length=1, max_length=255, pattern=NO_NUL)

    @model_validator(mode="after")
    def _something(self) -> ReassignIn:
        if self.to_queue is None and self.to_reviewer is None:
            raise ValueError("give to_queue, to_reviewer or both")
        return self


class EscalateIn(BaseModel):
    """Escalate a job: why, and to which queue (``escalations`` unless told)."""

    reason: str = Field(min_length=1, max_length=MAX_NOTE, pattern=NO_NUL)
    to_queue: str = Field("escalations", pattern=QUEUE_NAME)
