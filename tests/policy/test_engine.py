"""The pure engine: each leaf, the combinators, precedence, shadow rules, decision fields."""

from __future__ import annotations

from typing import Any

import pytest

from rempart.policy.engine import check, evaluate
from rempart.policy.facts import Facts
from rempart.policy.schemas import Condition
from tests.policy.util import CSAM_NCMEC, act, facts, match, policy, review, rule


def holds(when: dict[str, Any], f: Facts) -> tuple[bool, list[str]]:
    return check(Condition.model_validate(when), f)


# --- match ---------------------------------------------------------------------------------
MATCHES = facts(
    matches=[
        match(
            bank="NCMEC_CSAM",
            source="ncmec",
            dsa_category="STATEMENT_CATEGORY_PROTECTION_OF_MINORS",
            specifications=["KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL"],
            labels=["verified"],
            distance=12,
            content_id=5,
        ),
        match(bank="LOCAL", source="internal", signal_type="md5", distance=0, content_id=9),
        match(bank="HIDDEN", source="iwf", suppressed=True, content_id=11),
    ]
)


@pytest.mark.parametrize(
    ("leaf", "expected"),
    [
        ({}, True),
        ({"bank": "NCMEC_CSAM"}, True),
        ({"bank": "OTHER"}, False),
        ({"banks": ["OTHER", "LOCAL"]}, True),
        ({"category": "STATEMENT_CATEGORY_PROTECTION_OF_MINORS"}, True),
        ({"category": "STATEMENT_CATEGORY_VIOLENCE"}, False),
        ({"specification": "KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL"}, True),
        ({"specification": ["KEYWORD_TERRORIST_CONTENT"]}, False),
        ({"source": ["ncmec", "iwf"]}, True),
        ({"source": "stopncii"}, False),
        ({"label": "verified"}, True),
        ({"label": "unverified"}, False),
        ({"signal_type": "md5"}, True),
        ({"signal_type": "vpdq"}, False),
        ({"source": "ncmec", "max_distance": 12}, True),
        ({"source": "ncmec", "max_distance": 11}, False),
        ({"source": "ncmec", "signal_type": "md5"}, False),  # both on the same match
        ({"source": "iwf"}, False),  # only a suppressed match is from the IWF
        ({"source": "iwf", "include_suppressed": True}, True),
    ],
)
def test_match_leaf(leaf: dict[str, Any], expected: bool) -> None:
    assert holds({"match": leaf}, MATCHES)[0] is expected


def test_match_explains_bank_entry_and_distance() -> None:
    ok, why = holds({"match": {"source": "ncmec", "max_distance": 31}}, MATCHES)
    assert ok and why == [
        "match bank=NCMEC_CSAM source=ncmec category=STATEMENT_CATEGORY_PROTECTION_OF_MINORS "
        "pdq distance=12 <= 31 entry=5"
    ]
    ok, why = holds({"match": {}}, MATCHES)
    assert why == ["match bank=LOCAL source=internal md5 distance=0 entry=9 (+1 more)"]
    ok, why = holds({"match": {"source": "iwf", "include_suppressed": True}}, MATCHES)
    assert why[0].endswith("entry=11 (suppressed by a negative bank)")


def test_no_matches() -> None:
    assert holds({"match": {}}, facts()) == (False, [])


# --- classifier, provenance, notice, strikes, item -----------------------------------------
def test_classifier_leaf() -> None:
    f = facts(classifiers={"nudity": {"score": 0.8, "model": "nudenet", "version": "3.4"}})
    assert holds({"classifier": {"name": "nudity"}}, f) == (
        True,
        ["classifier nudity score=0.8 (model nudenet 3.4)"],
    )
    assert holds({"classifier": {"name": "nudity", "min_score": 0.8}}, f)[0]  # inclusive
    assert holds({"classifier": {"name": "nudity", "max_score": 0.8}}, f)[0]  # inclusive
    assert not holds({"classifier": {"name": "nudity", "min_score": 0.81}}, f)[0]
    assert not holds({"classifier": {"name": "nudity", "max_score": 0.79}}, f)[0]
    assert not holds({"classifier": {"name": "violence"}}, f)[0]
    band = {"classifier": {"name": "nudity", "min_score": 0.5, "max_score": 0.9}}
    assert holds(band, f)[1] == ["classifier nudity score=0.8 >= 0.5 <= 0.9 (model nudenet 3.4)"]


def test_provenance_leaf() -> None:
    f = facts(provenance={"generator": "dall-e", "ai_generated": True, "tools": ["ps", "gimp"]})
    assert holds({"provenance": {"generator": "dall-e"}}, f) == (
        True,
        ["provenance generator=dall-e"],
    )
    assert holds({"provenance": {"generator": ["midjourney", "dall-e"]}}, f)[0]
    assert holds({"provenance": {"tools": "gimp"}}, f)[0]
    assert holds({"provenance": {"ai_generated": True, "generator": "dall-e"}}, f)[0]
    assert not holds({"provenance": {"ai_generated": True, "generator": "sd"}}, f)[0]
    assert not holds({"provenance": {"ai_generated": 1}}, f)[0]  # true is not 1
    assert not holds({"provenance": {"missing": "x"}}, f)[0]


def test_notice_leaf() -> None:
    assert not holds({"notice": {}}, facts())[0]
    f = facts(
        notice={
            "source_type": "trusted_flagger",
            "category": "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
            "specifications": ["KEYWORD_HATE_SPEECH"],
            "threat_to_life": False,
            "trusted_flagger_id": "tf-7",
        }
    )
    assert holds({"notice": None}, f) == (
        True,
        [
            "notice source_type=trusted_flagger "
            "category=STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH"
        ],
    )
    assert holds({"notice": {"source_type": ["trusted_flagger", "other"]}}, f)[0]
    assert not holds({"notice": {"source_type": "article_16"}}, f)[0]
    assert holds({"notice": {"category": "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH"}}, f)[0]
    assert not holds({"notice": {"category": "STATEMENT_CATEGORY_VIOLENCE"}}, f)[0]
    assert holds({"notice": {"specification": "KEYWORD_HATE_SPEECH"}}, f)[0]
    assert not holds({"notice": {"specification": "KEYWORD_DEFAMATION"}}, f)[0]
    assert holds({"notice": {"threat_to_life": False}}, f)[0]
    assert not holds({"notice": {"threat_to_life": True}}, f)[0]


def test_strikes_leaf() -> None:
    f = facts(account={"id": "u1", "strikes": 3})
    assert holds({"strikes": {"min": 3}}, f) == (True, ["strikes 3 >= 3"])
    assert holds({"strikes": {"max": 3}}, f)[0]
    assert not holds({"strikes": {"min": 3.5}}, f)[0]
    assert not holds({"strikes": {"max": 2}}, f)[0]
    assert holds({"strikes": {"max": 0}}, facts())[0]  # no account: no strikes


def test_item_leaf() -> None:
    f = facts(
        item={
            "content_type": ["CONTENT_TYPE_VIDEO", "CONTENT_TYPE_SYNTHETIC_MEDIA"],
            "territory": "FR",
            "language": "FR",
        }
    )
    assert holds({"item": {"content_type": "CONTENT_TYPE_SYNTHETIC_MEDIA"}}, f) == (
        True,
        ["item content_type=CONTENT_TYPE_SYNTHETIC_MEDIA"],
    )
    assert not holds({"item": {"content_type": "CONTENT_TYPE_IMAGE"}}, f)[0]
    assert holds({"item": {"territory": ["DE", "FR"], "language": "FR"}}, f)[0]
    assert not holds({"item": {"territory": "DE"}}, f)[0]
    assert not holds({"item": {"language": "EN"}}, f)[0]
    assert not holds({"item": {"territory": "FR"}}, facts())[0]


# --- combinators ---------------------------------------------------------------------------
def test_combinators() -> None:
    f = facts(matches=[match(source="ncmec")], account={"strikes": 1})
    yes, no = {"match": {"source": "ncmec"}}, {"match": {"source": "iwf"}}
    assert holds({"all": [yes, {"strikes": {"min": 1}}]}, f) == (
        True,
        ["match bank=BANK source=ncmec pdq distance=0 entry=1", "strikes 1 >= 1"],
    )
    assert holds({"all": [yes, no]}, f) == (False, [])
    assert holds({"any": [no, yes]}, f) == (
        True,
        ["match bank=BANK source=ncmec pdq distance=0 entry=1"],
    )
    assert holds({"any": [no, no]}, f) == (False, [])
    assert holds({"not": no}, f) == (True, ["not(match source=iwf)"])
    assert holds({"not": yes}, f) == (False, [])
    nested = {"all": [{"any": [no, {"not": {"not": yes}}]}, {"not": {"all": [yes, no]}}]}
    ok, why = holds(nested, f)
    assert ok and why[-1] == "not(all(match source=ncmec, match source=iwf))"


# --- precedence ----------------------------------------------------------------------------
ANY_MATCH: dict[str, Any] = {"match": {}}


def test_act_beats_review_beats_allow() -> None:
    p = policy(
        rule("allow-all", ANY_MATCH, {"allow": {"reason": "trusted uploader"}}),
        rule("look", ANY_MATCH, review("general", 10)),
        rule("remove", ANY_MATCH, act()),
    )
    v = evaluate(p, facts(matches=[match()]))
    assert v.outcome == "act" and v.deciding_rule == "remove"
    assert v.rule_ids == ["allow-all", "look", "remove"]
    assert [r.queue for r in v.reviews] == ["general"]
    assert v.reason == "act by rule remove; review in general"
    v = evaluate(
        policy(rule("allow-all", ANY_MATCH, "allow"), rule("look", ANY_MATCH, review())),
        facts(matches=[match()]),
    )
    assert v.outcome == "review" and v.deciding_rule == "look"
    v = evaluate(
        policy(rule("allow-all", ANY_MATCH, {"allow": {"reason": "known good"}})),
        facts(matches=[match()]),
    )
    assert v.outcome == "allow" and v.reason == "allowed by rule allow-all: known good"


def test_first_act_decides_and_safety_effects_add_up() -> None:
    p = policy(
        rule("tos", ANY_MATCH, act(strike={"weight": 1})),
        rule(
            "severe",
            ANY_MATCH,
            act(
                decision={"decision_account": "DECISION_ACCOUNT_TERMINATED"},
                preserve=True,
                notify_authorities=["law_enforcement"],
                strike={"weight": 5},
            ),
        ),
    )
    v = evaluate(p, facts(matches=[match()]))
    assert v.deciding_rule == "tos"
    assert v.decision is not None and v.decision.decision_account is None
    assert v.strike is not None and (v.strike.weight, v.strike.rule_id) == (1, "tos")
    assert v.preserve is True  # from the second act: evidence is never dropped
    assert v.notify_authorities == ["law_enforcement"]


def test_reviews_collected_one_per_queue_by_priority() -> None:
    p = policy(
        rule("a", ANY_MATCH, review("general", 10)),
        rule("b", ANY_MATCH, review("fast", 90, sla_hours=2)),
        rule("c", ANY_MATCH, review("general", 60)),
        rule("d", ANY_MATCH, review("fast", 90)),
    )
    v = evaluate(p, facts(matches=[match()]))
    assert [(r.queue, r.priority, r.rule_id, r.sla_hours) for r in v.reviews] == [
        ("fast", 90, "b", 2.0),
        ("general", 60, "c", 72.0),
    ]
    assert v.deciding_rule == "b" and v.reason == "review in fast (priority 90) by rule b"


def test_no_rule_matched() -> None:
    v = evaluate(policy(rule("r", ANY_MATCH, act())), facts())
    assert (v.outcome, v.reason, v.deciding_rule, v.rule_ids) == (
        "allow",
        "no rule matched",
        None,
        [],
    )
    assert v.policy == "test" and v.policy_version == 1


def test_shadow_rules_are_recorded_but_inert() -> None:
    p = policy(
        rule("would-remove", ANY_MATCH, act(preserve=True), mode="shadow"),
        rule("would-review", ANY_MATCH, review("fast", 99), mode="shadow"),
        rule("live-review", {"match": {"source": "ncmec"}}, review("general", 5)),
    )
    v = evaluate(p, facts(matches=[match()]))
    assert v.outcome == "allow" and v.reason == "no rule matched"
    assert v.shadow_rule_ids == ["would-remove", "would-review"]
    assert v.decision is None and v.preserve is False and v.reviews == []
    assert [(h.rule_id, h.mode, h.outcome) for h in v.hits] == [
        ("would-remove", "shadow", "act"),
        ("would-review", "shadow", "review"),
    ]
    v = evaluate(p, facts(matches=[match(source="ncmec")]))
    assert v.outcome == "review" and [r.rule_id for r in v.reviews] == ["live-review"]
    assert v.shadow_rule_ids == ["would-remove", "would-review"]


def test_restricted_queue_drops_unrestricted_requests() -> None:
    """Least exposure: suspected CSAM is only ever queued for child-safety staff."""
    p = policy(
        rule("csam", {"match": {"source": "ncmec"}}, review("child_safety", 100)),
        rule("anything", ANY_MATCH, review("general", 10)),
    )
    v = evaluate(p, facts(matches=[match(source="ncmec")]))
    assert [r.queue for r in v.reviews] == ["child_safety"]
    assert v.reviews[0].restricted_to_role == "child_safety"
    p = policy(
        rule(
            "block", ANY_MATCH, act(open_case={"queue": "child_safety"}, review={"queue": "fast"})
        ),
    )
    v = evaluate(p, facts(matches=[match()]))
    assert v.open_case is not None and v.open_case.restricted_to_role == "child_safety"
    assert v.reviews == [] and v.reason == "act by rule block"


# --- decision fields -----------------------------------------------------------------------
def test_decision_is_completed_from_facts() -> None:
    p = policy(rule("remove", ANY_MATCH, act(decision={"visibility_duration": "P30D"})))
    f = facts(
        matches=[CSAM_NCMEC],
        notice={"source_type": "trusted_flagger", "trusted_flagger_id": "tf-1"},
        account={"id": "u", "account_type": "ACCOUNT_TYPE_PRIVATE"},
        item={"content_type": ["CONTENT_TYPE_IMAGE"]},
    )
    d = evaluate(p, f).decision
    assert d is not None
    assert (d.automated_detection, d.automated_decision) == ("Yes", "AUTOMATED_DECISION_FULLY")
    assert (d.source_type, d.source_identity) == ("SOURCE_TRUSTED_FLAGGER", "tf-1")
    assert d.content_type == ["CONTENT_TYPE_IMAGE"] and d.account_type == "ACCOUNT_TYPE_PRIVATE"
    assert d.decision_facts == (
        "Automated decision by rule remove of policy test version 1: match bank=NCMEC_CSAM "
        "source=ncmec category=STATEMENT_CATEGORY_PROTECTION_OF_MINORS pdq distance=4 entry=17."
    )
    assert d.model_dump(mode="json")["visibility_duration"] == "P30D"
    for source, code in (
        ("article_16", "SOURCE_ARTICLE_16"),
        ("authority_order", "SOURCE_TYPE_OTHER_NOTIFICATION"),
        ("other", "SOURCE_TYPE_OTHER_NOTIFICATION"),
    ):
        d = evaluate(p, facts(matches=[match()], notice={"source_type": source})).decision
        assert d is not None and d.source_type == code and d.source_identity is None
    d = evaluate(p, facts(matches=[match()])).decision
    assert d is not None and d.source_type == "SOURCE_VOLUNTARY"


def test_fixed_decision_facts_and_partial_automation() -> None:
    fixed = {
        "decision_facts": "Matched a banned logo.",
        "automated_decision": "AUTOMATED_DECISION_PARTIALLY",
    }
    p = policy(rule("r", ANY_MATCH, act(decision=fixed)))
    d = evaluate(p, facts(matches=[match()])).decision
    assert d is not None and d.decision_facts == "Matched a banned logo."
    assert d.automated_decision == "AUTOMATED_DECISION_PARTIALLY"


def test_deterministic() -> None:
    p = policy(rule("a", ANY_MATCH, review()), rule("b", ANY_MATCH, act()))
    f = facts(matches=[match(), match(bank="OTHER", distance=3)])
    assert evaluate(p, f) == evaluate(p, Facts.model_validate(f.model_dump(mode="json")))
