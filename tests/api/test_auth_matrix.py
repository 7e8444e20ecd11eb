"""Every route declares its role; every route refuses a missing key (401), an unknown key
(401) and each role that may not call it (403)."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from rempart.access.roles import ALL_ROLES
from rempart.api.app import ROUTERS

ROLES = ALL_ROLES


def route_roles() -> list[tuple[str, str, frozenset[str] | None]]:
    """(method, path, accepted roles or None for public) for every route of the app."""
    out = []
    routes = [r for router in ROUTERS for r in router.routes]
    for route in routes:
        if not isinstance(route, APIRoute):
            continue
        calls = [d.call for d in route.dependant.dependencies if d.call is not None]
        names = [getattr(c, "__name__", "") for c in calls]
        guards = [
            c
            for c, n in zip(calls, names, strict=True)
            if n.startswith("require_") or n == "public"
        ]
        assert len(guards) == 1, f"{route.path} must declare exactly one role check, has {guards}"
        guard = guards[0]
        accepted: frozenset[str] | None = None
        if guard.__name__ != "public":
            accepted = frozenset(r.value for r in guard.roles)  # type: ignore[attr-defined]
            if guard.admin:  # type: ignore[attr-defined]
                accepted |= {"admin"}
        for method in sorted(route.methods):
            out.append((method, route.path, accepted))
    return out


ROUTES = route_roles()


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", lambda m: "1" if "id" in m.group(0) else "SOME_BANK", path)


def test_every_served_route_is_checked(app_client: TestClient) -> None:
    spec = app_client.get("/openapi.json").json()
    served = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops}
    checked = {(m, p) for m, p, _ in ROUTES}
    assert "/v1/scan" in spec["paths"] and "/m/lookup" in spec["paths"]
    assert served <= checked, served - checked


@pytest.mark.parametrize(("method", "path", "accepted"), ROUTES)
def test_route_refuses(
    app_client: TestClient,
    keys: dict[str, str],
    method: str,
    path: str,
    accepted: frozenset[str] | None,
) -> None:
    url = concrete(path)
    if accepted is None:
        assert app_client.request(method, url).status_code < 500
        return
    r = app_client.request(method, url)
    assert r.status_code == 401, (method, path, r.text)
    assert r.headers["content-type"].startswith("application/problem+json")
    assert app_client.request(method, url, headers={"X-API-Key": "rmp_wrong"}).status_code == 401
    for other in ROLES:
        if other in accepted:
            continue
        r = app_client.request(method, url, headers={"X-API-Key": keys[other]})
        assert r.status_code == 403, (method, path, other, r.text)
        assert r.json()["code"] == "forbidden"
    # every accepted role gets past the check: any answer but 401/403
    for ok in sorted(accepted):
        r = app_client.request(method, url, headers={"X-API-Key": keys[ok]})
        assert r.status_code not in (401, 403), (method, path, ok, r.text)
        assert r.status_code < 500, (method, path, ok, r.text)
