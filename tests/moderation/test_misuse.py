"""Art. 23 misuse measures on a real database, with the clock run forward by the test."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from rempart.clock import as_utc
from rempart.config import Settings
from rempart.context import Rempart
from rempart.errors import Conflict, Invalid, NotFound
from rempart.moderation.misuse import (
    MAX_SUSPENSION_DAYS,
    MisuseService,
    MisuseThresholds,
    NotifierThresholds,
)
from rempart.moderation.misuse_schemas import MisuseActionOut
from rempart.moderation.models import Account, MisuseAction, Notice
from tests.clock import FakeClock

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def ctx(settings: Settings, clock: FakeClock) -> Iterator[Rempart]:
    c = Rempart.open(settings, clock=clock, load_index=False)
    yield c
    c.close()


@pytest.fixture
def misuse(ctx: Rempart) -> MisuseService:
    return ctx.misuse


def strike(
    svc: MisuseService,
    subject_type: str,
    ref: str,
    weight: float = 1.0,
    *,
    total: int | None = None,
    reason: str = "manifestly illegal: counterfeit listing",
    expires_days: int | None = None,
) -> MisuseActionOut | None:
    """Record one strike and assess, in one transaction, as the lead's decision code does."""
    with svc.db.session() as s:
        svc.add_strike(
            s,
            subject_type=subject_type,
            subject_ref=ref,
            weight=weight,
            reason=reason,
            expires_days=expires_days,
        )
        return svc.assess(s, subject_type, ref, total_count=total)


def add_account(ctx: Rempart, ref: str) -> None:
    with ctx.db.session() as s:
        s.add(Account(platform_ref=ref))


def account(ctx: Rempart, ref: str) -> Account:
    with ctx.db.session() as s:
        row = s.query(Account).filter_by(platform_ref=ref).one()
        s.expunge(row)
        return row


# --- strikes ---------------------------------------------------------------------------------


def test_strikes_expire_and_default_expiry_follows_thresholds(
    misuse: MisuseService, clock: FakeClock
) -> None:
    with misuse.db.session() as s:
        short = misuse.add_strike(
            s, subject_type="account", subject_ref="u1", weight=2, reason="r", expires_days=10
        )
        long = misuse.add_strike(
            s, subject_type="account", subject_ref="u1", weight=0.5, reason="r"
        )
    assert short.expires_at == T0 + timedelta(days=10)
    assert long.expires_at == T0 + timedelta(days=365)  # account default
    assert misuse.active_weight("account", "u1") == 2.5
    clock.advance(days=10)
    assert misuse.active_weight("account", "u1") == 0.5  # expired at exactly 10 days
    assert misuse.active_weight("account", "u1", at=T0 + timedelta(days=1)) == 2.5
    clock.advance(days=400)
    assert misuse.active_weight("account", "u1") == 0.0
    rec = misuse.history("account", "u1")
    assert [s.active for s in rec.strikes] == [False, False]
    assert rec.weight == 0.0
    # notifiers' strikes last 180 days by default
    with misuse.db.session() as s:
        n = misuse.add_strike(
            s, subject_type="notifier", subject_ref="n@x.eu", weight=1, reason="unfounded"
        )
    assert n.expires_at == clock.now + timedelta(days=180)


def test_revoking_a_strike_lowers_the_weight(misuse: MisuseService, clock: FakeClock) -> None:
    with misuse.db.session() as s:
        a = misuse.add_strike(s, subject_type="account", subject_ref="u2", weight=3, reason="x")
        misuse.add_strike(s, subject_type="account", subject_ref="u2", weight=1, reason="y")
    assert misuse.active_weight("account", "u2") == 4
    clock.advance(hours=1)
    out = misuse.revoke_strike(a.id, "senior:ana", "appeal upheld: decision reversed")
    assert out.revoked_at == clock.now and not out.active
    assert "Revoked at" in out.reason and "senior:ana" in out.reason and "appeal" in out.reason
    assert misuse.active_weight("account", "u2") == 1
    with pytest.raises(Conflict):
        misuse.revoke_strike(a.id, "senior:ana", "again")
    with pytest.raises(NotFound):
        misuse.revoke_strike(999_999, "senior:ana", "none")
    with pytest.raises(Invalid):
        misuse.revoke_strike(a.id, "senior:ana", "   ")


def test_bad_strikes_are_refused_clearly(misuse: MisuseService) -> None:
    with misuse.db.session() as s:
        with pytest.raises(Invalid, match="subject type"):
            misuse.add_strike(s, subject_type="user", subject_ref="u", weight=1, reason="r")
        with pytest.raises(Invalid, match="weight"):
            misuse.add_strike(s, subject_type="account", subject_ref="u", weight=0, reason="r")
        with pytest.raises(Invalid, match="weight"):
            misuse.add_strike(s, subject_type="account", subject_ref="u", weight=101, reason="r")
        with pytest.raises(Invalid, match="reason"):
            misuse.add_strike(s, subject_type="account", subject_ref="u", weight=1, reason=" ")
        with pytest.raises(Invalid, match="reference"):
            misuse.add_strike(s, subject_type="account", subject_ref="", weight=1, reason="r")
        with pytest.raises(Invalid, match="longer"):
            misuse.add_strike(
                s, subject_type="account", subject_ref="u" * 321, weight=1, reason="r"
            )
        with pytest.raises(Invalid, match="expires_days"):
            misuse.add_strike(
                s, subject_type="account", subject_ref="u", weight=1, reason="r", expires_days=0
            )
        with pytest.raises(NotFound, match="decision"):
            misuse.add_strike(
                s, subject_type="account", subject_ref="u", weight=1, reason="r", decision_id=7
            )
        with pytest.raises(Invalid):
            misuse.assess(s, "account", "u", total_count=-1)
    with pytest.raises(Invalid, match="kind"):
        misuse.is_suspended("account", "u", "everything")


# --- the ladder: warning, then suspensions that escalate and end -----------------------------


def test_account_is_warned_then_suspended_with_escalating_finite_durations(
    ctx: Rempart, misuse: MisuseService, clock: FakeClock
) -> None:
    add_account(ctx, "acct-1")
    steps = []
    for _ in range(6):
        clock.advance(days=1)
        steps.append(strike(misuse, "account", "acct-1"))
    # defaults: warning at weight 3, suspension at 6 (and at least 3 in 180 days)
    assert [s.action if s else None for s in steps] == [
        None,
        None,
        "warning",
        None,
        None,
        "suspension",
    ]
    warning, first = steps[2], steps[5]
    assert warning is not None and first is not None
    assert warning.suspension_type is None and warning.ends_at is None
    assert first.suspension_type == "service"
    assert first.ends_at == clock.now + timedelta(days=7)
    # the reasons carry the 23(3) circumstances
    for text in (
        "Weight of active strikes 6",
        "suspension at 6",
        "6 items of manifestly illegal",
        "180 days",
        "ratio 1.000",
        "heaviest 1",
        "counterfeit listing",
        f"Prior warning #{warning.id}",
        "1st suspension",
        "Art. 23(1)",
    ):
        assert text in first.reason, text
    assert "Weight of active strikes 3" in warning.reason and "7 days" in warning.reason
    acct = account(ctx, "acct-1")
    assert acct.status == "suspended"
    assert acct.suspended_until is not None
    assert as_utc(acct.suspended_until) == first.ends_at
    assert misuse.is_suspended("account", "acct-1", "service") == first
    assert misuse.is_suspended("account", "acct-1", "notices") is None

    # while suspended, more strikes change nothing (and a re-assessment repeats nothing)
    clock.advance(days=2)
    assert strike(misuse, "account", "acct-1") is None
    with misuse.db.session() as s:
        assert misuse.assess(s, "account", "acct-1") is None

    # it ends on its own
    clock.advance(days=5)
    assert misuse.is_suspended("account", "acct-1", "service") is None
    assert misuse.is_suspended("account", "acct-1", "service", at=clock.now - timedelta(seconds=1))
    assert misuse.release_due() == ["acct-1"]
    assert account(ctx, "acct-1").status == "active"
    assert misuse.release_due() == []
    # re-assessing after the end, without new misuse, does nothing
    with misuse.db.session() as s:
        assert misuse.assess(s, "account", "acct-1") is None

    # the next misuse gets the next, longer suspension; the last length repeats
    lengths = []
    for _ in range(3):
        clock.advance(days=1)
        step = strike(misuse, "account", "acct-1")
        assert step is not None and step.action == "suspension"
        assert step.ends_at is not None
        lengths.append((step.ends_at - step.starts_at).days)
        clock.now = step.ends_at
    assert lengths == [30, 90, 90]
    # day 227: only this strike and day 136's fall in the 180-day window: not "frequent"
    clock.advance(days=1)
    assert misuse.active_weight("account", "acct-1") == 10
    assert strike(misuse, "account", "acct-1") is None
    clock.advance(days=1)
    step = strike(misuse, "account", "acct-1")
    assert step is not None and step.ends_at is not None
    assert (step.ends_at - step.starts_at).days == 90  # the last length repeats
    rec = misuse.history("account", "acct-1")
    assert [a.action for a in rec.actions] == ["warning"] + ["suspension"] * 5
    assert all(a.ends_at is not None for a in rec.actions if a.action == "suspension")
    assert rec.current_suspension == step


def test_a_huge_weight_at_once_only_warns(misuse: MisuseService, clock: FakeClock) -> None:
    step = strike(misuse, "account", "acct-2", weight=100, reason="CSAM: hash match, confirmed")
    assert step is not None and step.action == "warning"
    assert misuse.is_suspended("account", "acct-2", "service") is None
    # re-assessing the same facts never turns the warning into a suspension
    clock.advance(minutes=1)
    with misuse.db.session() as s:
        assert misuse.assess(s, "account", "acct-2") is None
    # "frequently": a suspension also needs at least 3 misuses in the window
    clock.advance(days=1)
    assert strike(misuse, "account", "acct-2") is None
    clock.advance(days=1)
    step = strike(misuse, "account", "acct-2")
    assert step is not None and step.action == "suspension"
    assert "heaviest 100" in step.reason and "CSAM" in step.reason


def test_a_suspension_without_prior_warning_is_refused_by_the_database_layer(
    ctx: Rempart, clock: FakeClock
) -> None:
    """Whoever writes the row (not only ``assess``), Art. 23's prior warning is enforced."""
    now = clock.now

    def suspension(ref: str, days: float | None = 7, kind: str = "service") -> MisuseAction:
        return MisuseAction(
            subject_type="account",
            subject_ref=ref,
            action="suspension",
            suspension_type=kind,
            reason="manual",
            starts_at=now,
            ends_at=now + timedelta(days=days) if days is not None else None,
            decided_by="someone",
            created_at=now,
        )

    with pytest.raises(Conflict, match="prior warning"), ctx.db.session() as s:
        s.add(suspension("acct-3"))
    # a warning at the same instant is not a *prior* warning
    with pytest.raises(Conflict, match="prior warning"), ctx.db.session() as s:
        s.add(
            MisuseAction(
                subject_type="account",
                subject_ref="acct-3",
                action="warning",
                reason="w",
                starts_at=now,
                decided_by="someone",
                created_at=now,
            )
        )
        s.flush()
        s.add(suspension("acct-3"))
    with ctx.db.session() as s:
        assert s.query(MisuseAction).count() == 0  # both rolled back
        s.add(
            MisuseAction(
                subject_type="account",
                subject_ref="acct-3",
                action="warning",
                reason="w",
                starts_at=now - timedelta(days=1),
                decided_by="someone",
                created_at=now - timedelta(days=1),
            )
        )
    with pytest.raises(Invalid, match="start and an end"), ctx.db.session() as s:
        s.add(suspension("acct-3", days=None))
    with pytest.raises(Invalid, match=str(MAX_SUSPENSION_DAYS)), ctx.db.session() as s:
        s.add(suspension("acct-3", days=MAX_SUSPENSION_DAYS + 1))
    with pytest.raises(Invalid, match="kind"), ctx.db.session() as s:
        s.add(suspension("acct-3", kind="notices"))
    with ctx.db.session() as s:
        row = suspension("acct-3")
        s.add(row)
    with pytest.raises(Invalid), ctx.db.session() as s:  # and it stays finite
        stored = s.get(MisuseAction, row.id)
        assert stored is not None
        stored.ends_at = None


def test_a_warning_expires_and_must_be_given_again(misuse: MisuseService, clock: FakeClock) -> None:
    t = MisuseThresholds(
        account={
            "warning_weight": 1,
            "suspension_weight": 2,
            "min_count": 1,
            "warning_valid_days": 30,
            "strike_expiry_days": 400,
        }
    )
    svc = MisuseService(misuse.db, misuse.settings, clock, t)
    assert (step := strike(svc, "account", "acct-4")) and step.action == "warning"
    clock.advance(days=31)
    step = strike(svc, "account", "acct-4")
    assert step is not None and step.action == "warning"  # the old one no longer counts
    clock.advance(days=1)
    step = strike(svc, "account", "acct-4")
    assert step is not None and step.action == "suspension"


# --- notifiers and complainants (23(2)) ------------------------------------------------------


def test_notifier_sending_unfounded_notices_is_warned_then_notice_processing_suspended(
    misuse: MisuseService, clock: FakeClock
) -> None:
    ref = "spammer@example.org"
    steps = []
    for i in range(1, 11):
        clock.advance(hours=6)
        sent_as = ref if i % 2 else "  Spammer@Example.ORG"  # one notifier, however spelt
        steps.append(strike(misuse, "notifier", sent_as, total=i, reason="manifestly unfounded"))
    actions = [(i + 1, s.action) for i, s in enumerate(steps) if s is not None]
    assert actions == [(5, "warning"), (10, "suspension")]
    susp = steps[-1]
    assert susp is not None
    assert susp.suspension_type == "notices"
    assert "Art. 23(2)" in susp.reason and "processing of notices" in susp.reason
    assert "10 of 10 notices sent" in susp.reason
    end = clock.now + timedelta(days=7)
    assert susp.ends_at == end
    assert susp.subject_ref == ref
    assert misuse.is_suspended("notifier", ref, "notices") == susp
    assert misuse.is_suspended("notifier", "SPAMMER@example.org", "notices") == susp
    assert misuse.is_suspended("notifier", ref, "complaints") is None
    assert misuse.is_suspended("notifier", "other@example.org", "notices") is None
    clock.now = end - timedelta(seconds=1)
    assert misuse.is_suspended("notifier", ref, "notices") is not None
    clock.now = end
    assert misuse.is_suspended("notifier", ref, "notices") is None


def test_complainant_sending_unfounded_complaints_loses_complaint_processing(
    misuse: MisuseService, clock: FakeClock
) -> None:
    ref = "acct-77"
    steps = []
    for _ in range(6):
        clock.advance(days=1)
        steps.append(strike(misuse, "complainant", ref, reason="manifestly unfounded appeal"))
    assert [s.action if s else None for s in steps] == [
        None,
        None,
        "warning",
        None,
        None,
        "suspension",
    ]
    susp = steps[-1]
    assert susp is not None and susp.suspension_type == "complaints"
    assert misuse.is_suspended("complainant", ref, "complaints") == susp
    # the same person as an account is not suspended from the service
    assert misuse.is_suspended("account", ref, "service") is None
    clock.advance(days=7)
    assert misuse.is_suspended("complainant", ref, "complaints") is None


def test_ratio_rule_many_notices_few_unfounded_means_no_action(
    misuse: MisuseService, clock: FakeClock
) -> None:
    for _ in range(15):
        clock.advance(hours=1)
        assert strike(misuse, "notifier", "busy@ngo.example", total=400) is None
    assert misuse.active_weight("notifier", "busy@ngo.example") == 15
    assert misuse.history("notifier", "busy@ngo.example").actions == []


def test_ratio_counts_rempart_own_notices_when_no_total_is_given(
    ctx: Rempart, misuse: MisuseService, clock: FakeClock
) -> None:
    ref = "flagger@example.org"
    with ctx.db.session() as s:
        for _ in range(40):
            s.add(
                Notice(
                    uuid=str(uuid.uuid4()),
                    received_at=clock.now,
                    category="STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
                    notifier_type="individual",
                    notifier_email=ref,
                )
            )
    for _ in range(12):  # 12 of 40 unfounded: 0.3 < 0.5
        clock.advance(hours=1)
        assert strike(misuse, "notifier", ref) is None
    # a notifier Rempart knows nothing else of: every notice counted was unfounded
    for i in range(5):
        clock.advance(hours=1)
        step = strike(misuse, "notifier", "unknown@example.org")
        assert (step is not None) == (i == 4)


# --- thresholds --------------------------------------------------------------------------------


def test_thresholds_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REMPART_MISUSE_NOTIFIER__MIN_RATIO", "0.25")
    monkeypatch.setenv("REMPART_MISUSE_NOTIFIER__SUSPENSION_DAYS", "[14, 60]")
    monkeypatch.setenv("REMPART_MISUSE_ACCOUNT__WARNING_WEIGHT", "2")
    t = MisuseThresholds()
    assert t.notifier.min_ratio == 0.25
    assert t.notifier.suspension_days == [14, 60]
    assert t.notifier.window_days == NotifierThresholds().window_days == 90  # kept its default
    assert t.of("account").warning_weight == 2
    assert t.account.suspension_weight == 6  # the rest keeps the account defaults
    assert t.complainant.min_count == 5
    monkeypatch.setenv("REMPART_MISUSE_ACCOUNT__SUSPENSION_DAYS", "[7, 400]")
    with pytest.raises(ValidationError, match="365"):
        MisuseThresholds()
    monkeypatch.setenv("REMPART_MISUSE_ACCOUNT__SUSPENSION_DAYS", "[30, 7]")
    with pytest.raises(ValidationError, match="escalate"):
        MisuseThresholds()
    monkeypatch.delenv("REMPART_MISUSE_ACCOUNT__SUSPENSION_DAYS")
    monkeypatch.setenv("REMPART_MISUSE_ACCOUNT__WARNING_WEIGHT", "9")
    with pytest.raises(ValidationError, match="warn first"):
        MisuseThresholds()


def test_environment_thresholds_drive_the_service(
    ctx: Rempart, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REMPART_MISUSE_NOTIFIER__WARNING_WEIGHT", "1")
    monkeypatch.setenv("REMPART_MISUSE_NOTIFIER__SUSPENSION_WEIGHT", "2")
    monkeypatch.setenv("REMPART_MISUSE_NOTIFIER__MIN_COUNT", "2")
    monkeypatch.setenv("REMPART_MISUSE_NOTIFIER__SUSPENSION_DAYS", "[3]")
    svc = MisuseService(ctx.db, ctx.settings, clock)
    assert (s1 := strike(svc, "notifier", "n1")) and s1.action == "warning"
    clock.advance(minutes=5)
    s2 = strike(svc, "notifier", "n1")
    assert s2 is not None and s2.ends_at == clock.now + timedelta(days=3)


# --- lifting, counts, webhooks --------------------------------------------------------------


def _suspend(svc: MisuseService, clock: FakeClock, st: str, ref: str) -> MisuseActionOut:
    """Drive a subject to a suspension with thresholds of 1/2 and min count 1."""
    out = None
    while out is None or out.action != "suspension":
        clock.advance(minutes=1)
        out = strike(svc, st, ref)
    return out


@pytest.fixture
def quick(misuse: MisuseService, clock: FakeClock) -> MisuseService:
    low = {"warning_weight": 1, "suspension_weight": 2, "min_count": 1, "min_ratio": 0}
    t = MisuseThresholds(account=low, notifier=low, complainant=low)
    return MisuseService(misuse.db, misuse.settings, clock, t)


def test_lift_ends_a_suspension_now_and_records_why(
    ctx: Rempart, quick: MisuseService, clock: FakeClock
) -> None:
    add_account(ctx, "acct-5")
    susp = _suspend(quick, clock, "account", "acct-5")
    planned = susp.ends_at
    assert planned is not None
    clock.advance(days=2)
    out = quick.lift(susp.id, "legal:bea", "appeal upheld\nLifted at 1999: forged line")
    assert out.lifted and out.ends_at == clock.now
    assert f"Lifted at {clock.now.isoformat(timespec='seconds')} by legal:bea" in out.reason
    assert f"was to end {planned.isoformat(timespec='seconds')}" in out.reason
    assert out.reason.count("\nLifted at ") == 1  # the user's text cannot forge a line
    assert quick.is_suspended("account", "acct-5", "service") is None
    assert account(ctx, "acct-5").status == "active"
    with pytest.raises(Conflict, match="not in force"):
        quick.lift(susp.id, "legal:bea", "again")
    warning = quick.history("account", "acct-5").actions[0]
    with pytest.raises(Conflict, match="warning"):
        quick.lift(warning.id, "legal:bea", "no")
    with pytest.raises(NotFound):
        quick.lift(424242, "legal:bea", "no")
    # a lifted suspension does not make the next one longer
    clock.advance(days=1)
    nxt = strike(quick, "account", "acct-5")
    assert nxt is not None and nxt.ends_at == clock.now + timedelta(days=7)


def test_suspension_counts_by_kind_for_the_transparency_report(
    quick: MisuseService, clock: FakeClock
) -> None:
    start = clock.now
    a = _suspend(quick, clock, "account", "a1")
    _suspend(quick, clock, "account", "a2")
    _suspend(quick, clock, "notifier", "n1")
    _suspend(quick, clock, "complainant", "c1")
    quick.lift(a.id, "legal", "reversed")  # lifted, still enacted
    end = clock.advance(minutes=1)
    _suspend(quick, clock, "notifier", "n2")  # after the period
    assert quick.suspension_counts(start, end) == {
        "manifestly_illegal_content": 2,
        "manifestly_unfounded_notices": 1,
        "manifestly_unfounded_complaints": 1,
    }
    assert quick.suspension_counts(end, clock.advance(days=1))["manifestly_unfounded_notices"] == 1
    assert set(quick.suspension_counts(T0 - timedelta(days=9), T0).values()) == {0}
    with pytest.raises(Invalid):
        quick.suspension_counts(end, start)


def test_account_steps_emit_webhooks_once(
    ctx: Rempart, quick: MisuseService, clock: FakeClock
) -> None:
    from rempart.moderation.webhooks.service import WebhookService

    hooks = WebhookService(ctx.db, ctx.settings, clock)
    hooks.add_endpoint("platform", "https://platform.example/hooks", ["account.*"])
    svc = MisuseService(ctx.db, ctx.settings, clock, quick.thresholds, webhooks=hooks)
    add_account(ctx, "acct-6")
    warn = strike(svc, "account", "acct-6")
    assert warn is not None
    susp = _suspend(svc, clock, "account", "acct-6")
    _suspend(svc, clock, "notifier", "n-6")  # not an account: nothing to the platform
    clock.now = susp.ends_at or clock.now
    assert svc.release_due() == ["acct-6"]
    got = sorted(hooks.deliveries(), key=lambda d: d.id)
    assert [(d.event, d.idempotency_key) for d in got] == [
        ("account.warn", f"account.warn:misuse:{warn.id}"),
        ("account.suspend", f"account.suspend:misuse:{susp.id}"),
        ("account.restore", f"account.restore:misuse:{susp.id}"),
    ]
    body = got[1].payload
    assert body["account"] == "acct-6" and body["suspension_type"] == "service"
    assert susp.ends_at is not None
    assert datetime.fromisoformat(body["ends_at"]) == susp.ends_at
    # a lift restores too, once
    clock.advance(minutes=1)
    again = strike(svc, "account", "acct-6")
    assert again is not None and again.action == "suspension"
    svc.lift(again.id, "legal", "mistake")
    assert svc.release_due() == []
    events = [d.event for d in hooks.deliveries()]
    assert events.count("account.restore") == 2 and events.count("account.suspend") == 2


def test_concurrent_assessments_of_one_subject_take_one_step(
    quick: MisuseService, db_url: str
) -> None:
    """Two strikes decided at the same moment must not both warn (PostgreSQL: many writers)."""
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite has a single writer; the race needs concurrent transactions")
    first_in = threading.Event()
    release = threading.Event()
    results: dict[str, MisuseActionOut | None] = {}

    def decide(name: str) -> None:
        if name == "b":
            first_in.wait(10)
        with quick.db.session() as s:
            quick.add_strike(s, subject_type="account", subject_ref="race", weight=1, reason=name)
            results[name] = quick.assess(s, "account", "race")
            if name == "a":
                first_in.set()
                release.wait(10)

    threads = [threading.Thread(target=decide, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    first_in.wait(10)
    time.sleep(0.5)
    assert "b" not in results  # waiting for a's transaction
    release.set()
    for t in threads:
        t.join(10)
    first = results["a"]
    assert first is not None and first.action == "warning"
    assert results["b"] is None
    assert [a.action for a in quick.history("account", "race").actions] == ["warning"]
