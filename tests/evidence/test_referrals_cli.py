"""``rempart le``: bundles, referrals, DSAR and purge from the command line, and error exits."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from rempart.cli import lawenforcement
from rempart.config import get_settings
from rempart.context import Rempart
from tests.evidence.test_bundle import TOOL, vb
from tests.evidence.test_dsar import world
from tests.evidence.test_referrals import make_case, store

runner = CliRunner()
cli = typer.Typer()
cli.add_typer(lawenforcement.app, name="le")


@pytest.fixture
def home(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("REMPART_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("REMPART_DATABASE_URL", db_url)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def run(*args: str) -> tuple[int, str, str]:
    r = runner.invoke(cli, ["le", *args])
    return r.exit_code, r.stdout, r.stderr


def test_le_commands(home: Path) -> None:
    ctx = Rempart.open(load_index=False)
    try:
        case_id = make_case(ctx, states=["FR"])
        store(ctx, case_id, b"threat")
        world(ctx, "user-5")
        pem = ctx.ledger.public_key_pem()
    finally:
        ctx.close()
    out = home / "b.zip"
    code, stdout, _ = run("bundle", "--case", str(case_id), "-o", str(out))
    assert code == 0 and "1 objects" in stdout
    assert vb.verify(out.read_bytes(), pem)["case_id"] == case_id
    sent = home / "referral.zip"
    code, stdout, _ = run("refer", str(case_id), "-o", str(sent), "--json")
    assert code == 0, stdout
    (ref,) = json.loads(stdout)
    assert vb.verify(sent.read_bytes(), pem)["bundle_id"] == ref["bundle_id"]
    code, stdout, _ = run("referrals", "--pending")
    assert code == 0 and "PENDING" in stdout and "PHAROS" in stdout
    code, stdout, _ = run("sent", ref["referral_id"], "--channel", "portal")
    assert code == 0 and "via portal" in stdout
    code, stdout, _ = run("ack", ref["referral_id"], "PH-1")
    assert code == 0
    code, stdout, _ = run("dsar", "user-5")
    assert code == 0 and json.loads(stdout)["account"]["ref"] == "user-5"
    assert "marie@" not in stdout
    code, stdout, _ = run("purge")
    assert code == 0 and "blanked 0 notices" in stdout
    assert TOOL.exists()


def test_errors_exit_non_zero(home: Path) -> None:
    code, _, err = run("bundle", "--case", "99", "-o", str(home / "x.zip"))
    assert code == 1 and "no case 99" in err
    code, _, err = run("dsar", "nobody")
    assert code == 1 and "no account" in err
    code, _, err = run("sent", "nope", "--channel", "x")
    assert code == 1 and "no referral" in err
    code, _, err = run("bundle", "--case", "1", "-o", "x", "--role", "admin")
    assert code == 1 and "--role" in err
