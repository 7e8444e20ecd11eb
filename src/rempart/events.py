"""The event log every service writes to, as a small interface.

The ledger (``rempart.evidence.ledger``) implements it; the core packages depend only on this
protocol, so ``banks`` or ``moderation`` never import ``evidence`` (DESIGN.md's package order)
and a service can be used without one (``NO_LOG``) in tools and unit tests.
"""

from __future__ import annotations

from contextvars import ContextVar, Token
from typing import Any, Protocol

from sqlalchemy.orm import Session


class EventLog(Protocol):
    """Appends one event inside the caller's transaction (it rolls back with it)."""

    def append(
        self,
        session: Session,
        kind: str,
        *,
        actor: str,
        subject: str,
        data: dict[str, Any] | None = None,
    ) -> int:
        """Log the event; returns its position in the log."""
        ...


class _NoLog:
    """An event log that keeps nothing."""

    def append(
        self,
        session: Session,
        kind: str,
        *,
        actor: str,
        subject: str,
        data: dict[str, Any] | None = None,
    ) -> int:
        """Drop the event."""
        return -1


NO_LOG: EventLog = _NoLog()


# Who is acting, for events logged deep inside services that are not told: the API's role
# check and the CLI set it. A request gets its own mutable holder (set by the app's
# middleware) so a value set in a worker thread is seen by the route's thread too.
_ACTOR: ContextVar[dict[str, str] | None] = ContextVar("rempart_actor", default=None)


def new_actor_scope() -> Token[dict[str, str] | None]:
    """Start a scope (one HTTP request) with its own actor holder; reset with the token."""
    return _ACTOR.set({})


def end_actor_scope(token: Token[dict[str, str] | None]) -> None:
    """End a scope started by ``new_actor_scope``."""
    _ACTOR.reset(token)


def set_actor(name: str) -> None:
    """Record who is acting in the current scope."""
    holder = _ACTOR.get()
    if holder is None:
        _ACTOR.set({"name": name})
    else:
        holder["name"] = name


def current_actor() -> str:
    """Who is acting: an API key's name, ``cli:<user>``, or ``system``."""
    holder = _ACTOR.get()
    return (holder or {}).get("name", "system")
