"""Fixtures for the generation guardrail: services with a C2PA signing identity configured."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from rempart.config import Settings
from rempart.context import Rempart
from tests.clock import FakeClock
from tests.provtools import make_signing_identity


@pytest.fixture(scope="session")
def identity(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """A throwaway CA and ES256 signer: (chain, key, CA)."""
    return make_signing_identity(tmp_path_factory.mktemp("c2pa"))


@pytest.fixture
def gsettings(tmp_path: Path, identity: tuple[Path, Path, Path]) -> Settings:
    """SQLite settings with signing configured and the test CA trusted."""
    chain, key, ca = identity
    return Settings(
        home=tmp_path / "home",
        database_url=f"sqlite:///{tmp_path / 'rempart.sqlite3'}",
        c2pa_sign_cert=chain,
        c2pa_sign_key=key,
        c2pa_trust_anchors=ca,
    )


@pytest.fixture
def gctx(gsettings: Settings) -> Iterator[Rempart]:
    """All services, a fake clock and one catch-all webhook endpoint."""
    ctx = Rempart.open(gsettings, clock=FakeClock())
    ctx.webhooks.add_endpoint("platform", "http://127.0.0.1:9/hook", ["*"])
    yield ctx
    ctx.close()
