"""Routes for review queues and jobs: list, claim under a lease, renew, release, notes, moves.

The caller's name (its API key's name) is the reviewer. Jobs of a restricted queue answer 404
to keys without the queue's role, as if they did not exist. Deciding a job is the moderation
router's ``POST /v1/jobs/{job_id}/decision``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from rempart.access.roles import Role
from rempart.access.services import Principal
from rempart.api.auth import ctx, require
from rempart.moderation.queue_schemas import (
    ClaimedJob,
    ClaimIn,
    EscalateIn,
    JobOut,
    NoteIn,
    NoteOut,
    QueueOut,
    ReassignIn,
    ReleaseIn,
    RenewIn,
)

router = APIRouter(prefix="/v1", tags=["queues"])

READERS = (Role.MODERATOR, Role.SENIOR_MODERATOR, Role.CHILD_SAFETY, Role.AUDITOR)
REVIEWERS = (Role.MODERATOR, Role.SENIOR_MODERATOR, Role.CHILD_SAFETY)
Reader = Annotated[Principal, Depends(require(*READERS))]
Reviewer = Annotated[Principal, Depends(require(*REVIEWERS))]
Senior = Annotated[Principal, Depends(require(Role.SENIOR_MODERATOR))]
QueueName = Annotated[str, Path(min_length=1, max_length=64, description="queue name")]
JobId = Annotated[int, Path(ge=1, le=2**31 - 1, description="review job id")]
NO_JOB: dict[int | str, dict[str, Any]] = {
    204: {"description": "no job is free to claim in this queue"}
}


@router.get("/queues")
def list_queues(request: Request, who: Reader) -> list[QueueOut]:
    """The queues the caller may see (a restricted queue only with its role)."""
    return ctx(request).queues.queues(who.roles)


@router.get("/queues/{queue}/jobs")
def list_jobs(
    request: Request,
    queue: QueueName,
    who: Reader,
    status: Annotated[Literal["open", "done", "cancelled"], Query()] = "open",
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[JobOut]:
    """A queue's jobs: open ones in claim order with their SLA state."""
    return ctx(request).queues.list_jobs(queue, roles=who.roles, status=status, limit=limit)


@router.post("/queues/{queue}/claim", response_model=ClaimedJob, responses=NO_JOB)
def claim_next(
    request: Request, queue: QueueName, who: Reviewer, body: ClaimIn | None = None
) -> ClaimedJob | Response:
    """Claim the most urgent free job under a lease; 204 when none is free."""
    lease_s = (body or ClaimIn()).lease_s
    job = ctx(request).queues.claim_next(queue, reviewer=who.name, roles=who.roles, lease_s=lease_s)
    return job if job is not None else Response(status_code=204)


@router.get("/jobs/{job_id}")
def get_job(request: Request, job_id: JobId, who: Reader) -> JobOut:
    """One job with its lease and SLA state."""
    return ctx(request).queues.get(job_id, who.roles)


@router.post("/jobs/{job_id}/claim")
def claim_job(
    request: Request, job_id: JobId, who: Reviewer, body: ClaimIn | None = None
) -> ClaimedJob:
    """Claim one named job; 409 while another reviewer holds it."""
    lease_s = (body or ClaimIn()).lease_s
    return ctx(request).queues.claim(job_id, reviewer=who.name, roles=who.roles, lease_s=lease_s)


@router.post("/jobs/{job_id}/renew")
def renew(request: Request, job_id: JobId, body: RenewIn, who: Reviewer) -> ClaimedJob:
    """Extend the caller's live lease; 409 if it expired or was taken over."""
    return ctx(request).queues.renew(
        job_id, who.name, body.lease_token, body.lease_s, roles=who.roles
    )


@router.post("/jobs/{job_id}/release")
def release(request: Request, job_id: JobId, body: ReleaseIn, who: Reviewer) -> JobOut:
    """Give the job back to its queue."""
    return ctx(request).queues.release(job_id, who.name, body.lease_token, roles=who.roles)


@router.post("/jobs/{job_id}/notes", status_code=201)
def add_note(request: Request, job_id: JobId, body: NoteIn, who: Reviewer) -> NoteOut:
    """Add an internal note to a job."""
    return ctx(request).queues.add_note(job_id, who.name, body.text, roles=who.roles)


@router.get("/jobs/{job_id}/notes")
def list_notes(request: Request, job_id: JobId, who: Reader) -> list[NoteOut]:
    """A job's internal notes, oldest first."""
    return ctx(request).queues.notes(job_id, roles=who.roles)


@router.post("/jobs/{job_id}/reassign")
def reassign(request: Request, job_id: JobId, body: ReassignIn, who: Senior) -> JobOut:
    """Move a job to another queue and/or hand its lease to a named reviewer."""
    return ctx(request).queues.reassign(
        job_id,
        to_queue=body.to_queue,
        to_reviewer=body.to_reviewer,
        by=who.name,
        roles=who.roles,
    )


@router.post("/jobs/{job_id}/escalate")
def escalate(request: Request, job_id: JobId, body: EscalateIn, who: Reviewer) -> JobOut:
    """Escalate a job (to ``escalations`` unless told) with the reason as a note."""
    return ctx(request).queues.escalate(
        job_id, by=who.name, reason=body.reason, to_queue=body.to_queue, roles=who.roles
    )
