"""Data-subject access exports and the personal-data retention schedule, on SQLite and
PostgreSQL: notifiers redacted, internal notes out, held and preserved cases untouched."""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from rempart.context import Rempart
from rempart.errors import Invalid, NotFound
from rempart.evidence.dsar import REDACTED, PersonalData, PersonalDataSettings
from rempart.evidence.ledger.models import LedgerEvent
from rempart.moderation.models import (
    Account,
    Appeal,
    Case,
    Decision,
    Item,
    JobNote,
    MisuseAction,
    Notice,
    NoticeItem,
    ReviewJob,
    ReviewQueue,
    Strike,
)
from tests.clock import FakeClock

CAT = "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH"


def world(ctx: Rempart, ref: str = "user-1") -> dict[str, int]:
    """An account with an item, a notice, a decision, an appeal, a strike and a note."""
    now = ctx.clock()
    with ctx.db.session() as s:
        acct = Account(platform_ref=ref)
        s.add(acct)
        s.flush()
        item = Item(platform_ref=f"{ref}-post", account_id=acct.id, url="https://x.test/p/1")
        s.add(item)
        s.flush()
        case = Case(item_id=item.id)
        s.add(case)
        s.flush()
        notice = Notice(
            uuid=str(uuid.uuid4()), category=CAT, notifier_type="individual",
            notifier_name="Marie Curie", notifier_email="marie@example.org",
            explanation="I, Marie Curie (marie@example.org), saw this hateful post",
            status="decided", decided_at=now,
        )  # fmt: skip
        s.add(notice)
        s.flush()
        s.add(NoticeItem(notice_id=notice.id, item_id=item.id, case_id=case.id))
        decision = Decision(
            uuid=str(uuid.uuid4()), case_id=case.id, item_id=item.id, account_id=acct.id,
            decision_visibility=["DECISION_VISIBILITY_CONTENT_REMOVED"],
            application_date=date(2026, 3, 2), decision_facts="reported by Marie Curie",
            source_type="SOURCE_ARTICLE_16", source_identity="Marie Curie",
            automated_decision="AUTOMATED_DECISION_NOT_AUTOMATED", category=CAT,
            decided_by="mod:secret-staff-name", signals={"classifier": 0.97},
        )  # fmt: skip
        s.add(decision)
        s.flush()
        own = Appeal(
            decision_id=decision.id, complainant_role="affected", complainant_ref=ref,
            complaint_type="x", text="it was satire", status="decided", decided_at=now,
            outcome="upheld", reasoned_text="still hateful",
        )  # fmt: skip
        theirs = Appeal(
            decision_id=decision.id, complainant_role="notifier",
            complainant_ref="marie@example.org", complaint_type="x",
            text="Marie here, ban them", status="decided", decided_at=now,
        )  # fmt: skip
        s.add_all([own, theirs])
        s.add(Strike(subject_type="account", subject_ref=ref, reason="hate speech",
                     decision_id=decision.id, expires_at=now + timedelta(days=90)))  # fmt: skip
        s.add(MisuseAction(subject_type="account", subject_ref=ref, action="warning",
                           reason="first warning", decided_by="mod:x"))  # fmt: skip
        queue = ReviewQueue(name=f"q-{ref}")
        s.add(queue)
        s.flush()
        job = ReviewJob(case_id=case.id, queue_id=queue.id)
        s.add(job)
        s.flush()
        s.add(JobNote(job_id=job.id, author="mod:x", text="INTERNAL: user seems a troll"))
        s.flush()
        return {"case": case.id, "notice": notice.id, "own": own.id, "theirs": theirs.id}


def test_subject_export_redacts_notifiers_and_leaves_out_internals(ctx: Rempart) -> None:
    world(ctx)
    out = PersonalData(ctx).subject_export("user-1", by="legal:ann")
    text = json.dumps(out)
    for secret in ("Marie", "marie@example.org", "INTERNAL", "secret-staff-name", "classifier"):
        assert secret not in text, secret
    assert [i["ref"] for i in out["items"]] == ["user-1-post"]
    (notice,) = out["notices"]
    assert notice["notifier_name"] == REDACTED and notice["notifier_email"] == REDACTED
    assert notice["explanation"] == f"I, {REDACTED} ({REDACTED}), saw this hateful post"
    (decision,) = out["decisions"]
    assert decision["decision_visibility"] == ["DECISION_VISIBILITY_CONTENT_REMOVED"]
    assert decision["source_identity"] == REDACTED and decision["category"] == CAT
    own, theirs = out["appeals"]
    assert own["by_you"] and own["text"] == "it was satire" and own["outcome"] == "upheld"
    assert not theirs["by_you"] and theirs["text"] is None
    assert out["strikes"][0]["reason"] == "hate speech"
    assert out["misuse_actions"][0]["action"] == "warning"
    with ctx.db.session() as s:
        ev = s.scalars(select(LedgerEvent).where(LedgerEvent.kind == "personal_data.exported"))
        assert [e.actor for e in ev] == ["legal:ann"]
    with pytest.raises(NotFound):
        PersonalData(ctx).subject_export("nobody")


def test_purge_after_the_period_but_never_held_or_preserved(ctx: Rempart, clock: FakeClock) -> None:
    free = world(ctx, "user-1")
    preserved = world(ctx, "user-2")
    held = world(ctx, "user-3")
    with ctx.db.session() as s:
        s.get(Case, preserved["case"]).preserve = True  # type: ignore[union-attr]
    oid = ctx.vault.store(None, b"post", category=CAT, actor="t", case_id=held["case"]).id
    ctx.vault.place_hold(oid, "COURT_ORDER", "court order 12", "legal:ann")
    pd = PersonalData(ctx, PersonalDataSettings(retention_days=30))
    early = pd.purge_personal_data(clock.now + timedelta(days=29))
    assert early["notices"] == [] and early["appeals"] == []
    report = pd.purge_personal_data(clock.now + timedelta(days=31))
    assert report["notices"] == [free["notice"]]
    assert report["appeals"] == sorted([free["own"], free["theirs"]])
    assert report["kept_for_preservation"] == 6
    with ctx.db.session() as s:
        n = s.get(Notice, free["notice"])
        assert n is not None and n.notifier_name is None and n.notifier_email is None
        assert s.get(Appeal, free["theirs"]).complainant_ref == REDACTED  # type: ignore[union-attr]
        for w in (preserved, held):
            kept = s.get(Notice, w["notice"])
            assert kept is not None and kept.notifier_email == "marie@example.org"
            assert s.get(Appeal, w["theirs"]).complainant_ref == "marie@example.org"  # type: ignore[union-attr]
        kinds = s.scalars(
            select(LedgerEvent.kind).where(LedgerEvent.kind == "personal_data.purged")
        ).all()
    assert len(kinds) == 2
    again = pd.purge_personal_data(clock.now + timedelta(days=31))
    assert again["notices"] == [] and again["appeals"] == []


def notifier_world(ctx: Rempart) -> dict[str, int]:
    """Marie (marie@example.org) reported user-1's post; another notifier too; Marie appealed,
    got a strike and a warning as a notifier."""
    ids = world(ctx, "user-1")
    now = ctx.clock()
    with ctx.db.session() as s:
        item_id = s.scalars(select(Item.id).where(Item.platform_ref == "user-1-post")).one()
        other = Notice(
            uuid=str(uuid.uuid4()), category=CAT, notifier_type="individual",
            notifier_name="Paul Tiers", notifier_email="paul@example.org",
            explanation="same post", status="decided", decided_at=now,
        )  # fmt: skip
        s.add(other)
        s.flush()
        s.add(NoticeItem(notice_id=other.id, item_id=item_id, case_id=ids["case"]))
        old = now - timedelta(days=400)
        strike = Strike(subject_type="notifier", subject_ref="marie@example.org",
                        reason="manifestly unfounded notice", created_at=old,
                        expires_at=old + timedelta(days=180))  # fmt: skip
        live = Strike(subject_type="notifier", subject_ref="marie@example.org",
                      reason="another unfounded notice",
                      expires_at=now + timedelta(days=180))  # fmt: skip
        warning = MisuseAction(subject_type="notifier", subject_ref="marie@example.org",
                               action="warning", reason="warned", decided_by="mod:x",
                               starts_at=old)  # fmt: skip
        s.add_all([strike, live, warning])
        s.flush()
        return {**ids, "old_strike": strike.id, "live_strike": live.id, "warning": warning.id}


def test_subject_export_includes_notices_sent_and_appeals_filed(ctx: Rempart) -> None:
    notifier_world(ctx)
    with ctx.db.session() as s:
        s.add(Account(platform_ref="marie-account"))
    out = PersonalData(ctx).subject_export(
        "marie-account", emails=["Marie@Example.org"], by="legal:ann"
    )
    (sent,) = out["notices_sent"]
    assert sent["notifier_email"] == "marie@example.org"  # her own identity is hers to see
    assert sent["explanation"] == "I, Marie Curie (marie@example.org), saw this hateful post"
    assert sent["items"] == 1 and sent["reported_accounts"] == REDACTED
    assert sent["status"] == "decided"
    text = json.dumps(out)
    for third in ("user-1", "Paul", "paul@example.org", "x.test/p/1"):
        assert third not in text, third  # the reported account and the other notifier
    (appeal,) = out["appeals"]
    assert appeal["by_you"] and appeal["text"] == "Marie here, ban them"
    assert appeal["complainant_role"] == "notifier"
    assert sorted(k["reason"] for k in out["strikes"]) == [
        "another unfounded notice", "manifestly unfounded notice",
    ]  # fmt: skip
    assert all(k["as"] == "notifier" for k in out["strikes"])
    assert [m["as"] for m in out["misuse_actions"]] == ["notifier"]
    # without her e-mail addresses there is nothing to link her notices to the account
    bare = PersonalData(ctx).subject_export("marie-account")
    assert bare["notices_sent"] == [] and bare["appeals"] == []
    with pytest.raises(Invalid):
        PersonalData(ctx).subject_export("marie-account", emails=["not an address"])


def test_purge_pseudonymises_ended_notifier_strikes_and_warnings(
    ctx: Rempart, clock: FakeClock
) -> None:
    ids = notifier_world(ctx)
    pd = PersonalData(ctx, PersonalDataSettings(retention_days=30))
    report = pd.purge_personal_data(clock.now + timedelta(days=31))
    assert report["strikes"] == [ids["old_strike"]] and report["misuse_actions"] == [ids["warning"]]
    with ctx.db.session() as s:
        old = s.get(Strike, ids["old_strike"])
        warning = s.get(MisuseAction, ids["warning"])
        live = s.get(Strike, ids["live_strike"])
        assert old is not None and warning is not None and live is not None
        assert old.subject_ref.startswith("pseudonym:") and "marie" not in old.subject_ref
        assert warning.subject_ref == old.subject_ref  # one person's records still group
        assert live.subject_ref == "marie@example.org"  # still counting under Art. 23
        account_strike = s.scalars(select(Strike).where(Strike.subject_type == "account")).one()
        assert (
            account_strike.subject_ref == "user-1"
        )  # the account's own record is not a notifier ref
    again = pd.purge_personal_data(clock.now + timedelta(days=31))
    assert again["strikes"] == [] and again["misuse_actions"] == []
    event = ctx.ledger.events(kind="personal_data.purged")[0]
    assert event.data["strikes"] == [ids["old_strike"]]
