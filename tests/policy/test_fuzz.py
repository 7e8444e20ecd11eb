"""Hypothesis: whatever text the loader gets, it answers a policy or a clear validation error;
whatever valid facts the engine gets, it answers a verdict."""

from __future__ import annotations

from typing import Any

import yaml  # type: ignore[import-untyped, unused-ignore]
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rempart.policy.engine import evaluate
from rempart.policy.facts import Facts
from rempart.policy.loader import PolicyFileError, load_policy
from rempart.policy.schemas import Policy
from rempart.policy.service import default_text

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
WORDS = [
    "name", "version", "description", "queues", "rules", "id", "mode", "when", "outcome",
    "all", "any", "not", "match", "classifier", "provenance", "notice", "strikes", "item",
    "act", "review", "allow", "decision", "queue", "priority", "sla_hours", "bank", "banks",
    "source", "category", "specification", "max_distance", "min_score", "min", "max",
    "live", "shadow", "ncmec", "general", "DECISION_GROUND_ILLEGAL_CONTENT", "EEA", "NO",
    "restricted_to_role", "child_safety", "territorial_scope", "decision_visibility",
]  # fmt: skip
DEFAULT = default_text()


def check_loader(text: str) -> None:
    try:
        policy = load_policy(text)
    except PolicyFileError as exc:
        assert exc.problems and all(p.msg for p in exc.problems)
        assert exc.status == 422 and exc.detail.startswith("invalid policy: ")
    else:
        assert isinstance(policy, Policy)


scalars = st.one_of(
    st.sampled_from(WORDS),
    st.integers(-5, 300),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.text(max_size=8),
)
trees = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(WORDS), inner, max_size=5),
    ),
    max_leaves=40,
)


@FUZZ
@given(st.text(max_size=400))
def test_any_text(text: str) -> None:
    check_loader(text)


@FUZZ
@given(trees)
def test_any_yaml_tree(tree: Any) -> None:
    check_loader(yaml.safe_dump(tree))


@FUZZ
@given(st.dictionaries(st.sampled_from(WORDS), trees, max_size=6))
def test_policy_shaped_trees(body: dict[str, Any]) -> None:
    base: dict[str, Any] = {"name": "fuzz", "version": 1, "rules": []}
    check_loader(yaml.safe_dump({**base, **body}))


@FUZZ
@given(st.data())
def test_mutated_default_policy(data: st.DataObject) -> None:
    lines = DEFAULT.splitlines(keepends=True)
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(lines) - 1))
        op = data.draw(st.sampled_from(["drop", "dup", "edit", "indent"]))
        if op == "drop":
            del lines[i]
        elif op == "dup":
            lines.insert(i, lines[i])
        elif op == "indent":
            lines[i] = "  " + lines[i]
        else:
            line = lines[i]
            j = data.draw(st.integers(0, max(len(line) - 1, 0)))
            lines[i] = line[:j] + data.draw(st.text(max_size=3)) + line[j + 1 :]
    check_loader("".join(lines))


codes = st.sampled_from(
    [
        "STATEMENT_CATEGORY_PROTECTION_OF_MINORS",
        "STATEMENT_CATEGORY_CYBER_VIOLENCE",
        "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY",
    ]
)
keywords = st.sampled_from(
    [
        "KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL",
        "KEYWORD_NON_CONSENSUAL_IMAGE_SHARING",
        "KEYWORD_TERRORIST_CONTENT",
        "KEYWORD_OTHER",
    ]
)
match_facts = st.fixed_dictionaries(
    {
        "bank": st.sampled_from(["NCMEC", "IWF", "STOPNCII", "TAT", "LOCAL"]),
        "source": st.sampled_from(
            ["ncmec", "iwf", "stopncii", "tech_against_terrorism", "internal"]
        ),
        "dsa_category": st.one_of(st.none(), codes),
        "specifications": st.lists(keywords, max_size=2),
        "signal_type": st.sampled_from(["pdq", "md5", "sha256", "vpdq"]),
        "distance": st.integers(0, 64),
        "suppressed": st.booleans(),
    }
)
notice_facts = st.fixed_dictionaries(
    {
        "source_type": st.sampled_from(
            ["article_16", "trusted_flagger", "authority_order", "other"]
        ),
        "threat_to_life": st.booleans(),
        "specifications": st.lists(keywords, max_size=2),
    }
)
facts_strategy = st.fixed_dictionaries(
    {
        "matches": st.lists(match_facts, max_size=4),
        "classifiers": st.dictionaries(
            st.sampled_from(["child_safety", "nudity", "synthetic_media"]),
            st.fixed_dictionaries({"score": st.floats(0, 1)}),
        ),
        "provenance": st.dictionaries(
            st.sampled_from(["ai_generated", "generator"]), st.booleans()
        ),
        "notice": st.one_of(st.none(), notice_facts),
        "account": st.fixed_dictionaries({"strikes": st.floats(0, 20)}),
    }
)


@FUZZ
@given(facts_strategy)
def test_default_policy_always_answers(raw: dict[str, Any]) -> None:
    policy = load_policy(DEFAULT)
    facts = Facts.model_validate(raw)
    v = evaluate(policy, facts)
    assert v.outcome in ("act", "review", "allow")
    assert (v.outcome == "act") == (v.decision is not None)
    assert not set(v.rule_ids) & set(v.shadow_rule_ids)
    assert [r.priority for r in v.reviews] == sorted((r.priority for r in v.reviews), reverse=True)
    if any(r.restricted_to_role for r in v.reviews) or (
        v.open_case and v.open_case.restricted_to_role
    ):
        assert all(r.restricted_to_role == "child_safety" for r in v.reviews)
    csam_verified = any(
        not m["suppressed"]
        and m["source"] in ("ncmec", "iwf")
        and m["dsa_category"] == "STATEMENT_CATEGORY_PROTECTION_OF_MINORS"
        and "KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL" in m["specifications"]
        for m in raw["matches"]
    )
    assert csam_verified == (v.deciding_rule == "csam-verified-match")
    if csam_verified:
        assert v.preserve and v.open_case is not None
        assert all(r.queue == "child_safety" for r in v.reviews)


LEAF_FIELDS = [
    "bank", "banks", "source", "category", "specification", "label", "signal_type",
    "max_distance", "include_suppressed", "name", "min_score", "max_score", "min", "max",
    "source_type", "threat_to_life", "content_type", "territory", "language", "ai_generated",
]  # fmt: skip
VALUES: st.SearchStrategy[Any] = st.sampled_from(
    [
        "NCMEC",
        "ncmec",
        ["ncmec", "iwf"],
        "STATEMENT_CATEGORY_PROTECTION_OF_MINORS",
        "KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL",
        "pdq",
        3,
        0.5,
        0.95,
        True,
        False,
        None,
        "trusted_flagger",
        "CONTENT_TYPE_IMAGE",
        "FR",
        "nudity",
        [],
        {},
    ]
)
leaves = st.builds(
    lambda key, body: {key: body},
    st.sampled_from(["match", "classifier", "provenance", "notice", "strikes", "item"]),
    st.one_of(st.none(), st.dictionaries(st.sampled_from(LEAF_FIELDS), VALUES, max_size=3)),
)
conditions = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.builds(lambda xs: {"all": xs}, st.one_of(st.none(), st.lists(inner, max_size=3))),
        st.builds(lambda xs: {"any": xs}, st.one_of(st.none(), st.lists(inner, max_size=3))),
        st.builds(lambda x: {"not": x}, st.one_of(st.none(), inner)),
    ),
    max_leaves=8,
)
outcomes = st.sampled_from(
    [
        "allow",
        {"allow": None},
        {"review": None},
        {"act": None},
        {"review": {"queue": "general", "priority": 10}},
        {"review": {"queue": "child_safety", "priority": 100}},
        {"review": {"queue": "missing"}},
    ]
)
SAMPLE_FACTS = [
    Facts(),
    Facts.model_validate(
        {
            "matches": [
                {"bank": "NCMEC", "source": "ncmec", "signal_type": "pdq", "distance": 3,
                 "dsa_category": "STATEMENT_CATEGORY_PROTECTION_OF_MINORS",
                 "specifications": ["KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL"]},
            ],
            "classifiers": {"nudity": {"score": 0.95}},
            "provenance": {"ai_generated": True},
            "notice": {"source_type": "trusted_flagger", "threat_to_life": True},
            "account": {"strikes": 3},
            "item": {"content_type": ["CONTENT_TYPE_IMAGE"], "territory": "FR"},
        }
    ),
]  # fmt: skip


@FUZZ
@given(st.lists(st.tuples(conditions, outcomes, st.booleans()), min_size=1, max_size=4))
def test_rule_shaped_policies_load_and_evaluate(rules: list[Any]) -> None:
    """Any rule tree either fails to load, clearly, or evaluates without error."""
    data = {
        "name": "fuzz",
        "version": 1,
        "queues": {
            "general": {"sla_hours": 1},
            "child_safety": {"sla_hours": 1, "restricted_to_role": "child_safety"},
        },
        "rules": [
            {
                "id": f"r{i}",
                "when": when,
                "outcome": outcome,
                "mode": "shadow" if shadow else "live",
            }
            for i, (when, outcome, shadow) in enumerate(rules)
        ],
    }
    text = yaml.safe_dump(data)
    try:
        policy = load_policy(text)
    except PolicyFileError as exc:
        assert exc.problems
        return
    for facts in SAMPLE_FACTS:
        v = evaluate(policy, facts)
        assert set(v.rule_ids) | set(v.shadow_rule_ids) <= {r.id for r in policy.rules}
        assert v.outcome in ("review", "allow")
