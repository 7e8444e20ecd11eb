"""Liveness, readiness and metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from rempart.api.auth import Public, RequireAdmin, ctx
from rempart.api.metrics import INDEX_SEQ, INDEX_SIZE, REGISTRY
from rempart.api.problems import ProblemError

router = APIRouter(tags=["ops"])


@router.get("/livez", dependencies=[Public])
def livez() -> dict[str, str]:
    """The process is up (public: load balancers call it without a key)."""
    return {"status": "ok"}


@router.get("/readyz", dependencies=[Public])
def readyz(request: Request) -> dict[str, object]:
    """Ready when the database answers and the index is loaded (public)."""
    rempart = ctx(request)
    try:
        with rempart.db.session() as s:
            s.execute(text("SELECT 1"))
    except Exception as exc:
        raise ProblemError(503, f"database unavailable: {exc.__class__.__name__}", "db") from exc
    if not rempart.matcher.ready:
        raise ProblemError(503, "the match index is still loading", "index_loading")
    return {"status": "ready", "index_seq": rempart.matcher.seq}


@router.get("/metrics", dependencies=[RequireAdmin])
def metrics(request: Request) -> Response:
    """Prometheus metrics (admin key, e.g. as a bearer token in the scrape config)."""
    m = ctx(request).matcher
    INDEX_SIZE.labels("pdq").set(len(m.pdq))
    INDEX_SIZE.labels("vpdq_frames").set(len(m.vpdq))
    for name, table in m.exact.items():
        INDEX_SIZE.labels(name).set(len(table))
    INDEX_SEQ.set(m.seq)
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
