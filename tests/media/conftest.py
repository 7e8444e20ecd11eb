"""Fixtures for the media tests."""

from __future__ import annotations

import pytest

from rempart.config import MediaLimits
from tests.media.media_factory import PHOTO_FORMATS, VIDEO_FORMATS, encode, make_video, photo


@pytest.fixture
def limits() -> MediaLimits:
    return MediaLimits()


@pytest.fixture(scope="session")
def videos() -> dict[str, bytes]:
    """One 3 s, 10 fps, 160x120 video per accepted container."""
    return {name: make_video(fmt=mux, codec=enc) for name, (mux, enc) in VIDEO_FORMATS.items()}


@pytest.fixture(scope="session")
def photos() -> dict[str, bytes]:
    """One 96x64 photo per accepted format."""
    img = photo(96, 64, seed=1)
    return {name: encode(img, pil) for name, pil in PHOTO_FORMATS.items()}
