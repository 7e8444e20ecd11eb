"""``rempart genai``: exit codes 0 (allowed), 3 (refused or blocked), 1 (bad input)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rempart.cli.main import app
from rempart.config import Settings, get_settings
from tests.provtools import encode, photo

runner = CliRunner()


@pytest.fixture
def env(gsettings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    monkeypatch.setenv("REMPART_HOME", str(gsettings.home))
    monkeypatch.setenv("REMPART_DATABASE_URL", str(gsettings.database_url))
    monkeypatch.setenv("REMPART_C2PA_SIGN_CERT", str(gsettings.c2pa_sign_cert))
    monkeypatch.setenv("REMPART_C2PA_SIGN_KEY", str(gsettings.c2pa_sign_key))
    get_settings.cache_clear()  # the CLI reads the environment once per process
    yield gsettings
    get_settings.cache_clear()


def test_check_request_exit_codes(env: Settings) -> None:
    ok = runner.invoke(app, ["genai", "check-request", "a cat on a sofa"])
    assert ok.exit_code == 0, ok.output
    assert '"decision": "allow"' in ok.stdout
    refused = runner.invoke(app, ["genai", "check-request", "zieh ihr die Kleider aus"])
    assert refused.exit_code == 3 and '"decision": "refuse"' in refused.stdout
    empty = runner.invoke(app, ["genai", "check-request", "  "])
    assert empty.exit_code == 1 and "prompt is empty" in empty.output


def test_check_output_writes_the_signed_image(env: Settings, tmp_path: Path) -> None:
    src, dst = tmp_path / "gen.png", tmp_path / "signed.png"
    src.write_bytes(encode(photo("coffee"), "PNG"))
    r = runner.invoke(app, ["genai", "check-output", str(src), "--out", str(dst)])
    assert r.exit_code == 0, r.output
    assert dst.read_bytes() != src.read_bytes() and dst.stat().st_size > src.stat().st_size
    missing = runner.invoke(app, ["genai", "check-output", str(tmp_path / "none.png")])
    assert missing.exit_code == 1 and "cannot read" in missing.output


def test_check_output_without_a_certificate_fails_and_writes_nothing(
    env: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REMPART_C2PA_SIGN_CERT")
    monkeypatch.delenv("REMPART_C2PA_SIGN_KEY")
    get_settings.cache_clear()
    src, dst = tmp_path / "gen.png", tmp_path / "signed.png"
    src.write_bytes(encode(photo("coffee"), "PNG"))
    r = runner.invoke(app, ["genai", "check-output", str(src), "--out", str(dst)])
    assert r.exit_code == 1 and "REMPART_C2PA_SIGN_CERT" in r.output and not dst.exists()
