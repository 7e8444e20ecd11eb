"""``rempart queue``: list, jobs, claim, note, escalate, stats, and clear errors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rempart.cli.main import app
from rempart.config import Settings, get_settings
from rempart.context import Rempart
from tests.moderation.test_queues import make_case

runner = CliRunner()


@pytest.fixture
def home(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, int]]:
    """Environment pointing the CLI at a database with two queues and two jobs."""
    monkeypatch.setenv("REMPART_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("REMPART_DATABASE_URL", db_url)
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    ctx = Rempart.open(Settings(home=tmp_path / "home", database_url=db_url), load_index=False)
    try:
        ctx.queues.ensure_queue("general", description="everything else")
        ctx.queues.ensure_queue("child_safety", restricted_role="child_safety")
        general, child = make_case(ctx), make_case(ctx, "child_safety")
        with ctx.db.session() as s:
            jobs = {
                "general": ctx.queues.enqueue(
                    s, case_id=general, queue="general", rank=3, reason="flagged"
                ),
                "child": ctx.queues.enqueue(s, case_id=child, queue="child_safety", rank=0),
            }
    finally:
        ctx.close()
    yield jobs
    get_settings.cache_clear()


def run(*args: str) -> tuple[int, str, str]:
    r = runner.invoke(app, list(args))
    return r.exit_code, r.stdout, r.stderr


def test_queue_commands(home: dict[str, int]) -> None:
    code, out, err = run("queue", "list")
    assert code == 0, err
    assert "general" in out and "child_safety" not in out  # hidden from the default admin
    code, out, _ = run("queue", "list", "--role", "child_safety")
    assert code == 0 and "child_safety" in out
    code, out, err = run("queue", "jobs", "general")
    assert code == 0, err
    assert "trusted" in out and "flagged" in out  # rank name (narrow tables abbreviate it)
    code, _, err = run("queue", "jobs", "child_safety")
    assert code == 1 and "no review queue named 'child_safety'" in err
    code, out, err = run("queue", "claim", "general", "--as", "ann")
    assert code == 0, err
    assert f"claimed job {home['general']}" in out and "lease token 1" in out
    code, out, _ = run("queue", "claim", "general", "--as", "bob")
    assert code == 1 and "no job is free" in out
    code, out, err = run("queue", "note", str(home["general"]), "looks fine", "--as", "ann")
    assert code == 0 and "note 1 added" in out, err
    code, out, err = run(
        "queue", "escalate", str(home["general"]), "--reason", "second opinion", "--as", "sue"
    )
    assert code == 0 and "escalated to escalations" in out, err
    code, out, err = run("queue", "stats")
    assert code == 0, err
    lines = {line.split()[1]: line for line in out.splitlines() if line.count("│") > 3}
    assert lines["escalations"].split("│")[2].strip() == "1"
    assert lines["child_safety"].split("│")[2].strip() == "1"
    code, out, err = run("queue", "claim", "child_safety", "--as", "cs", "--role", "child_safety")
    assert code == 0 and f"claimed job {home['child']}" in out, err


def test_queue_errors_are_messages(home: dict[str, int]) -> None:
    code, _, err = run("queue", "jobs", "nope")
    assert code == 1 and "no review queue named 'nope'" in err
    code, _, err = run("queue", "claim", "general", "--as", "ann", "--lease-s", "1")
    assert code == 1 and "lease_s must be between" in err
    code, _, err = run("queue", "note", "999999", "x")
    assert code == 1 and "no review job with id 999999" in err
    code, _, err = run("queue", "escalate", str(home["child"]), "--reason", "x")
    assert code == 1 and f"no review job with id {home['child']}" in err
