"""API-key authentication and role checks, one explicit dependency per route.

The key may come as the ``X-API-Key`` header, a bearer token, or HTTP Basic credentials (the
key as the password, any user name; or the key as the user name and no password), so an HMA
client whose base URL is ``http://user:KEY@host/`` works unchanged. HMA routes may also, when
configured, serve key-less calls from listed client networks with a fixed set of HMA roles.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
from collections.abc import Callable
from functools import lru_cache

import structlog
from fastapi import Depends, Request
from fastapi.security import APIKeyHeader

from rempart.access.roles import Role, allows
from rempart.access.services import Principal
from rempart.api.problems import ProblemError
from rempart.context import Rempart
from rempart.events import set_actor

api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False)
log = structlog.get_logger(__name__)
# the roles key-less HMA access may grant: never admin, moderation or child-safety roles
KEYLESS_GRANTABLE = frozenset({Role.HASHER, Role.MATCHER, Role.CURATOR})
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def ctx(request: Request) -> Rempart:
    """The process's services, stored on the app at start."""
    rempart: Rempart = request.app.state.rempart
    return rempart


def _basic(token: str) -> str | None:
    """The key in HTTP Basic credentials: the password, else the user name."""
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, _, password = decoded.partition(":")
    return password or user or None


def _secret(request: Request, header: str | None) -> str | None:
    """The API key sent: ``X-API-Key``, ``Authorization: Bearer`` or ``Authorization: Basic``."""
    if header:
        return header
    auth = request.headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    if not token.strip():
        return None
    if scheme.lower() == "bearer":
        return token.strip()
    if scheme.lower() == "basic":
        return _basic(token)
    return None


def _sent_credentials(request: Request, header: str | None) -> bool:
    """Whether the caller sent anything meant as credentials (even unreadable ones)."""
    return bool(header) or bool(request.headers.get("authorization", "").strip())


@lru_cache(maxsize=32)
def _keyless_policy(
    roles: tuple[str, ...], networks: tuple[str, ...]
) -> tuple[frozenset[str], tuple[Network, ...]]:
    """The roles and networks of key-less HMA access; entries that do not parse are dropped
    (and logged), so a typo narrows access instead of widening it."""
    granted: set[str] = set()
    for name in roles:
        try:
            role = Role(name.strip().lower())
        except ValueError:
            log.warning("hma.keyless.bad_role", role=name)
            continue
        if role not in KEYLESS_GRANTABLE:
            log.warning("hma.keyless.role_not_grantable", role=name)
            continue
        granted.add(role.value)
    nets: list[Network] = []
    for raw in networks:
        try:
            nets.append(ipaddress.ip_network(raw.strip(), strict=False))
        except ValueError:
            log.warning("hma.keyless.bad_network", network=raw)
    if not granted or not nets:
        return frozenset(), ()
    return frozenset(granted), tuple(nets)


def keyless_principal(request: Request) -> Principal | None:
    """The principal of a key-less HMA call from a configured network, or ``None``.

    Only the direct peer address counts (``X-Forwarded-For`` is never read): behind a reverse
    proxy every caller would share the proxy's address.
    """
    settings = ctx(request).settings
    roles, nets = _keyless_policy(
        tuple(settings.hma_keyless_roles), tuple(settings.hma_keyless_networks)
    )
    if not roles or request.client is None:
        return None
    try:
        addr = ipaddress.ip_address(request.client.host)
    except ValueError:
        return None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    if not any(addr.version == net.version and addr in net for net in nets):
        return None
    return Principal(key_id=0, name=f"hma-keyless@{addr}", roles=sorted(roles))


def require(*roles: Role, admin: bool = True, keyless: bool = False) -> Callable[..., Principal]:
    """Dependency: a valid key holding one of ``roles``; 401 without a key, 403 if lacking.

    ``admin`` holds every role unless ``admin=False`` (routes reserved to child safety).
    ``keyless`` (HMA routes only) lets a call without any credentials through when it comes
    from ``hma_keyless_networks`` and ``hma_keyless_roles`` holds one of ``roles``; the role
    check is the same. The accepted roles are kept on the check so the auth-matrix test can
    read them.
    """
    accepted = frozenset(roles)
    label = "/".join(r.value for r in roles) + ("" if admin else " (admin excluded)")

    def check(request: Request, header: str | None = Depends(api_key_header)) -> Principal:
        principal: Principal | None
        if keyless and not _sent_credentials(request, header):
            principal = keyless_principal(request)
            if principal is not None and not allows(principal.roles, accepted, admin=admin):
                # a key-less caller without this role is told to send a key, as anyone else
                principal = None
            if principal is not None:
                request.state.principal = principal
                set_actor(principal.name)
                return principal
        secret = _secret(request, header)
        if not secret:
            raise ProblemError(
                401,
                "send an API key in the X-API-Key header, as a bearer token, or as the "
                "password of HTTP Basic credentials",
                "no_api_key",
            )
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
    check.keyless = keyless  # type: ignore[attr-defined]
    return check


def public() -> None:
    """Dependency marking a route as deliberately open (health checks, HMA's /status)."""
    return None


RequireHasher = Depends(require(Role.HASHER))
RequireMatcher = Depends(require(Role.MATCHER))
RequireCurator = Depends(require(Role.CURATOR))
RequireAdmin = Depends(require(Role.ADMIN))
# HMA-compatible routes: the same checks, plus opt-in key-less access from listed networks
HmaHasher = Depends(require(Role.HASHER, keyless=True))
HmaMatcher = Depends(require(Role.MATCHER, keyless=True))
HmaCurator = Depends(require(Role.CURATOR, keyless=True))
Public = Depends(public)
