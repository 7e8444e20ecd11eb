"""``rempart evidence``: the vault's objects, holds, retention sweeps, key rotation, destruction.

The command line runs as the operator: it never prints content or metadata (views of evidence
go through the API, with a role, a case and a purpose, and are logged).
"""

from __future__ import annotations

import getpass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from rempart.cli.common import console, handled, services
from rempart.evidence.vault.schemas import LEGAL_BASES

app = typer.Typer(
    help="Evidence vault: encrypted objects, holds, retention, crypto-shredding.",
    no_args_is_help=True,
)

By = Annotated[str, typer.Option("--by", help="who acts (recorded in the ledger)")]
JsonFlag = Annotated[bool, typer.Option("--json", help="JSON on stdout")]


def _me() -> str:
    return f"cli:{getpass.getuser()}"


@app.command("store")
@handled
def store(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="content to preserve")],
    category: Annotated[str, typer.Option(help="DSA category code, or csam")],
    case: Annotated[int | None, typer.Option(help="case id")] = None,
    media_type: Annotated[str, typer.Option(help="MIME type")] = "application/octet-stream",
    by: By = "",
) -> None:
    """Preserve a file encrypted; the same content twice gives the same object."""
    with services() as ctx:
        out = ctx.vault.store(
            None,
            file.read_bytes(),
            category=category,
            case_id=case,
            media_type=media_type,
            actor=by or _me(),
        )
    console.print(f"vault object {out.id} sha256={out.sha256} category={out.category}")


@app.command("show")
@handled
def show(object_id: int, as_json: JsonFlag = False) -> None:
    """An object's state, retention and holds (never its content or metadata)."""
    with services() as ctx:
        d = ctx.vault.describe(object_id)
    if as_json:
        print(d.model_dump_json())
        return
    state = f"destroyed {d.destroyed_at} ({d.destroyed_reason})" if d.destroyed_at else "live"
    console.print(f"object {d.id} {d.media_type} {d.size} bytes sha256={d.sha256}")
    console.print(f"category={d.category} case={d.case_id} {state}")
    if d.retain_until:
        console.print(f"retained until {d.retain_until.isoformat()}; held={d.held}")
    for h in d.holds:
        flag = "active" if h.active else "inactive"
        until = h.expires_at.isoformat() if h.expires_at else "until released"
        console.print(f"  hold {h.id} {h.legal_basis} {flag} {until} - {h.reason}", markup=False)


@app.command("hold")
@handled
def hold(
    object_id: int,
    basis: Annotated[str, typer.Option(help=f"legal basis: {', '.join(LEGAL_BASES)}")],
    reason: Annotated[str, typer.Option(help="why")],
    expires: Annotated[
        datetime | None, typer.Option(help="end (ISO date/time, UTC); none: until released")
    ] = None,
    by: By = "",
) -> None:
    """Place a preservation hold."""
    end = expires.replace(tzinfo=UTC) if expires and expires.tzinfo is None else expires
    with services() as ctx:
        h = ctx.vault.place_hold(object_id, basis, reason, by or _me(), end)
    console.print(f"hold {h.id} on object {h.object_id} until {h.expires_at or 'released'}")


@app.command("release")
@handled
def release(
    hold_id: int, reason: Annotated[str, typer.Option(help="why")] = "", by: By = ""
) -> None:
    """Release a hold."""
    with services() as ctx:
        h = ctx.vault.release_hold(hold_id, by or _me(), reason)
    console.print(f"hold {h.id} released at {h.released_at}")


@app.command("sweep")
@handled
def sweep(by: By = "") -> None:
    """Destroy every object past its retention that no active hold covers."""
    with services() as ctx:
        out = ctx.vault.sweep(actor=by or "system:retention")
    console.print(f"checked {out.checked}, destroyed {len(out.destroyed)}: {out.destroyed}")


@app.command("rotate-kek")
@handled
def rotate_kek(
    kek_id: Annotated[
        str | None, typer.Option(help="name of the new KEK (file mode) or the configured one")
    ] = None,
    remove_old: Annotated[
        bool, typer.Option("--remove-old", help="then drop unused old KEKs from the key file")
    ] = False,
    by: By = "",
) -> None:
    """Re-wrap every data key with a new key-encryption key; content is not re-encrypted."""
    with services() as ctx:
        out = ctx.vault.rotate_kek(kek_id, actor=by or _me(), remove_old=remove_old)
    console.print(f"KEK {out.kek_id}: {out.rewrapped} data keys re-wrapped; removed {out.removed}")


@app.command("destroy")
@handled
def destroy(
    object_id: int,
    request: Annotated[str, typer.Option(help="the law-enforcement request's reference")],
    by: By = "",
) -> None:
    """Destroy an object on a law-enforcement request (18 U.S.C. 2258B(c)(2))."""
    with services() as ctx:
        out = ctx.vault.destroy_on_le_request(object_id, request, by or _me())
    console.print(f"object {out.id} destroyed: {out.destroyed_reason}")
