"""The FastAPI application: native ``/v1`` routes, HMA-compatible routes, health and metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, Response

from rempart import __version__
from rempart.api import (
    evidence,
    genai,
    hma,
    lawenforcement,
    ledger,
    metrics,
    misuse,
    moderation,
    ncmec,
    ops,
    policy,
    problems,
    queues,
    reports,
    tdb,
    text,
    v1,
    webhooks,
)
from rempart.config import get_settings
from rempart.context import Rempart
from rempart.events import end_actor_scope, new_actor_scope
from rempart.logs import configure_logging
from rempart.workers.periodic import standard_jobs

ROUTERS = (
    ops.router,
    v1.router,
    text.router,
    genai.router,
    hma.router,
    moderation.router,
    queues.router,
    misuse.router,
    policy.router,
    webhooks.router,
    tdb.router,
    reports.router,
    ledger.router,
    evidence.router,
    ncmec.router,
    lawenforcement.router,
)


async def actor_scope(request: Request, call_next: Any) -> Response:
    """Give each request its own actor holder, filled in by the role check."""
    token = new_actor_scope()
    try:
        response: Response = await call_next(request)
        return response
    finally:
        end_actor_scope(token)


def create_app(rempart: Rempart | None = None, *, sync_interval_s: float | None = None) -> FastAPI:
    """Build the app; without ``rempart`` it opens the services from the environment at start."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = rempart is None
        if owned:
            configure_logging(get_settings().log_json)
        ctx = rempart or Rempart.open()
        app.state.rempart = ctx
        interval = sync_interval_s or ctx.settings.index_sync_interval_s
        ctx.matcher.start(interval)
        ctx.webhooks.start(1.0)
        jobs = standard_jobs(ctx)
        jobs.start()
        try:
            yield
        finally:
            jobs.stop()
            ctx.webhooks.stop()
            ctx.matcher.stop()
            if owned:
                ctx.close()

    app = FastAPI(
        title="Rempart",
        version=__version__,
        description="Trust & safety engine: hash matching (HMA-compatible), banks, scanning.",
        lifespan=lifespan,
    )
    if rempart is not None:
        app.state.rempart = rempart
    problems.install(app)
    app.middleware("http")(metrics.middleware)
    app.middleware("http")(actor_scope)
    for router in ROUTERS:
        app.include_router(router)
    return app
