"""``/v1/tdb`` routes and ``rempart tdb`` commands, over the full app and the stand-in TDB."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from rempart.api.app import create_app
from rempart.cli.main import app as cli
from rempart.config import Settings, get_settings
from rempart.context import Rempart
from tests.compliance.test_tdb_service import make_decisions, statement
from tests.standins.tdb_server import TdbStandIn, doc_example, serve

TOKEN = "sandbox-token"


@pytest.fixture(scope="module")
def server() -> Iterator[TdbStandIn]:
    with serve() as state:
        yield state


@pytest.fixture
def tdb(server: TdbStandIn) -> TdbStandIn:
    server.reset()
    return server


@pytest.fixture
def settings(db_url: str, tmp_path: Path, tdb: TdbStandIn) -> Settings:
    """The conftest settings, pointed at the stand-in TDB."""
    return Settings(
        home=tmp_path / "home", database_url=db_url, tdb_url=tdb.base_url, tdb_token=TOKEN
    )


def auth(keys: dict[str, str], role: str) -> dict[str, str]:
    return {"X-API-Key": keys[role]}


def test_validate(app_client: TestClient, keys: dict[str, str]) -> None:
    for role in ("moderator", "senior_moderator", "legal"):
        r = app_client.post("/v1/tdb/validate", json=doc_example(), headers=auth(keys, role))
        assert r.status_code == 200, r.text
        assert r.json() == {"valid": True, "errors": {}, "schema_version": "2025-07-01"}
    bad = {**doc_example(), "territorial_scope": ["EL"], "puid": "a b"}
    r = app_client.post("/v1/tdb/validate", json=bad, headers=auth(keys, "moderator"))
    assert r.status_code == 200
    body = r.json()
    assert body["valid"] is False and set(body["errors"]) == {"territorial_scope", "puid"}
    r = app_client.post("/v1/tdb/validate", json=[1], headers=auth(keys, "moderator"))
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert (
        app_client.post(
            "/v1/tdb/validate", json=doc_example(), headers=auth(keys, "auditor")
        ).status_code
        == 403
    )


def test_list_and_submit(
    app_client: TestClient, keys: dict[str, str], rempart: Rempart, tdb: TdbStandIn
) -> None:
    ids = make_decisions(rempart.db, 3)
    rempart.tdb.enqueue(ids[0], statement())
    rempart.tdb.enqueue(ids[1], statement())
    rejected = rempart.tdb.enqueue(ids[2], statement(content_date="2023-02-30"))

    r = app_client.get("/v1/tdb/submissions", headers=auth(keys, "auditor"))
    assert r.status_code == 200 and len(r.json()) == 3
    r = app_client.get(
        "/v1/tdb/submissions", params={"status": "rejected"}, headers=auth(keys, "legal")
    )
    assert [s["puid"] for s in r.json()] == [rejected.puid]
    assert r.json()[0]["field_errors"] == {
        "content_date": ["The content date does not match the format YYYY-MM-DD."]
    }
    r = app_client.get(
        "/v1/tdb/submissions", params={"decision_id": ids[0]}, headers=auth(keys, "legal")
    )
    assert [s["decision_id"] for s in r.json()] == [ids[0]]
    r = app_client.get(
        "/v1/tdb/submissions", params={"status": "lost"}, headers=auth(keys, "legal")
    )
    assert r.status_code == 422 and "lost" in r.json()["detail"]

    r = app_client.post("/v1/tdb/submit", headers=auth(keys, "legal"))
    assert r.status_code == 200, r.text
    assert r.json()["sent"] == 2 and r.json()["rejected"] == 0
    assert len(tdb.stored()) == 2
    r = app_client.get(
        "/v1/tdb/submissions", params={"status": "sent"}, headers=auth(keys, "auditor")
    )
    assert all(s["tdb_uuid"] and s["permalink"] for s in r.json())
    assert app_client.post("/v1/tdb/submit", headers=auth(keys, "auditor")).status_code == 403


def test_submit_without_configuration_is_a_conflict(tmp_path: Path, db_url: str) -> None:
    ctx = Rempart.open(Settings(home=tmp_path / "bare", database_url=db_url), load_index=False)
    try:
        _, secret = ctx.keys.create("legal", ["legal"])
        with TestClient(create_app(ctx, sync_interval_s=0.1)) as client:
            r = client.post("/v1/tdb/submit", headers={"X-API-Key": secret})
        assert r.status_code == 409
        assert r.json()["code"] == "tdb_not_configured"
        assert "REMPART_TDB_TOKEN" in r.json()["detail"]
    finally:
        ctx.close()


def test_a_refused_token_is_a_bad_gateway(tmp_path: Path, db_url: str, tdb: TdbStandIn) -> None:
    settings = Settings(
        home=tmp_path / "h", database_url=db_url, tdb_url=tdb.base_url, tdb_token="revoked"
    )
    ctx = Rempart.open(settings, load_index=False)
    try:
        _, secret = ctx.keys.create("legal", ["legal"])
        (decision_id,) = make_decisions(ctx.db, 1)
        ctx.tdb.enqueue(decision_id, statement())
        with TestClient(create_app(ctx, sync_interval_s=0.1)) as client:
            r = client.post("/v1/tdb/submit", headers={"X-API-Key": secret})
        assert r.status_code == 502 and r.json()["code"] == "tdb_unauthorized"
    finally:
        ctx.close()


# --- the command line ------------------------------------------------------------------------

runner = CliRunner()


@pytest.fixture
def home(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tdb: TdbStandIn
) -> Iterator[Path]:
    monkeypatch.setenv("REMPART_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("REMPART_DATABASE_URL", db_url)
    monkeypatch.setenv("REMPART_TDB_URL", tdb.base_url)
    monkeypatch.setenv("REMPART_TDB_TOKEN", TOKEN)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def run(*args: str) -> tuple[int, str, str]:
    r = runner.invoke(cli, list(args))
    return r.exit_code, r.stdout, r.stderr


def test_cli_validate(home: Path) -> None:
    good = home / "good.json"
    good.write_text(json.dumps(doc_example()))
    code, out, _ = run("tdb", "validate", str(good))
    assert code == 0 and "valid: 1 statement(s)" in out

    bad = home / "bad.json"
    bad.write_text(json.dumps({**doc_example(), "category": "NOPE"}))
    code, _, err = run("tdb", "validate", str(bad))
    assert code == 1
    assert "statement.category: The selected category is invalid." in err

    batch = home / "batch.json"
    items = [doc_example(), {**doc_example(), "puid": "other", "decision_facts": ""}]
    batch.write_text(json.dumps({"statements": items}))
    code, _, err = run("tdb", "validate", str(batch))
    assert code == 1 and "statement_1.decision_facts: The decision facts field is required." in err
    batch.write_text(json.dumps(items[:1]))
    assert run("tdb", "validate", str(batch))[0] == 0

    broken = home / "broken.json"
    broken.write_text("{not json")
    code, _, err = run("tdb", "validate", str(broken))
    assert code == 1 and "error" in err
    assert run("tdb", "validate", str(home / "missing.json"))[0] == 1


def test_cli_submit_and_status(home: Path, tdb: TdbStandIn) -> None:
    ctx = Rempart.open(get_settings(), load_index=False)
    try:
        ids = make_decisions(ctx.db, 3)
        rows = [ctx.tdb.enqueue(i, statement()) for i in ids[:2]]
        ctx.tdb.enqueue(ids[2], statement(category="NOPE"))
    finally:
        ctx.close()
    code, out, err = run("tdb", "submit")
    assert code == 0, err
    assert "sent 2" in out and "rejected 0" in out
    assert set(tdb.stored()) == {r.puid for r in rows}
    code, out, err = run("tdb", "status")
    assert code == 0, err
    assert "pending=0" in out and "sent=2" in out and "rejected=1" in out
    code, out, _ = run("tdb", "status", "--status", "lost")
    assert code == 1


def test_cli_submit_reports_an_outage(home: Path, tdb: TdbStandIn) -> None:
    ctx = Rempart.open(get_settings(), load_index=False)
    try:
        (decision_id,) = make_decisions(ctx.db, 1)
        ctx.tdb.enqueue(decision_id, statement())
    finally:
        ctx.close()
    tdb.fail_next(429, retry_after=3600)  # longer than a run waits: left to the queue
    code, out, err = run("tdb", "submit")
    assert code == 2 and "deferred 1" in out and "429" in err


def test_cli_submit_without_configuration(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REMPART_TDB_URL")
    get_settings.cache_clear()
    code, _, err = run("tdb", "submit")
    assert code == 1 and "REMPART_TDB_URL" in err
