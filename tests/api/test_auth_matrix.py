"""Every route declares its role; every route refuses a missing key (401), an unknown key
(401) and each role that may not call it (403)."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from rempart.api.app import ROUTERS

ROLES = ("hasher", "matcher", "curator", "admin")


def route_roles() -> list[tuple[str, str, str]]:
    """(method, path, role or 'public') for every route of the app."""
    out = []
    routes = [r for router in ROUTERS for r in router.routes]
    for route in routes:
        if not isinstance(route, APIRoute):
            continue
        names = [d.call.__name__ for d in route.dependant.dependencies if d.call is not None]
        guards = [n for n in names if n.startswith("require_") or n == "public"]
        assert len(guards) == 1, f"{route.path} must declare exactly one role check, has {guards}"
        role = guards[0].removeprefix("require_")
        for method in sorted(route.methods):
            out.append((method, route.path, role))
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


@pytest.mark.parametrize(("method", "path", "role"), ROUTES)
def test_route_refuses(
    app_client: TestClient, keys: dict[str, str], method: str, path: str, role: str
) -> None:
    url = concrete(path)
    if role == "public":
        assert app_client.request(method, url).status_code < 500
        return
    r = app_client.request(method, url)
    assert r.status_code == 401, (method, path, r.text)
    assert r.headers["content-type"].startswith("application/problem+json")
    assert app_client.request(method, url, headers={"X-API-Key": "rmp_wrong"}).status_code == 401
    for other in ROLES:
        if other in (role, "admin"):
            continue
        r = app_client.request(method, url, headers={"X-API-Key": keys[other]})
        assert r.status_code == 403, (method, path, other, r.text)
        assert r.json()["code"] == "forbidden"
    # the right role (and admin) gets past the check: any answer but 401/403
    for ok in (role, "admin"):
        r = app_client.request(method, url, headers={"X-API-Key": keys[ok]})
        assert r.status_code not in (401, 403), (method, path, ok, r.text)
        assert r.status_code < 500, (method, path, ok, r.text)
