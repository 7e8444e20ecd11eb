"""Automatic Art. 18 delivery: an HTTP endpoint and an outbox folder, retries with backoff,
a cap, and the manual path kept; SQLite and PostgreSQL, with a real local HTTP receiver."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from rempart.context import Rempart
from rempart.errors import Conflict
from rempart.evidence.referral_delivery import deliver, deliver_due
from rempart.evidence.referrals import Art18Settings, Authority, Referrals
from tests.clock import FakeClock
from tests.evidence.test_bundle import vb
from tests.evidence.test_referrals import make_case


class Receiver:
    """An authority's intake: answers the queued statuses (then 201), keeps what it got."""

    def __init__(self) -> None:
        self.statuses: list[int] = []
        self.received: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                status = receiver.statuses.pop(0) if receiver.statuses else 201
                if status < 300:
                    receiver.received.append((dict(self.headers.items()), body))
                answer = json.dumps({"reference": "PH-2026-0042"}).encode()
                self.send_response(status)
                self.send_header("content-length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/art18"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def conf(endpoint: str, **kw: Any) -> Art18Settings:
    fr = Authority(name="PHAROS", channel="portal", endpoint=endpoint, token="s3cret")
    return Art18Settings(authorities={"FR": fr}, delivery_base_s=60, **kw)


def test_http_delivery_on_referral(ctx: Rempart, receiver: Receiver) -> None:
    case_id = make_case(ctx, states=["FR"])
    [ref] = Referrals(ctx, conf(receiver.url)).refer(case_id, by="legal:ann")
    assert ref.sent_at is not None and ref.sent_by == "system:referral-delivery"
    assert ref.channel == receiver.url and ref.delivery_attempts == 1
    assert ref.delivery_response is not None and "HTTP 201" in ref.delivery_response
    [(headers, body)] = receiver.received
    assert headers["x-rempart-referral-id"] == ref.referral_id
    assert headers["authorization"] == "Bearer s3cret"
    assert headers["content-type"] == "application/vnd.rempart.bundle+zip"
    summary = vb.verify(body, ctx.ledger.public_key_pem())  # the signed export itself
    assert b"s3cret" not in body  # the token never goes into the bundle
    assert summary["case_id"] == case_id
    sent = ctx.ledger.events(subject=f"case:{case_id}", kind="referral.sent")
    assert sent[0].data["automatic"] and sent[0].data["referral_id"] == ref.referral_id
    assert Referrals(ctx).pending() == []


def test_failed_delivery_is_retried_with_backoff_then_capped(
    ctx: Rempart, clock: FakeClock, receiver: Receiver
) -> None:
    case_id = make_case(ctx, states=["FR"])
    c = conf(receiver.url, delivery_max_attempts=3)
    receiver.statuses = [503]
    [ref] = Referrals(ctx, c).refer(case_id, by="legal")
    assert ref.sent_at is None and ref.delivery_attempts == 1
    assert ref.last_delivery_error is not None and "503" in ref.last_delivery_error
    assert ref.next_delivery_at == clock() + __import__("datetime").timedelta(seconds=60)
    assert deliver_due(ctx, c) == []  # not due yet
    clock.advance(seconds=60)
    receiver.statuses = [500]
    [second] = deliver_due(ctx, c)
    assert second.result == "retry"
    clock.advance(seconds=119)
    assert deliver_due(ctx, c) == []  # backoff doubled: 120 s
    clock.advance(seconds=1)
    receiver.statuses = [502]
    [third] = deliver_due(ctx, c)
    assert third.result == "gave_up"
    clock.advance(days=1)
    assert deliver_due(ctx, c) == []  # capped: left for a person
    [pending] = Referrals(ctx).pending()
    assert pending.last_delivery_error and pending.last_delivery_error.startswith("gave up")
    failures = ctx.ledger.events(subject=f"case:{case_id}", kind="referral.delivery_failed")
    assert [e.data["attempt"] for e in failures] == [1, 2, 3]
    # a person asks again: delivered now
    out = deliver(ctx, ref.referral_id, by="legal:bob", conf=c, force=True)
    assert out.result == "sent" and len(receiver.received) == 1
    with pytest.raises(Conflict):
        deliver(ctx, ref.referral_id, conf=c, force=True)


def test_outbox_folder_delivery(ctx: Rempart, tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    case_id = make_case(ctx, states=["FR"])
    [ref] = Referrals(ctx, conf(f"file://{outbox}")).refer(case_id, by="legal")
    assert ref.sent_at is not None
    bundle = (outbox / f"{ref.referral_id}.zip").read_bytes()
    about = json.loads((outbox / f"{ref.referral_id}.json").read_text())
    assert about["bundle_sha256"] == ref.bundle_sha256 and about["case_id"] == case_id
    vb.verify(bundle, ctx.ledger.public_key_pem())
    assert sorted(p.name for p in outbox.iterdir()) == sorted(
        [f"{ref.referral_id}.zip", f"{ref.referral_id}.json"]
    )  # no temporary files left


def test_unwritable_outbox_is_retried(ctx: Rempart, clock: FakeClock, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    case_id = make_case(ctx, states=["FR"])
    c = conf(f"file://{blocker}/outbox")
    [ref] = Referrals(ctx, c).refer(case_id, by="legal")
    assert ref.sent_at is None and ref.delivery_attempts == 1
    blocker.unlink()
    clock.advance(minutes=2)
    [ok] = deliver_due(ctx, c)
    assert ok.result == "sent" and (blocker / "outbox" / f"{ref.referral_id}.zip").exists()


def test_manual_marking_still_works_and_stops_retries(
    ctx: Rempart, clock: FakeClock, receiver: Receiver
) -> None:
    case_id = make_case(ctx, states=["FR"])
    c = conf(receiver.url)
    receiver.statuses = [503]
    [ref] = Referrals(ctx, c).refer(case_id, by="legal")
    Referrals(ctx, c).mark_sent(ref.referral_id, "phoned the duty officer", "legal:ann")
    clock.advance(hours=1)
    assert deliver_due(ctx, c) == []
    # an authority without an endpoint: nothing is delivered automatically
    other = make_case(ctx, states=["DE"])
    [de] = Referrals(ctx, c).refer(other, by="legal")
    assert de.endpoint is None and de.sent_at is None and de.delivery_attempts == 0


def test_bad_endpoints_are_refused() -> None:
    for bad in ("ftp://x/y", "relative/folder", "https://", "file://relative"):
        with pytest.raises(ValidationError):
            Authority(name="X", endpoint=bad)


def test_deliver_route_roles(
    ctx: Rempart, keys: dict[str, str], receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rempart.api.app import create_app

    monkeypatch.setenv(
        "REMPART_ART18_AUTHORITIES",
        json.dumps({"FR": {"name": "PHAROS", "endpoint": receiver.url}}),
    )
    case_id = make_case(ctx, states=["FR"])
    receiver.statuses = [503]
    [ref] = Referrals(ctx).refer(case_id, by="legal")
    assert ref.sent_at is None
    with TestClient(create_app(ctx)) as client:
        url = f"/v1/referrals/{ref.referral_id}/deliver"
        for role in ("moderator", "auditor", "child_safety"):
            assert client.post(url, headers={"X-API-Key": keys[role]}).status_code == 403
        r = client.post(url, headers={"X-API-Key": keys["legal"]})
        assert r.status_code == 200, r.text
        assert r.json()["sent_at"] is not None and r.json()["sent_by"] == "test-legal"
        assert client.post(url, headers={"X-API-Key": keys["legal"]}).status_code == 409
