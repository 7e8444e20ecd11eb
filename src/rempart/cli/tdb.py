"""``rempart tdb``: check statements of reasons, send the queue to the TDB, see where it stands."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from rempart.cli.common import console, err, handled, services
from rempart.compliance.tdb.rules import validate_batch, validate_statement
from rempart.compliance.tdb.schema import SCHEMA_VERSION

app = typer.Typer(
    help=f"EU Transparency Database (statement schema {SCHEMA_VERSION}).", no_args_is_help=True
)


def _statements(data: Any) -> list[Any] | None:
    """The statements of a file: one object, a list, or ``{"statements": [...]}``."""
    if isinstance(data, dict) and set(data) == {"statements"}:
        data = data["statements"]
    if isinstance(data, list):
        return data
    return None


@app.command("validate")
@handled
def validate(
    file: Annotated[Path, typer.Argument(help="a JSON statement, a list, or {statements: [...]}")],
) -> None:
    """Check statements against the TDB's rules; exit 1 with the reasons when one is invalid."""
    data = json.loads(file.read_text("utf-8"))
    batch = _statements(data)
    if batch is None:
        found = validate_statement(data)
        errors = {"statement": found} if found else {}
    else:
        errors = validate_batch(batch)
    if not errors:
        count = 1 if batch is None else len(batch)
        console.print(f"valid: {count} statement(s) meet TDB schema {SCHEMA_VERSION}")
        return
    for where, fields in errors.items():
        for name, messages in fields.items():
            for message in messages:
                err.print(
                    f"{where}.{name}: {message}", markup=False, highlight=False, soft_wrap=True
                )
    raise typer.Exit(1)


@app.command("submit")
@handled
def submit(
    limit: Annotated[int, typer.Option(help="most statements sent in this run")] = 1000,
    retry_failed: Annotated[
        bool, typer.Option("--retry-failed", help="first put failed statements back in the queue")
    ] = False,
) -> None:
    """Send the due statements to the TDB (REMPART_TDB_URL, REMPART_TDB_TOKEN)."""
    with services() as ctx:
        if retry_failed:
            console.print(f"requeued {ctx.tdb.retry_failed()} failed statement(s)")
        summary = ctx.tdb.submit_due(limit)
    console.print(
        f"sent {summary.sent}, already in the TDB {summary.already_present}, "
        f"rejected {summary.rejected}, deferred {summary.deferred}, failed {summary.failed} "
        f"({summary.calls} call(s))"
    )
    for message in summary.errors:
        err.print(message, markup=False, highlight=False, soft_wrap=True)
    if summary.deferred or summary.failed:
        raise typer.Exit(2)


@app.command("status")
@handled
def status(
    state: Annotated[
        str | None, typer.Option("--status", help="pending, sent, rejected or failed")
    ] = None,
    decision: Annotated[int | None, typer.Option(help="only this decision's statements")] = None,
    limit: Annotated[int, typer.Option(help="rows shown")] = 20,
) -> None:
    """Counts per status, then the latest submissions with their errors."""
    with services() as ctx:
        counts = ctx.tdb.counts()
        rows = ctx.tdb.list(state, decision, limit=limit)
    console.print("  ".join(f"{name}={n}" for name, n in counts.items()))
    table = Table("puid", "decision", "status", "attempts", "created", "detail")
    for row in rows:
        detail = row.permalink or row.last_error or ""
        if row.field_errors:
            detail = "; ".join(f"{k}: {' '.join(v)}" for k, v in row.field_errors.items())
        table.add_row(
            row.puid,
            str(row.decision_id),
            row.status,
            str(row.attempts),
            row.created_at.isoformat(timespec="seconds"),
            detail,
        )
    console.print(table)
