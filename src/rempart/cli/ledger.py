"""``rempart ledger``: verify the evidence log, sign heads, prove events, use witnesses."""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import Annotated

import typer

from rempart.cli.common import console, err, fail, handled, services
from rempart.evidence.ledger.witness import FileWitness, HttpWitness, Witness, check, publish

app = typer.Typer(
    help="The tamper-evident evidence ledger (RFC 9162 Merkle log).", no_args_is_help=True
)
witness_app = typer.Typer(help="Publish heads to, and check the log against, a witness.")
app.add_typer(witness_app, name="witness", no_args_is_help=True)

FileOpt = Annotated[Path | None, typer.Option("--file", help="a JSON-lines witness file")]
UrlOpt = Annotated[str | None, typer.Option("--url", help="an HTTP witness endpoint")]


def _witness(file: Path | None, url: str | None) -> Witness:
    """The one witness named on the command line."""
    if (file is None) == (url is None):
        raise fail("give exactly one of --file PATH or --url URL")
    return FileWitness(file) if file is not None else HttpWitness(str(url))


@app.command("verify")
@handled
def verify() -> None:
    """Recompute every leaf, root and signature; exit 1 naming each problem found."""
    with services() as ctx:
        report = ctx.ledger.verify()
    if report.ok:
        console.print(
            f"ledger intact: {report.events} events, {report.heads} signed heads, "
            f"root {report.root_hash} (checked in {report.seconds:.2f}s)"
        )
        return
    for p in report.problems:
        where = f"seq {p.seq}" if p.seq is not None else f"head {p.head_id}" if p.head_id else "log"
        err.print(f"{p.kind} at {where}: {p.detail}", markup=False, highlight=False)
    err.print(f"ledger NOT intact: {len(report.problems)} problem(s)", markup=False)
    raise typer.Exit(1)


@app.command("head")
@handled
def head() -> None:
    """Sign a tree head over every event now and print it as JSON."""
    with services() as ctx:
        signed = ctx.ledger.sign_head()
    print(signed.model_dump_json(indent=2))


@app.command("prove")
@handled
def prove(
    seq: Annotated[int, typer.Argument(help="the event's seq (leaf index)")],
    tree_size: Annotated[int | None, typer.Option(help="tree size; default: all events")] = None,
) -> None:
    """Print the RFC 9162 inclusion proof of one event as JSON."""
    with services() as ctx:
        proof = ctx.ledger.inclusion_proof(seq, tree_size)
    print(proof.model_dump_json(indent=2))


@app.command("public-key")
@handled
def public_key() -> None:
    """Print the PEM public key that verifies the tree heads."""
    with services() as ctx:
        print(ctx.ledger.public_key_pem(), end="")


@app.command("keys")
@handled
def keys() -> None:
    """Print the signing-key history (each key's validity and endorsement) as JSON."""
    with services() as ctx:
        history = ctx.ledger.key_history()
    print(json.dumps([k.model_dump(mode="json") for k in history], indent=2))


@app.command("rotate-key")
@handled
def rotate_key(
    reason: Annotated[str, typer.Option("--reason", help="why (kept in the ledger event)")],
    by: Annotated[
        str | None, typer.Option("--by", help="who rotates (default: cli:<user>)")
    ] = None,
) -> None:
    """Replace the signing key; old heads stay verifiable against the retired public key."""
    with services() as ctx:
        new = ctx.ledger.rotate_key(actor=by or f"cli:{getpass.getuser()}", reason=reason)
    console.print(
        f"new signing key {new.key_id} valid from {new.valid_from}; it replaces "
        f"{new.previous_key_id} (retired, its private key destroyed)"
    )


@witness_app.command("publish")
@handled
def witness_publish(file: FileOpt = None, url: UrlOpt = None) -> None:
    """Sign a head now and hand it to the witness."""
    witness = _witness(file, url)
    with services() as ctx:
        signed = publish(witness, ctx.ledger)
    console.print(f"published head of size {signed.tree_size} to {witness.name}")


@witness_app.command("check")
@handled
def witness_check(file: FileOpt = None, url: UrlOpt = None) -> None:
    """Check that the log extends every head the witness holds; exit 1 when it does not."""
    witness = _witness(file, url)
    with services() as ctx:
        report = check(witness, ctx.ledger)
    if report.ok:
        console.print(
            f"consistent with {report.witness_heads} witness head(s); "
            f"the log holds {report.ledger_size} events"
        )
        return
    for problem in report.problems:
        err.print(problem, markup=False, highlight=False)
    raise typer.Exit(1)
