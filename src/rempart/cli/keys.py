"""``rempart apikey``: create, list and revoke API keys."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from rempart.access.roles import ALL_ROLES
from rempart.cli.common import console, handled, services

app = typer.Typer(
    help="Manage API keys (stored hashed; the secret is shown once).", no_args_is_help=True
)


@app.command("create")
@handled
def create(
    name: Annotated[str, typer.Argument(help="who or what uses the key")],
    role: Annotated[list[str], typer.Option("--role", "-r", help=f"one of {', '.join(ALL_ROLES)}")],
) -> None:
    """Create a key and print its secret once."""
    with services() as ctx:
        info, secret = ctx.keys.create(name, role)
    console.print(f"key {info.id} ({info.name}) roles={','.join(info.roles)}")
    console.print(secret, markup=False, highlight=False)


@app.command("list")
@handled
def list_keys() -> None:
    """List keys (prefix, roles, revoked)."""
    with services() as ctx:
        keys = ctx.keys.list()
    table = Table("id", "name", "prefix", "roles", "created", "revoked")
    for k in keys:
        table.add_row(
            str(k.id),
            k.name,
            k.prefix,
            ",".join(k.roles),
            k.created_at.isoformat(timespec="seconds"),
            k.revoked_at.isoformat(timespec="seconds") if k.revoked_at else "",
        )
    console.print(table)


@app.command("revoke")
@handled
def revoke(key_id: int) -> None:
    """Revoke a key; it stops working at once."""
    with services() as ctx:
        info = ctx.keys.revoke(key_id)
    console.print(f"revoked key {info.id} ({info.name})")
