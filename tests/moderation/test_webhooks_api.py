"""``/v1/webhooks`` for the roles that may use it: endpoints, deliveries, dead letters, replay.

Refusals (401, 403 for every other role) are covered by ``tests/api/test_auth_matrix.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from rempart.api.app import create_app
from rempart.config import Settings
from rempart.context import Rempart
from rempart.moderation.webhooks import events
from tests.standins.webhook_receiver import ManualClock, Receiver, running


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))


@pytest.fixture
def ctx(db_url: str, tmp_path: Path, clock: ManualClock) -> Iterator[Rempart]:
    settings = Settings(home=tmp_path / "home", database_url=db_url, webhook_max_attempts=2)
    rempart = Rempart.open(settings, clock=clock, load_index=False)
    yield rempart
    rempart.webhooks.close()
    rempart.close()


@pytest.fixture
def client(ctx: Rempart) -> Iterator[TestClient]:
    with TestClient(create_app(ctx, sync_interval_s=0.1)) as c:
        ctx.webhooks.stop()  # the tests below drive delivery rounds themselves
        yield c


@pytest.fixture
def key(ctx: Rempart) -> dict[str, str]:
    return {
        role: ctx.keys.create(f"t-{role}", [role])[1] for role in ("admin", "auditor", "platform")
    }


@pytest.fixture
def rx(clock: ManualClock) -> Iterator[Receiver]:
    with running(clock) as receiver:
        yield receiver


def h(secret: str) -> dict[str, str]:
    return {"X-API-Key": secret}


def test_admin_manages_endpoints_and_readers_see_them(
    client: TestClient, key: dict[str, str], rx: Receiver
) -> None:
    r = client.post(
        "/v1/webhooks/endpoints",
        json={"name": "platform", "url": rx.url, "events": ["decision.*", "account.suspend"]},
        headers=h(key["admin"]),
    )
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["endpoint"]["signing"] == "hmac-sha256"
    assert created["secret"].startswith("whsec_") and created["public_key"] is None
    r = client.post(
        "/v1/webhooks/endpoints",
        json={"name": "signer", "url": rx.url, "events": ["*"], "signing": "ed25519"},
        headers=h(key["admin"]),
    )
    assert r.status_code == 201, r.text
    pem = r.json()["public_key"]
    assert r.json()["secret"] is None and pem.startswith("-----BEGIN PUBLIC KEY-----")

    for role in ("admin", "auditor"):
        r = client.get("/v1/webhooks/endpoints", headers=h(key[role]))
        assert r.status_code == 200
        assert [e["name"] for e in r.json()] == ["platform", "signer"]
        assert created["secret"] not in r.text and "secret" not in r.text
    for role in ("admin", "platform"):
        r = client.get("/v1/webhooks/endpoints/signer/public-key", headers=h(key[role]))
        assert r.status_code == 200, r.text
        assert r.json() == {"name": "signer", "signing": "ed25519", "public_key": pem}

    r = client.delete("/v1/webhooks/endpoints/signer", headers=h(key["admin"]))
    assert r.status_code == 200 and r.json()["name"] == "signer"
    r = client.delete("/v1/webhooks/endpoints/signer", headers=h(key["admin"]))
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")


def test_bad_requests_are_problem_details(
    client: TestClient, key: dict[str, str], rx: Receiver
) -> None:
    admin = h(key["admin"])
    cases = [
        {"name": "x", "url": "file:///etc/passwd", "events": ["*"]},
        {"name": "x", "url": rx.url, "events": ["decision.enforced"]},
        {"name": "x", "url": rx.url, "events": []},
        {"name": "x", "url": rx.url, "events": ["*"], "signing": "md5"},
        {"name": "../x", "url": rx.url, "events": ["*"]},
        {"name": "x", "url": rx.url, "events": ["*"], "secret": "mine"},
    ]
    for body in cases:
        r = client.post("/v1/webhooks/endpoints", json=body, headers=admin)
        assert r.status_code == 422, (body, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
    body = {"name": "platform", "url": rx.url, "events": ["*"]}
    assert client.post("/v1/webhooks/endpoints", json=body, headers=admin).status_code == 201
    r = client.post("/v1/webhooks/endpoints", json=body, headers=admin)
    assert r.status_code == 409 and "already exists" in r.json()["detail"]
    r = client.get("/v1/webhooks/endpoints/platform/public-key", headers=admin)
    assert r.status_code == 409 and "shared secret" in r.json()["detail"]
    r = client.get("/v1/webhooks/deliveries?status=lost", headers=admin)
    assert r.status_code == 422
    r = client.get("/v1/webhooks/deliveries?event=bogus", headers=admin)
    assert r.status_code == 422
    r = client.post(f"/v1/webhooks/deliveries/{2**70}/replay", headers=admin)
    assert r.status_code == 422


def test_dead_letters_are_visible_and_replay_delivers(
    client: TestClient, ctx: Rempart, key: dict[str, str], rx: Receiver, clock: ManualClock
) -> None:
    r = client.post(
        "/v1/webhooks/endpoints",
        json={"name": "platform", "url": rx.url, "events": ["*"]},
        headers=h(key["admin"]),
    )
    rx.keyed(secret=r.json()["secret"])
    rx.fail_next(2, 500)
    with ctx.db.session() as s:
        [delivery_id] = ctx.webhooks.emit(s, events.DECISION_ENFORCE, "42", {"decision_id": 42})
    for _ in range(2):  # webhook_max_attempts=2
        ctx.webhooks.deliver_due()
        clock.advance(600)

    r = client.get("/v1/webhooks/dead-letters", headers=h(key["auditor"]))
    assert r.status_code == 200
    [dead] = r.json()
    assert dead["id"] == delivery_id and dead["status"] == "dead" and dead["attempts"] == 2
    assert dead["payload"] == {"decision_id": 42} and "HTTP 500" in dead["last_error"]
    r = client.get("/v1/webhooks/deliveries?status=dead", headers=h(key["auditor"]))
    assert [d["id"] for d in r.json()] == [delivery_id]

    r = client.post(f"/v1/webhooks/deliveries/{delivery_id}/replay", headers=h(key["admin"]))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "pending" and r.json()["attempts"] == 0
    r = client.post(f"/v1/webhooks/deliveries/{delivery_id}/replay", headers=h(key["admin"]))
    assert r.status_code == 409
    assert client.get("/v1/webhooks/dead-letters", headers=h(key["admin"])).json() == []

    assert ctx.webhooks.deliver_due().delivered == 1
    r = client.get(
        "/v1/webhooks/deliveries",
        params={"status": "delivered", "event": "decision.enforce"},
        headers=h(key["admin"]),
    )
    assert [d["id"] for d in r.json()] == [delivery_id]
    assert list(rx.processed) == ["decision.enforce:42"]
    r = client.post("/v1/webhooks/deliveries/999/replay", headers=h(key["admin"]))
    assert r.status_code == 404
