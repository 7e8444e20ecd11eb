"""The API route (a zip of the 11 parts) and the ``rempart report transparency`` command."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from rempart.cli.main import app
from rempart.compliance.transparency.templates import PARTS
from rempart.config import get_settings
from rempart.context import Rempart
from rempart.moderation.schemas import NoticeIn, NoticeItemIn

URL = "/v1/reports/transparency"


def submit_notices(ctx: Rempart, n: int) -> None:
    ctx.prepare_moderation()
    for i in range(n):
        ctx.notices.submit(
            NoticeIn(
                explanation="copyright",
                items=[NoticeItemIn(ref=f"item-{i}"), NoticeItemIn(ref=f"item-{i}-b")],
                category="STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS",
                specifications=["KEYWORD_COPYRIGHT_INFRINGEMENT"],
                notifier_name="Rights Holder",
                notifier_email="rights@example.org",
                bona_fide=True,
            )
        )


def period() -> tuple[str, str]:
    today = datetime.now(UTC).date()
    return (today - timedelta(days=1)).isoformat(), (today + timedelta(days=1)).isoformat()


def unzip(body: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(body)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def total_row(raw: bytes) -> list[str]:
    return list(csv.reader(io.StringIO(raw.decode("utf-8"), newline="")))[1]


@pytest.mark.parametrize("role", ["legal", "auditor"])
def test_api_returns_the_eleven_parts_as_a_zip(
    app_client: TestClient, keys: dict[str, str], rempart: Rempart, role: str
) -> None:
    submit_notices(rempart, 3)
    start, end = period()
    r = app_client.get(URL, params={"from": start, "to": end}, headers={"X-API-Key": keys[role]})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/zip"
    assert f"transparency-report_{start}_{end}.zip" in r.headers["content-disposition"]
    files = unzip(r.content)
    assert list(files) == [f"{p}.csv" for p in PARTS]
    notices = total_row(files["part_4_notices.csv"])
    assert notices[3] == "TOTAL" and notices[5:8] == ["3", "0", "6"]
    assert all(raw.endswith(b"\r\n") for raw in files.values())
    # an earlier period has none of them
    r = app_client.get(
        URL, params={"from": "2020-01-01", "to": "2020-12-31"}, headers={"X-API-Key": keys[role]}
    )
    assert total_row(unzip(r.content)["part_4_notices.csv"])[5] == "0"


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({}, "from"),
        ({"from": "2026-01-01"}, "to"),
        ({"from": "2026-13-01", "to": "2026-12-31"}, "from"),
        ({"from": "yesterday", "to": "2026-12-31"}, "from"),
        ({"from": "2026-07-01", "to": "2026-06-30"}, "after"),
    ],
)
def test_api_refuses_bad_dates(
    app_client: TestClient, keys: dict[str, str], params: dict[str, str], needle: str
) -> None:
    r = app_client.get(URL, params=params, headers={"X-API-Key": keys["legal"]})
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert needle in r.json()["detail"]


def test_api_reads_the_profile_under_home(
    app_client: TestClient, keys: dict[str, str], rempart: Rempart
) -> None:
    home = rempart.settings.home
    (home / "transparency-profile.yaml").write_text(
        "provider_type: vlop\namar:\n  total: 46000000\n  member_states: {DE: 9000000}\n"
    )
    start, end = period()
    r = app_client.get(URL, params={"from": start, "to": end}, headers={"X-API-Key": keys["legal"]})
    amar = unzip(r.content)["part_10_AMAR.csv"].decode().split("\r\n")
    assert amar[1].endswith(",TOTAL,46000000") and any(x.endswith(",DE,9000000") for x in amar)
    (home / "transparency-profile.yaml").write_text("provider_type: giant\n")
    r = app_client.get(URL, params={"from": start, "to": end}, headers={"X-API-Key": keys["legal"]})
    assert r.status_code == 422
    assert "provider_type" in r.json()["detail"]


# --- CLI ------------------------------------------------------------------------------------

runner = CliRunner()


@pytest.fixture
def home(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("REMPART_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("REMPART_DATABASE_URL", db_url)
    monkeypatch.setenv("COLUMNS", "120")
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_cli_writes_the_files_and_a_summary(home: Path) -> None:
    ctx = Rempart.open(get_settings(), load_index=False)
    try:
        submit_notices(ctx, 2)
    finally:
        ctx.close()
    start, end = period()
    out = home / "report"
    profile = home / "profile.json"
    profile.write_text('{"provider_type": "hosting", "qualitative": {"governance": "x"}}')
    args = ["--from", start, "--to", end, "--out", str(out), "--profile", str(profile)]
    r = runner.invoke(app, ["report", "transparency", *args])
    assert r.exit_code == 0, r.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{p}.csv" for p in PARTS)
    notices = total_row((out / "part_4_notices.csv").read_bytes())
    assert notices[5:9] == ["2", "", "4", ""]  # hosting: no trusted-flagger columns
    for part in PARTS:
        assert f"{part}.csv" in r.stdout
    assert "figures filled" in r.stdout
    row = next(line for line in r.stdout.splitlines() if "part_4_notices.csv" in line)
    assert "91" in row.split()  # rows written


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2026-02-30", "--to", "2026-03-01"], "--from takes a date"),
        (["--from", "2026-03-02", "--to", "2026-03-01"], "is after --to"),
        (
            ["--from", "2026-01-01", "--to", "2026-03-01", "--profile", "/nonexistent.yaml"],
            "cannot read",
        ),
    ],
)
def test_cli_errors(home: Path, args: list[str], message: str) -> None:
    r = runner.invoke(app, ["report", "transparency", *args, "--out", str(home / "o")])
    assert r.exit_code == 1
    assert message in r.stderr
