"""Shared CLI plumbing: opening the services and turning errors into messages and exit codes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import ParamSpec, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console

from rempart.context import Rempart
from rempart.errors import RempartError
from rempart.media.errors import MediaError

console = Console()
err = Console(stderr=True)
P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def services(load_index: bool = False) -> Iterator[Rempart]:
    """Open the services from the environment for one command."""
    ctx = Rempart.open(load_index=load_index)
    try:
        yield ctx
    finally:
        ctx.close()


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print an error to stderr and return the exit to raise."""
    err.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code)


def handled(fn: Callable[P, R]) -> Callable[P, R]:
    """Decorator: expected errors become a one-line message and a non-zero exit, not a trace."""

    @wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except RempartError as exc:
            raise fail(exc.detail) from None
        except MediaError as exc:
            raise fail(exc.detail) from None
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = ".".join(str(p) for p in first["loc"])
            raise fail(f"{loc}: {first['msg']}" if loc else str(first["msg"])) from None
        except (ValueError, OSError) as exc:
            raise fail(str(exc)) from None

    return wrapper
