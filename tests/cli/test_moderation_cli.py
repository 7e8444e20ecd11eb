"""``rempart mod``: the notice-to-appeal flow from the command line, and its error exits."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from rempart.cli.main import app
from rempart.compliance.tdb.rules import validate_statement
from rempart.config import get_settings

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


def write(home: Path, name: str, data: Any) -> str:
    path = home / name
    path.write_text(json.dumps(data))
    return str(path)


def test_notice_decision_statement_appeal_from_the_command_line(home: Path) -> None:
    item = {"ref": "post-1", "account": {"ref": "u1"}, "content_types": ["CONTENT_TYPE_TEXT"]}
    code, out, err = run("mod", "item", write(home, "item.json", item))
    assert code == 0, err
    notice = {
        "explanation": "Defamation of a named person.",
        "items": [{"ref": "post-1"}],
        "category": "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
        "notifier_name": "Ana",
        "notifier_email": "ana@example.org",
        "bona_fide": True,
    }
    code, out, err = run("mod", "notice", write(home, "notice.json", notice))
    assert code == 0 and '"receipt_sent"' in out, err
    code, out, err = run("queue", "claim", "notices", "--as", "mia", "--role", "moderator")
    assert code == 0, err
    job, token = re.search(r"claimed job (\d+).*lease token (\d+)", out.replace("\n", " ")).groups()  # type: ignore[union-attr]
    decision = {
        "decision_visibility": ["DECISION_VISIBILITY_CONTENT_REMOVED"],
        "decision_ground": "DECISION_GROUND_ILLEGAL_CONTENT",
        "illegal_content_legal_ground": "Loi du 29 juillet 1881, art. 29",
        "illegal_content_explanation": "Unfounded accusation of a crime.",
        "decision_facts": "Notice reviewed by a moderator.",
    }
    args = ["mod", "decide", job, write(home, "d.json", decision), "--lease-token", token]
    code, out, err = run(*args, "--as", "mia", "--role", "moderator")
    assert code == 0, err
    decision_id = str(json.loads(out)["id"])
    code, out, err = run("mod", "sor", decision_id)
    assert code == 0, err
    assert validate_statement(json.loads(out)) == {}
    appeal = {"complainant_role": "affected", "complainant_ref": "u1", "text": "It is true."}
    code, out, err = run("mod", "appeal", decision_id, write(home, "a.json", appeal))
    assert code == 0, err
    appeal_id = str(json.loads(out)["id"])
    verdict = write(home, "v.json", {"outcome": "upheld", "reasoned_text": "Still defamatory."})
    code, out, err = run(
        "mod", "appeal-decide", appeal_id, verdict, "--as", "mia", "--role", "senior_moderator"
    )
    assert code == 1 and "did not take the decision" in err  # Art. 20(6), enforced
    code, out, err = run(
        "mod", "appeal-decide", appeal_id, verdict, "--as", "sam", "--role", "senior_moderator"
    )
    assert code == 0 and json.loads(out)["outcome"] == "upheld", err


def test_bad_input_is_a_message_and_exit_1(home: Path) -> None:
    code, _, err = run("mod", "notice", write(home, "n.json", {"explanation": "x"}))
    assert code == 1 and "items" in err
    bad = home / "broken.json"
    bad.write_text("{not json")
    code, _, err = run("mod", "notice", str(bad))
    assert code == 1 and "error" in err
    code, _, err = run("mod", "decision", "999")
    assert code == 1 and "no decision 999" in err
    code, _, err = run(
        "mod", "decide", "1", str(bad), "--lease-token", "1", "--as", "x", "--role", "wizard"
    )
    assert code == 1


def test_rule_action_reviewed_and_case_closed_from_the_command_line(home: Path) -> None:
    from rempart.config import MediaLimits
    from rempart.signals.hashing import hash_photo
    from tests.conftest import encode, photo

    known = encode(photo(5), quality=95)
    pdq = hash_photo(known, MediaLimits(), fast=False).pdq
    assert pdq is not None
    csv_file = home / "ncii.csv"
    csv_file.write_text(f"signal_type,signal_value\npdq,{pdq.hex}\n")
    spec = "KEYWORD_NON_CONSENSUAL_IMAGE_SHARING"
    cat = "STATEMENT_CATEGORY_CYBER_VIOLENCE"
    code, _, err = run(
        "bank", "create", "NCII", "--source", "stopncii", "--category", cat, "--spec", spec
    )
    assert code == 0, err
    assert run("bank", "import", "NCII", str(csv_file), "--format", "csv")[0] == 0
    upload = home / "upload.jpg"
    upload.write_bytes(encode(photo(5), quality=70))
    run("mod", "item", write(home, "i.json", {"ref": "img-9", "account": {"ref": "u9"}}))
    code, out, err = run("mod", "ingest", "img-9", str(upload))
    assert code == 0, err
    result = json.loads(out)
    assert result["outcome"] == "act" and result["queues"], result
    code, out, err = run(
        "queue", "claim", result["queues"][0], "--as", "mia", "--role", "moderator"
    )
    assert code == 0, err
    job, token = re.search(r"claimed job (\d+).*lease token (\d+)", out.replace("\n", " ")).groups()  # type: ignore[union-attr]
    code, out, err = run(
        "mod",
        "review",
        job,
        "--lease-token",
        token,
        "--overturn",
        "--reason",
        "not NCII",
        "--as",
        "mia",
        "--role",
        "moderator",
    )
    assert code == 0, err
    assert json.loads(out)["reverses_id"] == result["decision_id"]
    code, out, err = run("mod", "case", str(result["case_id"]), "--role", "moderator")
    assert code == 0 and json.loads(out)["status"] == "closed", err
    code, _, err = run(
        "mod",
        "close",
        str(result["case_id"]),
        "--reason",
        "x",
        "--as",
        "mia",
        "--role",
        "moderator",
    )
    assert code == 1 and "already closed" in err
