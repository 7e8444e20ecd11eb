"""``rempart policy`` commands, run through Typer against a real database."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rempart.cli.main import app
from rempart.config import get_settings
from tests.policy.util import CSAM_NCMEC, act, policy_text, review, rule

runner = CliRunner()


@pytest.fixture
def home(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("REMPART_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("REMPART_DATABASE_URL", db_url)
    monkeypatch.setenv("REMPART_LOG_JSON", "false")
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    r = runner.invoke(app, list(args), input=stdin)
    return r.exit_code, r.stdout, " ".join(r.stderr.split())  # messages unwrapped


def test_check_validates_without_a_database(tmp_path: Path) -> None:
    good = tmp_path / "p.yaml"
    good.write_text(
        policy_text(
            rule("r", {"match": {}}, review()), rule("s", {"notice": {}}, "allow", mode="shadow")
        )
    )
    code, out, _ = run("policy", "check", str(good))
    assert code == 0 and "ok: policy test version 1: 2 rules (1 shadow), 3 queues" in out
    bad = tmp_path / "bad.yaml"
    bad.write_text(policy_text(rule("r", {"match": {"source": "fbi"}}, review("nope"))))
    code, out, err = run("policy", "check", str(bad))
    assert code == 1
    assert "rule 'r' (rules[0]): when.match.source: unknown bank source ['fbi']" in err
    code, _, err = run("policy", "check", str(tmp_path / "missing.yaml"))
    assert code == 1 and "cannot read" in err
    toml = tmp_path / "p.toml"
    toml.write_text("name = ")
    code, _, err = run("policy", "check", str(toml))
    assert code == 1 and "not valid TOML" in err


def test_load_list_show_activate(home: Path) -> None:
    v1 = home / "v1.yaml"
    v1.write_text(policy_text(rule("look", {"match": {}}, review()), name="site", version=1))
    code, out, err = run("policy", "load", str(v1))
    assert code == 0, err
    assert "loaded policy site version 1 (active)" in out
    code, out, _ = run("policy", "load", str(v1))
    assert code == 0 and "already loaded: policy site version 1" in out
    v2 = home / "v2.yaml"
    v2.write_text(policy_text(rule("remove", {"match": {}}, act()), name="site", version=2))
    code, out, _ = run("policy", "load", str(v2), "--no-activate", "--by", "carol")
    assert code == 0 and "(active)" not in out
    changed = home / "changed.yaml"
    changed.write_text(policy_text(rule("x", {"match": {}}, review()), name="site", version=2))
    code, _, err = run("policy", "load", str(changed))
    assert code == 1 and "already loaded with different content" in err
    bad = home / "bad.yaml"
    bad.write_text("name: site\nversion: 3\nrules: []\n")
    code, _, err = run("policy", "load", str(bad))
    assert code == 1 and "rules: List should have at least 1 item" in err
    code, out, _ = run("policy", "list", "--json")
    rows = [r for r in json.loads(out) if r["name"] == "site"]
    assert [(r["version"], r["active"], r["loaded_by"]) for r in rows] == [
        (1, True, "cli"),
        (2, False, "carol"),
    ]
    code, out, _ = run("policy", "list")
    assert code == 0 and "site" in out
    code, out, err = run("policy", "show", "site", "--version", "2")
    assert code == 0 and out == v2.read_text() and "version 2" in err
    code, out, _ = run("policy", "activate", "site", "2")
    assert code == 0 and "active: policy site version 2" in out
    code, out, _ = run("policy", "show", "site")
    assert out == v2.read_text()
    code, _, err = run("policy", "show", "nothing")
    assert code == 1 and "no policy named 'nothing'" in err


def test_evaluate_and_replay(home: Path) -> None:
    facts = home / "facts.json"
    facts.write_text(json.dumps({"matches": [CSAM_NCMEC]}))
    code, out, err = run("policy", "evaluate", str(facts), "--json")
    assert code == 0, err
    verdict = json.loads(out)
    assert verdict["outcome"] == "act" and verdict["deciding_rule"] == "csam-verified-match"
    code, out, _ = run("policy", "evaluate", str(facts))
    assert code == 0
    for text in ("act by rule csam-verified-match", "child_safety, closable by person", "ncmec"):
        assert text in out
    code, out, err = run(
        "policy", "evaluate", "-", "--record", "--subject-ref", "item-9", stdin=facts.read_text()
    )
    assert code == 0 and "recorded as evaluation" in err
    evaluation_id = err.split("recorded as evaluation")[1].split()[0]
    code, out, _ = run("policy", "replay", evaluation_id)
    assert code == 0 and "agrees with the record" in out
    code, out, _ = run("policy", "replay", evaluation_id, "--json")
    assert json.loads(out)["agrees"] is True
    code, _, err = run("policy", "replay", "99999")
    assert code == 1 and "no policy evaluation with id 99999" in err


def test_evaluate_bad_facts(home: Path) -> None:
    bad = home / "bad.json"
    bad.write_text("{not json")
    code, _, err = run("policy", "evaluate", str(bad))
    assert code == 1 and "is not JSON" in err
    bad.write_text(json.dumps({"matches": [{"bank": "X"}]}))
    code, _, err = run("policy", "evaluate", str(bad))
    assert code == 1 and "matches.0.signal_type: Field required" in err
