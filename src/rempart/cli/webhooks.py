"""``rempart webhook``: endpoints, one delivery round, dead letters and replays."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from rempart.cli.common import console, err, handled, services
from rempart.moderation.webhooks.events import EVENTS
from rempart.moderation.webhooks.schemas import DeliveryOut, Signing

app = typer.Typer(
    help="Signed webhooks to the platform: endpoints, deliveries, dead letters.",
    no_args_is_help=True,
)


JsonFlag = Annotated[bool, typer.Option("--json", help="JSON lines on stdout")]


def _print_deliveries(rows: list[DeliveryOut], as_json: bool) -> None:
    if as_json:
        for d in rows:
            print(d.model_dump_json())
    else:
        console.print(_deliveries_table(rows))


def _deliveries_table(rows: list[DeliveryOut]) -> Table:
    table = Table("id", "endpoint", "event", "status", "attempts", "next try", "last error")
    for d in rows:
        table.add_row(
            str(d.id),
            d.endpoint,
            d.event,
            d.status,
            str(d.attempts),
            d.next_attempt_at.isoformat(timespec="seconds") if d.status == "pending" else "",
            d.last_error or "",
        )
    return table


@app.command("add")
@handled
def add(
    name: Annotated[str, typer.Argument(help="unique name, e.g. platform-prod")],
    url: Annotated[str, typer.Argument(help="http(s) URL that receives the POSTs")],
    event: Annotated[
        list[str],
        typer.Option("--event", "-e", help=f"{', '.join(EVENTS)}, group.* or * (repeatable)"),
    ],
    signing: Annotated[
        Signing, typer.Option(help="hmac-sha256 (shared secret) or ed25519 (public key)")
    ] = "hmac-sha256",
) -> None:
    """Register an endpoint and print its secret (shown once) or its public key."""
    with services() as ctx:
        out, shown = ctx.webhooks.add_endpoint(name, url, event, signing)
    console.print(f"endpoint {out.id} ({out.name}) {out.url} events={','.join(out.events)}")
    if out.signing == "hmac-sha256":
        err.print("HMAC secret (shown once; give it to the platform's receiver):")
    else:
        err.print("Ed25519 public key (the platform verifies with it):")
    console.print(shown.strip(), markup=False, highlight=False)


@app.command("list")
@handled
def list_endpoints(as_json: JsonFlag = False) -> None:
    """List endpoints (never their secrets)."""
    with services() as ctx:
        rows = ctx.webhooks.list_endpoints()
    if as_json:
        for e in rows:
            print(e.model_dump_json())
        return
    table = Table("id", "name", "url", "events", "signing", "enabled")
    for e in rows:
        table.add_row(
            str(e.id), e.name, e.url, ",".join(e.events), e.signing, "yes" if e.enabled else "no"
        )
    console.print(table)


@app.command("remove")
@handled
def remove(name: Annotated[str, typer.Argument(help="the endpoint's name")]) -> None:
    """Delete an endpoint and its deliveries."""
    with services() as ctx:
        out = ctx.webhooks.remove_endpoint(name)
    console.print(f"removed endpoint {out.id} ({out.name})")


@app.command("public-key")
@handled
def public_key(name: Annotated[str, typer.Argument(help="an ed25519 endpoint")]) -> None:
    """Print the PEM public key that verifies an Ed25519 endpoint's deliveries."""
    with services() as ctx:
        pem = ctx.webhooks.public_key(name)
    console.print(pem.strip(), markup=False, highlight=False)


@app.command("deliver")
@handled
def deliver(
    limit: Annotated[int, typer.Option(min=1, max=1000, help="most deliveries sent")] = 100,
) -> None:
    """Send what is due once (the API server does this in the background)."""
    with services() as ctx, err.status("delivering due webhooks..."):
        summary = ctx.webhooks.deliver_due(limit)
        ctx.webhooks.close()
    for r in summary.results:
        code = f" HTTP {r.status_code}" if r.status_code is not None else ""
        why = f": {r.error}" if r.error and r.status != "delivered" else ""
        console.print(
            f"delivery {r.id} {r.event} -> {r.endpoint}: {r.status}{code}{why}",
            markup=False,
            highlight=False,
        )
    console.print(
        f"{summary.attempted} due: {summary.delivered} delivered, "
        f"{summary.retrying} to retry, {summary.dead} dead"
    )


@app.command("deliveries")
@handled
def deliveries(
    status: Annotated[str | None, typer.Option(help="pending, delivered or dead")] = None,
    event: Annotated[str | None, typer.Option(help="one event name")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 100,
    as_json: JsonFlag = False,
) -> None:
    """List deliveries, newest first."""
    with services() as ctx:
        rows = ctx.webhooks.deliveries(status=status, event=event, limit=limit)
    _print_deliveries(rows, as_json)


@app.command("dead")
@handled
def dead(
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 100, as_json: JsonFlag = False
) -> None:
    """List dead letters: deliveries that ran out of attempts."""
    with services() as ctx:
        rows = ctx.webhooks.dead_letters(limit=limit)
    _print_deliveries(rows, as_json)


@app.command("replay")
@handled
def replay(delivery_id: Annotated[int, typer.Argument(help="a dead letter's id")]) -> None:
    """Queue a dead letter again, due now, with its attempts reset."""
    with services() as ctx:
        out = ctx.webhooks.replay(delivery_id)
    console.print(f"delivery {out.id} ({out.event} -> {out.endpoint}) queued again")
