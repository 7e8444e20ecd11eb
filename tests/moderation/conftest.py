"""Moderation services over the test database with a clock the tests move."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from rempart.access.services import Principal
from rempart.config import Settings
from rempart.context import Rempart
from tests.clock import FakeClock


@pytest.fixture
def mclock() -> FakeClock:
    """The moderation tests' clock."""
    return FakeClock()


@pytest.fixture
def mod(settings: Settings, mclock: FakeClock) -> Iterator[Rempart]:
    """All services (the default policy loaded, queues created) and one catch-all webhook."""
    ctx = Rempart.open(settings, clock=mclock, load_index=False)
    ctx.webhooks.add_endpoint("platform", "http://127.0.0.1:9/hook", ["*"])
    yield ctx
    ctx.close()


def person(name: str, *roles: str) -> Principal:
    """A reviewer identity as the API builds it from a key."""
    return Principal(key_id=0, name=name, roles=list(roles) or ["moderator"])


def events(ctx: Rempart, event: str) -> list[dict[str, Any]]:
    """The ``data`` of every queued delivery of ``event``, oldest first."""
    rows = ctx.webhooks.deliveries(event=event, limit=1000)
    return [r.payload.get("data", r.payload) for r in reversed(rows)]
