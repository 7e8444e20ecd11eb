"""The law-enforcement API over HTTP: bundles, referrals, DSAR, and each route's roles.

The router is mounted here the way ``rempart.api.app.ROUTERS`` mounts it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from rempart.access.roles import ALL_ROLES
from rempart.api import lawenforcement
from rempart.api.app import ROUTERS, create_app
from rempart.context import Rempart
from tests.evidence.test_bundle import vb
from tests.evidence.test_dsar import world
from tests.evidence.test_referrals import make_case, store

ROUTES = [
    ("POST", "/v1/bundles", {"legal", "child_safety"}),
    ("POST", "/v1/referrals", {"legal"}),
    ("GET", "/v1/referrals", {"legal", "auditor", "admin"}),
    ("POST", "/v1/referrals/1/sent", {"legal", "admin"}),
    ("POST", "/v1/referrals/1/acknowledgement", {"legal", "admin"}),
    ("POST", "/v1/referrals/1/deliver", {"legal", "admin"}),
    ("GET", "/v1/dsar/SOME_BANK", {"legal", "admin"}),
]


@pytest.fixture
def client(rempart: Rempart) -> Iterator[TestClient]:
    app = create_app(rempart, sync_interval_s=0.1)
    if lawenforcement.router not in ROUTERS:  # until the lead registers it
        app.include_router(lawenforcement.router)
    with TestClient(app) as c:
        yield c


def h(secret: str) -> dict[str, str]:
    return {"X-API-Key": secret}


def test_roles_of_every_route(client: TestClient, keys: dict[str, str]) -> None:
    for method, path, accepted in ROUTES:
        assert client.request(method, path).status_code == 401
        for role in ALL_ROLES:
            code = client.request(method, path, headers=h(keys[role])).status_code
            if role in accepted:
                assert code < 500 and code not in (401, 403), (method, path, role, code)
            else:
                assert code == 403, (method, path, role, code)


def test_bundle_referral_and_dsar_over_http(
    client: TestClient, rempart: Rempart, keys: dict[str, str]
) -> None:
    case_id = make_case(rempart, states=["FR"])
    store(rempart, case_id, b"threat text")
    r = client.post("/v1/bundles", json={"case_id": case_id, "purpose": "LE request"},
                    headers=h(keys["legal"]))  # fmt: skip
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    assert vb.verify(r.content, rempart.ledger.public_key_pem())["objects"] == 1
    csam = store(rempart, case_id, b"csam", "csam")
    r = client.post("/v1/bundles", json={"object_ids": [csam], "purpose": "NCMEC"},
                    headers=h(keys["legal"]))  # fmt: skip
    assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json"
    r = client.post("/v1/bundles", json={"purpose": "x"}, headers=h(keys["legal"]))
    assert r.status_code == 422
    plain = make_case(rempart, states=["FR"])
    store(rempart, plain, b"another")
    r = client.post("/v1/referrals", json={"case_id": plain}, headers=h(keys["legal"]))
    assert r.status_code == 201, r.text
    (ref,) = r.json()
    assert ref["recipient_authority"].startswith("PHAROS")
    listed = client.get("/v1/referrals?pending=true", headers=h(keys["auditor"])).json()
    assert [x["referral_id"] for x in listed] == [ref["referral_id"]]
    r = client.post(f"/v1/referrals/{ref['referral_id']}/sent", json={"channel": "portal"},
                    headers=h(keys["legal"]))  # fmt: skip
    assert r.status_code == 200 and r.json()["channel"] == "portal"
    r = client.post(f"/v1/referrals/{ref['referral_id']}/sent", json={"channel": "portal"},
                    headers=h(keys["legal"]))  # fmt: skip
    assert r.status_code == 409
    assert client.get("/v1/referrals?pending=true", headers=h(keys["legal"])).json() == []
    world(rempart, "user-9")
    r = client.get("/v1/dsar/user-9", headers=h(keys["legal"]))
    assert r.status_code == 200 and "marie@example.org" not in r.text
    assert client.get("/v1/dsar/nobody", headers=h(keys["legal"])).status_code == 404
    r = client.get("/v1/dsar/user-9?email=marie@example.org", headers=h(keys["legal"]))
    assert r.status_code == 200 and len(r.json()["notices_sent"]) == 1  # sent from that address
    bad = client.get("/v1/dsar/user-9?email=nope", headers=h(keys["legal"]))
    assert bad.status_code == 422
