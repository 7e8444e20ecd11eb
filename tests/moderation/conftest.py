"""Helpers for moderation tests (the ``mod`` and ``mclock`` fixtures are in tests/conftest.py)."""

from __future__ import annotations

from typing import Any

from rempart.access.services import Principal
from rempart.context import Rempart


def person(name: str, *roles: str) -> Principal:
    """A reviewer identity as the API builds it from a key."""
    return Principal(key_id=0, name=name, roles=list(roles) or ["moderator"])


def events(ctx: Rempart, event: str) -> list[dict[str, Any]]:
    """The ``data`` of every queued delivery of ``event``, oldest first."""
    rows = ctx.webhooks.deliveries(event=event, limit=1000)
    return [r.payload.get("data", r.payload) for r in reversed(rows)]
