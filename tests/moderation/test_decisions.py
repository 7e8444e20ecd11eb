"""Decisions: every Art. 17(3) element recorded, carried out, explained; appeals; disputes."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from rempart.compliance.sor import stored_statement
from rempart.compliance.tdb.rules import validate_statement
from rempart.context import Rempart
from rempart.errors import RempartError
from rempart.moderation.schemas import (
    AppealDecisionIn,
    AppealIn,
    DecisionIn,
    DisputeIn,
    DisputeOutcomeIn,
    ItemIn,
    NoticeIn,
)
from tests.clock import FakeClock
from tests.moderation.conftest import events, person

REMOVE = {
    "decision_visibility": ["DECISION_VISIBILITY_CONTENT_REMOVED"],
    "decision_ground": "DECISION_GROUND_ILLEGAL_CONTENT",
    "illegal_content_legal_ground": "Loi du 29 juillet 1881, art. 29 (diffamation)",
    "illegal_content_explanation": "The post accuses a named person of a crime without basis.",
    "category": "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
    "category_specification": ["KEYWORD_DEFAMATION"],
    "decision_facts": "Reported by a notice; a moderator found the allegation defamatory.",
}


def setup_notice(mod: Rempart, ref: str = "post-1", email: str = "ada@example.org") -> str:
    mod.moderation.put_item(
        ItemIn(
            ref=ref,
            account={"ref": "user-7", "account_type": "ACCOUNT_TYPE_PRIVATE"},
            content_types=["CONTENT_TYPE_TEXT"],
            language="fr",
            content_date=date(2026, 2, 27),
        )
    )
    receipt = mod.notices.submit(
        NoticeIn(
            explanation="Defamatory accusation against my colleague.",
            items=[{"ref": ref}],
            category="STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
            specifications=["KEYWORD_DEFAMATION"],
            notifier_name="Ada Example",
            notifier_email=email,
            bona_fide=True,
        )
    )
    return receipt.notice_id


def decide(mod: Rempart, reviewer: str = "mia", body: dict[str, Any] | None = None) -> Any:
    job = mod.queues.claim_next("notices", reviewer=reviewer, roles=["moderator"])
    assert job is not None
    return mod.decisions.decide_job(
        job.id, DecisionIn.model_validate(body or REMOVE), person(reviewer), job.lease_token
    )


def test_a_decision_records_every_element_and_is_carried_out(mod: Rempart) -> None:
    notice_id = setup_notice(mod)
    d = decide(mod)
    assert d.action and d.source_type == "SOURCE_ARTICLE_16"
    assert d.automated_decision == "AUTOMATED_DECISION_NOT_AUTOMATED" and not d.automated_detection
    assert mod.moderation.get_item("post-1").status == "restricted"
    assert mod.notices.get(notice_id)["status"] == "decided"
    [enforce] = events(mod, "decision.enforce")
    assert enforce["item"] == "post-1" and enforce["restriction"]["decision_visibility"] == [
        "DECISION_VISIBILITY_CONTENT_REMOVED"
    ]
    [sor] = events(mod, "notification.statement_of_reasons")
    statement = sor["statement_of_reasons"]
    assert sor["account"] == "user-7"
    assert statement["ground"]["legal_ground"].startswith("Loi du 29 juillet 1881")
    assert set(statement["redress"]) == {
        "internal_complaint",
        "out_of_court_settlement",
        "judicial_redress",
    }
    [answer] = events(mod, "notification.notifier_decision")
    assert answer["to"] == "ada@example.org" and answer["action_taken"] is True
    assert "redress" in answer and "automated_means" in answer


def test_the_statement_of_reasons_is_what_the_transparency_database_takes(mod: Rempart) -> None:
    setup_notice(mod)
    d = decide(mod)
    body = stored_statement(mod, d.id, ["legal"])
    assert validate_statement(body) == {}
    assert body["decision_ground"] == "DECISION_GROUND_ILLEGAL_CONTENT"
    assert body["content_type"] == ["CONTENT_TYPE_TEXT"] and body["content_language"] == "FR"
    assert body["content_date"] == "2026-02-27" and body["application_date"] == "2026-03-02"
    assert body["source_type"] == "SOURCE_ARTICLE_16" and "source_identity" not in body
    assert body["automated_detection"] == "No"
    assert body["account_type"] == "ACCOUNT_TYPE_PRIVATE"
    assert len(body["territorial_scope"]) == 30 and "GR" in body["territorial_scope"]
    # no personal data: the notifier is not named anywhere in the database copy
    assert "ada@example.org" not in str(body) and "Ada Example" not in str(body)


def test_an_expired_lease_cannot_decide(mod: Rempart, mclock: FakeClock) -> None:
    setup_notice(mod)
    job = mod.queues.claim_next("notices", reviewer="mia", roles=["moderator"], lease_s=60)
    assert job is not None
    mclock.advance(seconds=61)
    other = mod.queues.claim_next("notices", reviewer="noa", roles=["moderator"])
    assert other is not None and other.id == job.id
    with pytest.raises(RempartError) as info:
        mod.decisions.decide_job(job.id, DecisionIn.model_validate(REMOVE), person("mia"), 1)
    assert info.value.status == 409
    assert events(mod, "decision.enforce") == []  # nothing of the refused decision remains
    assert mod.moderation.get_item("post-1").status == "visible"


def test_decision_not_to_act_on_unfounded_notices_strikes_the_notifier(mod: Rempart) -> None:
    setup_notice(mod)
    d = decide(
        mod,
        body={
            "action": False,
            "category": "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
            "notice_unfounded": True,
        },
    )
    assert not d.action
    with pytest.raises(RempartError) as info:
        stored_statement(mod, d.id, ["legal"])
    assert info.value.status == 409  # nothing is restricted: no statement for the database
    assert mod.misuse.active_weight("notifier", "ada@example.org") == 1.0
    assert events(mod, "notification.statement_of_reasons") == []
    [answer] = events(mod, "notification.notifier_decision")
    assert answer["action_taken"] is False


def test_appeal_reversed_by_another_person_undoes_the_enforcement(mod: Rempart) -> None:
    setup_notice(mod)
    d = decide(mod, reviewer="mia")
    assert mod.misuse.active_weight("account", "user-7") == 1.0
    appeal = mod.appeals.submit(
        d.id,
        AppealIn(complainant_role="affected", complainant_ref="user-7", text="It is true."),
    )
    assert appeal.complaint_type == "restrict_visibility"
    assert [j.case_id for j in mod.queues.list_jobs("appeals", roles=["moderator"])] == [d.case_id]
    body = AppealDecisionIn(outcome="reversed", reasoned_text="The claim is documented.")
    with pytest.raises(RempartError) as info:
        mod.appeals.decide(appeal.id, body, person("mia", "senior_moderator"))
    assert info.value.status == 403  # the person who decided may not decide the appeal
    out = mod.appeals.decide(appeal.id, body, person("sam", "senior_moderator"))
    assert out.outcome == "reversed" and out.new_decision_id is not None
    assert mod.decisions.get(d.id, ["legal"]).status == "reversed"
    assert mod.moderation.get_item("post-1").status == "visible"
    [reverse] = events(mod, "decision.reverse")
    assert reverse["decision_id"] == d.uuid and reverse["reversed"] == "fully"
    assert mod.misuse.active_weight("account", "user-7") == 0.0
    # the user is told what was lifted: a new statement for the replacing decision
    _first, lifted = events(mod, "notification.statement_of_reasons")
    assert lifted["statement_of_reasons"]["replaces_decision"] == d.id
    assert lifted["statement_of_reasons"]["restriction"]["visibility"] == []
    [outcome] = events(mod, "notification.appeal_decision")
    assert outcome["outcome"] == "reversed" and "out_of_court_settlement" in outcome["redress"]
    assert mod.queues.list_jobs("appeals", roles=["moderator"]) == []
    with pytest.raises(RempartError):  # a decided appeal stays decided
        mod.appeals.decide(appeal.id, body, person("zoe", "senior_moderator"))


def test_partial_reversal_sends_a_new_statement_with_a_new_puid(mod: Rempart) -> None:
    setup_notice(mod)
    d = decide(mod)
    first = stored_statement(mod, d.id, ["legal"])
    appeal = mod.appeals.submit(
        d.id, AppealIn(complainant_role="affected", complainant_ref="user-7", text="Too harsh.")
    )
    demote = REMOVE | {"decision_visibility": ["DECISION_VISIBILITY_CONTENT_DEMOTED"]}
    out = mod.appeals.decide(
        appeal.id,
        AppealDecisionIn(
            outcome="partially_reversed",
            reasoned_text="Demotion is enough.",
            new_decision=DecisionIn.model_validate(demote),
        ),
        person("sam", "senior_moderator"),
    )
    assert out.new_decision_id is not None
    second = stored_statement(mod, out.new_decision_id, ["legal"])
    assert second["puid"] != first["puid"]
    assert second["decision_visibility"] == ["DECISION_VISIBILITY_CONTENT_DEMOTED"]
    assert validate_statement(second) == {}
    assert mod.decisions.get(d.id, ["legal"]).status == "partially_reversed"


def test_notifier_appeals_a_decision_not_to_act_and_wins(mod: Rempart) -> None:
    setup_notice(mod)
    d = decide(mod, body={"action": False, "category": REMOVE["category"]})
    with pytest.raises(RempartError) as info:
        mod.appeals.submit(
            d.id, AppealIn(complainant_role="notifier", complainant_ref="eve@x.org", text="!")
        )
    assert info.value.status == 403  # not a notifier of this decision
    with pytest.raises(RempartError):  # the affected user has nothing to appeal
        mod.appeals.submit(
            d.id, AppealIn(complainant_role="affected", complainant_ref="user-7", text="?")
        )
    appeal = mod.appeals.submit(
        d.id,
        AppealIn(complainant_role="notifier", complainant_ref="Ada@Example.org", text="Look again"),
    )
    assert appeal.complaint_type == "no_action_on_notice"
    out = mod.appeals.decide(
        appeal.id,
        AppealDecisionIn(
            outcome="reversed",
            reasoned_text="On review the post is defamatory.",
            new_decision=DecisionIn.model_validate(REMOVE),
        ),
        person("sam", "senior_moderator"),
    )
    assert out.new_decision_id is not None
    assert mod.moderation.get_item("post-1").status == "restricted"
    assert len(events(mod, "decision.enforce")) == 1


def test_the_appeal_window_is_six_months_from_the_notification(
    mod: Rempart, mclock: FakeClock
) -> None:
    setup_notice(mod)
    d = decide(mod)
    mclock.advance(days=183)  # 2 March + 6 months = 2 September; now 1 September
    mod.appeals.submit(
        d.id, AppealIn(complainant_role="affected", complainant_ref="user-7", text="late")
    )
    setup_notice(mod, ref="post-2", email="bo@example.org")
    d2 = decide(mod)
    mclock.advance(days=184)
    with pytest.raises(RempartError) as info:
        mod.appeals.submit(
            d2.id, AppealIn(complainant_role="affected", complainant_ref="user-7", text="late")
        )
    assert info.value.code == "appeal_window_closed"


def test_out_of_court_disputes_are_recorded_with_their_implementation(mod: Rempart) -> None:
    setup_notice(mod)
    d = decide(mod)
    dispute = mod.appeals.add_dispute(d.id, DisputeIn(body_name="User Rights ODS"))
    out = mod.appeals.dispute_outcome(
        dispute.id, DisputeOutcomeIn(outcome="reversed", implemented=True, fees_paid=True)
    )
    assert out.outcome == "reversed" and out.implemented is True
    assert [x.id for x in mod.appeals.disputes()] == [dispute.id]


def test_decision_validation_names_what_is_missing() -> None:
    with pytest.raises(ValueError, match="illegal_content_legal_ground"):
        DecisionIn.model_validate(REMOVE | {"illegal_content_legal_ground": None})
    with pytest.raises(ValueError, match="decision_visibility"):
        DecisionIn.model_validate(REMOVE | {"decision_visibility": []})
    with pytest.raises(ValueError, match="cannot restrict"):
        DecisionIn.model_validate(REMOVE | {"action": False})
    with pytest.raises(ValueError, match="territorial_scope"):
        DecisionIn.model_validate(REMOVE | {"territorial_scope": ["EL"]})


def test_decisions_the_transparency_database_would_refuse_are_refused_at_the_edge() -> None:
    """Blank-looking texts (zero-width spaces), bad URLs and far end dates fail here, not later."""
    with pytest.raises(ValueError, match="decision_facts"):
        DecisionIn.model_validate(REMOVE | {"decision_facts": "\u200b \ufeff"})
    with pytest.raises(ValueError, match="illegal_content_legal_ground and its explanation"):
        DecisionIn.model_validate(REMOVE | {"illegal_content_explanation": " \u200e "})
    with pytest.raises(ValueError, match="decision_ground_reference_url"):
        DecisionIn.model_validate(REMOVE | {"decision_ground_reference_url": "javascript:x"})
    with pytest.raises(ValueError, match="end_date_visibility_restriction"):
        DecisionIn.model_validate(
            REMOVE | {"end_date_visibility_restriction": date(2040, 1, 1).isoformat()}
        )
    ok = DecisionIn.model_validate(
        REMOVE | {"decision_ground_reference_url": "https://example.org/terms#s3"}
    )
    assert ok.decision_ground_reference_url == "https://example.org/terms#s3"
    with pytest.raises(ValueError, match="language"):
        ItemIn.model_validate({"ref": "p", "language": "XX"})
    assert ItemIn.model_validate({"ref": "p", "language": "fr"}).language == "FR"


def test_repeated_illegal_content_warns_then_suspends_with_its_own_statement(
    mod: Rempart, mclock: FakeClock
) -> None:
    """Art. 23(1): a warning first; the suspension that follows is a decision with a SoR."""
    suspended = None
    for n in range(8):
        mclock.advance(hours=1)
        setup_notice(mod, ref=f"post-{n}", email=f"n{n}@example.org")
        decide(mod, body=REMOVE | {"strike_weight": 2.0})
        history = mod.misuse.history("account", "user-7")
        if any(a.action == "suspension" for a in history.actions):
            suspended = next(a for a in history.actions if a.action == "suspension")
            break
    assert suspended is not None and suspended.decision_id is not None
    actions = [a.action for a in mod.misuse.history("account", "user-7").actions]
    assert actions.index("warning") < actions.index("suspension")
    assert events(mod, "account.warn") and events(mod, "account.suspend")
    body = stored_statement(mod, suspended.decision_id, ["legal"])
    assert body["decision_account"] == "DECISION_ACCOUNT_SUSPENDED"
    assert body["end_date_account_restriction"] == suspended.ends_at.date().isoformat()
    assert validate_statement(body) == {}
