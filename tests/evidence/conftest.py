"""Fixtures shared by the evidence tests: one injected clock and the services on it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rempart.config import Settings
from rempart.context import Rempart
from tests.clock import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    """The clock the evidence services run on, so retention and key periods are exact."""
    return FakeClock()


@pytest.fixture
def ctx(settings: Settings, clock: FakeClock) -> Iterator[Rempart]:
    """All services over a fresh database, without the match index."""
    rempart = Rempart.open(settings, clock=clock, load_index=False)
    yield rempart
    rempart.close()
