"""The FastAPI application: native ``/v1`` routes, HMA-compatible routes, health and metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from rempart import __version__
from rempart.api import (
    hma,
    metrics,
    misuse,
    moderation,
    ops,
    policy,
    problems,
    queues,
    reports,
    tdb,
    v1,
    webhooks,
)
from rempart.config import get_settings
from rempart.context import Rempart
from rempart.logs import configure_logging
from rempart.workers.periodic import standard_jobs

ROUTERS = (
    ops.router,
    v1.router,
    hma.router,
    moderation.router,
    queues.router,
    misuse.router,
    policy.router,
    webhooks.router,
    tdb.router,
    reports.router,
)


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
    for router in ROUTERS:
        app.include_router(router)
    return app
