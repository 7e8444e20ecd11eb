"""Art. 23 misuse over HTTP (roles, problem details) and on the command line."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from rempart.api.app import create_app
from rempart.cli.main import app as cli
from rempart.config import Settings, get_settings
from rempart.context import Rempart
from tests.moderation.test_misuse import FakeClock

LOW = {
    "REMPART_MISUSE_ACCOUNT__WARNING_WEIGHT": "1",
    "REMPART_MISUSE_ACCOUNT__SUSPENSION_WEIGHT": "2",
    "REMPART_MISUSE_ACCOUNT__MIN_COUNT": "1",
}


@pytest.fixture
def low(monkeypatch: pytest.MonkeyPatch) -> None:
    """Thresholds low enough that the second strike suspends (read from the environment)."""
    for k, v in LOW.items():
        monkeypatch.setenv(k, v)


@pytest.fixture
def api(settings: Settings, low: None) -> Iterator[tuple[TestClient, FakeClock, dict[str, str]]]:
    clock = FakeClock()
    ctx = Rempart.open(settings, clock=clock, load_index=False)
    keys = {
        role: ctx.keys.create(f"k-{role}", [role])[1]
        for role in ("moderator", "senior_moderator", "legal", "auditor", "platform")
    }
    with TestClient(create_app(ctx)) as client:
        yield client, clock, keys
    ctx.close()


def test_strike_record_revoke_and_lift_over_http(
    api: tuple[TestClient, FakeClock, dict[str, str]],
) -> None:
    client, clock, keys = api

    def h(role: str) -> dict[str, str]:
        return {"X-API-Key": keys[role]}

    body = {"subject_type": "account", "subject_ref": "acct-h", "weight": 1, "reason": "scam ad"}
    r = client.post("/v1/misuse/strikes", json=body, headers=h("senior_moderator"))
    assert r.status_code == 201, r.text
    first = r.json()
    assert first["strike"]["active"] is True
    assert first["action"]["action"] == "warning"
    assert first["action"]["decided_by"] == "k-senior_moderator"
    clock.advance(hours=1)
    r = client.post("/v1/misuse/strikes", json=body, headers=h("senior_moderator"))
    susp = r.json()["action"]
    assert susp["action"] == "suspension" and susp["suspension_type"] == "service"
    assert susp["ends_at"] is not None and "Prior warning" in susp["reason"]

    for role in ("moderator", "senior_moderator", "legal", "auditor"):
        r = client.get("/v1/misuse/account/acct-h", headers=h(role))
        assert r.status_code == 200, (role, r.text)
    rec = r.json()
    assert rec["weight"] == 2
    assert [a["action"] for a in rec["actions"]] == ["warning", "suspension"]
    assert rec["current_suspension"]["id"] == susp["id"]
    assert client.get("/v1/misuse/account/acct-h", headers=h("platform")).status_code == 403
    assert client.post("/v1/misuse/strikes", json=body, headers=h("moderator")).status_code == 403

    strike_id = first["strike"]["id"]
    r = client.post(
        f"/v1/misuse/strikes/{strike_id}/revoke",
        json={"reason": "appeal upheld"},
        headers=h("senior_moderator"),
    )
    assert r.status_code == 200 and r.json()["active"] is False
    assert client.get("/v1/misuse/account/acct-h", headers=h("auditor")).json()["weight"] == 1
    r = client.post(
        f"/v1/misuse/strikes/{strike_id}/revoke",
        json={"reason": "again"},
        headers=h("senior_moderator"),
    )
    assert r.status_code == 409
    assert r.headers["content-type"].startswith("application/problem+json")

    lift = f"/v1/misuse/actions/{susp['id']}/lift"
    assert client.post(lift, json={"reason": "x"}, headers=h("moderator")).status_code == 403
    clock.advance(hours=1)
    r = client.post(lift, json={"reason": "reversed on appeal"}, headers=h("legal"))
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["lifted"] is True
    assert datetime.fromisoformat(out["ends_at"]) == clock.now
    assert "by k-legal" in out["reason"]
    rec = client.get("/v1/misuse/account/acct-h", headers=h("auditor")).json()
    assert rec["current_suspension"] is None
    r = client.post(lift, json={"reason": "again"}, headers=h("senior_moderator"))
    assert r.status_code == 409 and r.json()["code"] == "conflict"
    warn = f"/v1/misuse/actions/{first['action']['id']}/lift"
    assert client.post(warn, json={"reason": "no"}, headers=h("legal")).status_code == 409


def test_bad_requests_get_problem_details(
    api: tuple[TestClient, FakeClock, dict[str, str]],
) -> None:
    client, _, keys = api
    senior = {"X-API-Key": keys["senior_moderator"]}
    r = client.get("/v1/misuse/user/x", headers=senior)
    assert r.status_code == 422 and "subject type" in r.json()["detail"]
    cases = [
        {"subject_type": "account", "subject_ref": "a", "weight": 0, "reason": "r"},
        {"subject_type": "account", "subject_ref": "a", "weight": 1, "reason": "  "},
        {"subject_type": "account", "subject_ref": " ", "weight": 1, "reason": "r"},
        {"subject_type": "robot", "subject_ref": "a", "weight": 1, "reason": "r"},
        {"subject_type": "account", "subject_ref": "a", "reason": "r", "extra": 1},
        {"subject_type": "account", "subject_ref": "a", "reason": "r", "expires_days": 0},
    ]
    for body in cases:
        r = client.post("/v1/misuse/strikes", json=body, headers=senior)
        assert r.status_code == 422, (body, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
    r = client.post(
        "/v1/misuse/strikes",
        json={"subject_type": "account", "subject_ref": "a", "reason": "r", "decision_id": 9},
        headers=senior,
    )
    assert r.status_code == 404
    for huge in (2**63, 2**70):  # past the database's integer: the client's error, not a 500
        body = {"subject_type": "account", "subject_ref": "a", "reason": "r", "decision_id": huge}
        r = client.post("/v1/misuse/strikes", json=body, headers=senior)
        assert (r.status_code, r.json()["code"]) == (422, "out_of_range"), r.text
        r = client.post(f"/v1/misuse/strikes/{huge}/revoke", json={"reason": "r"}, headers=senior)
        assert r.status_code in (404, 422), r.text
    assert client.post("/v1/misuse/strikes", headers=senior).status_code == 422
    r = client.post("/v1/misuse/strikes/999/revoke", json={"reason": "r"}, headers=senior)
    assert r.status_code == 404
    r = client.post("/v1/misuse/actions/999/lift", json={"reason": "r"}, headers=senior)
    assert r.status_code == 404
    r = client.post("/v1/misuse/actions/0/lift", json={"reason": "r"}, headers=senior)
    assert r.status_code == 422
    r = client.post("/v1/misuse/actions/1/lift", json={"reason": ""}, headers=senior)
    assert r.status_code == 422


# --- CLI ---------------------------------------------------------------------------------------

runner = CliRunner()


@pytest.fixture
def home(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, low: None) -> Iterator[Path]:
    monkeypatch.setenv("REMPART_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("REMPART_DATABASE_URL", db_url)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def run(*args: str) -> tuple[int, str, str]:
    r = runner.invoke(cli, list(args))
    return r.exit_code, r.stdout, r.stderr


def test_cli_strike_show_revoke_lift_release(home: Path) -> None:
    code, out, err = run("misuse", "strike", "account", "acct-c", "--reason", "spam [bold]x[/]")
    assert code == 0, err
    assert "strike 1" in out and "warning #1" in out
    code, out, err = run(
        "misuse", "strike", "account", "acct-c", "--weight", "2", "--reason", "fraud", "--by", "ana"
    )
    assert code == 0, err
    assert "suspension #2 (service) until" in out and "Art. 23(1)" in out
    code, out, err = run("misuse", "show", "account", "acct-c")
    assert code == 0, err
    assert "active weight 3" in out and "suspended: suspension #2" in out
    assert "[bold]x[/]" in out  # user text is printed, not interpreted as markup
    code, out, err = run("misuse", "show", "account", "acct-c", "--json")
    assert code == 0, err
    assert '"current_suspension"' in out and '"decided_by": "ana"' in out
    code, out, err = run("misuse", "revoke", "1", "--reason", "appeal upheld")
    assert code == 0 and "revoked strike 1" in out
    code, out, err = run("misuse", "lift", "2", "--reason", "reversed")
    assert code == 0, err
    assert "lifted suspension 2" in out
    code, out, err = run("misuse", "show", "account", "acct-c")
    assert "suspended: no" in out and "active weight 2" in out and "(lifted)" in out
    code, out, err = run("misuse", "release")
    assert code == 0 and "released 0 account(s)" in out


def test_cli_errors_are_messages_with_non_zero_exit(home: Path) -> None:
    code, _, err = run("misuse", "show", "robot", "x")
    assert code == 1 and "unknown subject type" in err
    code, _, err = run("misuse", "strike", "account", "a")  # no reason
    assert code == 1 and "reason" in err
    code, _, err = run("misuse", "strike", "account", "a", "--reason", "r", "--weight", "0")
    assert code == 1 and "weight" in err
    code, _, err = run("misuse", "lift", "77", "--reason", "r")
    assert code == 1 and "no misuse action with id 77" in err
    code, _, err = run("misuse", "revoke", "77", "--reason", "r")
    assert code == 1 and "no strike" in err
