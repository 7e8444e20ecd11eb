"""``rempart report``: the DSA transparency report (Implementing Regulation (EU) 2024/2835)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from rempart.cli.common import console, fail, handled, services
from rempart.compliance.transparency.service import transparency_report
from rempart.compliance.transparency.writer import write_parts

app = typer.Typer(help="Regulatory reports.", no_args_is_help=True)


def _day(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise fail(f"{option} takes a date as YYYY-MM-DD, got {value!r}") from None


@app.command("transparency")
@handled
def transparency(
    from_: Annotated[str, typer.Option("--from", help="first day of the period, YYYY-MM-DD")],
    to: Annotated[str, typer.Option("--to", help="last day of the period, YYYY-MM-DD")],
    out: Annotated[Path, typer.Option("--out", help="folder the 11 CSV files are written to")],
    profile: Annotated[
        Path | None,
        typer.Option(help="YAML or JSON with provider type, staff, recipients and free text"),
    ] = None,
) -> None:
    """Write the 11 CSV parts of the transparency report for a period, from the recorded data."""
    start, end = _day(from_, "--from"), _day(to, "--to")
    if start > end:
        raise fail(f"--from ({start}) is after --to ({end})")
    with services() as ctx:
        parts = transparency_report(
            ctx.db, ctx.settings, start, end, profile_path=profile, clock=ctx.clock
        )
    paths = write_parts(parts, out)
    table = Table(title=f"Transparency report {start}/{end}, written to {out}")
    table.add_column("file")
    table.add_column("rows", justify="right")
    table.add_column("figures filled", justify="right")
    for part, path in zip(parts, paths, strict=True):
        table.add_row(path.name, str(len(part.rows)), str(part.filled()))
    console.print(table)
