"""The automated path: an upload matches a bank, the default policy acts or queues it."""

from __future__ import annotations

import pytest

from rempart.banks.schemas import BankCreate, ContentIn
from rempart.compliance.sor import stored_statement
from rempart.compliance.tdb.rules import validate_statement
from rempart.config import MediaLimits
from rempart.context import Rempart
from rempart.errors import RempartError
from rempart.moderation.schemas import DecisionIn, ItemIn
from rempart.signals.hashing import hash_photo
from tests.conftest import encode, photo
from tests.moderation.conftest import events, person

CSAM = {
    "dsa_category": "STATEMENT_CATEGORY_PROTECTION_OF_MINORS",
    "specifications": ["KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL"],
}


def bank_photo(mod: Rempart, bank: str, seed: int, **settings: object) -> bytes:
    """Bank a photo's PDQ in a new bank and return the photo's bytes (re-encoded, as uploaded)."""
    mod.banks.create_bank(BankCreate.model_validate({"name": bank, **settings}))
    original = encode(photo(seed), quality=95)
    pdq = hash_photo(original, MediaLimits(), fast=False).pdq
    assert pdq is not None
    mod.banks.add_content(bank, ContentIn(signals={"pdq": pdq.hex}))
    mod.matcher.sync()
    return encode(photo(seed), quality=70)


def upload(mod: Rempart, ref: str, account: str = "user-1") -> None:
    mod.moderation.put_item(ItemIn(ref=ref, account={"ref": account}))


@pytest.fixture
def loaded(mod: Rempart) -> Rempart:
    mod.matcher.load()
    return mod


def test_verified_csam_match_is_blocked_preserved_and_opens_a_child_safety_case(
    loaded: Rempart,
) -> None:
    mod = loaded
    data = bank_photo(mod, "NCMEC_HASHES", 1, source="ncmec", **CSAM)
    upload(mod, "img-1")
    out = mod.moderation.ingest("img-1", data)
    assert out.outcome == "act" and out.preserve and out.decision_id is not None
    assert out.rule_ids and "csam" in out.rule_ids[0]
    assert mod.moderation.get_item("img-1").status == "restricted"
    d = mod.decisions.get(out.decision_id, ["child_safety"])
    assert d.automated_decision == "AUTOMATED_DECISION_FULLY" and d.automated_detection
    assert d.decided_by.startswith("rule:") and d.policy_version
    body = stored_statement(mod, out.decision_id, ["child_safety"])
    assert validate_statement(body) == {}
    assert body["automated_detection"] == "Yes" and body["source_type"] == "SOURCE_VOLUNTARY"
    assert body["category_specification"] == ["KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL"]
    assert len(events(mod, "decision.enforce")) == 1
    # the case stays open for a person, in the child-safety queue that only that role sees
    assert out.case_id is not None and "child_safety" in out.queues
    case = mod.moderation.case(out.case_id, ["child_safety"])
    assert case["status"] == "open" and case["person_only_close"] and case["preserve"]
    for roles in (["moderator"], ["admin"], ["senior_moderator"]):
        with pytest.raises(RempartError):
            mod.moderation.case(out.case_id, roles)
        with pytest.raises(RempartError):
            mod.decisions.get(out.decision_id, roles)
    # the upload itself is preserved, encrypted, as CSAM evidence of the case
    [object_id] = out.evidence_ids
    original = mod.vault.read(
        object_id,
        principal_roles=["child_safety"],
        actor="cs1",
        case_ref=f"case:{out.case_id}",
        purpose="review",
    )
    assert original == data
    for roles in (["moderator"], ["admin"], ["legal"]):
        with pytest.raises(RempartError):
            mod.vault.read(
                object_id, principal_roles=roles, actor="x", case_ref="case:1", purpose="peek"
            )
    kinds = [e.kind for e in mod.ledger.events(subject=f"vault_object:{object_id}")]
    assert kinds[0].startswith("evidence.") and len(kinds) >= 2  # stored, then viewed, refused
    job = mod.queues.claim_next("child_safety", reviewer="cs1", roles=["child_safety"])
    assert job is not None and job.case_id == out.case_id
    closed = mod.moderation.close_case(
        out.case_id, person("cs1", "child_safety"), "Confirmed; reported to NCMEC."
    )
    assert closed["status"] == "closed" and closed["closed_by"] == "cs1"


def test_ncii_match_removes_and_queues_for_review(loaded: Rempart) -> None:
    mod = loaded
    data = bank_photo(
        mod,
        "STOPNCII",
        2,
        source="stopncii",
        dsa_category="STATEMENT_CATEGORY_CYBER_VIOLENCE",
        specifications=["KEYWORD_NON_CONSENSUAL_IMAGE_SHARING"],
    )
    upload(mod, "img-2")
    out = mod.moderation.ingest("img-2", data)
    assert out.outcome == "act" and out.decision_id is not None
    assert out.queues and mod.moderation.get_item("img-2").status == "restricted"
    [job] = mod.queues.list_jobs(out.queues[0], roles=["moderator"])
    assert job.case_id == out.case_id
    claimed = mod.queues.claim(job.id, reviewer="mia", roles=["moderator"])
    with pytest.raises(RempartError) as info:  # the rule already acted: confirm or overturn
        mod.decisions.decide_job(
            job.id,
            DecisionIn(action=False, category="STATEMENT_CATEGORY_CYBER_VIOLENCE"),
            person("mia"),
            claimed.lease_token,
        )
    assert info.value.code == "review_automated_decision"
    overturned = mod.decisions.review_job(
        job.id,
        confirm=False,
        reason="Not intimate imagery: a hash collision.",
        principal=person("mia"),
        lease_token=claimed.lease_token,
    )
    assert overturned.reverses_id == out.decision_id and not overturned.action
    assert mod.moderation.get_item("img-2").status == "visible"
    assert len(events(mod, "decision.reverse")) == 1
    case = mod.moderation.case(out.case_id or 0, ["moderator"])
    assert case["status"] == "closed"
    assert {f["review_outcome"] for f in case["flags"]} == {"overturned"}


def test_unrelated_upload_is_allowed_and_the_evaluation_recorded(loaded: Rempart) -> None:
    mod = loaded
    bank_photo(mod, "NCMEC_HASHES", 3, source="ncmec", **CSAM)
    upload(mod, "img-3")
    out = mod.moderation.ingest("img-3", encode(photo(99)))
    assert out.outcome == "allow" and out.decision_id is None and out.case_id is None
    [evaluation] = mod.policies.evaluations(subject_ref="img-3")
    assert evaluation.id == out.evaluation_id
    assert mod.moderation.get_item("img-3").status == "visible"


def test_a_person_confirming_a_flag_counts_for_the_detector(loaded: Rempart) -> None:
    """A bank flag reviewed by a person becomes a true or false positive (report Part 8)."""
    mod = loaded
    data = bank_photo(mod, "INTERNAL", 4, source="internal")
    upload(mod, "img-4")
    out = mod.moderation.ingest("img-4", data)
    assert out.outcome == "review" and out.queues
    job = mod.queues.claim_next(out.queues[0], reviewer="mia", roles=["moderator"])
    assert job is not None
    mod.decisions.decide_job(
        job.id,
        DecisionIn(action=False, category="STATEMENT_CATEGORY_OTHER_VIOLATION_TC"),
        person("mia"),
        job.lease_token,
    )
    case = mod.moderation.case(out.case_id or 0, ["moderator"])
    assert [f["review_outcome"] for f in case["flags"]] == ["overturned"]


def test_ingest_of_an_unknown_item_is_404(mod: Rempart) -> None:
    with pytest.raises(RempartError) as info:
        mod.moderation.ingest("nope", b"x")
    assert info.value.status == 404
