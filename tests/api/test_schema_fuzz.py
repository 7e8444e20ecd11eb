"""Schemathesis drives every route of the OpenAPI schema with generated requests, as an admin:
no input may produce a 5xx (the property a platform's on-call depends on)."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings

from rempart.api.app import create_app
from rempart.banks.schemas import BankCreate, ContentIn
from rempart.config import Settings
from rempart.context import Rempart


def _app() -> tuple[FastAPI, str]:
    """An app over a fresh data folder with one bank, one item and an admin key."""
    home = Path(tempfile.mkdtemp(prefix="rempart-fuzz-"))
    atexit.register(shutil.rmtree, home, True)
    ctx = Rempart.open(Settings(home=home))
    atexit.register(ctx.close)
    ctx.banks.create_bank(BankCreate(name="SOME_BANK"))
    ctx.banks.add_content("SOME_BANK", ContentIn(signals={"md5": "0" * 32}))
    _, secret = ctx.keys.create("fuzz", ["admin"])
    return create_app(ctx, sync_interval_s=0.2), secret


APP, ADMIN_KEY = _app()
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_no_request_gets_a_server_error(case: schemathesis.Case) -> None:
    response = case.call(headers={"X-API-Key": ADMIN_KEY})
    assert response.status_code < 500, (case.method, case.path, response.text[:500])
