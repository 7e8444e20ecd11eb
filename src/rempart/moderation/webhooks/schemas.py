"""Pydantic shapes of webhook endpoints and deliveries, shared by the API and the CLI."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from rempart.moderation.webhooks.events import check_subscription

Signing = Literal["hmac-sha256", "ed25519"]
Status = Literal["pending", "delivered", "dead"]
ENDPOINT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


def check_endpoint_name(name: str) -> str:
    """Endpoint names are short and URL-safe: they appear in paths, logs and the CLI."""
    if not ENDPOINT_NAME.match(name):
        raise ValueError(
            "endpoint name must be 1-128 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return name


def check_url(url: str) -> str:
    """An absolute http(s) URL with a host, without credentials in it."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"webhook URL must be an absolute http:// or https:// URL, not {url!r}")
    if parts.username or parts.password:
        raise ValueError("webhook URL must not carry credentials; requests are signed instead")
    if len(url) > 2048:
        raise ValueError("webhook URL is longer than 2048 characters")
    return url


class EndpointIn(BaseModel):
    """A new endpoint: where to send, which events, and how to sign."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="unique name, e.g. 'platform-prod'")
    url: str = Field(description="http(s) URL receiving POSTed events")
    events: list[str] = Field(
        min_length=1, max_length=64, description="event names, 'group.*' or '*'"
    )
    signing: Signing = "hmac-sha256"

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return check_endpoint_name(v)

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        return check_url(v)

    @field_validator("events")
    @classmethod
    def _events(cls, v: list[str]) -> list[str]:
        return list(dict.fromkeys(check_subscription(e.strip()) for e in v))


class EndpointOut(BaseModel):
    """An endpoint as listed (never its secret)."""

    id: int
    name: str
    url: str
    events: list[str]
    signing: Signing
    enabled: bool
    created_at: datetime


class EndpointCreated(BaseModel):
    """A new endpoint and the key material its receiver needs, shown once for HMAC secrets."""

    endpoint: EndpointOut
    secret: str | None = Field(None, description="HMAC secret; not retrievable later")
    public_key: str | None = Field(None, description="Ed25519 public key (PEM)")


class PublicKeyOut(BaseModel):
    """The Ed25519 public key a platform verifies an endpoint's deliveries with."""

    name: str
    signing: Signing
    public_key: str


class DeliveryOut(BaseModel):
    """One queued event for one endpoint and where its delivery stands."""

    id: int
    endpoint: str
    event: str
    idempotency_key: str
    payload: dict[str, Any]
    status: Status
    attempts: int
    next_attempt_at: datetime
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


class DeliveryResult(BaseModel):
    """The outcome of one delivery attempt."""

    id: int
    endpoint: str
    event: str
    status: Status
    attempts: int
    status_code: int | None = None
    error: str | None = None


class DeliverySummary(BaseModel):
    """What one delivery round did."""

    attempted: int = 0
    delivered: int = 0
    retrying: int = 0
    dead: int = 0
    results: list[DeliveryResult] = Field(default_factory=list)
