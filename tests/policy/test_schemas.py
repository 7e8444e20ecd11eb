"""The policy file format: each kind of mistake is refused with the rule and field named."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped, unused-ignore]

from rempart.policy.loader import MAX_CHARS, PolicyFileError, load_policy
from tests.policy.util import TOS_DECISION, act, policy_dict, policy_text, review, rule

GOOD = rule("r1", {"match": {"bank": "SOME_BANK"}}, review())


def problems(data: Any) -> list[str]:
    """Every problem found in a policy given as data (dumped to YAML first)."""
    text = data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False)
    with pytest.raises(PolicyFileError) as info:
        load_policy(text)
    assert info.value.status == 422
    return [str(p) for p in info.value.problems]


def one(data: Any) -> str:
    found = problems(data)
    assert len(found) == 1, found
    return found[0]


def with_rule(r: dict[str, Any]) -> dict[str, Any]:
    return policy_dict(r)


def test_valid_policy_loads() -> None:
    p = load_policy(policy_text(GOOD))
    assert p.name == "test" and p.version == 1 and p.rules[0].mode == "live"
    assert p.queues["child_safety"].restricted_to_role == "child_safety"


def test_unknown_keys_are_refused_everywhere() -> None:
    assert one({**policy_dict(GOOD), "rulez": []}) == "rulez: Extra inputs are not permitted"
    bad_rule = {**GOOD, "wen": {}}
    assert one(with_rule(bad_rule)) == "rule 'r1' (rules[0]): wen: Extra inputs are not permitted"
    leaf = rule("r1", {"match": {"bnk": "X"}}, review())
    assert one(with_rule(leaf)) == (
        "rule 'r1' (rules[0]): when.match.bnk: Extra inputs are not permitted"
    )
    deep = rule("r1", {"all": [{"match": {}}, {"not": {"notice": {"kind": 1}}}]}, review())
    assert "when.all[1].not.notice.kind: Extra inputs" in one(with_rule(deep))
    bad_queue = policy_dict(GOOD)
    bad_queue["queues"]["general"]["sla"] = 3
    assert one(bad_queue) == "queues.general.sla: Extra inputs are not permitted"
    decision = rule("r1", {"match": {}}, act(decision={"decision_colour": "red"}))
    assert "outcome.act.decision.decision_colour: Extra inputs" in one(with_rule(decision))


def test_condition_shape() -> None:
    two = rule("r1", {"match": {}, "notice": {}}, review())
    assert "exactly one key, this one has match, notice; combine them with all" in one(
        with_rule(two)
    )
    assert "empty condition" in one(with_rule(rule("r1", {}, review())))
    assert "a condition is a mapping" in one(with_rule(rule("r1", {"all": ["match"]}, review())))
    for key in ("all", "any", "not", "provenance"):
        assert "a condition key needs a value" in one(with_rule(rule("r1", {key: None}, review())))
    empty_all = rule("r1", {"all": []}, review())
    assert "when.all: List should have at least 1 item" in one(with_rule(empty_all))


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ({"match": {"category": "STATEMENT_CATEGORY_NOPE"}}, "unknown category code"),
        ({"match": {"specification": "KEYWORD_NOPE"}}, "unknown specification code"),
        ({"match": {"source": "fbi"}}, "unknown bank source ['fbi']"),
        ({"match": {"signal_type": "tmk"}}, "unknown signal type ['tmk']"),
        ({"match": {"bank": "lower"}}, "bank name must be UPPER_SNAKE_CASE"),
        ({"match": {"bank": "A", "banks": ["B"]}}, "give bank (one name) or banks"),
        ({"match": {"max_distance": -1}}, "greater than or equal to 0"),
        ({"match": {"label": 3}}, "expected a string or a non-empty list of strings"),
        ({"classifier": {"name": "x", "min_score": 0.9, "max_score": 0.1}}, "min_score is above"),
        ({"classifier": {"name": "x", "min_score": float("nan")}}, "finite number"),
        ({"classifier": {"name": "Bad Name"}}, "should match pattern"),
        ({"notice": {"source_type": "email"}}, "unknown notice source_type ['email']"),
        ({"strikes": {}}, "strikes needs min, max or both"),
        ({"strikes": {"min": 4, "max": 2}}, "strikes min is above max"),
        ({"item": {}}, "item needs content_type, territory or language"),
        ({"item": {"content_type": "CONTENT_TYPE_HOLOGRAM"}}, "unknown content_type code"),
        ({"item": {"territory": "france"}}, "uppercase two-letter ISO codes"),
        ({"provenance": {}}, "non-empty mapping"),
        ({"provenance": {"k": {"nested": 1}}}, "expected a string, number or boolean"),
    ],
)
def test_leaf_errors(when: dict[str, Any], expected: str) -> None:
    message = one(with_rule(rule("leafy", when, review())))
    assert message.startswith("rule 'leafy' (rules[0]): when.")
    assert expected in message


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"decision_visibility": []}, "needs at least one restriction"),
        ({"decision_visibility": ["DECISION_VISIBILITY_GONE"]}, "unknown decision_visibility"),
        ({"decision_account": "DECISION_ACCOUNT_BANISHED"}, "unknown decision_account"),
        ({"decision_ground": "DECISION_GROUND_VIBES"}, "unknown decision_ground"),
        (
            {"decision_ground": "DECISION_GROUND_ILLEGAL_CONTENT"},
            "DECISION_GROUND_ILLEGAL_CONTENT needs illegal_content_legal_ground",
        ),
        (
            {"incompatible_content_ground": None},
            "DECISION_GROUND_INCOMPATIBLE_CONTENT needs incompatible_content_ground",
        ),
        (
            {"illegal_content_legal_ground": "Art. 1"},
            "illegal_content_* fields belong to DECISION_GROUND_ILLEGAL_CONTENT",
        ),
        (
            {"category_specification": ["KEYWORD_TERRORIST_CONTENT"]},
            "does not belong to category STATEMENT_CATEGORY_OTHER_VIOLATION_TC",
        ),
        (
            {"decision_visibility": ["DECISION_VISIBILITY_OTHER"]},
            "decision_visibility_other is required with DECISION_VISIBILITY_OTHER",
        ),
        ({"decision_visibility_other": "shadow ban"}, "allowed only with it"),
        (
            {"category_specification_other": "x"},
            "category_specification_other needs KEYWORD_OTHER",
        ),
        ({"territorial_scope": ["US"]}, "unknown territorial_scope codes ['US']"),
        ({"territorial_scope": []}, "at least 1 item"),
        (
            {"account_duration": "P30D"},
            "account_duration is given but there is no decision_account",
        ),
        ({"visibility_duration": "-P1D"}, "visibility_duration must be positive"),
        ({"automated_decision": "AUTOMATED_DECISION_MAYBE"}, "unknown automated_decision"),
        ({"decision_ground_reference_url": "ftp://x"}, "should match pattern"),
        ({"category": "STATEMENT_CATEGORY_UNKNOWN"}, "unknown category code"),
    ],
)
def test_decision_errors(change: dict[str, Any], expected: str) -> None:
    decision = {k: v for k, v in {**TOS_DECISION, **change}.items() if v is not None}
    r = rule("acts", {"match": {}}, {"act": {"decision": decision}})
    message = one(with_rule(r))
    assert message.startswith("rule 'acts' (rules[0]): outcome.act.decision")
    assert expected in message


def test_decision_taxonomy_pairs() -> None:
    """A specification of another category is allowed when that category is an addition."""
    ok = {
        **TOS_DECISION,
        "category_addition": ["STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY"],
        "category_specification": ["KEYWORD_TERRORIST_CONTENT", "KEYWORD_OTHER"],
        "category_specification_other": "propaganda",
        "account_duration": "P30D",
        "decision_account": "DECISION_ACCOUNT_SUSPENDED",
    }
    p = load_policy(policy_text(rule("r", {"match": {}}, {"act": {"decision": ok}})))
    d = p.rules[0].outcome.act.decision  # type: ignore[union-attr]
    assert d.account_duration is not None and d.account_duration.days == 30


def test_yaml_booleans_keep_codes() -> None:
    """``NO`` is Norway and ``Yes`` is the TDB's "Yes": YAML 1.1 booleans are not applied."""
    text = """
name: t
version: 1
rules:
  - id: r
    when: {item: {territory: [NO, DE]}}
    outcome:
      act:
        decision:
          decision_visibility: [DECISION_VISIBILITY_CONTENT_REMOVED]
          decision_ground: DECISION_GROUND_INCOMPATIBLE_CONTENT
          incompatible_content_ground: ToS
          incompatible_content_explanation: x
          incompatible_content_illegal: No
          category: STATEMENT_CATEGORY_OTHER_VIOLATION_TC
          territorial_scope: [NO, IS]
          automated_detection: Yes
        preserve: true
"""
    p = load_policy(text)
    r = p.rules[0]
    assert r.when.item is not None and r.when.item.territory == ["NO", "DE"]
    assert r.outcome.act is not None and r.outcome.act.preserve is True
    d = r.outcome.act.decision
    assert d.territorial_scope == ["NO", "IS"]
    assert (d.automated_detection, d.incompatible_content_illegal) == ("Yes", "No")


def test_territorial_shorthands() -> None:
    for scope, n in (("EEA", 30), ("EU", 27)):
        p = load_policy(
            policy_text(rule("r", {"match": {}}, act(decision={"territorial_scope": scope})))
        )
        d = p.rules[0].outcome.act.decision  # type: ignore[union-attr]
        assert len(d.territorial_scope) == n and "GR" in d.territorial_scope


def test_outcome_shape() -> None:
    for kind in ("act", "review"):
        blank = rule("r1", {"match": {}}, {kind: None})  # never silently an allow
        assert "the outcome needs a value" in one(with_rule(blank))
    both = rule("r1", {"match": {}}, {**review(), "allow": {}})
    assert "outcome needs exactly one of act, review, allow" in one(with_rule(both))
    assert "outcome is one of" in one(with_rule(rule("r1", {"match": {}}, "block")))
    assert load_policy(policy_text(rule("r1", {"match": {}}, "allow"))).rules[0].outcome.kind == (
        "allow"
    )
    prio = rule("r1", {"match": {}}, review(priority=101))
    assert "outcome.review.priority: Input should be less than or equal to 100" in one(
        with_rule(prio)
    )
    case = rule("r1", {"match": {}}, act(open_case={"queue": "general", "closable_by": "bot"}))
    assert "outcome.act.open_case.closable_by: Input should be 'person'" in one(with_rule(case))


def test_references_and_ids() -> None:
    assert one(with_rule(rule("r1", {"match": {}}, review("nowhere")))) == (
        "rule 'r1' (rules[0]): outcome.review.queue: unknown queue 'nowhere'; "
        "declared queues: general, fast, child_safety"
    )
    nested = rule("r1", {"match": {}}, act(review={"queue": "gone"}, open_case={"queue": "lost"}))
    found = problems(with_rule(nested))
    assert any("outcome.act.review.queue: unknown queue 'gone'" in f for f in found)
    assert any("outcome.act.open_case.queue: unknown queue 'lost'" in f for f in found)
    dup = policy_dict(GOOD, GOOD)
    assert one(dup) == "rule 'r1' (rules[1]): id: duplicate rule id 'r1' (also rules[0])"
    bad_name = policy_dict(GOOD)
    bad_name["queues"]["Bad Queue"] = {"sla_hours": 1}
    assert "queue names are lowercase slugs" in one(bad_name)
    role = policy_dict(GOOD)
    role["queues"]["general"]["restricted_to_role"] = "janitor"
    assert "queues.general.restricted_to_role: Input should be" in one(role)
    no_id = policy_dict({"when": {"match": {}}, "outcome": "allow"})
    assert one(no_id) == "rule '#0' (rules[0]): id: Field required"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"version": "2"}, "version: Input should be a valid integer"),
        ({"version": True}, "version: Input should be a valid integer"),
        ({"version": 0}, "version: Input should be greater than or equal to 1"),
        ({"name": "Has Spaces"}, "name: String should match pattern"),
        ({"rules": []}, "rules: List should have at least 1 item"),
    ],
)
def test_top_level_errors(change: dict[str, Any], expected: str) -> None:
    assert one({**policy_dict(GOOD), **change}).startswith(expected)


def test_missing_fields_all_reported() -> None:
    found = problems({"description": "nothing else"})
    assert set(found) == {
        "name: Field required",
        "version: Field required",
        "rules: Field required",
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "policy file is empty"),
        ("   \n# only a comment\n", "policy file is empty"),
        ("- just\n- a list\n", "a policy file is a mapping"),
        ("name: [unclosed\n", "not valid YAML"),
        ("base: &a {x: 1}\nname: *a\n", "aliases (*name) are not allowed"),
        ("x: " + "[" * 60 + "]" * 60 + "\n", "nested more than 48 levels deep"),
        ("x: " + "[" * 5000 + "]" * 5000 + "\n", "nested"),
        ("x: 1\n" + "#" * MAX_CHARS, "larger than"),
        ("name: \x00\n", "not valid YAML"),
    ],
)
def test_unreadable_files(text: str, expected: str) -> None:
    assert expected in one(text)


def test_toml_policy_equals_yaml() -> None:
    toml = """
name = "test"
version = 1

[queues.general]
sla_hours = 72

[[rules]]
id = "r1"
mode = "shadow"
[rules.when]
all = [{ match = { source = ["ncmec", "iwf"] } }, { not = { strikes = { min = 3 } } }]
[rules.outcome.review]
queue = "general"
priority = 10
"""
    yaml_text = """
name: test
version: 1
queues: {general: {sla_hours: 72}}
rules:
  - id: r1
    mode: shadow
    when:
      all:
        - match: {source: [ncmec, iwf]}
        - not: {strikes: {min: 3}}
    outcome: {review: {queue: general, priority: 10}}
"""
    assert load_policy(toml) == load_policy(yaml_text) == load_policy(toml, "toml")
    assert "not valid TOML" in one_toml("name = \n")


def one_toml(text: str) -> str:
    with pytest.raises(PolicyFileError) as info:
        load_policy(text, "toml")
    return str(info.value.problems[0])


def test_error_detail_lists_problems() -> None:
    data = policy_dict(
        *[copy.deepcopy(rule(f"r{i}", {"match": {"source": "x"}}, review())) for i in range(7)]
    )
    with pytest.raises(PolicyFileError) as info:
        load_policy(yaml.safe_dump(data))
    assert len(info.value.problems) == 7
    assert info.value.detail.startswith("invalid policy: rule 'r0' (rules[0]): when.match.source")
    assert info.value.detail.endswith("(and 2 more)")
