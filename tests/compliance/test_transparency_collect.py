"""``collect`` on a real database (SQLite and PostgreSQL), filled through the moderation services.

Notices, orders, decisions, appeals and disputes go through the lead's services with a clock
the test moves; automated flags, cases for own-initiative decisions and an Art. 23 suspension
are seeded as rows (what the intake and misuse paths would write). The figures are then read
back from the written report.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from rempart.access.services import Principal
from rempart.compliance.transparency.collect import collect
from rempart.compliance.transparency.data import ReportData
from rempart.compliance.transparency.profile import ReportProfile
from rempart.compliance.transparency.writer import render_report
from rempart.config import Settings
from rempart.context import Rempart
from rempart.moderation.items import open_case
from rempart.moderation.models import AutomatedFlag, Case, Item, MisuseAction, Notice
from rempart.moderation.schemas import (
    AccountIn,
    AppealDecisionIn,
    AppealIn,
    DecisionIn,
    DisputeIn,
    DisputeOutcomeIn,
    ItemIn,
    NoticeIn,
    NoticeItemIn,
    OrderIn,
    TrustedFlaggerIn,
)

START, END = date(2026, 3, 1), date(2026, 3, 31)
H = timedelta(hours=1)


class Clock:
    """A clock the test sets."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def at(self, year: int, month: int, day: int, hour: int, minute: int) -> None:
        self.now = datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def world(settings: Settings) -> Iterator[tuple[Rempart, Clock]]:
    clock = Clock(datetime(2026, 2, 27, 9, 0, tzinfo=UTC))
    ctx = Rempart.open(settings, clock=clock, load_index=False)
    ctx.prepare_moderation()
    yield ctx, clock
    ctx.close()


def principal(ctx: Rempart, name: str, role: str) -> Principal:
    _, secret = ctx.keys.create(name, [role])
    p = ctx.keys.verify(secret)
    assert p is not None
    return p


def act(ground: str, **extra: Any) -> DecisionIn:
    base: dict[str, Any] = {"decision_facts": "facts", "strike_weight": 0}
    if ground == "law":
        base |= {
            "decision_ground": "DECISION_GROUND_ILLEGAL_CONTENT",
            "illegal_content_legal_ground": "Art. 130 StGB",
            "illegal_content_explanation": "incites hatred",
        }
    else:
        base |= {
            "decision_ground": "DECISION_GROUND_INCOMPATIBLE_CONTENT",
            "incompatible_content_ground": "Community rules 4.2",
            "incompatible_content_explanation": "not allowed here",
        }
    return DecisionIn(**(base | extra))


def notice(item_refs: list[str], category: str, spec: str, email: str) -> NoticeIn:
    return NoticeIn(
        explanation="this is illegal",
        items=[NoticeItemIn(ref=r) for r in item_refs],
        category=category,
        specifications=[spec],
        notifier_name="A Notifier",
        notifier_email=email,
        bona_fide=True,
    )


def case_of(ctx: Rempart, ref: str) -> int:
    with ctx.db.session() as s:
        item = s.scalar(select(Item).where(Item.platform_ref == ref))
        assert item is not None
        case = s.scalar(select(Case).where(Case.item_id == item.id).order_by(Case.id.desc()))
        assert case is not None
        return case.id


def own_case(ctx: Rempart, ref: str, flags: list[tuple[str, str, str | None]]) -> int:
    """An item with an open case and automated flags on it, as the intake would leave it."""
    now = ctx.clock()
    with ctx.db.session() as s:
        item = s.scalar(select(Item).where(Item.platform_ref == ref))
        assert item is not None
        case = open_case(s, item, now)
        for kind, name, category in flags:
            s.add(
                AutomatedFlag(
                    case_id=case.id,
                    item_id=item.id,
                    detector_kind=kind,
                    detector=name,
                    category=category,
                    flagged_at=now,
                )
            )
        return case.id


def build(ctx: Rempart, clock: Clock) -> None:
    mod = principal(ctx, "mod-a", "moderator")
    senior = principal(ctx, "senior-b", "senior_moderator")
    tf_key, tf_secret = ctx.keys.create("hate-watch", ["trusted_flagger"])
    tf = ctx.keys.verify(tf_secret)
    ctx.notices.add_flagger(
        TrustedFlaggerIn(
            name="Hate Watch",
            awarding_dsc="DE",
            expertise=["STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH"],
            contact_email="desk@hatewatch.example",
        ),
        tf_key.id,
    )
    refs: list[tuple[str, str | None]] = [("post-1", "de"), ("post-2", "de"), ("post-3", "fr")]
    refs += [("own-1", "en")]
    refs += [("own-2", None), ("own-3", None), ("own-4", "en"), ("vid-1", "fr"), ("old-1", None)]
    for i, (ref, lang) in enumerate(refs):
        ctx.moderation.put_item(ItemIn(ref=ref, account=AccountIn(ref=f"acct-{i}"), language=lang))
    hate = "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH"
    # before the period: not reported
    ctx.notices.submit(notice(["old-1"], hate, "KEYWORD_HATE_SPEECH", "old@example.org"))
    clock.at(2026, 3, 2, 10, 0)
    ctx.notices.submit(notice(["post-1", "post-2"], hate, "KEYWORD_HATE_SPEECH", "n1@example.org"))
    clock.at(2026, 3, 2, 12, 0)
    ctx.notices.submit(notice(["post-3"], hate, "KEYWORD_DEFAMATION", "x@example.org"), tf)
    with ctx.db.session() as s:  # processed by automated means: hashed on arrival
        tf_notice = s.scalars(select(Notice).order_by(Notice.id.desc())).first()
        assert tf_notice is not None
        tf_notice.automated_processing = True
    clock.at(2026, 3, 2, 12, 30)
    own_case(ctx, "post-3", [("classifier", "hate-text", hate)])
    clock.at(2026, 3, 2, 13, 30)
    ctx.decisions.decide_case(
        case_of(ctx, "post-3"),
        act("terms", decision_visibility=["DECISION_VISIBILITY_CONTENT_REMOVED"]),
        mod,
    )
    clock.at(2026, 3, 2, 15, 0)
    post1 = ctx.decisions.decide_case(
        case_of(ctx, "post-1"),
        act("law", decision_visibility=["DECISION_VISIBILITY_CONTENT_DISABLED"]),
        mod,
    )
    clock.at(2026, 3, 3, 10, 0)
    post2 = ctx.decisions.decide_case(
        case_of(ctx, "post-2"), DecisionIn(action=False, category=hate), mod
    )
    clock.at(2026, 3, 4, 10, 0)
    pending = ctx.appeals.submit(
        post2.id,
        AppealIn(complainant_role="notifier", complainant_ref="n1@example.org", text="act!"),
    )
    # orders: France (act, confirmed 30 min after it arrived), Greece (information)
    clock.at(2026, 3, 5, 9, 30)
    ctx.notices.receive_order(
        OrderIn(
            kind="act",
            issuing_member_state="FR",
            issuing_authority="OCLCTIC",
            legal_basis="Art. 6-1 LCEN",
            category="STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY",
            specifications=["KEYWORD_TERRORIST_CONTENT"],
            items=[NoticeItemIn(ref="vid-1")],
            received_at=datetime(2026, 3, 5, 9, 0, tzinfo=UTC),
        )
    )
    clock.at(2026, 3, 5, 11, 0)
    ctx.decisions.decide_case(
        case_of(ctx, "vid-1"),
        act("law", decision_visibility=["DECISION_VISIBILITY_CONTENT_REMOVED"]),
        mod,
    )
    clock.at(2026, 3, 6, 8, 0)
    info = ctx.notices.receive_order(
        OrderIn(
            kind="info",
            issuing_member_state="GR",
            issuing_authority="Hellenic Police",
            legal_basis="Art. 10 DSA",
            items=[NoticeItemIn(ref="acct-info")],
        )
    )
    clock.at(2026, 3, 7, 8, 0)
    ctx.notices.give_effect(info.id, "data sent")
    # own initiative: a person (flagged by a classifier), a rule (flagged by a bank), a
    # person finding nothing wrong (classifier overturned), a person acting unflagged
    clock.at(2026, 3, 10, 8, 0)
    c1 = own_case(ctx, "own-1", [("classifier", "nudity-v2", None)])
    c2 = own_case(ctx, "own-2", [("bank", "NCMEC_PDQ", "STATEMENT_CATEGORY_PROTECTION_OF_MINORS")])
    c3 = own_case(ctx, "own-3", [("classifier", "nudity-v2", None)])
    c4 = own_case(ctx, "own-4", [])
    clock.at(2026, 3, 10, 9, 0)
    own1 = ctx.decisions.decide_case(
        c1,
        act(
            "terms",
            category="STATEMENT_CATEGORY_OTHER_VIOLATION_TC",
            category_specification=["KEYWORD_NUDITY"],
            decision_visibility=["DECISION_VISIBILITY_CONTENT_AGE_RESTRICTED"],
            decision_account="DECISION_ACCOUNT_SUSPENDED",
        ),
        mod,
    )
    minors = "STATEMENT_CATEGORY_PROTECTION_OF_MINORS"
    csam = {
        "category": minors,
        "category_specification": ["KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL"],
        "decision_visibility": ["DECISION_VISIBILITY_CONTENT_REMOVED"],
    }
    clock.at(2026, 3, 11, 9, 0)
    with ctx.db.session() as s:
        case = s.get(Case, c2)
        assert case is not None
        ctx.decisions.record(s, case, act("law", **csam), by="rule:default/csam", person=False)
    clock.at(2026, 3, 11, 12, 0)
    ctx.decisions.decide_case(c3, DecisionIn(action=False, category=minors), mod)
    clock.at(2026, 3, 12, 9, 0)
    ctx.decisions.decide_case(c4, act("law", **csam), mod)
    # a complaint against the account suspension, reversed a day later by someone else
    clock.at(2026, 3, 12, 10, 0)
    appeal = ctx.appeals.submit(
        own1.id, AppealIn(complainant_role="affected", complainant_ref="acct-3", text="no")
    )
    clock.at(2026, 3, 13, 10, 0)
    ctx.appeals.decide(
        appeal.id, AppealDecisionIn(outcome="reversed", reasoned_text="not nudity"), senior
    )
    # an out-of-court dispute about post-1, decided for the user, implemented
    ctx.appeals.add_dispute(
        post1.id,
        DisputeIn(body_name="ODS Body", received_at=datetime(2026, 3, 15, tzinfo=UTC)),
    )
    clock.at(2026, 3, 21, 0, 0)
    dispute = ctx.appeals.disputes()[0]
    ctx.appeals.dispute_outcome(
        dispute.id,
        DisputeOutcomeIn(
            outcome="reversed",
            decided_at=datetime(2026, 3, 20, tzinfo=UTC),
            implemented=True,
        ),
    )
    with ctx.db.session() as s:  # a warning first (Art. 23), then the suspension
        s.add(
            MisuseAction(
                subject_type="account",
                subject_ref="acct-0",
                action="warning",
                reason="manifestly illegal content",
                starts_at=datetime(2026, 3, 1, tzinfo=UTC),
                created_at=datetime(2026, 3, 1, tzinfo=UTC),
                decided_by="mod-a",
            )
        )
        s.flush()
        s.add(
            MisuseAction(
                subject_type="account",
                subject_ref="acct-0",
                action="suspension",
                suspension_type="service",
                reason="repeated manifestly illegal content",
                starts_at=datetime(2026, 3, 14, tzinfo=UTC),
                ends_at=datetime(2026, 4, 14, tzinfo=UTC),
                decided_by="mod-a",
            )
        )
    # after the period: the pending complaint is upheld, a new flag appears
    clock.at(2026, 4, 2, 9, 0)
    ctx.appeals.decide(
        pending.id, AppealDecisionIn(outcome="upheld", reasoned_text="no breach"), senior
    )
    own_case(ctx, "own-3", [("classifier", "nudity-v2", None)])


def test_collect_reads_the_period_from_the_database(world: tuple[Rempart, Clock]) -> None:
    ctx, clock = world
    build(ctx, clock)
    data = collect(ctx.db, ctx.settings, START, END)
    assert (data.provider_name, data.service_name) == (
        ctx.settings.provider_name,
        ctx.settings.platform_name,
    )
    # notices received in March; only decisions to act are actions
    assert len(data.notices) == 2
    n1, n2 = data.notices
    assert (n1.items, n1.trusted_flagger, n1.specification) == (2, False, "KEYWORD_HATE_SPEECH")
    assert [(a.ground, a.implemented_at - n1.received_at) for a in n1.actions] == [("law", 5 * H)]
    assert (n2.items, n2.trusted_flagger, n2.specification) == (1, True, "KEYWORD_DEFAMATION")
    assert (n1.automated, n2.automated) == (False, True)
    assert [(a.ground, a.implemented_at - n2.received_at) for a in n2.actions] == [
        ("terms", 1.5 * H)
    ]
    # orders: receipt and effect times; Greece reported as EL
    fr, el = data.orders
    assert (fr.kind, fr.member_state, fr.items) == ("act", "FR", 1)
    assert fr.receipt_confirmed_at is not None and fr.effect_given_at is not None
    assert fr.receipt_confirmed_at - fr.received_at == 0.5 * H
    assert fr.effect_given_at - fr.received_at == 2 * H
    assert (el.kind, el.member_state, el.category) == (
        "info",
        "EL",
        "STATEMENT_CATEGORY_NOT_SPECIFIED_ORDER",
    )
    assert el.effect_given_at is not None and el.effect_given_at - el.received_at == 24 * H
    # own initiative: not after a notice or an order, not an appeal's reversal
    assert [(m.ground, m.category, m.specification, m.solely_automated) for m in data.measures] == [
        ("terms", "STATEMENT_CATEGORY_OTHER_VIOLATION_TC", "KEYWORD_NUDITY", False),
        (
            "illegal",
            "STATEMENT_CATEGORY_PROTECTION_OF_MINORS",
            "KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL",
            True,
        ),
        (
            "illegal",
            "STATEMENT_CATEGORY_PROTECTION_OF_MINORS",
            "KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL",
            False,
        ),
    ]
    assert data.measures[0].account == "DECISION_ACCOUNT_SUSPENDED"
    assert data.measures[0].language == "en"
    # complaints as known at the end of March: the notifier's is still pending
    by_type = {c.type: c for c in data.complaints}
    assert set(by_type) == {"no_action_on_notice", "suspend_account"}
    assert by_type["no_action_on_notice"].outcome is None
    reversed_ = by_type["suspend_account"]
    assert reversed_.outcome == "reversed" and reversed_.decided_at is not None
    assert reversed_.decided_at - reversed_.submitted_at == 24 * H
    assert [(d.outcome, d.implemented) for d in data.disputes] == [("reversed", True)]
    assert [s.kind for s in data.suspensions] == ["illegal_content"]
    # flags made in March, with what a person found
    flags = sorted((f.detector_kind, f.detector, f.review, f.scope) for f in data.flags)
    assert flags == [
        ("bank", "NCMEC_PDQ", None, "own_initiative"),
        ("classifier", "hate-text", "confirmed", "trusted_flagger_notice"),
        ("classifier", "nudity-v2", "confirmed", "own_initiative"),
        ("classifier", "nudity-v2", "overturned", "own_initiative"),
    ]
    # the bank missed own-4 and the text classifier post-1, which a person actioned for
    # their categories; the nudity classifier's flags have no category: misses unknown
    misses = [(m.detector, m.false_negatives) for m in data.misses]
    assert misses == [("NCMEC_PDQ", 1), ("hate-text", 1)]
    _check_report(data)


def _check_report(data: ReportData) -> None:
    parts = {p.part: p for p in render_report(data, ReportProfile(), START, END)}
    notices = parts["part_4_notices"].rows
    total = notices[0]
    assert total[3] == "TOTAL"
    assert total[5:15] == ("2", "1", "3", "1", "3.25", "1.5", "1", "0", "1", "1")
    orders = [r for r in parts["part_3_member_states_orders"].rows if r[3] == "TOTAL"]
    assert [(r[5], r[6], r[8], r[9], r[10], r[11], r[12]) for r in orders] == [
        ("TOTAL", "1", "0.5", "2.0", "1", "0.0", "24.0"),
        ("FR", "1", "0.5", "2.0", "0", "", ""),
        ("EL", "0", "", "", "1", "0.0", "24.0"),
    ]
    appeals = {(r[4].strip(), r[5]): r[6] for r in parts["part_7_appeals_and_recidivism"].rows}
    complaints = "Number of complaints submitted to the internal-complaints mechanism"
    assert appeals[(complaints, "Total number")] == "2"
    assert appeals[(complaints, "Decisions reversed")] == "1"
    assert appeals[(complaints, "Median time")] == "24.0"
    disputes = "Number of disputes submitted to out-of-court dispute settlement bodies"
    assert appeals[(disputes, "Median time")] == "120.0"
    assert appeals[(disputes, "Percentage of outcomes implemented")] == "1.0"
    auto = [r for r in parts["part_8_automated_means"].rows if r[5] == "Total number"]
    precision = [r for r in auto if r[4].endswith("Precision")]
    recall = [r for r in auto if r[4].endswith("Recall")]
    assert [(r[6], r[7].split(":")[0]) for r in precision] == [
        ("0.6667", "All automated detectors (3)"),
        ("", "bank NCMEC_PDQ"),
        ("1.0", "classifier hate-text"),
        ("0.5", "classifier nudity-v2"),
    ]
    assert [r[6] for r in recall] == ["", "0.0", "0.5", ""]
    nam = {(r[4].strip(), r[5]): r[6] for r in parts["part_8_automated_means"].rows}
    assert nam[("Number of notices solely processed by automated means", "NAM Total")] == "1"
    assert nam[("Number of notices not processed by automated means", "NAM Total")] == "1"
    assert nam[("Accuracy of the automated means - Precision", "NAM Trusted Flagger")] == "1.0"
    assert nam[("Accuracy of the automated means - Precision", "Own-initiative ")] == "0.5"
