"""API-key authentication and role checks, one explicit dependency per route."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader

from rempart.access.roles import Role, allows
from rempart.access.services import Principal
from rempart.api.problems import ProblemError
from rempart.context import Rempart
from rempart.events import set_actor

api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False)


def ctx(request: Request) -> Rempart:
    """The process's services, stored on the app at start."""
    rempart: Rempart = request.app.state.rempart
    return rempart


def _secret(request: Request, header: str | None) -> str | None:
    if header:
        return header
    auth = request.headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token else None


def require(*roles: Role, admin: bool = True) -> Callable[..., Principal]:
    """Dependency: a valid key holding one of ``roles``; 401 without a key, 403 if lacking.

    ``admin`` holds every role unless ``admin=False`` (routes reserved to child safety).
    The accepted roles are kept on the check so the auth-matrix test can read them.
    """
    accepted = frozenset(roles)
    label = "/".join(r.value for r in roles) + ("" if admin else " (admin excluded)")

    def check(request: Request, header: str | None = Depends(api_key_header)) -> Principal:
        secret = _secret(request, header)
        if not secret:
            raise ProblemError(401, "send an API key in the X-API-Key header", "no_api_key")
        principal = ctx(request).keys.verify(secret)
        if principal is None:
            raise ProblemError(401, "the API key is unknown or revoked", "bad_api_key")
        if not allows(principal.roles, accepted, admin=admin):
            raise ProblemError(403, f"this route needs the {label} role", "forbidden")
        request.state.principal = principal
        set_actor(principal.name)
        return principal

    check.__name__ = "require_" + "_or_".join(r.value for r in roles)
    check.roles = accepted  # type: ignore[attr-defined]
    check.admin = admin  # type: ignore[attr-defined]
    return check


def public() -> None:
    """Dependency marking a route as deliberately open (health checks, HMA's /status)."""
    return None


RequireHasher = Depends(require(Role.HASHER))
RequireMatcher = Depends(require(Role.MATCHER))
RequireCurator = Depends(require(Role.CURATOR))
RequireAdmin = Depends(require(Role.ADMIN))
Public = Depends(public)
