"""Issue 5 through the automated path: provenance and classifiers become facts and decisions."""

from __future__ import annotations

from rempart.compliance.sor import stored_statement
from rempart.compliance.tdb.rules import validate_statement
from rempart.context import Rempart
from rempart.moderation.schemas import ItemIn
from tests import provtools as pt


def upload(mod: Rempart, ref: str, **item: object) -> None:
    mod.moderation.put_item(ItemIn.model_validate({"ref": ref, "account": {"ref": "u1"}, **item}))


def test_an_ai_generated_image_is_labelled_with_a_statement_of_reasons(mod: Rempart) -> None:
    upload(mod, "gen-1", content_types=["CONTENT_TYPE_IMAGE"])
    out = mod.moderation.ingest("gen-1", pt.png_with_a1111_parameters())
    assert out.outcome == "act" and out.rule_ids[0] == "ai-generated-label", out
    assert out.decision_id is not None
    body = stored_statement(mod, out.decision_id, ["moderator"])
    assert body["decision_visibility"] == ["DECISION_VISIBILITY_CONTENT_LABELLED"]
    assert "CONTENT_TYPE_SYNTHETIC_MEDIA" in body["content_type"]
    assert body["automated_detection"] == "Yes"
    assert validate_statement(body) == {}
    assert "provenance ai_generated=true" in body["decision_facts"]  # it cites its evidence
    case = mod.moderation.case(out.case_id or 0, ["moderator"])
    facts = case["facts"]
    assert facts["provenance"]["ai_generated"] is True
    assert facts["provenance"]["generator"]  # the decision cites what was found
    assert "png_text" in facts["provenance"]["evidence"]
    assert {"nsfw", "sexual", "face"} <= set(facts["classifiers"])
    kinds = [e.kind for e in mod.ledger.events(subject="item:gen-1")]
    assert "classification" in kinds and kinds.index("classification") < kinds.index(
        "policy_evaluation"
    )


def test_a_clean_photo_is_allowed_and_its_scores_are_still_on_record(mod: Rempart) -> None:
    upload(mod, "cam-1")
    out = mod.moderation.ingest("cam-1", pt.clean_photo("astronaut"))
    assert out.outcome == "allow" and out.decision_id is None, out
    [event] = [e for e in mod.ledger.events(subject="item:cam-1") if e.kind == "classification"]
    assert event.data["provenance"]["ai_status"] == "unknown"  # no metadata proves nothing
    assert event.data["classifiers"]["face"]["flagged"] is True  # the astronaut's face
    assert event.data["classifiers"]["nsfw"]["flagged"] is False


def test_a_jpeg_re_encode_strips_the_marking_and_nothing_is_claimed(mod: Rempart) -> None:
    upload(mod, "gen-2")
    stripped = pt.reencode_jpeg(pt.png_with_a1111_parameters())
    out = mod.moderation.ingest("gen-2", stripped)
    assert out.outcome == "allow" and "ai-generated-label" not in out.rule_ids
