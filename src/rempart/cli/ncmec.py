"""``rempart ncmec``: CyberTipline reports (draft, send, retract, status, pending)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer

from rempart.cli.common import console, fail, handled, services
from rempart.compliance.ncmec.schemas import FileIn, ReportedUserIn, ReportOut

app = typer.Typer(
    help="NCMEC CyberTipline reports (REMPART_NCMEC_* settings).", no_args_is_help=True
)


def _show(report: ReportOut) -> None:
    console.print_json(report.model_dump_json())


@app.command("draft")
@handled
def draft(
    account: Annotated[str, typer.Argument(help="the suspect account's platform id")],
    incident_type: Annotated[str, typer.Option(help="incidentType, as NCMEC spells it")],
    by: Annotated[str, typer.Option(help="who drafts it (recorded in the ledger)")],
    annotation: Annotated[
        list[str] | None, typer.Option(help="reportAnnotations, e.g. sextortion")
    ] = None,
    files: Annotated[
        Path | None,
        typer.Option(help="JSON list of per-file settings (vault_object_id, classification...)"),
    ] = None,
    reported: Annotated[
        Path | None,
        typer.Option(
            help="JSON object of what is known of the account: screen_name, display_names, "
            "emails, phones, ip_capture_events ..."
        ),
    ] = None,
) -> None:
    """Draft the report for one account, with every file of its open child-safety cases."""
    file_list = []
    if files is not None:
        data = json.loads(files.read_text("utf-8"))
        if not isinstance(data, list):
            raise fail("--files must hold a JSON list")
        file_list = [FileIn.model_validate(f) for f in data]
    known = None
    if reported is not None:
        known = ReportedUserIn.model_validate_json(reported.read_text("utf-8"))
    with services() as ctx:
        _show(
            ctx.ncmec.draft_for_account(
                account,
                incident_type=incident_type,
                files=file_list,
                by=by,
                annotations=annotation or [],
                reported=known,
            )
        )


@app.command("send")
@handled
def send(
    report_id: Annotated[int, typer.Argument(help="Rempart's report id")],
    by: Annotated[str, typer.Option(help="who sends it")],
) -> None:
    """Run the remaining steps; after a crash, run it again: it resumes where it stopped."""
    with services() as ctx:
        _show(ctx.ncmec.send(report_id, by=by))


@app.command("retract")
@handled
def retract(
    report_id: Annotated[int, typer.Argument(help="Rempart's report id")],
    by: Annotated[str, typer.Option(help="who retracts it")],
) -> None:
    """Cancel a report that is not finished."""
    with services() as ctx:
        _show(ctx.ncmec.retract(report_id, by=by))


@app.command("status")
@handled
def status(report_id: Annotated[int, typer.Argument(help="Rempart's report id")]) -> None:
    """One report, its files and NCMEC's ids."""
    with services() as ctx:
        _show(ctx.ncmec.get(report_id))


@app.command("pending")
@handled
def pending(
    older_than_hours: Annotated[float, typer.Option(help="only reports older than this")] = 0.0,
) -> None:
    """Unfinished reports; exit 2 when there are any (for an alarm)."""
    with services() as ctx:
        found = ctx.ncmec.pending(timedelta(hours=older_than_hours))
    for r in found:
        console.print(
            f"{r.id}\t{r.status}\t{r.account_ref}\tncmec={r.ncmec_report_id or '-'}\t"
            f"{r.last_error or ''}",
            markup=False,
            highlight=False,
        )
    if found:
        raise typer.Exit(2)
    console.print("no unfinished reports")
