"""``rempart``: hash, scan, match, banks, API keys, the server and the demo."""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from rempart.banks.lookup import Query
from rempart.banks.services import normalize_signals
from rempart.cli import (
    banks,
    evidence,
    genai,
    keys,
    lawenforcement,
    ledger,
    misuse,
    moderation,
    ncmec,
    policy,
    queues,
    reports,
    tdb,
    text,
    webhooks,
)
from rempart.cli.common import console, err, fail, handled, services
from rempart.config import get_settings
from rempart.events import set_actor
from rempart.logs import configure_logging
from rempart.media.errors import MediaError
from rempart.scan.service import ScanResult
from rempart.signals.types import SIGNAL_TYPES, VPDQ
from rempart.signals.vpdq import parse_vpdq

app = typer.Typer(
    help="Rempart: trust & safety engine.", no_args_is_help=True, pretty_exceptions_enable=False
)
app.add_typer(banks.app, name="bank")
app.add_typer(keys.app, name="apikey")
app.add_typer(policy.app, name="policy")
app.add_typer(moderation.app, name="mod")
app.add_typer(queues.app, name="queue")
app.add_typer(misuse.app, name="misuse")
app.add_typer(webhooks.app, name="webhook")
app.add_typer(tdb.app, name="tdb")
app.add_typer(reports.app, name="report")
app.add_typer(ledger.app, name="ledger")
app.add_typer(evidence.app, name="evidence")
app.add_typer(ncmec.app, name="ncmec")
app.add_typer(lawenforcement.app, name="le")
app.add_typer(genai.app, name="genai")
app.add_typer(text.app, name="text")
index_app = typer.Typer(help="Match index operations.", no_args_is_help=True)
app.add_typer(index_app, name="index")


@app.callback()
def main() -> None:
    """Rempart: trust & safety engine. Logs go to stderr as JSON lines; results to stdout."""
    configure_logging(get_settings().log_json)
    set_actor(f"cli:{getpass.getuser()}")


def walk(paths: list[Path]) -> Iterator[Path]:
    """Files under the given paths, recursively, in a stable order."""
    for p in paths:
        if p.is_dir():
            yield from sorted(q for q in p.rglob("*") if q.is_file())
        elif p.exists():
            yield p
        else:
            raise ValueError(f"no such file or folder: {p}")


@app.command("hash")
@handled
def hash_cmd(paths: Annotated[list[Path], typer.Argument(help="files or folders")]) -> None:
    """Print the signals of each file as JSON lines."""
    failed = 0
    with services() as ctx:
        for path in walk(paths):
            try:
                res = ctx.scanner.describe(ctx.scanner.hash(path.read_bytes()))
            except MediaError as exc:
                failed += 1
                err.print(f"{path}: {exc.detail}")
                continue
            row = {
                "path": str(path),
                **res.model_dump(include={"content_type", "signals", "pdq_quality", "notes"}),
            }
            print(json.dumps(row))
    if failed:
        raise typer.Exit(2)


@app.command("scan")
@handled
def scan(
    paths: Annotated[list[Path], typer.Argument(help="files or folders (recursive)")],
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines on stdout")] = False,
    bank: Annotated[list[str] | None, typer.Option(help="only these banks")] = None,
    analyse: Annotated[
        bool, typer.Option(help="read provenance and run the image classifiers too")
    ] = True,
) -> None:
    """Scan files against the banks; a table (or JSON lines) of what matched.

    The table also says what the provenance shows (AI-generated yes/no/unknown, and the
    generator) and which classifiers flagged the file. Exits 2 if any file could not be read
    or decoded (the others are still scanned).
    """
    files = list(walk(paths))
    failed = 0
    rows: list[tuple[str, str, str, str, str, str, str]] = []
    with (
        services(load_index=True) as ctx,
        Progress(
            TextColumn("scanning"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=True,
            disable=as_json or len(files) < 2,
        ) as progress,
    ):
        task = progress.add_task("scan", total=len(files))
        for path in files:
            progress.advance(task)
            try:
                res = ctx.scanner.scan(path.read_bytes(), banks=bank, analyse=analyse)
            except MediaError as exc:
                failed += 1
                if as_json:
                    print(json.dumps({"path": str(path), "error": exc.code, "detail": exc.detail}))
                else:
                    err.print(f"[yellow]{path}[/]: {exc.detail}")
                continue
            if as_json:
                print(json.dumps({"path": str(path), **res.model_dump(mode="json")}))
                continue
            ai, flags = _analysis(res)
            if not res.matches:
                how = "suppressed by negative bank" if res.suppressed else "no match"
                rows.append((str(path), "-", "-", "-", how, ai, flags))
            for m in res.matches:
                dist = (
                    f"{m.query_match_pct:.0f}% frames"
                    if m.query_match_pct is not None
                    else str(m.distance)
                )
                rows.append((str(path), m.bank, m.signal_type, dist, m.orientation, ai, flags))
    if not as_json:
        table = Table("file", "bank", "signal", "distance", "how", "AI (provenance)", "flagged")
        for r in rows:
            table.add_row(*r)
        console.print(table)
    if failed:
        raise typer.Exit(2)


def _analysis(res: ScanResult) -> tuple[str, str]:
    """Provenance verdict (with the generator) and flagged classifiers, for the scan table."""
    ai = "-"
    if res.provenance is not None:
        p = res.provenance
        ai = p.ai_generated + (f" ({p.generator})" if p.generator else "")
    flags = "-"
    if res.classifiers is not None:
        hit = [f"{r.name} {r.score:.2f}" for r in res.classifiers.results if r.flagged]
        flags = ", ".join(hit) or "none"
    return ai, flags


@app.command("match")
@handled
def match(
    signal_type: Annotated[str, typer.Argument(help=f"one of {', '.join(SIGNAL_TYPES)}")],
    value: Annotated[str, typer.Argument(help="the hash")],
    bank: Annotated[list[str] | None, typer.Option(help="only these banks")] = None,
) -> None:
    """Look up one hash; exits 1 when it matches nothing."""
    if signal_type not in SIGNAL_TYPES:
        raise fail(f"unknown signal type {signal_type!r}; known: {', '.join(SIGNAL_TYPES)}")
    norm = normalize_signals({signal_type: value})[signal_type]
    with services(load_index=True) as ctx:
        if signal_type == VPDQ:
            res = ctx.lookup.lookup_vpdq(parse_vpdq(norm), bank_names=bank, query_value=norm)
        else:
            res = ctx.lookup.lookup(signal_type, [Query(norm)], bank_names=bank)
    console.print_json(res.model_dump_json())
    if not res.matches:
        raise typer.Exit(1)


@app.command("serve")
@handled
def serve(
    host: Annotated[str, typer.Option(help="address to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port")] = 8000,
) -> None:
    """Run the HTTP API (native /v1 and HMA-compatible routes)."""
    import uvicorn

    from rempart.api.app import create_app

    uvicorn.run(create_app(), host=host, port=port, log_level="info")


@app.command("demo")
@handled
def demo(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="stop after the table")] = False,
) -> None:
    """Build a demo bank, scan transformed copies, print what matched, then serve."""
    from rempart.demo import run_demo

    run_demo(host=host, port=port, serve=not no_serve)


@index_app.command("status")
@handled
def index_status() -> None:
    """Load the index and print its status."""
    with services(load_index=True) as ctx:
        console.print_json(json.dumps(ctx.matcher.status(), default=str))


@index_app.command("snapshot")
@handled
def index_snapshot() -> None:
    """Save an index snapshot so the server starts fast."""
    with services(load_index=True) as ctx:
        path = ctx.matcher.save_snapshot()
        console.print(f"saved snapshot at {path} (seq {ctx.matcher.seq})")


@app.command("migrate")
@handled
def migrate() -> None:
    """Create or upgrade the database schema."""
    with services() as ctx:
        console.print(f"database at {ctx.db.engine.url.render_as_string()} is up to date")
