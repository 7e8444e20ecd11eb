"""CyberTipline routes and commands: who may do what, and the flow through the API and CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from rempart.cli.main import app
from rempart.config import get_settings
from rempart.context import Rempart
from tests.compliance.test_ncmec_flow import CSAM_TYPE, make_facts
from tests.standins import ncmec_server
from tests.standins.ncmec_server import NcmecStandIn


@pytest.fixture
def standin(monkeypatch: pytest.MonkeyPatch) -> Iterator[NcmecStandIn]:
    """The stand-in, configured through the environment as in production."""
    with ncmec_server.serve() as state:
        monkeypatch.setenv("REMPART_NCMEC_BASE_URL", state.base_url)
        monkeypatch.setenv("REMPART_NCMEC_USERNAME", ncmec_server.USER)
        monkeypatch.setenv("REMPART_NCMEC_PASSWORD", ncmec_server.PASSWORD)
        monkeypatch.setenv("REMPART_NCMEC_REPORTER_EMAIL", "safety@example.org")
        yield state


def h(keys: dict[str, str], role: str) -> dict[str, str]:
    """The API-key header of a role."""
    return {"X-API-Key": keys[role]}


def test_api_flow_and_roles(
    rempart: Rempart, app_client: TestClient, keys: dict[str, str], standin: NcmecStandIn
) -> None:
    facts = make_facts(rempart)
    body = {
        "account_ref": facts.account,
        "incident_type": CSAM_TYPE,
        "files": [{"vault_object_id": facts.objects[0], "industry_classification": "B1"}],
    }
    for role in ("admin", "legal", "auditor", "moderator"):
        assert (
            app_client.post("/v1/ncmec/reports", json=body, headers=h(keys, role)).status_code
            == 403
        )
    r = app_client.post("/v1/ncmec/reports", json=body, headers=h(keys, "child_safety"))
    assert r.status_code == 201, r.text
    report = r.json()
    assert report["status"] == "DRAFT" and len(report["files"]) == 2
    again = app_client.post("/v1/ncmec/reports", json=body, headers=h(keys, "child_safety"))
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")
    bad = app_client.post(
        "/v1/ncmec/reports",
        json={**body, "incident_type": "Other"},
        headers=h(keys, "child_safety"),
    )
    assert bad.status_code == 422

    url = f"/v1/ncmec/reports/{report['id']}"
    assert app_client.post(url + "/send", headers=h(keys, "admin")).status_code == 403
    sent = app_client.post(url + "/send", headers=h(keys, "child_safety"))
    assert sent.status_code == 200, sent.text
    assert sent.json()["status"] == "FINISHED"
    assert sent.json()["ncmec_report_id"] in standin.reports

    for role in ("child_safety", "legal", "auditor"):
        got = app_client.get(url, headers=h(keys, role))
        assert got.status_code == 200 and got.json()["ncmec_report_id"]
        listed = app_client.get("/v1/ncmec/reports?status=FINISHED", headers=h(keys, role))
        assert [x["id"] for x in listed.json()] == [report["id"]]
    assert app_client.get(url, headers=h(keys, "admin")).status_code == 403
    assert app_client.get("/v1/ncmec/reports/999", headers=h(keys, "legal")).status_code == 404
    retract = app_client.post(url + "/retract", headers=h(keys, "child_safety"))
    assert retract.status_code == 409  # finished reports cannot be retracted


def test_send_refused_by_ncmec_is_a_problem_detail(
    rempart: Rempart, app_client: TestClient, keys: dict[str, str], standin: NcmecStandIn
) -> None:
    facts = make_facts(rempart, files=1)
    r = app_client.post(
        "/v1/ncmec/reports",
        json={"account_ref": facts.account, "incident_type": CSAM_TYPE},
        headers=h(keys, "child_safety"),
    )
    standin.fail_next("/submit", 4100)
    sent = app_client.post(
        f"/v1/ncmec/reports/{r.json()['id']}/send", headers=h(keys, "child_safety")
    )
    assert sent.status_code == 502
    assert sent.headers["content-type"].startswith("application/problem+json")
    assert "4100" in sent.json()["detail"]
    got = app_client.get(f"/v1/ncmec/reports/{r.json()['id']}", headers=h(keys, "auditor"))
    assert got.json()["status"] == "FAILED" and got.json()["last_response_code"] == 4100


@pytest.fixture
def home(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The CLI's environment, over the same database and home as ``rempart``."""
    monkeypatch.setenv("REMPART_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("REMPART_DATABASE_URL", db_url)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_cli_draft_send_status_pending(rempart: Rempart, home: Path, standin: NcmecStandIn) -> None:
    facts = make_facts(rempart, files=1)
    runner = CliRunner()
    spec = home / "files.json"
    spec.write_text(json.dumps([{"vault_object_id": facts.objects[0], "annotations": ["viral"]}]))
    r = runner.invoke(
        app,
        ["ncmec", "draft", facts.account, "--incident-type", CSAM_TYPE, "--by", "cs",
         "--files", str(spec)],
    )  # fmt: skip
    assert r.exit_code == 0, r.stderr
    report_id = json.loads(r.stdout)["id"]
    r = runner.invoke(app, ["ncmec", "pending"])
    assert r.exit_code == 2 and str(report_id) in r.stdout
    r = runner.invoke(app, ["ncmec", "send", str(report_id), "--by", "cs"])
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["status"] == "FINISHED"
    r = runner.invoke(app, ["ncmec", "status", str(report_id)])
    assert json.loads(r.stdout)["ncmec_report_id"] in standin.reports
    assert runner.invoke(app, ["ncmec", "pending"]).exit_code == 0
    r = runner.invoke(app, ["ncmec", "retract", "999", "--by", "cs"])
    assert r.exit_code == 1 and "no NCMEC report 999" in r.stderr
