"""``rempart queue``: list queues and jobs, claim, note, escalate, backlog stats.

The command line acts with the roles given by ``--role`` (default ``admin``), so a queue
restricted to child safety stays hidden unless ``--role child_safety`` is given.
"""

from __future__ import annotations

import getpass
from typing import Annotated

import typer
from rich.table import Table

from rempart.cli.common import console, handled, services
from rempart.moderation.queue_schemas import DEFAULT_LEASE_S, JobOut

app = typer.Typer(help="Review queues: jobs, claims, notes, escalations.", no_args_is_help=True)

Roles = Annotated[
    list[str] | None,
    typer.Option("--role", "-r", help="act with these roles (default admin)"),
]
As = Annotated[str | None, typer.Option("--as", help="your name (default: the local user)")]


def _roles(role: list[str] | None) -> list[str]:
    """The roles the command acts with."""
    return [r.strip().lower() for r in role] if role else ["admin"]


def _me(name: str | None) -> str:
    """Who acts: ``--as`` or the local user name."""
    return name or getpass.getuser()


def _left(job: JobOut) -> str:
    """Time left to the SLA deadline, or how long overdue."""
    if job.seconds_left is None:
        return "-"
    minutes = int(abs(job.seconds_left) // 60)
    span = f"{minutes // 60}h{minutes % 60:02d}m"
    return f"overdue {span}" if job.overdue else span


@app.command("list")
@handled
def list_queues(role: Roles = None) -> None:
    """List the queues these roles may see."""
    with services() as ctx:
        rows = ctx.queues.queues(_roles(role))
    table = Table("queue", "SLA (h)", "restricted to", "description")
    for q in rows:
        table.add_row(q.name, f"{q.sla_hours:g}", q.restricted_role or "", q.description)
    console.print(table)


@app.command("jobs")
@handled
def jobs(
    queue: Annotated[str, typer.Argument(help="queue name")],
    status: Annotated[str, typer.Option(help="open, done or cancelled")] = "open",
    limit: Annotated[int, typer.Option(help="most jobs shown")] = 100,
    role: Roles = None,
) -> None:
    """List a queue's jobs in claim order, with their SLA state."""
    with services() as ctx:
        rows = ctx.queues.list_jobs(queue, roles=_roles(role), status=status, limit=limit)
    table = Table("job", "case", "rank", "priority", "due", "left", "claimed by", "reason")
    for j in rows:
        table.add_row(
            str(j.id),
            str(j.case_id),
            j.rank_name,
            str(j.priority),
            j.due_at.isoformat(timespec="minutes"),
            _left(j),
            (j.claimed_by or "") if j.claimed else "",
            j.reason,
        )
    console.print(table)


@app.command("claim")
@handled
def claim(
    queue: Annotated[str, typer.Argument(help="queue name")],
    name: Annotated[str, typer.Option("--as", help="the reviewer claiming")],
    lease_s: Annotated[int, typer.Option(help="lease length in seconds")] = DEFAULT_LEASE_S,
    role: Roles = None,
) -> None:
    """Claim the most urgent free job; exits 1 when none is free."""
    with services() as ctx:
        job = ctx.queues.claim_next(queue, reviewer=name, roles=_roles(role), lease_s=lease_s)
    if job is None:
        console.print(f"no job is free to claim in {queue}")
        raise typer.Exit(1)
    console.print(
        f"claimed job {job.id} (case {job.case_id}, {job.rank_name}) until "
        f"{job.lease_until.isoformat(timespec='seconds') if job.lease_until else '-'}; "
        f"lease token {job.lease_token}",
        soft_wrap=True,  # one line, whatever the terminal width: scripts read the token
    )


@app.command("note")
@handled
def note(
    job_id: Annotated[int, typer.Argument(help="job id")],
    text: Annotated[str, typer.Argument(help="the note")],
    name: As = None,
    role: Roles = None,
) -> None:
    """Add an internal note to a job."""
    with services() as ctx:
        out = ctx.queues.add_note(job_id, _me(name), text, roles=_roles(role))
    console.print(f"note {out.id} added to job {job_id}")


@app.command("escalate")
@handled
def escalate(
    job_id: Annotated[int, typer.Argument(help="job id")],
    reason: Annotated[str, typer.Option(help="why it is escalated")],
    to_queue: Annotated[str, typer.Option("--to", help="target queue")] = "escalations",
    name: As = None,
    role: Roles = None,
) -> None:
    """Escalate a job to another queue (``escalations`` unless told), with a note."""
    with services() as ctx:
        job = ctx.queues.escalate(
            job_id, by=_me(name), reason=reason, to_queue=to_queue, roles=_roles(role)
        )
    console.print(f"job {job.id} escalated to {job.queue}")


@app.command("stats")
@handled
def stats() -> None:
    """Backlog of every queue: open, claimed, overdue, oldest job's age."""
    with services() as ctx:
        rows = ctx.queues.stats()
    table = Table("queue", "open", "claimed", "overdue", "oldest (h)", "restricted to")
    for q in rows:
        oldest = f"{q.oldest_age_s / 3600:.1f}" if q.oldest_age_s is not None else "-"
        table.add_row(
            q.name, str(q.open), str(q.claimed), str(q.overdue), oldest, q.restricted_role or ""
        )
    console.print(table)
