"""The webhook outbox end to end, against a real receiver, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import json
import os
import socket
import stat
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import text

from rempart.config import Settings
from rempart.errors import Conflict, Invalid, NotFound
from rempart.moderation.webhooks import events
from rempart.moderation.webhooks.encryption import SecretKeyError, generate_key
from rempart.moderation.webhooks.service import LEASE_S, WebhookService
from rempart.moderation.webhooks.signing import verify
from rempart.store.db import Database
from tests.standins.webhook_receiver import ManualClock, Receiver, running

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DECISION = {"decision_id": 42, "item": "post-9", "action": "remove", "ground": "illegal"}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    database = Database(settings.db_url)
    database.migrate()
    yield database
    database.dispose()


@pytest.fixture
def svc(db: Database, settings: Settings, clock: ManualClock) -> Iterator[WebhookService]:
    service = WebhookService(db, settings, clock)
    yield service
    service.close()


@pytest.fixture
def rx(clock: ManualClock) -> Iterator[Receiver]:
    with running(clock) as receiver:
        yield receiver


def hmac_endpoint(svc: WebhookService, rx: Receiver, name: str = "platform") -> str:
    _, secret = svc.add_endpoint(name, rx.url, ["*"], "hmac-sha256")
    rx.keyed(secret=secret)
    return secret


def emit(svc: WebhookService, event: str, key: str, payload: dict[str, object]) -> list[int]:
    with svc.db.session() as s:
        return svc.emit(s, event, key, payload)


def test_hmac_delivery_is_signed_and_carries_the_documented_headers(
    svc: WebhookService, rx: Receiver, clock: ManualClock
) -> None:
    secret = hmac_endpoint(svc, rx)
    [delivery_id] = emit(svc, events.DECISION_ENFORCE, "42", DECISION)
    summary = svc.deliver_due()
    assert (summary.attempted, summary.delivered) == (1, 1)
    [got] = rx.requests
    assert got.status == 200, got.reason
    assert got.headers["content-type"] == "application/json"
    assert got.headers["rempart-event"] == "decision.enforce"
    assert got.headers["rempart-delivery"] == str(delivery_id)
    assert got.headers["idempotency-key"] == "decision.enforce:42"
    assert got.headers["rempart-signature"].startswith(f"t={int(START.timestamp())},v1=")
    verify(got.headers, got.body, secret=secret, now=START)
    body = got.json
    assert body["data"] == DECISION
    assert body["delivery_id"] == delivery_id
    assert body["event"] == "decision.enforce"
    assert got.body == json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    [row] = svc.deliveries()
    assert row.status == "delivered" and row.attempts == 1 and row.last_status_code == 200
    assert row.delivered_at == START


def test_ed25519_delivery_verifies_with_the_public_key(svc: WebhookService, rx: Receiver) -> None:
    out, pem = svc.add_endpoint("platform", rx.url, ["notification.*"], "ed25519")
    assert out.signing == "ed25519"
    assert pem.startswith("-----BEGIN PUBLIC KEY-----")
    assert svc.public_key("platform") == pem
    rx.keyed(public_key=pem)
    emit(svc, events.STATEMENT_OF_REASONS, "sor-7", {"decision_id": 7, "text": "Straße"})
    assert svc.deliver_due().delivered == 1
    [got] = rx.requests
    assert got.status == 200, got.reason
    assert ",ed25519=" in got.headers["rempart-signature"]
    assert got.json["data"]["text"] == "Straße"


def test_emit_in_a_rolled_back_transaction_sends_nothing(svc: WebhookService, rx: Receiver) -> None:
    hmac_endpoint(svc, rx)
    with pytest.raises(RuntimeError), svc.db.session() as s:
        assert svc.emit(s, events.DECISION_ENFORCE, "42", DECISION)
        raise RuntimeError("the decision failed to commit")
    assert svc.deliveries() == []
    assert svc.deliver_due().attempted == 0
    assert rx.requests == []


def test_the_same_key_is_queued_and_received_once(svc: WebhookService, rx: Receiver) -> None:
    hmac_endpoint(svc, rx)
    first = emit(svc, events.DECISION_ENFORCE, "42", DECISION)
    assert len(first) == 1
    assert emit(svc, events.DECISION_ENFORCE, "42", DECISION) == []  # a retried caller
    with svc.db.session() as s:  # twice in one transaction too
        assert svc.emit(s, events.DECISION_ENFORCE, "42", DECISION) == []
    # one decision drives several events: the key is scoped by event
    assert len(emit(svc, events.STATEMENT_OF_REASONS, "42", {"decision_id": 42})) == 1
    assert svc.deliver_due().delivered == 2
    assert svc.deliver_due().attempted == 0
    assert sorted(rx.processed) == ["decision.enforce:42", "notification.statement_of_reasons:42"]
    assert rx.duplicates == 0 and len(rx.requests) == 2


def test_failures_are_retried_with_growing_delays_then_delivered(
    svc: WebhookService, rx: Receiver, clock: ManualClock, settings: Settings
) -> None:
    hmac_endpoint(svc, rx)
    rx.fail_next(3, 500)
    [delivery_id] = emit(svc, events.ACCOUNT_SUSPEND, "acct-1", {"account": "u1", "days": 7})
    delays = []
    for attempt in (1, 2, 3):
        summary = svc.deliver_due()
        assert (summary.attempted, summary.retrying) == (1, 1), summary
        [row] = svc.deliveries()
        assert row.status == "pending" and row.attempts == attempt
        assert row.last_status_code == 500 and row.last_error and "HTTP 500" in row.last_error
        delay = (row.next_attempt_at - clock.now).total_seconds()
        base = settings.webhook_backoff_s * 2 ** (attempt - 1)
        assert base <= delay <= base * 1.25
        delays.append(delay)
        clock.advance(delay - 0.5)
        assert svc.deliver_due().attempted == 0  # not due yet
        clock.advance(0.5)
    assert delays[0] < delays[1] < delays[2]
    summary = svc.deliver_due()
    assert summary.delivered == 1
    [row] = svc.deliveries()
    assert row.id == delivery_id and row.status == "delivered" and row.attempts == 4
    assert row.last_error is None
    assert [r.status for r in rx.requests] == [500, 500, 500, 200]
    assert len({r.body for r in rx.requests}) == 1  # the same bytes every time
    assert len({r.headers["rempart-signature"] for r in rx.requests}) == 4  # fresh timestamps
    assert list(rx.processed) == ["account.suspend:acct-1"]


def test_always_failing_becomes_a_dead_letter_and_replays(
    db: Database, settings: Settings, clock: ManualClock, rx: Receiver
) -> None:
    svc = WebhookService(db, settings.model_copy(update={"webhook_max_attempts": 3}), clock)
    try:
        hmac_endpoint(svc, rx)
        rx.fail_next(100, 503)
        [delivery_id] = emit(svc, events.DECISION_REVERSE, "42", DECISION)
        outcomes = []
        for _ in range(3):
            summary = svc.deliver_due()
            outcomes.append((summary.retrying, summary.dead))
            clock.advance(3600)
        assert outcomes == [(1, 0), (1, 0), (0, 1)]
        assert svc.deliver_due().attempted == 0  # dead letters are not retried
        [dead] = svc.dead_letters()
        assert dead.id == delivery_id and dead.attempts == 3 and dead.status == "dead"
        assert dead.last_status_code == 503 and "HTTP 503" in (dead.last_error or "")
        assert rx.processed == {}
        rx.recover()
        replayed = svc.replay(delivery_id)
        assert (replayed.status, replayed.attempts) == ("pending", 0)
        assert replayed.next_attempt_at == clock.now
        assert svc.dead_letters() == []
        assert svc.deliver_due().delivered == 1
        assert list(rx.processed) == ["decision.reverse:42"]
        with pytest.raises(Conflict, match="only dead letters"):
            svc.replay(delivery_id)
    finally:
        svc.close()


def test_a_timeout_counts_as_a_failure(
    db: Database, settings: Settings, clock: ManualClock, rx: Receiver
) -> None:
    client = httpx.Client(timeout=0.3)
    svc = WebhookService(db, settings, clock, http=client)
    try:
        hmac_endpoint(svc, rx)
        rx.stall_next(1, 3.0)
        emit(svc, events.ACCOUNT_WARN, "w1", {"account": "u1"})
        started = time.monotonic()
        summary = svc.deliver_due()
        assert time.monotonic() - started < 2.5
        assert summary.retrying == 1
        [row] = svc.deliveries()
        assert row.last_status_code is None and "timed out" in (row.last_error or "")
        clock.advance(60)
        assert svc.deliver_due().delivered == 1
        assert list(rx.processed) == ["account.warn:w1"]
    finally:
        svc.close()
        client.close()


def test_an_unreachable_endpoint_is_retried(svc: WebhookService) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    svc.add_endpoint("gone", f"http://127.0.0.1:{port}/hook", ["*"])
    emit(svc, events.ACCOUNT_RESTORE, "r1", {"account": "u1"})
    summary = svc.deliver_due()
    assert summary.retrying == 1
    assert "ConnectError" in (summary.results[0].error or "")


def test_a_refused_signature_is_a_failure_too(svc: WebhookService, rx: Receiver) -> None:
    svc.add_endpoint("platform", rx.url, ["*"])
    rx.keyed(secret="whsec_not_the_one")
    emit(svc, events.DECISION_ENFORCE, "42", DECISION)
    summary = svc.deliver_due()
    assert summary.retrying == 1 and summary.results[0].status_code == 401
    assert "does not match" in (summary.results[0].error or "")


def test_endpoints_receive_only_what_they_subscribe_to(
    svc: WebhookService, clock: ManualClock
) -> None:
    with running(clock) as a, running(clock) as b, running(clock) as c:
        a.keyed(secret=svc.add_endpoint("a", a.url, ["decision.*"])[1])
        b.keyed(secret=svc.add_endpoint("b", b.url, [events.NOTIFIER_DECISION])[1])
        c.keyed(secret=svc.add_endpoint("c", c.url, ["*"])[1])
        assert len(emit(svc, events.DECISION_ENFORCE, "1", {})) == 2
        assert len(emit(svc, events.NOTIFIER_DECISION, "1", {})) == 2
        assert len(emit(svc, events.NOTICE_RECEIPT, "1", {})) == 1
        assert svc.deliver_due().delivered == 5
        assert a.events() == ["decision.enforce"]
        assert b.events() == ["notification.notifier_decision"]
        assert c.events() == [
            "decision.enforce",
            "notification.notifier_decision",
            "notification.notice_receipt",
        ]
    assert [d.event for d in svc.deliveries(event=events.NOTIFIER_DECISION)] == [
        events.NOTIFIER_DECISION
    ] * 2
    assert len(svc.deliveries(status="delivered")) == 5
    assert svc.deliveries(status="dead") == []


def test_no_endpoint_means_nothing_queued(svc: WebhookService) -> None:
    assert emit(svc, events.DECISION_ENFORCE, "42", DECISION) == []


def test_a_crashed_worker_leaves_its_claim_to_expire(
    db: Database, settings: Settings, svc: WebhookService, rx: Receiver, clock: ManualClock
) -> None:
    hmac_endpoint(svc, rx)
    emit(svc, events.DECISION_ENFORCE, "42", DECISION)
    crashed = WebhookService(db, settings, clock)
    assert len(crashed._claim(10)) == 1  # claimed, then the process died before posting
    assert svc.deliver_due().attempted == 0
    clock.advance(LEASE_S + 1)
    assert svc.deliver_due().delivered == 1
    assert list(rx.processed) == ["decision.enforce:42"]


def test_two_workers_never_send_one_delivery_twice(
    db: Database, settings: Settings, clock: ManualClock, rx: Receiver
) -> None:
    workers = [WebhookService(db, settings, clock) for _ in range(2)]
    hmac_endpoint(workers[0], rx)
    for n in range(20):
        emit(workers[0], events.DECISION_ENFORCE, str(n), {"n": n})
    results = []

    def run(w: WebhookService) -> None:
        while (summary := w.deliver_due(limit=3)).attempted:
            results.append(summary.delivered)

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    for w in workers:
        w.close()
    assert sum(results) == 20
    assert len(rx.processed) == 20 and rx.duplicates == 0 and len(rx.requests) == 20


def test_the_background_thread_delivers(svc: WebhookService, rx: Receiver) -> None:
    hmac_endpoint(svc, rx)
    svc.start(0.05)
    svc.start(0.05)  # a second start is a no-op
    try:
        emit(svc, events.DECISION_ENFORCE, "42", DECISION)
        deadline = time.monotonic() + 10
        while not rx.processed and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        svc.stop()
    assert list(rx.processed) == ["decision.enforce:42"]
    assert svc.deliveries()[0].status == "delivered"


def test_secrets_are_encrypted_at_rest(
    svc: WebhookService, db: Database, settings: Settings, rx: Receiver
) -> None:
    secret = hmac_endpoint(svc, rx)
    _, pem = svc.add_endpoint("signer", rx.url, ["*"], "ed25519")
    with db.engine.connect() as conn:
        stored: dict[str, str] = dict(
            conn.execute(text("SELECT name, secret_encrypted FROM webhook_endpoint")).all()
        )
    raw_private = svc.box.decrypt(stored["signer"], context="signer")
    assert len(raw_private) == 32
    for value in stored.values():
        assert value.startswith("v1:")
        blob = base64.b64decode(value.removeprefix("v1:"))
        assert secret.encode() not in blob and secret not in value
        assert raw_private not in blob
        assert raw_private.hex() not in value
        assert base64.b64encode(raw_private).decode() not in value
    # the key was generated once under home, private to its owner, and is reused
    key_file = settings.home / "secret.key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    before = key_file.read_bytes()
    again = WebhookService(db, settings, svc.clock)
    assert again.public_key("signer") == pem
    assert key_file.read_bytes() == before
    # a ciphertext moved to another endpoint's row does not decrypt
    with pytest.raises(SecretKeyError):
        svc.box.decrypt(stored["signer"], context="platform")


def test_the_configured_key_is_used_and_a_wrong_one_is_a_clear_error(
    db: Database, settings: Settings, clock: ManualClock, rx: Receiver, tmp_path: Path
) -> None:
    keyed = settings.model_copy(update={"secret_key": generate_key()})
    svc = WebhookService(db, keyed, clock)
    _, pem = svc.add_endpoint("signer", rx.url, ["*"], "ed25519")
    assert not (settings.home / "secret.key").exists()
    assert svc.public_key("signer") == pem
    other = WebhookService(db, settings.model_copy(update={"secret_key": generate_key()}), clock)
    with pytest.raises(SecretKeyError, match="not the one it was stored with"):
        other.public_key("signer")
    # a delivery that cannot be signed is a recorded failure, not a crash of the sender
    rx.keyed(public_key=pem)
    emit(other, events.DECISION_ENFORCE, "42", DECISION)
    summary = other.deliver_due()
    assert summary.retrying == 1 and "cannot decrypt" in (summary.results[0].error or "")
    assert rx.requests == []
    bad = WebhookService(db, settings.model_copy(update={"secret_key": "c2hvcnQ="}), clock)
    with pytest.raises(SecretKeyError, match="32 random bytes"):
        bad.public_key("signer")
    for s in (svc, other, bad):
        s.close()


def test_bad_input_gets_clear_errors(svc: WebhookService, rx: Receiver) -> None:
    with pytest.raises(ValidationError, match="http"):
        svc.add_endpoint("x", "ftp://example.org/", ["*"])
    with pytest.raises(ValidationError, match="credentials"):
        svc.add_endpoint("x", "https://u:p@example.org/", ["*"])
    with pytest.raises(ValidationError, match="endpoint name"):
        svc.add_endpoint("has space", rx.url, ["*"])
    with pytest.raises(ValidationError, match="unknown event"):
        svc.add_endpoint("x", rx.url, ["decision.enforced"])
    with pytest.raises(ValidationError):
        svc.add_endpoint("x", rx.url, [])
    with pytest.raises(ValidationError):
        svc.add_endpoint("x", rx.url, ["*"], "rsa")  # type: ignore[arg-type]
    hmac_endpoint(svc, rx)
    with pytest.raises(Conflict, match="already exists"):
        svc.add_endpoint("platform", rx.url, ["*"])
    with pytest.raises(Conflict, match="shared secret"):
        svc.public_key("platform")
    with pytest.raises(NotFound):
        svc.public_key("nobody")
    with pytest.raises(Invalid, match="unknown webhook event"):
        emit(svc, "decision.enforced", "1", {})
    with pytest.raises(Invalid, match="plain JSON"):
        emit(svc, events.DECISION_ENFORCE, "1", {"when": datetime.now(UTC)})
    with pytest.raises(Invalid, match="plain JSON"):
        emit(svc, events.DECISION_ENFORCE, "1", {"score": float("inf")})
    with pytest.raises(Invalid, match="idempotency key"):
        emit(svc, events.DECISION_ENFORCE, "", {})
    with pytest.raises(Invalid, match="status"):
        svc.deliveries(status="lost")
    with pytest.raises(NotFound):
        svc.replay(999)
    with pytest.raises(NotFound):
        svc.replay(2**70)
    with pytest.raises(NotFound):
        svc.remove_endpoint("nobody")


def test_removing_an_endpoint_drops_its_queue(svc: WebhookService, rx: Receiver) -> None:
    hmac_endpoint(svc, rx)
    emit(svc, events.DECISION_ENFORCE, "42", DECISION)
    removed = svc.remove_endpoint("platform")
    assert removed.name == "platform"
    assert svc.list_endpoints() == []
    assert svc.deliveries() == []
    assert svc.deliver_due().attempted == 0
    assert rx.requests == []


def test_a_round_sends_every_due_delivery_once_up_to_its_limit(
    db: Database, settings: Settings, clock: ManualClock, rx: Receiver
) -> None:
    svc = WebhookService(db, settings.model_copy(update={"webhook_backoff_s": 0.0}), clock)
    try:
        hmac_endpoint(svc, rx)
        for n in range(25):
            emit(svc, events.DECISION_ENFORCE, str(n), {"n": n})
        assert svc.deliver_due(limit=5).delivered == 5
        rx.fail_next(1, 500)
        summary = svc.deliver_due()
        # the failure is due again at once (no backoff) but waits for the next round
        assert (summary.attempted, summary.delivered, summary.retrying) == (20, 19, 1)
        assert svc.deliver_due().delivered == 1
        assert len(rx.processed) == 25 and rx.duplicates == 0
    finally:
        svc.close()


def test_the_migration_downgrades_and_upgrades_again(db: Database) -> None:
    from alembic import command
    from sqlalchemy import inspect

    from rempart.store.db import alembic_config

    cfg = alembic_config(db.engine.url.render_as_string(hide_password=False))
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0002")
    assert "webhook_delivery" not in inspect(db.engine).get_table_names()
    db.migrate()
    assert {"webhook_endpoint", "webhook_delivery"} <= set(inspect(db.engine).get_table_names())
