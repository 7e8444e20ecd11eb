"""Shared fixtures: a fresh database per test on SQLite and, when configured, PostgreSQL.

Tests needing PostgreSQL skip only when ``REMPART_TEST_POSTGRES_URL`` is unset, and
``REMPART_REQUIRE_SERVICES=1`` (set by ``.ci/run``) turns that skip into a failure.
"""

from __future__ import annotations

import io
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import create_engine, text

from rempart.access.roles import ALL_ROLES
from rempart.api.app import create_app
from rempart.config import Settings
from rempart.context import Rempart
from rempart.demo import synthetic_photo
from rempart.logs import configure_logging
from tests.clock import FakeClock

# JSON logs as in production: structlog's default console renderer draws rich tracebacks with
# every local variable, which takes minutes when a fuzzed request fails
configure_logging(json_logs=True)

PG_URL = os.environ.get("REMPART_TEST_POSTGRES_URL")
REQUIRE = os.environ.get("REMPART_REQUIRE_SERVICES") == "1"


def _pg_schema_url() -> Iterator[str]:
    if not PG_URL:
        if REQUIRE:
            pytest.fail("REMPART_REQUIRE_SERVICES=1 but REMPART_TEST_POSTGRES_URL is unset")
        pytest.skip("PostgreSQL not configured (set REMPART_TEST_POSTGRES_URL)")
    schema = "t_" + uuid.uuid4().hex[:12]
    base = PG_URL.replace("postgresql://", "postgresql+psycopg://", 1)
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL to an empty database: SQLite in tmp_path, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'rempart.sqlite3'}"
    else:
        yield from _pg_schema_url()


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    """Settings pointing at the test database and a private data folder."""
    return Settings(home=tmp_path / "home", database_url=db_url)


@pytest.fixture
def rempart(settings: Settings) -> Iterator[Rempart]:
    """All services over the test database, index loaded."""
    ctx = Rempart.open(settings)
    yield ctx
    ctx.close()


@pytest.fixture
def app_client(rempart: Rempart) -> Iterator[TestClient]:
    """An HTTP client for the full app (lifespan runs: index sync thread started)."""
    with TestClient(create_app(rempart, sync_interval_s=0.1)) as client:
        yield client


@pytest.fixture
def keys(rempart: Rempart) -> dict[str, str]:
    """One API key secret per role, plus ``none`` for a key with an unrelated role set."""
    out = {}
    for role in ALL_ROLES:
        _, secret = rempart.keys.create(f"test-{role}", [role])
        out[role] = secret
    return out


def photo(seed: int = 0, size: tuple[int, int] = (640, 480)) -> Image.Image:
    """A photo-like test image that PDQ hashes with good quality (the demo's generator)."""
    return synthetic_photo(seed, size)


def encode(img: Image.Image, fmt: str = "JPEG", **kw: object) -> bytes:
    """Image bytes in a format."""
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kw)
    return buf.getvalue()


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
