"""``rempart webhook``: add, list, deliver, dead letters, replay, remove, and clear errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rempart.cli.main import app
from rempart.clock import utcnow
from rempart.config import Settings, get_settings
from rempart.context import Rempart
from rempart.moderation.webhooks import events
from tests.standins.webhook_receiver import Receiver, running

runner = CliRunner()


@pytest.fixture
def home(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("REMPART_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("REMPART_DATABASE_URL", db_url)
    monkeypatch.setenv("REMPART_WEBHOOK_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("REMPART_LOG_JSON", "true")
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


@pytest.fixture
def rx() -> Iterator[Receiver]:
    with running(utcnow) as receiver:
        yield receiver


def run(*args: str) -> tuple[int, str, str]:
    r = runner.invoke(app, list(args))
    return r.exit_code, r.stdout, r.stderr


def emit(event: str, key: str) -> None:
    ctx = Rempart.open(Settings(), load_index=False)
    try:
        with ctx.db.session() as s:
            ctx.webhooks.emit(s, event, key, {"decision_id": key})
    finally:
        ctx.close()


def test_webhook_commands(home: Path, rx: Receiver) -> None:
    code, out, err = run("webhook", "add", "platform", rx.url, "-e", "decision.*", "-e", "*")
    assert code == 0, err
    assert "endpoint 1 (platform)" in out and "shown once" in err
    secret = out.strip().splitlines()[-1]
    assert secret.startswith("whsec_")
    rx.keyed(secret=secret)
    code, out, err = run("webhook", "add", "signer", rx.url, "-e", "*", "--signing", "ed25519")
    assert code == 0, err
    pem = out[out.index("-----BEGIN") :].strip()
    code, out, err = run("webhook", "public-key", "signer")
    assert code == 0 and out.strip() == pem

    code, out, err = run("webhook", "list")
    assert code == 0 and "platform" in out and "signer" in out and secret not in out
    code, out, err = run("webhook", "list", "--json")
    assert [json.loads(line)["name"] for line in out.splitlines()] == ["platform", "signer"]
    code, out, err = run("webhook", "remove", "signer")
    assert code == 0 and "removed endpoint" in out

    emit(events.DECISION_ENFORCE, "42")
    code, out, err = run("webhook", "deliver")
    assert code == 0, err
    assert "delivered HTTP 200" in out and "1 due: 1 delivered, 0 to retry, 0 dead" in out
    assert list(rx.processed) == ["decision.enforce:42"]

    rx.fail_next(1, 500)
    emit(events.ACCOUNT_SUSPEND, "7")
    code, out, err = run("webhook", "deliver")
    assert code == 0 and "1 dead" in out and "HTTP 500" in out
    code, out, err = run("webhook", "dead")
    assert code == 0 and "account" in out and "dead" in out
    code, out, err = run("webhook", "dead", "--json")
    [dead] = [json.loads(line) for line in out.splitlines()]
    assert dead["event"] == "account.suspend" and dead["attempts"] == 1
    code, out, err = run("webhook", "replay", str(dead["id"]))
    assert code == 0 and "queued again" in out, (out, err)
    code, out, err = run("webhook", "deliver")
    assert code == 0 and "1 delivered" in out
    assert list(rx.processed) == ["decision.enforce:42", "account.suspend:7"]
    code, out, err = run("webhook", "deliveries", "--status", "delivered", "--json")
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [r["event"] for r in rows] == ["account.suspend", "decision.enforce"]
    code, out, err = run("webhook", "deliver")
    assert code == 0 and "0 due" in out


def test_webhook_command_errors(home: Path, rx: Receiver) -> None:
    code, _, err = run("webhook", "add", "x", "ftp://example.org", "-e", "*")
    assert code == 1 and "http://" in err
    code, _, err = run("webhook", "add", "x", rx.url, "-e", "decision.enforced")
    assert code == 1 and "unknown event" in err
    code, _, err = run("webhook", "add", "x", rx.url, "-e", "*", "--signing", "rsa")
    assert code != 0
    assert run("webhook", "add", "x", rx.url, "-e", "*")[0] == 0
    code, _, err = run("webhook", "add", "x", rx.url, "-e", "*")
    assert code == 1 and "already exists" in err
    code, _, err = run("webhook", "public-key", "x")
    assert code == 1 and "shared secret" in err
    code, _, err = run("webhook", "replay", "12345")
    assert code == 1 and "no webhook delivery" in err
    code, _, err = run("webhook", "remove", "nobody")
    assert code == 1 and "no webhook endpoint" in err
    code, _, err = run("webhook", "deliveries", "--status", "lost")
    assert code == 1 and "unknown delivery status" in err
