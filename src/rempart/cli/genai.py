"""``rempart genai``: check a generation request or output from the command line.

Exit codes: 0 allowed, 3 refused (request) or blocked (output), 1 bad input or configuration
(e.g. an allowed output with no C2PA signing certificate configured: set REMPART_C2PA_SIGN_CERT
and REMPART_C2PA_SIGN_KEY; the unsigned image is not written).
The verdict is printed as JSON on stdout either way.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from rempart.cli.common import console, err, fail, handled, services
from rempart.events import set_actor

app = typer.Typer(help="Guardrails for the platform's own generator.", no_args_is_help=True)

REFUSED = 3  # exit code of a refused request or a blocked output

PromptArg = Annotated[str, typer.Argument(help="the prompt, or - to read it from stdin")]
RequestId = Annotated[str | None, typer.Option("--request-id", help="the platform's request id")]
Account = Annotated[str | None, typer.Option("--account", help="the requesting account's id")]


def _actor() -> None:
    import getpass

    set_actor(f"cli:{getpass.getuser()}")


def _read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise fail(f"cannot read {path}: {exc.strerror or exc}") from None


@app.command("check-request")
@handled
def check_request(
    prompt: PromptArg,
    image: Annotated[
        Path | None, typer.Option("--image", help="the photo to edit, if the request has one")
    ] = None,
    request_id: RequestId = None,
    account: Account = None,
    lang: Annotated[
        str | None, typer.Option("--lang", help="language code (else detected)")
    ] = None,
) -> None:
    """Allow or refuse a generation request; exit 3 when refused."""
    text = sys.stdin.read() if prompt == "-" else prompt
    data = _read_file(image) if image else None
    _actor()
    with services(load_index=True) as ctx:
        verdict = ctx.genai.check_request(
            text, data, request_id=request_id, account=account, language=lang
        )
    console.print_json(verdict.model_dump_json())
    if verdict.decision == "refuse":
        err.print(f"refused: {', '.join(r.code for r in verdict.reasons)}")
        raise typer.Exit(REFUSED)


@app.command("check-output")
@handled
def check_output(
    file: Annotated[Path, typer.Argument(help="the generated image")],
    out: Annotated[
        Path | None, typer.Option("--out", help="write the C2PA-signed image here when allowed")
    ] = None,
    prompt: Annotated[str | None, typer.Option("--prompt", help="the prompt it came from")] = None,
    request_id: RequestId = None,
    account: Account = None,
) -> None:
    """Check a generated image; if allowed sign it (trainedAlgorithmicMedia); exit 3 if blocked."""
    data = _read_file(file)
    _actor()
    with services(load_index=True) as ctx:
        verdict = ctx.genai.check_output(
            data, request_id=request_id, prompt=prompt, account=account
        )
    console.print_json(verdict.model_dump_json())
    if verdict.decision == "block":
        err.print(f"blocked: {', '.join(r.code for r in verdict.reasons)}")
        raise typer.Exit(REFUSED)
    if verdict.signing_error:
        raise fail(f"allowed, but not signed, so not written: {verdict.signing_error}")
    if out is not None and verdict.image is not None:
        try:
            out.write_bytes(verdict.image)
        except OSError as exc:
            raise fail(f"cannot write {out}: {exc.strerror or exc}") from None
        err.print(f"signed image written to {out}")
