"""``rempart bank``: manage banks, their content, imports and exports."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from rempart.banks import io as bank_io
from rempart.banks.augment import augment_upload
from rempart.banks.schemas import BankCreate, BankSettings, ContentIn, ContentUpdate
from rempart.cli.common import console, handled, services

app = typer.Typer(help="Manage hash banks.", no_args_is_help=True)

Name = Annotated[str, typer.Argument(help="bank name (UPPER_SNAKE_CASE)")]


def _settings(
    description: str | None,
    category: str | None,
    spec: list[str] | None,
    source: str | None,
    label: list[str] | None,
    enabled: bool | None,
    ratio: float | None,
    negative: bool | None,
    dihedral: bool | None,
    threshold: list[str] | None,
) -> dict[str, object]:
    thresholds = None
    if threshold:
        thresholds = {}
        for t in threshold:
            st, _, value = t.partition("=")
            if not value.strip().isdigit():
                raise ValueError(f"--threshold takes SIGNAL_TYPE=DISTANCE, got {t!r}")
            thresholds[st.strip()] = int(value)
    fields = {
        "description": description,
        "dsa_category": category,
        "specifications": spec or None,
        "source": source,
        "labels": label or None,
        "enabled": enabled,
        "enabled_ratio": ratio,
        "negative": negative,
        "match_dihedral": dihedral,
        "thresholds": thresholds,
    }
    return {k: v for k, v in fields.items() if v is not None}


Description = Annotated[str | None, typer.Option(help="free text")]
Category = Annotated[str | None, typer.Option(help="DSA STATEMENT_CATEGORY_* code")]
Spec = Annotated[list[str] | None, typer.Option("--spec", help="DSA KEYWORD_* code (repeat)")]
Source = Annotated[str | None, typer.Option(help="ncmec, stopncii, iwf, internal, ...")]
Label = Annotated[list[str] | None, typer.Option("--label", help="label (repeat)")]
Enabled = Annotated[bool | None, typer.Option("--enabled/--disabled", help="match or not")]
Ratio = Annotated[float | None, typer.Option("--ratio", help="rollout ratio 0..1")]
Negative = Annotated[bool | None, typer.Option("--negative/--positive", help="negative bank")]
Dihedral = Annotated[
    bool | None, typer.Option("--dihedral/--no-dihedral", help="match mirrored/rotated copies")
]
Threshold = Annotated[
    list[str] | None, typer.Option("--threshold", help="SIGNAL_TYPE=DISTANCE (repeat)")
]


@app.command("create")
@handled
def create(
    name: Name,
    description: Description = None,
    category: Category = None,
    spec: Spec = None,
    source: Source = None,
    label: Label = None,
    enabled: Enabled = None,
    ratio: Ratio = None,
    negative: Negative = None,
    dihedral: Dihedral = None,
    threshold: Threshold = None,
) -> None:
    """Create a bank."""
    fields = _settings(
        description, category, spec, source, label, enabled, ratio, negative, dihedral, threshold
    )
    with services() as ctx:
        bank = ctx.banks.create_bank(BankCreate.model_validate({"name": name, **fields}))
    console.print(f"created bank {bank.name} (id {bank.id})")


@app.command("update")
@handled
def update(
    name: Name,
    description: Description = None,
    category: Category = None,
    spec: Spec = None,
    source: Source = None,
    label: Label = None,
    enabled: Enabled = None,
    ratio: Ratio = None,
    negative: Negative = None,
    dihedral: Dihedral = None,
    threshold: Threshold = None,
    rename: Annotated[str | None, typer.Option(help="new name")] = None,
) -> None:
    """Change a bank's settings."""
    fields = _settings(
        description, category, spec, source, label, enabled, ratio, negative, dihedral, threshold
    )
    with services() as ctx:
        bank = ctx.banks.update_bank(name, BankSettings.model_validate(fields), rename)
    console.print_json(bank.model_dump_json())


@app.command("list")
@handled
def list_banks() -> None:
    """List banks."""
    with services() as ctx:
        banks = ctx.banks.list_banks()
        counts = {b.name: ctx.banks.content_count(b.name) for b in banks}
    table = Table("name", "category", "source", "enabled", "ratio", "negative", "items")
    for b in banks:
        table.add_row(
            b.name,
            b.dsa_category or "",
            b.source,
            str(b.enabled),
            f"{b.enabled_ratio:g}",
            str(b.negative),
            str(counts[b.name]),
        )
    console.print(table)


@app.command("show")
@handled
def show(name: Name) -> None:
    """Show one bank as JSON."""
    with services() as ctx:
        console.print_json(ctx.banks.get_bank(name).model_dump_json())


@app.command("delete")
@handled
def delete(
    name: Name, yes: Annotated[bool, typer.Option("--yes", help="no prompt")] = False
) -> None:
    """Delete a bank and its content."""
    if not yes:
        typer.confirm(f"delete bank {name} and all its content?", abort=True)
    with services() as ctx:
        ctx.banks.delete_bank(name)
    console.print(f"deleted bank {name}")


@app.command("add")
@handled
def add(
    name: Name,
    files: Annotated[
        list[Path] | None, typer.Argument(help="images/videos to hash and bank")
    ] = None,
    signal: Annotated[list[str] | None, typer.Option(help="SIGNAL_TYPE=VALUE (repeat)")] = None,
    note: Annotated[str, typer.Option()] = "",
    provenance: Annotated[str, typer.Option()] = "",
) -> None:
    """Bank files (hashed here, only hashes kept) or given hashes."""
    with services() as ctx:
        added = 0
        for path in files or []:
            data = path.read_bytes()
            sig = ctx.scanner.hash(data)
            signals = ctx.scanner.describe(sig).signals
            kind = "video" if "video_md5" in signals else "photo"
            item = ContentIn(
                signals=signals,
                content_type=kind,
                note=note,
                provenance=provenance or str(path.name),
            )
            derived = (
                augment_upload(ctx.settings, ctx.limits, data, signals) if kind == "photo" else []
            )
            out = ctx.banks.add_content(name, item, derived)
            console.print(f"{path}: content {out.id}")
            added += 1
        if signal:
            pairs = dict(s.split("=", 1) for s in signal if "=" in s)
            if len(pairs) != len(signal):
                raise ValueError("--signal takes SIGNAL_TYPE=VALUE")
            out = ctx.banks.add_content(
                name, ContentIn(signals=pairs, note=note, provenance=provenance)
            )
            console.print(f"content {out.id}")
            added += 1
        if not added:
            raise ValueError("give files to hash or --signal TYPE=VALUE")


@app.command("content")
@handled
def content(name: Name, offset: int = 0, limit: int = 50) -> None:
    """List a bank's items."""
    with services() as ctx:
        rows = ctx.banks.list_content(name, offset=offset, limit=limit)
    for r in rows:
        console.print_json(r.model_dump_json())


@app.command("disable")
@handled
def disable(
    name: Name,
    content_id: int,
    until: Annotated[datetime | None, typer.Option(help="re-enable at this UTC time")] = None,
) -> None:
    """Disable an item without deleting it (for good, or until a time)."""
    change = ContentUpdate(disable_until=until) if until else ContentUpdate(enabled=False)
    with services() as ctx:
        ctx.banks.update_content(name, content_id, change)
    console.print(f"disabled content {content_id}" + (f" until {until}" if until else ""))


@app.command("enable")
@handled
def enable(name: Name, content_id: int) -> None:
    """Re-enable an item."""
    with services() as ctx:
        ctx.banks.update_content(
            name, content_id, ContentUpdate(enabled=True, clear_disable_until=True)
        )
    console.print(f"enabled content {content_id}")


@app.command("remove")
@handled
def remove(name: Name, content_id: int) -> None:
    """Delete one item."""
    with services() as ctx:
        ctx.banks.delete_content(name, content_id)
    console.print(f"removed content {content_id}")


Fmt = Annotated[str, typer.Option("--format", "-f", help="csv, jsonl or te (threatexchange)")]


@app.command("import")
@handled
def import_(
    name: Name,
    path: Annotated[Path, typer.Argument(help="file to import ('-' for stdin)")],
    fmt: Fmt = "csv",
    provenance: Annotated[str, typer.Option()] = "",
    signal_type: Annotated[str | None, typer.Option(help="for te files without types")] = None,
    skip_invalid: Annotated[bool, typer.Option(help="import the valid rows anyway")] = False,
) -> None:
    """Import hashes; all-or-nothing unless --skip-invalid."""
    with services() as ctx:
        if str(path) == "-":
            report = bank_io.import_items(
                ctx.banks,
                name,
                sys.stdin,
                fmt,
                provenance=provenance,
                signal_type=signal_type,
                skip_invalid=skip_invalid,
            )
        else:
            with (
                path.open(encoding="utf-8", newline="") as f,
                console.status(f"importing {path} ..."),
            ):
                report = bank_io.import_items(
                    ctx.banks,
                    name,
                    f,
                    fmt,
                    provenance=provenance,
                    signal_type=signal_type,
                    skip_invalid=skip_invalid,
                )
    console.print(f"read {report.read}, imported {report.imported}, skipped {report.skipped}")
    for e in report.errors:
        console.print(f"  {e}")


@app.command("export")
@handled
def export(
    name: Name,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="file (default stdout)")] = None,
    fmt: Fmt = "csv",
) -> None:
    """Export a bank's hashes."""
    with services() as ctx:
        if out is None:
            n = bank_io.export_items(ctx.banks, name, fmt, sys.stdout)
        else:
            with out.open("w", encoding="utf-8", newline="") as f:
                n = bank_io.export_items(ctx.banks, name, fmt, f)
            console.print(f"wrote {n} records to {out}")
    del n


def dump(obj: object) -> str:
    """Compact JSON for machine output."""
    return json.dumps(obj, default=str, separators=(",", ":"))
