"""The shipped default policy on realistic facts, and on a real scan of a banked photo."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from PIL import ImageOps

from rempart import taxonomy
from rempart.banks.schemas import BankCreate, ContentIn
from rempart.context import Rempart
from rempart.policy.dsa import category_keywords, territories
from rempart.policy.engine import evaluate
from rempart.policy.facts import Facts
from rempart.policy.loader import load_policy
from rempart.policy.schemas import Policy
from rempart.policy.service import default_text, normalize_text
from tests.conftest import encode, photo
from tests.policy.util import CSAM_NCMEC, facts, match

PROTECTION = "STATEMENT_CATEGORY_PROTECTION_OF_MINORS"
CSAM = "KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL"


@pytest.fixture(scope="module")
def default() -> Policy:
    return load_policy(default_text())


def test_shipped_taxonomy_matches_the_official_codes() -> None:
    table = category_keywords()
    assert set(table) == set(taxonomy.categories())
    assert all(k in taxonomy.specifications() for keys in table.values() for k in keys)
    assert CSAM in table[PROTECTION] and "KEYWORD_TERRORIST_CONTENT" not in table[PROTECTION]
    assert len(territories()) == 30 and "GR" in territories() and "NO" in territories()


# sha256 of each released text of default.yaml, by its version. Deployments store the text
# under its version; a changed text under the same version would be refused at their next start.
RELEASED = {
    1: "c7bbf15ecd6dcfd1c892ed7175fc8a24a349a2a2e488f56f1c23a31725943c4a",
    2: "a279c10d20868a32619a0d69d279b6904f6b3b9ed502561ef4a040d63510d65a",
}


def test_a_changed_default_gets_a_new_version(default: Policy) -> None:
    digest = hashlib.sha256(normalize_text(default_text()).encode()).hexdigest()
    assert RELEASED.get(default.version) == digest, (
        "default.yaml changed: raise its version and add the new sha256 to RELEASED"
    )


def test_default_policy_shape(default: Policy) -> None:
    assert default.name == "rempart-default" and default.version == 2
    assert default.queues["child_safety"].restricted_to_role == "child_safety"
    assert [r.id for r in default.rules if r.mode == "shadow"] == ["sexual-face-unknown-provenance"]
    for rule in default.rules:
        assert rule.description, rule.id


def test_verified_csam_blocks_preserves_and_opens_a_case(default: Policy) -> None:
    v = evaluate(
        default, facts(matches=[CSAM_NCMEC], item={"content_type": ["CONTENT_TYPE_IMAGE"]})
    )
    assert v.outcome == "act" and v.deciding_rule == "csam-verified-match"
    assert v.preserve is True
    assert v.open_case is not None
    assert (v.open_case.queue, v.open_case.closable_by) == ("child_safety", "person")
    assert v.open_case.restricted_to_role == "child_safety"
    assert v.notify_authorities == ["ncmec"]
    assert v.strike is not None and v.strike.weight == 10
    d = v.decision
    assert d is not None
    assert d.decision_visibility == [
        "DECISION_VISIBILITY_CONTENT_DISABLED",
        "DECISION_VISIBILITY_CONTENT_REMOVED",
    ]
    assert d.decision_account == "DECISION_ACCOUNT_SUSPENDED"
    assert d.decision_ground == "DECISION_GROUND_ILLEGAL_CONTENT"
    assert "Directive 2011/93/EU" in (d.illegal_content_legal_ground or "")
    assert (d.category, d.category_specification) == (PROTECTION, [CSAM])
    assert (d.automated_detection, d.automated_decision) == ("Yes", "AUTOMATED_DECISION_FULLY")
    assert d.source_type == "SOURCE_VOLUNTARY" and d.content_type == ["CONTENT_TYPE_IMAGE"]
    assert len(d.territorial_scope) == 30
    assert "bank=NCMEC_CSAM" in (d.decision_facts or "") and "distance=4" in (
        d.decision_facts or ""
    )
    assert v.reviews == []  # the case is the review; nothing goes to an unrestricted queue


def test_iwf_is_verified_too(default: Policy) -> None:
    v = evaluate(default, facts(matches=[{**CSAM_NCMEC, "bank": "IWF", "source": "iwf"}]))
    assert v.deciding_rule == "csam-verified-match"


@pytest.mark.parametrize(
    "found",
    [
        {**CSAM_NCMEC, "bank": "OUR_LIST", "source": "internal"},
        {**CSAM_NCMEC, "source": "threatexchange"},
        {**CSAM_NCMEC, "specifications": ["KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL_DEEPFAKE"]},
        {**CSAM_NCMEC, "specifications": [], "dsa_category": None},  # an untagged NCMEC bank
        {**CSAM_NCMEC, "dsa_category": None, "source": "internal"},  # a CSAM keyword only
    ],
)
def test_unverified_csam_goes_to_child_safety_review(
    default: Policy, found: dict[str, Any]
) -> None:
    v = evaluate(default, facts(matches=[found], account={"strikes": 9}))
    assert v.outcome == "review" and v.decision is None
    assert [(r.queue, r.priority) for r in v.reviews] == [("child_safety", 100)]
    assert v.reviews[0].restricted_to_role == "child_safety"  # escalations dropped: exposure


def test_child_safety_classifier(default: Policy) -> None:
    f = facts(classifiers={"child_safety": {"score": 0.95, "model": "cs", "version": "2"}})
    v = evaluate(default, f)
    assert v.outcome == "review" and v.reviews[0].queue == "child_safety"
    assert v.hits[0].explanations == ["classifier child_safety score=0.95 >= 0.9 (model cs 2)"]
    low = facts(classifiers={"child_safety": {"score": 0.5}})
    assert evaluate(default, low).outcome == "allow"


def test_ncii_is_removed_and_reviewed(default: Policy) -> None:
    stop = match(bank="STOPNCII", source="stopncii", signal_type="pdq", distance=8)
    v = evaluate(default, facts(matches=[stop]))
    assert v.outcome == "act" and v.deciding_rule == "ncii-match"
    assert [(r.queue, r.priority) for r in v.reviews] == [("ncii", 80)]
    d = v.decision
    assert d is not None and d.decision_visibility == ["DECISION_VISIBILITY_CONTENT_REMOVED"]
    assert d.category_specification == ["KEYWORD_NON_CONSENSUAL_IMAGE_SHARING"]
    assert d.incompatible_content_illegal == "Yes"
    by_keyword = match(
        source="internal", specifications=["KEYWORD_NON_CONSENSUAL_MATERIAL_DEEPFAKE"]
    )
    assert evaluate(default, facts(matches=[by_keyword])).deciding_rule == "ncii-match"


def test_terrorist_content_is_removed_preserved_and_reviewed(default: Policy) -> None:
    tat = match(bank="TAT", source="tech_against_terrorism", signal_type="md5")
    v = evaluate(default, facts(matches=[tat]))
    assert v.outcome == "act" and v.deciding_rule == "terrorist-content-match"
    assert v.preserve is True and [r.queue for r in v.reviews] == ["terrorism"]
    assert (
        v.decision is not None
        and v.decision.category == "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY"
    )


@pytest.mark.parametrize(
    "found",
    [
        match(bank="SPAM", source="internal"),
        match(
            bank="AGE_GATE",
            source="internal",
            dsa_category=PROTECTION,
            specifications=["KEYWORD_AGE_SPECIFIC_RESTRICTIONS_MINORS"],
        ),
        match(bank="HATE", source="threatexchange", specifications=["KEYWORD_HATE_SPEECH"]),
    ],
)
def test_other_banks_go_to_general_review(default: Policy, found: dict[str, Any]) -> None:
    v = evaluate(default, facts(matches=[found]))
    assert v.outcome == "review" and [(r.queue, r.rule_id) for r in v.reviews] == [
        ("general", "other-bank-match")
    ]


def test_notices_are_routed_by_source(default: Policy) -> None:
    def first_queue(**notice: Any) -> tuple[str, int]:
        v = evaluate(default, facts(notice=notice))
        assert v.outcome == "review"
        return v.reviews[0].queue, v.reviews[0].priority

    tf = first_queue(source_type="trusted_flagger", trusted_flagger_id="tf-1")
    ordinary = first_queue(source_type="article_16")
    assert tf[0] == "trusted_flaggers" and ordinary[0] == "notices"
    assert tf[1] > ordinary[1]  # Art. 22: trusted flaggers first
    assert first_queue(source_type="authority_order")[0] == "authority_orders"
    assert first_queue(source_type="other")[0] == "notices"
    urgent = evaluate(default, facts(notice={"source_type": "article_16", "threat_to_life": True}))
    assert [r.queue for r in urgent.reviews] == ["urgent", "notices"]
    assert urgent.reviews[0].sla_hours == 1
    csam_notice = facts(
        notice={"source_type": "trusted_flagger", "category": PROTECTION, "specifications": [CSAM]}
    )
    assert [r.queue for r in evaluate(default, csam_notice).reviews] == ["child_safety"]


def test_repeat_offenders_escalate(default: Policy) -> None:
    v = evaluate(default, facts(notice={"source_type": "article_16"}, account={"strikes": 5}))
    assert [r.queue for r in v.reviews] == ["escalations", "notices"]
    quiet = evaluate(default, facts(account={"strikes": 50}))
    assert quiet.outcome == "allow"  # strikes alone flag nothing


def flagged(*names: str, **scores: float) -> dict[str, Any]:
    """Classifier facts: ``names`` flagged (above threshold), ``scores`` as given, not flagged."""
    out: dict[str, Any] = {
        n: {"score": 0.95, "model": n, "version": "1", "flagged": True} for n in names
    }
    out |= {n: {"score": v, "flagged": False} for n, v in scores.items()}
    return out


def test_sexual_content_with_an_apparent_minor_goes_to_child_safety_first(default: Policy) -> None:
    v = evaluate(
        default, facts(classifiers=flagged("nsfw", "face") | {"apparent_minor": {"score": 0.8}})
    )
    assert v.outcome == "review" and v.rule_ids[0] == "sexual-apparent-minor"
    # least exposure: only the child-safety queue, at the top priority, with the suspicion
    assert [(r.queue, r.priority) for r in v.reviews] == [("child_safety", 100)]
    assert v.reviews[0].suspected_specifications == [CSAM]
    adult = evaluate(
        default, facts(classifiers=flagged("nsfw", "face") | {"apparent_minor": {"score": 0.2}})
    )
    assert [r.queue for r in adult.reviews] == ["general"]  # adult sexual content: a reviewer
    no_sex = evaluate(
        default, facts(classifiers=flagged("face", nsfw=0.1) | {"apparent_minor": {"score": 1.0}})
    )
    assert no_sex.outcome == "allow"  # a child's face alone is not a signal of anything


def test_ai_sexual_content_with_a_face_is_a_suspected_deepfake(default: Policy) -> None:
    f = facts(
        classifiers=flagged("sexual", "face"), provenance={"ai_generated": True, "ai_status": "yes"}
    )
    v = evaluate(default, f)
    assert v.outcome == "review" and v.reviews[0].queue == "ncii" and v.reviews[0].priority == 90
    assert v.reviews[0].suspected_specifications == ["KEYWORD_NON_CONSENSUAL_MATERIAL_DEEPFAKE"]
    assert "ai-generated-label" not in v.rule_ids  # sexual content is not merely labelled
    unknown = facts(
        classifiers=flagged("sexual", "face"),
        provenance={"ai_generated": False, "ai_status": "unknown"},
    )
    v = evaluate(default, unknown)
    assert "sexual-deepfake-real-face" not in v.rule_ids
    assert v.shadow_rule_ids == ["sexual-face-unknown-provenance"]  # measured, not routed
    assert "ncii" not in [r.queue for r in v.reviews]


def test_ai_generated_without_sexual_content_is_labelled(default: Policy) -> None:
    f = facts(
        classifiers=flagged("face", nsfw=0.02, sexual=0.01),
        provenance={"ai_generated": True, "ai_status": "yes", "generator": "Stable Diffusion"},
        item={"content_type": ["CONTENT_TYPE_IMAGE", "CONTENT_TYPE_SYNTHETIC_MEDIA"]},
    )
    v = evaluate(default, f)
    assert v.outcome == "act" and v.deciding_rule == "ai-generated-label"
    assert v.decision is not None
    assert v.decision.decision_visibility == ["DECISION_VISIBILITY_CONTENT_LABELLED"]
    assert "CONTENT_TYPE_SYNTHETIC_MEDIA" in v.decision.content_type
    camera = facts(provenance={"ai_generated": False, "ai_status": "no"})
    assert evaluate(default, camera).outcome == "allow"


@pytest.mark.parametrize(
    ("fact", "queue", "priority"),
    [
        ("text_grooming", "child_safety", 100),
        ("text_threat", "urgent", 90),
        ("text_denial", "hate_speech", 70),
        ("text_hate", "hate_speech", 65),
    ],
)
def test_text_policy_flags_route_to_their_queue(
    default: Policy, fact: str, queue: str, priority: int
) -> None:
    v = evaluate(
        default, facts(classifiers=flagged(fact), item={"content_type": ["CONTENT_TYPE_TEXT"]})
    )
    assert [(r.queue, r.priority) for r in v.reviews] == [(queue, priority)]
    below = evaluate(default, facts(classifiers={fact: {"score": 0.4, "flagged": False}}))
    assert below.outcome == "allow"  # under the model's calibrated threshold


def test_nothing_flagged_is_allowed(default: Policy) -> None:
    v = evaluate(default, facts(item={"content_type": ["CONTENT_TYPE_TEXT"]}))
    assert (v.outcome, v.reason) == ("allow", "no rule matched")


def test_real_scan_of_a_banked_photo(rempart: Rempart) -> None:
    """Bank a photo as NCMEC CSAM, scan a mirrored re-encode, evaluate and replay."""
    rempart.banks.create_bank(
        BankCreate(
            name="NCMEC_CSAM", source="ncmec", dsa_category=PROTECTION, specifications=[CSAM]
        )
    )
    rempart.banks.create_bank(BankCreate(name="SPAM", source="internal"))
    img = photo(3)
    signals = rempart.scanner.describe(rempart.scanner.hash(encode(img))).signals
    rempart.banks.add_content("NCMEC_CSAM", ContentIn(signals={"pdq": signals["pdq"]}))
    rempart.matcher.sync()
    scan = rempart.scanner.scan(encode(ImageOps.mirror(img), quality=70))
    assert scan.matched
    banks = {b.name: b for b in rempart.banks.list_banks()}
    f = Facts.from_scan(scan, banks, account={"id": "acct-1", "strikes": 0})
    assert f.item.content_type == ["CONTENT_TYPE_IMAGE"]
    assert f.matches[0].source == "ncmec" and f.matches[0].dsa_category == PROTECTION
    recorded = rempart.policies.evaluate(f, subject_type="item", subject_ref="item-1")
    v = recorded.verdict
    assert v.outcome == "act" and v.preserve and v.open_case is not None
    assert (v.policy, v.policy_version) == ("rempart-default", 2)
    via = f.matches[0].orientation  # the mirrored copy matched through a mirrored query
    assert via != "original"
    assert any(f"via={via}" in e for h in v.hits for e in h.explanations)  # cited
    replay = rempart.policies.replay(recorded.evaluation_id)
    assert replay.agrees and replay.differences == []
    other = rempart.scanner.scan(encode(photo(44)))
    assert evaluate(rempart.policies.active(), Facts.from_scan(other, banks)).outcome == "allow"
