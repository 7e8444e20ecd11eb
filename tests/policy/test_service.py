"""PolicyService on SQLite and PostgreSQL: versions, activation, recording and replay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from rempart.config import Settings
from rempart.context import Rempart
from rempart.errors import Conflict, Invalid, NotFound
from rempart.policy.loader import PolicyFileError
from rempart.policy.models import PolicyEvaluation
from rempart.policy.service import PolicyService
from rempart.store.db import Database
from tests.policy.util import act, facts, match, policy_text, review, rule

REVIEW_ALL = rule("look", {"match": {}}, review("general", 10))
ACT_ALL = rule("remove", {"match": {}}, act())
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def service(rempart: Rempart) -> PolicyService:
    return rempart.policies


def test_load_is_idempotent_and_versions_only_go_up(service: PolicyService) -> None:
    v1 = policy_text(REVIEW_ALL, name="p", version=1)
    first = service.load_text(v1, source="test", by="alice")
    assert first.created and first.active and (first.name, first.version) == ("p", 1)
    assert (first.rules, first.shadow_rules, first.loaded_by) == (1, 0, "alice")
    again = service.load_text(v1, source="elsewhere", by="bob")
    assert not again.created and again.id == first.id and again.sha256 == first.sha256
    crlf = service.load_text(v1.replace("\n", "\r\n"))
    assert crlf.id == first.id  # line endings are not a change
    changed = policy_text(ACT_ALL, name="p", version=1)
    with pytest.raises(Conflict, match=r"version 1 is already loaded with different content"):
        service.load_text(changed)
    v3 = service.load_text(policy_text(ACT_ALL, name="p", version=3))
    assert v3.created and v3.active
    with pytest.raises(Conflict, match=r"version 2 is below the latest loaded version 3"):
        service.load_text(policy_text(REVIEW_ALL, name="p", version=2))
    assert [(v.version, v.active) for v in service.versions("p")] == [(1, False), (3, True)]


def test_invalid_text_is_refused_before_storage(service: PolicyService) -> None:
    with pytest.raises(PolicyFileError, match="unknown queue"):
        service.load_text(policy_text(rule("r", {"match": {}}, review("nope")), name="bad"))
    assert service.versions("bad") == []


def test_activation_and_rollback_keep_old_versions_replayable(service: PolicyService) -> None:
    service.load_text(policy_text(REVIEW_ALL, name="p", version=1))
    f = facts(matches=[match()])
    old = service.evaluate(f, subject_type="item", subject_ref="i-1")
    assert old.verdict.outcome == "review" and old.verdict.policy_version == 1
    service.load_text(policy_text(ACT_ALL, name="p", version=2))
    new = service.evaluate(f, subject_type="item", subject_ref="i-1")
    assert new.verdict.outcome == "act" and new.verdict.policy_version == 2
    assert new.policy_version_id != old.policy_version_id
    replay = service.replay(old.evaluation_id)
    assert replay.agrees and replay.policy_version == 1 and replay.verdict.outcome == "review"
    service.activate("p", 1)
    assert service.active().version == 1
    assert service.evaluate(f, subject_type="item", subject_ref="i-2").verdict.outcome == "review"
    assert [v.active for v in service.versions("p")] == [True, False]
    with pytest.raises(NotFound):
        service.activate("p", 9)
    with pytest.raises(NotFound):
        service.get("p", 2**40)


def test_load_without_activation(service: PolicyService) -> None:
    service.load_text(policy_text(REVIEW_ALL, name="p", version=1))
    staged = service.load_text(policy_text(ACT_ALL, name="p", version=2), activate=False)
    assert staged.created and not staged.active
    assert service.active().version == 1
    f = facts(matches=[match()])
    assert service.dry_run(f, name="p", version=2).outcome == "act"  # try before activating
    assert service.dry_run(f).outcome == "review"
    assert service.get("p").version == 1  # the active one
    assert service.get("p", 2).text.startswith("name: p")


def test_one_active_policy_across_names(service: PolicyService) -> None:
    service.load_text(policy_text(REVIEW_ALL, name="a"))
    service.load_text(policy_text(ACT_ALL, name="b"))
    assert service.active().name == "b"
    assert [(v.name, v.active) for v in service.versions()] == [
        ("a", False),
        ("b", True),
        ("rempart-default", False),  # loaded at start, replaced by the operator's choice
    ]
    with pytest.raises(NotFound, match="no policy named 'c'"):
        service.get("c")


def test_default_policy_is_loaded_once(service: PolicyService) -> None:
    rows = service.versions()  # listing shows what is configured, loaded on first use
    assert [(r.name, r.version, r.active) for r in rows] == [("rempart-default", 2, True)]
    policy = service.active()
    assert (policy.name, policy.version) == ("rempart-default", 2)
    assert service.active() is policy  # parsed once
    rows = service.versions()
    assert len(rows) == 1 and rows[0].source == "rempart:policy/default.yaml"
    assert rows[0].loaded_by == "system"


def test_operator_policy_file(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "ours.yaml"
    path.write_text(policy_text(REVIEW_ALL, name="ours", version=1))
    ctx = Rempart.open(settings.model_copy(update={"policy_file": path}), load_index=False)
    try:
        assert ctx.policies.active().name == "ours"
    finally:
        ctx.close()
    # the operator edits the file and raises the version: the next start activates it
    path.write_text(policy_text(ACT_ALL, name="ours", version=2))
    ctx = Rempart.open(settings.model_copy(update={"policy_file": path}), load_index=False)
    try:
        assert ctx.policies.active().version == 2
        ctx.policies.activate("ours", 1)  # an operator's rollback survives restarts
    finally:
        ctx.close()
    ctx = Rempart.open(settings.model_copy(update={"policy_file": path}), load_index=False)
    try:
        assert ctx.policies.active().version == 1
    finally:
        ctx.close()
    # an edit without a new version is refused, but the active policy keeps working
    path.write_text(policy_text(REVIEW_ALL, ACT_ALL, name="ours", version=2))
    ctx = Rempart.open(settings.model_copy(update={"policy_file": path}), load_index=False)
    try:
        assert ctx.policies.active().version == 1
        with pytest.raises(Conflict):
            ctx.policies.load_file(path)
    finally:
        ctx.close()


def test_operator_policy_file_in_toml(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(
        'name = "tomlish"\nversion = 4\n[queues.general]\nsla_hours = 8\n'
        '[[rules]]\nid = "r"\nwhen = { notice = {} }\n'
        'outcome = { review = { queue = "general" } }\n'
    )
    ctx = Rempart.open(settings.model_copy(update={"policy_file": path}), load_index=False)
    try:
        v = ctx.policies.dry_run(facts(notice={"source_type": "article_16"}))
        assert (v.policy, v.policy_version, v.outcome) == ("tomlish", 4, "review")
    finally:
        ctx.close()


def test_unreadable_policy_file(settings: Settings, tmp_path: Path) -> None:
    db = Database(settings.db_url)
    db.migrate()
    missing = settings.model_copy(update={"policy_file": tmp_path / "missing.yaml"})
    try:
        with pytest.raises(Invalid, match=r"cannot read policy file .*missing.yaml"):
            PolicyService(db, missing).active()
        broken = tmp_path / "broken.yaml"
        broken.write_text("name: x\nversion: 1\nrules: [{id: r}]\n")
        with pytest.raises(PolicyFileError, match=r"rule 'r' \(rules\[0\]\): when: Field required"):
            PolicyService(db, settings.model_copy(update={"policy_file": broken})).active()
    finally:
        db.dispose()


def test_evaluation_is_recorded_with_everything_needed(settings: Settings) -> None:
    clock = Clock()
    db = Database(settings.db_url)
    db.migrate()
    service = PolicyService(db, settings, clock)
    service.load_text(policy_text(ACT_ALL, rule("s", {"match": {}}, review(), mode="shadow")))
    f = facts(matches=[match(bank="X", distance=3)], account={"id": "u-1", "strikes": 2})
    out = service.evaluate(f, subject_type="item", subject_ref="item-42")
    assert out.created_at == T0
    with db.session() as s:
        row = s.scalars(select(PolicyEvaluation)).one()
        assert (row.subject_type, row.subject_ref, row.outcome) == ("item", "item-42", "act")
        assert (row.rule_ids, row.shadow_rule_ids) == (["remove"], ["s"])
        assert row.facts["matches"][0]["bank"] == "X" and row.facts["matches"][0]["distance"] == 3
        assert row.verdict["policy"] == "test" and row.verdict["policy_version"] == 1
    clock.now = T0 + timedelta(hours=1)
    service.evaluate(facts(), subject_type="item", subject_ref="item-43")
    listed = service.evaluations("item-42")
    assert [e.id for e in listed] == [out.evaluation_id]
    assert listed[0].verdict == out.verdict and listed[0].facts == f
    assert [e.subject_ref for e in service.evaluations()] == ["item-43", "item-42"]
    assert service.evaluations(subject_type="notice") == []
    db.dispose()


def test_evaluate_joins_the_callers_transaction(service: PolicyService, rempart: Rempart) -> None:
    service.load_text(policy_text(REVIEW_ALL))
    with pytest.raises(RuntimeError), rempart.db.session() as s:
        service.evaluate(facts(), subject_type="item", subject_ref="rolled-back", session=s)
        raise RuntimeError("the caller's work failed")
    assert service.evaluations() == []  # rolled back with the caller's transaction
    with rempart.db.session() as s:
        kept = service.evaluate(facts(), subject_type="item", subject_ref="kept", session=s)
    assert [e.id for e in service.evaluations()] == [kept.evaluation_id]


def test_first_evaluation_in_a_session_loads_the_default(rempart: Rempart) -> None:
    with rempart.db.session() as s:
        out = rempart.policies.evaluate(facts(), subject_type="item", subject_ref="x", session=s)
    assert out.verdict.policy == "rempart-default"


def test_replay_detects_a_tampered_record(service: PolicyService, rempart: Rempart) -> None:
    service.load_text(policy_text(ACT_ALL))
    out = service.evaluate(facts(matches=[match()]), subject_type="item", subject_ref="i")
    with rempart.db.session() as s:
        row = s.get(PolicyEvaluation, out.evaluation_id)
        assert row is not None
        row.verdict = {**row.verdict, "outcome": "allow"}
    replay = service.replay(out.evaluation_id)
    assert not replay.agrees and replay.differences == ["outcome"]
    with pytest.raises(NotFound):
        service.replay(999_999)
    with pytest.raises(NotFound):
        service.replay(2**64)  # beyond any id the database can hold: not found, not a crash


def test_bad_subjects(service: PolicyService) -> None:
    with pytest.raises(Invalid, match="subject_ref"):
        service.evaluate(facts(), subject_type="item", subject_ref="")
    with pytest.raises(Invalid, match="subject_type"):
        service.evaluate(facts(), subject_type="x" * 33, subject_ref="r")
    with pytest.raises(Invalid, match="subject_ref"):
        service.evaluate(facts(), subject_type="item", subject_ref="nul\x00")
