"""Fixtures for the signal tests; the media generators live in tests/media/media_factory.py."""

from __future__ import annotations

import pytest

from rempart.config import MediaLimits


@pytest.fixture
def limits() -> MediaLimits:
    return MediaLimits()
