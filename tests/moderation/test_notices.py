"""Notices (Art. 16), trusted flaggers (Art. 22) and authority orders (Arts 9, 10)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from rempart.context import Rempart
from rempart.errors import RempartError
from rempart.moderation.schemas import ItemIn, NoticeIn, OrderIn, TrustedFlaggerIn
from tests.clock import FakeClock
from tests.moderation.conftest import events


def notice(**kw: Any) -> NoticeIn:
    base: dict[str, Any] = {
        "explanation": "This post insults a named person and threatens them.",
        "items": [{"ref": "post-1"}],
        "category": "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
        "specifications": ["KEYWORD_DEFAMATION"],
        "notifier_name": "Ada Example",
        "notifier_email": "ada@example.org",
        "bona_fide": True,
    }
    return NoticeIn.model_validate(base | kw)


def test_notice_needs_name_and_email_unless_it_is_about_child_abuse() -> None:
    with pytest.raises(ValidationError, match="notifier_name and notifier_email"):
        notice(notifier_name=None, notifier_email=None)
    anonymous = notice(
        notifier_name=None,
        notifier_email=None,
        category="STATEMENT_CATEGORY_PROTECTION_OF_MINORS",
        specifications=["KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL"],
    )
    assert anonymous.child_abuse


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("category", "STATEMENT_CATEGORY_NOPE"),
        ("specifications", ["KEYWORD_DANGEROUS_TOYS"]),  # removed from the TDB in 2025
        ("items", []),
        ("items", [{"locator": "no ref nor url"}]),
        ("bona_fide", False),
        ("notifier_email", "not-an-address"),
    ],
)
def test_bad_notices_are_refused_with_the_field_named(field: str, value: Any) -> None:
    with pytest.raises(ValidationError) as info:
        notice(**{field: value})
    assert info.value.errors()


def test_a_notice_with_several_items_joins_each_items_case_and_confirms_receipt(
    mod: Rempart,
) -> None:
    mod.moderation.put_item(ItemIn(ref="post-1", content_types=["CONTENT_TYPE_TEXT"]))
    first = mod.notices.submit(
        notice(items=[{"ref": "post-1"}, {"url": "https://example.org/p/2"}])
    )
    assert first.items == 2 and len(first.case_ids) == 2 and first.receipt_sent
    second = mod.notices.submit(notice(notifier_email="bob@example.org", notifier_name="Bob"))
    # several notices about one item join one case
    assert second.case_ids[0] in first.case_ids
    receipts = events(mod, "notification.notice_receipt")
    assert [r["to"] for r in receipts] == ["ada@example.org", "bob@example.org"]
    assert mod.notices.get(first.notice_id)["receipt_sent_at"] is not None
    jobs = mod.queues.list_jobs("notices", roles=["moderator"])
    assert len(jobs) == 2  # one job per case, not per notice


def test_anonymous_child_abuse_notice_goes_to_the_restricted_child_safety_queue(
    mod: Rempart,
) -> None:
    receipt = mod.notices.submit(
        notice(
            notifier_name=None,
            notifier_email=None,
            category="STATEMENT_CATEGORY_PROTECTION_OF_MINORS",
            specifications=["KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL"],
        )
    )
    assert receipt.priority_queue == "child_safety" and not receipt.receipt_sent
    assert events(mod, "notification.notice_receipt") == []
    assert [j.case_id for j in mod.queues.list_jobs("child_safety", roles=["child_safety"])] == (
        receipt.case_ids
    )
    with pytest.raises(RempartError):
        mod.queues.list_jobs("child_safety", roles=["moderator"])


def test_trusted_flagger_notices_are_prioritised_and_measured(mod: Rempart) -> None:
    key, _secret = mod.keys.create("tf", ["trusted_flagger"])
    tf = mod.notices.add_flagger(
        TrustedFlaggerIn(
            name="Hotline FR",
            awarding_dsc="FR",
            expertise=["STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH"],
            contact_email="reports@hotline.example",
        ),
        key.id,
    )
    principal = mod.keys.verify(_secret)
    ordinary = mod.notices.submit(notice(items=[{"ref": "a"}]))
    flagged = mod.notices.submit(notice(items=[{"ref": "b"}]), principal)
    # the default policy routes them to their queues...
    assert flagged.trusted_flagger == "Hotline FR" and flagged.priority_queue == "trusted_flaggers"
    assert ordinary.priority_queue == "notices"
    # ...and a reviewer taking what is next gets the trusted flagger's, submitted later, first
    first = mod.queues.claim_next("*", reviewer="mia", roles=["moderator"])
    second = mod.queues.claim_next("*", reviewer="mia", roles=["moderator"])
    assert first is not None and first.case_id == flagged.case_ids[0]
    assert second is not None and second.case_id == ordinary.case_ids[0]
    [evaluation] = mod.policies.evaluations(subject_ref=f"{flagged.notice_id}/b")
    assert evaluation.rule_ids == ["notice-trusted-flagger"]
    out = mod.notices.flaggers()
    assert out[0].id == tf.id and out[0].notices == 1 and out[0].action_share is None
    # outside its area of expertise a trusted flagger's notice is an ordinary one
    other = mod.notices.submit(
        notice(items=[{"ref": "c"}], category="STATEMENT_CATEGORY_SCAMS_AND_FRAUD"), principal
    )
    assert other.priority_queue == "notices"


def test_order_deadlines_one_hour_for_terrorist_content_24h_for_french_csam(
    mod: Rempart, mclock: FakeClock
) -> None:
    tco = mod.notices.receive_order(
        OrderIn(
            kind="act",
            regime="tco",
            issuing_member_state="DE",
            issuing_authority="BKA",
            legal_basis="Regulation (EU) 2021/784, Article 3",
            category="STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY",
            specifications=["KEYWORD_TERRORIST_CONTENT"],
            items=[{"ref": "video-9"}],
        )
    )
    assert tco.deadline_at == mclock.now + timedelta(hours=1)
    assert tco.receipt_confirmed_at == mclock.now
    csam = mod.notices.receive_order(
        OrderIn(
            kind="act",
            issuing_member_state="FR",
            issuing_authority="OFMIN",
            legal_basis="Loi n° 2004-575, art. 6-1",
            category="STATEMENT_CATEGORY_PROTECTION_OF_MINORS",
            specifications=["KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL"],
            items=[{"ref": "img-3"}],
            effective_at=mclock.now + timedelta(hours=2),
        )
    )
    assert csam.deadline_at == mclock.now + timedelta(hours=26)
    info = mod.notices.receive_order(
        OrderIn(
            kind="info",
            issuing_member_state="IT",
            issuing_authority="Polizia Postale",
            legal_basis="Art. 10 DSA",
            items=[{"ref": "acct-post"}],
        )
    )
    assert info.deadline_at is None
    orders_queue = mod.queues.list_jobs("authority_orders", roles=["moderator"])
    assert [j.due_at for j in orders_queue] == [tco.deadline_at]
    cs = mod.queues.list_jobs("child_safety", roles=["child_safety"])
    assert [j.due_at for j in cs] == [csam.deadline_at]
