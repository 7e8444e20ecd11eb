"""``/v1/webhooks``: the platform's endpoints, their deliveries, dead letters and replays."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from rempart.access.roles import Role
from rempart.api.auth import RequireAdmin, ctx, require
from rempart.moderation.webhooks.events import EVENTS
from rempart.moderation.webhooks.schemas import (
    DeliveryOut,
    EndpointCreated,
    EndpointIn,
    EndpointOut,
    PublicKeyOut,
    Status,
)
from rempart.moderation.webhooks.signing import HMAC_SHA256

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])

ReadAccess = Depends(require(Role.ADMIN, Role.AUDITOR))
KeyAccess = Depends(require(Role.ADMIN, Role.PLATFORM))
Limit = Annotated[int, Query(ge=1, le=1000, description="most rows returned")]
DeliveryId = Annotated[int, Path(ge=1, le=2**63 - 1, description="the delivery's id")]


@router.post("/endpoints", status_code=201, dependencies=[RequireAdmin])
def add_endpoint(request: Request, body: EndpointIn) -> EndpointCreated:
    """Register an endpoint; the answer carries its HMAC secret (shown once) or public key."""
    out, shown = ctx(request).webhooks.add_endpoint(body.name, body.url, body.events, body.signing)
    if out.signing == HMAC_SHA256:
        return EndpointCreated(endpoint=out, secret=shown)
    return EndpointCreated(endpoint=out, public_key=shown)


@router.get("/endpoints", dependencies=[ReadAccess])
def list_endpoints(request: Request) -> list[EndpointOut]:
    """Every endpoint (never a secret)."""
    return ctx(request).webhooks.list_endpoints()


@router.delete("/endpoints/{name}", dependencies=[RequireAdmin])
def remove_endpoint(request: Request, name: str) -> EndpointOut:
    """Delete an endpoint and its deliveries."""
    return ctx(request).webhooks.remove_endpoint(name)


@router.get("/endpoints/{name}/public-key", dependencies=[KeyAccess])
def public_key(request: Request, name: str) -> PublicKeyOut:
    """The Ed25519 public key (PEM) that verifies this endpoint's deliveries."""
    pem = ctx(request).webhooks.public_key(name)
    return PublicKeyOut(name=name, signing="ed25519", public_key=pem)


@router.get("/deliveries", dependencies=[ReadAccess])
def deliveries(
    request: Request,
    status: Annotated[Status | None, Query(description="pending, delivered or dead")] = None,
    event: Annotated[str | None, Query(description=f"one of {', '.join(EVENTS)}")] = None,
    limit: Limit = 100,
) -> list[DeliveryOut]:
    """Deliveries, newest first."""
    return ctx(request).webhooks.deliveries(status=status, event=event, limit=limit)


@router.get("/dead-letters", dependencies=[ReadAccess])
def dead_letters(request: Request, limit: Limit = 100) -> list[DeliveryOut]:
    """Deliveries that ran out of attempts; replay them once the endpoint is fixed."""
    return ctx(request).webhooks.dead_letters(limit=limit)


@router.post("/deliveries/{delivery_id}/replay", dependencies=[RequireAdmin])
def replay(request: Request, delivery_id: DeliveryId) -> DeliveryOut:
    """Queue a dead letter again, due now, with its attempts reset."""
    return ctx(request).webhooks.replay(delivery_id)
