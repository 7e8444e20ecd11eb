"""The command line: banks, import/export, hashing, scanning with JSON output, keys, errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import ImageOps
from typer.testing import CliRunner

from rempart.cli.main import app
from rempart.config import get_settings
from tests.conftest import encode, photo

runner = CliRunner()


@pytest.fixture
def home(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("REMPART_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("REMPART_DATABASE_URL", db_url)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def run(*args: str) -> tuple[int, str, str]:
    r = runner.invoke(app, list(args))
    return r.exit_code, r.stdout, r.stderr


def test_bank_import_scan_flow(home: Path) -> None:
    img = photo(8)
    known = home / "known.jpg"
    known.write_bytes(encode(img))
    folder = home / "uploads" / "nested"
    folder.mkdir(parents=True)
    (folder / "copy.jpg").write_bytes(encode(ImageOps.mirror(img), quality=50))
    (folder / "other.png").write_bytes(encode(photo(77), "PNG"))
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff garbage")
    w, h = img.size  # a quarter cropped away: matches only through the banked crops
    (folder / "cropped.jpg").write_bytes(encode(img.crop((w // 8, h // 8, w - w // 8, h - h // 8))))
    code, out, err = run(
        "bank",
        "create",
        "KNOWN",
        "--source",
        "iwf",
        "--category",
        "STATEMENT_CATEGORY_PROTECTION_OF_MINORS",
    )
    assert code == 0, err
    code, out, err = run("bank", "add", "KNOWN", str(known), "--note", "seed")
    assert code == 0, err
    code, out, err = run("scan", str(home / "uploads"), "--json")
    assert code == 2  # one file could not be decoded; the others were scanned
    rows = {Path(r["path"]).name: r for r in map(json.loads, out.splitlines())}
    assert rows["copy.jpg"]["matched"] is True
    assert rows["copy.jpg"]["matches"][0]["bank"] == "KNOWN"
    assert rows["cropped.jpg"]["matched"] is True
    assert rows["other.png"]["matched"] is False
    assert "error" in rows["broken.jpg"]
    code, out, _ = run("hash", str(known))
    pdq = json.loads(out)["signals"]["pdq"]
    assert run("match", "pdq", pdq)[0] == 0
    assert run("match", "pdq", "0" * 64)[0] == 1
    assert run("match", "pdq", "zz")[0] == 1


def test_import_export_and_errors(home: Path) -> None:
    assert run("bank", "create", "LIST")[0] == 0
    src = home / "list.txt"
    src.write_text("pdq " + "ab" * 32 + "\nmd5 d41d8cd98f00b204e9800998ecf8427e\n")
    code, out, err = run("bank", "import", "LIST", str(src), "--format", "te")
    assert code == 0 and "imported 2" in out, err
    dst = home / "out.csv"
    assert run("bank", "export", "LIST", "--format", "csv", "-o", str(dst))[0] == 0
    assert "ab" * 32 in dst.read_text()
    bad = home / "bad.txt"
    bad.write_text("pdq nothex\n")
    code, _, err = run("bank", "import", "LIST", str(bad), "--format", "te")
    assert code == 1 and "line 1" in err
    assert run("bank", "create", "lower")[0] == 1
    assert run("bank", "create", "LIST")[0] == 1  # duplicate
    code, _, err = run("bank", "show", "NOPE")
    assert code == 1 and "no bank named NOPE" in err
    assert run("scan", str(home / "missing"))[0] == 1


def test_apikey_commands(home: Path) -> None:
    code, out, err = run("apikey", "create", "ops", "--role", "curator")
    assert code == 0, err
    secret = out.strip().splitlines()[-1]
    assert secret.startswith("rmp_")
    code, out, _ = run("apikey", "list")
    assert "curator" in out and secret not in out
    assert run("apikey", "revoke", "1")[0] == 0
    assert run("apikey", "create", "x", "--role", "root")[0] == 1
