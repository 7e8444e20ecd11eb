"""Review queues: severity order, SLA due dates from the clock, leases that expire and fence,
dedupe per case, moves and notes, and the child-safety queue hidden from every other role."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest

from rempart.config import Settings
from rempart.context import Rempart
from rempart.errors import Conflict, Invalid, NotFound, RempartError
from rempart.moderation.models import Case, Item, ReviewJob
from rempart.moderation.queue_schemas import Rank
from rempart.moderation.queues import QueueService
from tests.clock import FakeClock

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
MOD = ["moderator"]
SENIOR = ["senior_moderator"]
CS = ["child_safety"]
ADMIN = ["admin"]
_refs = itertools.count()


@pytest.fixture
def ctx(settings: Settings) -> Iterator[Rempart]:
    """The services over a fresh database (no match index needed here)."""
    c = Rempart.open(settings, load_index=False)
    yield c
    c.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def svc(ctx: Rempart, clock: FakeClock) -> QueueService:
    """A queue service on the test clock, with a general and a child-safety queue."""
    s = QueueService(ctx.db, ctx.settings, clock)
    s.ensure_queue("general", description="everything else", sla_hours=24)
    s.ensure_queue("child_safety", sla_hours=2, restricted_role="child_safety")
    return s


def make_case(ctx: Rempart, kind: str = "general") -> int:
    """An item and an open case about it, inserted directly."""
    with ctx.db.session() as s:
        item = Item(platform_ref=f"post-{next(_refs)}")
        s.add(item)
        s.flush()
        case = Case(item_id=item.id, kind=kind)
        s.add(case)
        s.flush()
        return case.id


def enqueue(svc: QueueService, case_id: int, queue: str = "general", **kw: object) -> int:
    """Enqueue in a transaction of its own (callers normally pass theirs)."""
    with svc.db.session() as s:
        return svc.enqueue(s, case_id=case_id, queue=queue, **kw)  # type: ignore[arg-type]


def complete(svc: QueueService, job_id: int, reviewer: str, token: int) -> None:
    with svc.db.session() as s:
        svc.complete(s, job_id, reviewer=reviewer, lease_token=token, decision_id=None)


# --- queues ------------------------------------------------------------------------------------


def test_ensure_queue_creates_updates_and_validates(svc: QueueService) -> None:
    out = svc.ensure_queue("general", description="updated", sla_hours=12)
    assert (out.description, out.sla_hours) == ("updated", 12)
    assert "general" in [q.name for q in svc.queues(MOD)]
    with pytest.raises(Invalid, match="lowercase slugs"):
        svc.ensure_queue("Bad Name")
    with pytest.raises(Invalid, match="unknown role"):
        svc.ensure_queue("x", restricted_role="wizard")
    with pytest.raises(Invalid, match="sla_hours"):
        svc.ensure_queue("x", sla_hours=0)


def test_restriction_is_not_lifted_while_jobs_are_open(ctx: Rempart, svc: QueueService) -> None:
    job = enqueue(svc, make_case(ctx, "child_safety"), "child_safety", rank=0)
    with pytest.raises(Conflict, match="restricted to child_safety"):
        svc.ensure_queue("child_safety", restricted_role=None)
    svc.ensure_queue("child_safety", sla_hours=1, restricted_role="child_safety")  # same: fine
    with svc.db.session() as s:
        svc.cancel(s, svc.get(job, CS).case_id)
    assert svc.ensure_queue("child_safety", restricted_role=None).restricted_role is None


# --- enqueue -------------------------------------------------------------------------------------


def test_due_date_defaults_to_the_queue_sla_on_the_injected_clock(
    ctx: Rempart, svc: QueueService, clock: FakeClock
) -> None:
    job = svc.get(enqueue(svc, make_case(ctx), rank=4), MOD)
    assert job.due_at == T0 + timedelta(hours=24)
    assert job.created_at == T0
    assert (job.overdue, job.seconds_left) == (False, 24 * 3600)
    clock.advance(hours=25)
    late = svc.get(job.id, MOD)
    assert late.overdue and late.seconds_left == -3600
    deadline = datetime(2025, 3, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))  # 10:00 UTC
    order = svc.get(enqueue(svc, make_case(ctx), rank=2, due_at=deadline), MOD)
    assert order.due_at == datetime(2025, 3, 1, 10, 0, tzinfo=UTC)


def test_enqueue_rejects_what_it_cannot_place(ctx: Rempart, svc: QueueService) -> None:
    case_id = make_case(ctx)
    with pytest.raises(NotFound, match="no review queue named 'nope'"):
        enqueue(svc, case_id, "nope", rank=4)
    with pytest.raises(NotFound, match="no case with id 999999"):
        enqueue(svc, 999999, rank=4)
    with pytest.raises(Invalid, match="rank is 0"):
        enqueue(svc, case_id, rank=7)
    cs_case = make_case(ctx, "child_safety")
    with pytest.raises(Invalid, match="child-safety case"):
        enqueue(svc, cs_case, "general", rank=0)


def test_enqueue_twice_keeps_one_job_at_the_most_urgent(
    ctx: Rempart, svc: QueueService, clock: FakeClock
) -> None:
    case_id = make_case(ctx)
    first = enqueue(svc, case_id, rank=4, priority=10, reason="notice 1")
    clock.advance(hours=1)
    again = enqueue(svc, case_id, rank=3, priority=5, reason="trusted flagger notice")
    assert again == first
    job = svc.get(first, MOD)
    assert (job.rank, job.rank_name, job.priority) == (3, "trusted_flagger", 10)
    assert job.due_at == T0 + timedelta(hours=24)  # the earlier due date is kept
    assert job.reason == "notice 1; trusted flagger notice"
    order_due = T0 + timedelta(hours=4)
    assert enqueue(svc, case_id, rank=2, due_at=order_due) == first
    job = svc.get(first, MOD)
    assert (job.rank, job.due_at) == (2, order_due)
    assert enqueue(svc, case_id, rank=4) == first
    assert svc.get(first, MOD).rank == 2  # never lowered
    svc.ensure_queue("legal", sla_hours=8)
    assert enqueue(svc, case_id, "legal", rank=2) != first  # one job per (case, queue)
    claimed = svc.claim(first, reviewer="ann", roles=MOD)
    complete(svc, first, "ann", claimed.lease_token)
    assert enqueue(svc, case_id, rank=4) != first  # the old job is done: a new one opens


def test_enqueue_runs_in_the_callers_transaction(ctx: Rempart, svc: QueueService) -> None:
    case_id = make_case(ctx)
    with pytest.raises(RuntimeError), svc.db.session() as s:
        svc.enqueue(s, case_id=case_id, queue="general", rank=4)
        raise RuntimeError("the notice failed to save")
    assert svc.list_jobs("general", roles=MOD) == []


# --- ordering ------------------------------------------------------------------------------------


def test_claim_order_child_safety_life_orders_by_deadline_flaggers_others(
    ctx: Rempart, svc: QueueService, clock: FakeClock
) -> None:
    cases = {name: make_case(ctx) for name in "abcdefghi"}
    plan = [  # enqueued in this (scrambled) order, a minute apart
        ("a", Rank.OTHER, 99, None),  # top policy priority, still after every higher rank
        ("b", Rank.TRUSTED_FLAGGER, 0, None),
        ("c", Rank.AUTHORITY_ORDER, 90, T0 + timedelta(hours=20)),
        ("d", Rank.AUTHORITY_ORDER, 0, T0 + timedelta(hours=1)),  # sooner deadline wins
        ("e", Rank.THREAT_TO_LIFE, 0, None),
        ("f", Rank.CHILD_SAFETY, 0, None),
        ("g", Rank.OTHER, 50, None),
        ("h", Rank.OTHER, 50, T0 + timedelta(hours=2)),  # same priority, due sooner
        ("i", Rank.TRUSTED_FLAGGER, 0, None),  # same as b, but later: after b
    ]
    for name, rank, priority, due in plan:
        enqueue(svc, cases[name], rank=rank, priority=priority, due_at=due)
        clock.advance(minutes=1)
    expected = ["f", "e", "d", "c", "b", "i", "a", "h", "g"]
    by_case = {v: k for k, v in cases.items()}
    listed = [by_case[j.case_id] for j in svc.list_jobs("general", roles=MOD)]
    assert listed == expected
    claimed = []
    while (job := svc.claim_next("general", reviewer="ann", roles=MOD)) is not None:
        claimed.append(by_case[job.case_id])
    assert claimed == expected


# --- leases --------------------------------------------------------------------------------------


def test_an_expired_lease_passes_to_another_and_fences_the_first(
    ctx: Rempart, svc: QueueService, clock: FakeClock
) -> None:
    job_id = enqueue(svc, make_case(ctx), rank=4)
    ann = svc.claim_next("general", reviewer="ann", roles=MOD, lease_s=600)
    assert ann is not None and ann.id == job_id and ann.claimed_by == "ann" and ann.claimed
    assert ann.lease_until == T0 + timedelta(seconds=600)
    # while the lease is live nobody else gets it
    assert svc.claim_next("general", reviewer="bob", roles=MOD) is None
    with pytest.raises(Conflict, match="claimed by ann") as exc:
        svc.claim(job_id, reviewer="bob", roles=MOD)
    assert exc.value.code == "job_claimed"
    clock.advance(seconds=300)
    renewed = svc.renew(job_id, "ann", ann.lease_token, 600)
    assert renewed.lease_until == T0 + timedelta(seconds=900)
    assert renewed.lease_token == ann.lease_token
    clock.advance(seconds=601)  # past the renewed lease
    bob = svc.claim_next("general", reviewer="bob", roles=MOD)
    assert bob is not None and bob.id == job_id and bob.lease_token > ann.lease_token
    with pytest.raises(Conflict, match="bob holds it now") as exc:
        svc.renew(job_id, "ann", ann.lease_token)
    assert exc.value.code == "lease_lost"
    with pytest.raises(Conflict, match="stale"):
        complete(svc, job_id, "ann", ann.lease_token)
    with pytest.raises(Conflict, match="stale"):
        svc.release(job_id, "ann", ann.lease_token)
    with pytest.raises(Conflict, match="stale"):  # right name, old token: still refused
        complete(svc, job_id, "bob", ann.lease_token)
    complete(svc, job_id, "bob", bob.lease_token)
    done = svc.get(job_id, MOD)
    assert (done.status, done.done_by, done.done_at, done.claimed) == (
        "done",
        "bob",
        clock(),
        False,
    )
    assert svc.list_jobs("general", roles=MOD, status="done")[0].id == job_id
    with pytest.raises(Conflict, match="is done") as exc:
        complete(svc, job_id, "bob", bob.lease_token)
    assert exc.value.code == "job_closed"


def test_an_expired_lease_is_refused_even_if_nobody_took_it(
    ctx: Rempart, svc: QueueService, clock: FakeClock
) -> None:
    job_id = enqueue(svc, make_case(ctx), rank=4)
    ann = svc.claim(job_id, reviewer="ann", roles=MOD, lease_s=60)
    clock.advance(seconds=61)
    assert not svc.get(job_id, MOD).claimed
    with pytest.raises(Conflict, match="expired") as exc:
        complete(svc, job_id, "ann", ann.lease_token)
    assert exc.value.code == "lease_expired"
    with pytest.raises(Conflict, match="expired"):
        svc.renew(job_id, "ann", ann.lease_token)
    again = svc.claim(job_id, reviewer="ann", roles=MOD)  # claiming again works
    complete(svc, job_id, "ann", again.lease_token)


def test_release_returns_the_job_and_reclaim_by_holder_starts_a_new_lease(
    ctx: Rempart, svc: QueueService
) -> None:
    job_id = enqueue(svc, make_case(ctx), rank=4)
    ann = svc.claim(job_id, reviewer="ann", roles=MOD)
    mine = svc.claim(job_id, reviewer="ann", roles=MOD)
    assert mine.lease_token == ann.lease_token + 1
    released = svc.release(job_id, "ann", mine.lease_token)
    assert (released.claimed, released.claimed_by) == (False, None)
    bob = svc.claim_next("general", reviewer="bob", roles=MOD)
    assert bob is not None and bob.id == job_id


def test_complete_belongs_to_the_callers_transaction(ctx: Rempart, svc: QueueService) -> None:
    job_id = enqueue(svc, make_case(ctx), rank=4)
    ann = svc.claim(job_id, reviewer="ann", roles=MOD)
    with pytest.raises(RuntimeError), svc.db.session() as s:
        loaded = s.get(ReviewJob, job_id)
        assert loaded is not None
        out = svc.complete(s, job_id, reviewer="ann", lease_token=ann.lease_token, decision_id=None)
        assert out.status == "done" and loaded.status == "done"  # the session sees it
        raise RuntimeError("the decision failed to save")
    assert svc.get(job_id, MOD).status == "open"
    complete(svc, job_id, "ann", ann.lease_token)
    assert svc.get(job_id, MOD).status == "done"


def test_cancel_closes_every_open_job_of_a_case(ctx: Rempart, svc: QueueService) -> None:
    svc.ensure_queue("legal")
    case_id, other = make_case(ctx), make_case(ctx)
    a = enqueue(svc, case_id, rank=4)
    b = enqueue(svc, case_id, "legal", rank=2)
    c = enqueue(svc, other, rank=4)
    ann = svc.claim(a, reviewer="ann", roles=MOD)
    with svc.db.session() as s:
        assert svc.cancel(s, case_id) == 2
    assert [svc.get(j, MOD).status for j in (a, b, c)] == ["cancelled", "cancelled", "open"]
    with pytest.raises(Conflict, match="cancelled"):
        complete(svc, a, "ann", ann.lease_token)


def test_lease_and_names_are_checked(ctx: Rempart, svc: QueueService) -> None:
    job_id = enqueue(svc, make_case(ctx), rank=4)
    with pytest.raises(Invalid, match="lease_s"):
        svc.claim_next("general", reviewer="ann", roles=MOD, lease_s=1)
    with pytest.raises(Invalid, match="lease_s"):
        svc.claim(job_id, reviewer="ann", roles=MOD, lease_s=10**9)
    with pytest.raises(Invalid, match="name the reviewer"):
        svc.claim(job_id, reviewer="  ", roles=MOD)
    with pytest.raises(NotFound):
        svc.claim(424242, reviewer="ann", roles=MOD)
    with pytest.raises(NotFound):
        svc.renew(424242, "ann", 1)
    with pytest.raises(Invalid, match="status"):
        svc.list_jobs("general", roles=MOD, status="weird")


def test_reviewer_roles(ctx: Rempart, svc: QueueService) -> None:
    job_id = enqueue(svc, make_case(ctx), rank=4)
    for roles in (["auditor"], ["child_safety"], ["legal"]):
        with pytest.raises(RempartError, match="moderator") as exc:
            svc.claim_next("general", reviewer="x", roles=roles)
        assert exc.value.status == 403
        with pytest.raises(RempartError, match="moderator"):
            svc.claim(job_id, reviewer="x", roles=roles)
    assert svc.get(job_id, ["auditor"]).id == job_id  # reading is fine
    assert svc.claim(job_id, reviewer="root", roles=ADMIN).claimed_by == "root"


# --- reassign, escalate, notes -------------------------------------------------------------------


def test_reassign_moves_or_hands_over_and_fences_the_old_holder(
    ctx: Rempart, svc: QueueService, clock: FakeClock
) -> None:
    ctx.keys.create("carol", ["moderator"])
    ctx.keys.create("dave", ["auditor"])
    svc.ensure_queue("legal", sla_hours=4)
    job_id = enqueue(svc, make_case(ctx), rank=2)
    ann = svc.claim(job_id, reviewer="ann", roles=MOD)
    with pytest.raises(RempartError, match="senior_moderator") as exc:
        svc.reassign(job_id, to_queue="legal", by="ann", roles=MOD)
    assert exc.value.status == 403
    with pytest.raises(Invalid, match="to_queue, to_reviewer"):
        svc.reassign(job_id, by="sue", roles=SENIOR)
    with pytest.raises(NotFound):
        svc.reassign(job_id, to_queue="nope", by="sue", roles=SENIOR)
    with pytest.raises(Invalid, match="no live API key named 'dave'"):
        svc.reassign(job_id, to_reviewer="dave", by="sue", roles=SENIOR)
    moved = svc.reassign(job_id, to_queue="legal", by="sue", roles=SENIOR)
    assert (moved.queue, moved.claimed, moved.rank) == ("legal", False, 2)
    assert moved.due_at == T0 + timedelta(hours=4)  # the target's shorter SLA
    with pytest.raises(Conflict):
        complete(svc, job_id, "ann", ann.lease_token)
    handed = svc.reassign(job_id, to_reviewer="carol", by="sue", roles=SENIOR)
    assert (handed.claimed_by, handed.claimed) == ("carol", True)
    assert svc.claim_next("legal", reviewer="bob", roles=MOD) is None
    complete(svc, job_id, "carol", handed.lease_token)
    notes = [n.text for n in svc.notes(job_id)]
    assert notes == ["reassigned: moved from general to legal", "reassigned: handed to carol"]
    assert {n.author for n in svc.notes(job_id)} == {"sue"}


def test_escalate_moves_keeps_rank_releases_and_notes(
    ctx: Rempart, svc: QueueService, clock: FakeClock
) -> None:
    job_id = enqueue(svc, make_case(ctx), rank=1)
    ann = svc.claim(job_id, reviewer="ann", roles=MOD)
    with pytest.raises(Conflict, match="only its holder"):
        svc.escalate(job_id, by="bob", reason="unsure", roles=MOD)
    with pytest.raises(Invalid, match="say why"):
        svc.escalate(job_id, by="ann", reason=" ", roles=MOD)
    clock.advance(minutes=5)
    out = svc.escalate(job_id, by="ann", reason="credible threat, needs a senior", roles=MOD)
    assert (out.queue, out.escalated, out.rank, out.claimed) == ("escalations", True, 1, False)
    assert {"escalations", "general"} <= {q.name for q in svc.queues(MOD)}
    with pytest.raises(Conflict, match="stale"):
        complete(svc, job_id, "ann", ann.lease_token)
    (note,) = svc.notes(job_id, roles=MOD)
    assert (note.author, note.created_at) == ("ann", T0 + timedelta(minutes=5))
    assert note.text == "escalated from general to escalations: credible threat, needs a senior"
    # a senior may escalate a job someone else holds
    other = enqueue(svc, make_case(ctx), rank=4)
    svc.claim(other, reviewer="ann", roles=MOD)
    assert svc.escalate(other, by="sue", reason="policy gap", roles=SENIOR).escalated
    sue = svc.claim_next("escalations", reviewer="sue", roles=SENIOR)
    assert sue is not None and sue.id == job_id  # rank 1 before rank 4


def test_notes(ctx: Rempart, svc: QueueService, clock: FakeClock) -> None:
    job_id = enqueue(svc, make_case(ctx), rank=4)
    svc.add_note(job_id, "ann", "first look: satire?", roles=MOD)
    clock.advance(seconds=1)
    svc.add_note(job_id, "bob", "agree", roles=SENIOR)
    assert [(n.author, n.text) for n in svc.notes(job_id, roles=["auditor"])] == [
        ("ann", "first look: satire?"),
        ("bob", "agree"),
    ]
    with pytest.raises(Invalid, match="text"):
        svc.add_note(job_id, "ann", "   ")
    with pytest.raises(Invalid, match="at most"):
        svc.add_note(job_id, "ann", "x" * 10_001)
    with pytest.raises(RempartError, match="moderator"):
        svc.add_note(job_id, "aud", "hi", roles=["auditor"])
    with pytest.raises(NotFound):
        svc.add_note(424242, "ann", "hi")
    with pytest.raises(Invalid, match="NUL"):
        svc.add_note(job_id, "ann", "a\x00b")
    with pytest.raises(Invalid, match="NUL"):
        svc.escalate(job_id, by="ann", reason="a\x00b")
    with pytest.raises(NotFound):
        svc.list_jobs("gen\x00eral", roles=MOD)


# --- the restricted child-safety queue -----------------------------------------------------------


def test_child_safety_queue_is_invisible_without_its_role(ctx: Rempart, svc: QueueService) -> None:
    job_id = enqueue(svc, make_case(ctx, "child_safety"), "child_safety", rank=0)
    svc.add_note(job_id, "cs-lead", "hash match, verified")
    for roles in (MOD, SENIOR, ADMIN, ["auditor"], ["moderator", "senior_moderator", "admin"]):
        # every deployment has the built-in queues; the restricted one is never listed
        assert "general" in [q.name for q in svc.queues(roles)]
        assert "child_safety" not in [q.name for q in svc.queues(roles)]
        assert "child_safety" not in [q.name for q in svc.stats(roles)]
        with pytest.raises(NotFound, match="no review queue named 'child_safety'"):
            svc.list_jobs("child_safety", roles=roles)
        with pytest.raises(NotFound, match="no review queue named 'child_safety'"):
            svc.claim_next("child_safety", reviewer="x", roles=roles)
        # the same answer as for a job that does not exist
        with pytest.raises(NotFound, match=f"no review job with id {job_id}$"):
            svc.get(job_id, roles)
        for call in (
            lambda r=roles: svc.claim(job_id, reviewer="x", roles=r),
            lambda r=roles: svc.notes(job_id, roles=r),
            lambda r=roles: svc.add_note(job_id, "x", "peek", roles=r),
            lambda r=roles: svc.renew(job_id, "x", 1, roles=r),
            lambda r=roles: svc.release(job_id, "x", 1, roles=r),
            lambda r=roles: svc.escalate(job_id, by="x", reason="r", roles=r),
            lambda r=roles: svc.reassign(
                job_id, to_queue="general", by="x", roles=[*r, "senior_moderator"]
            ),
        ):
            with pytest.raises(NotFound, match=f"no review job with id {job_id}$"):
                call()
    assert {"child_safety", "general"} <= {q.name for q in svc.queues(CS)}
    assert [j.id for j in svc.list_jobs("child_safety", roles=CS)] == [job_id]
    assert [n.text for n in svc.notes(job_id, roles=CS)] == ["hash match, verified"]
    job = svc.claim_next("child_safety", reviewer="cs-1", roles=CS)
    assert job is not None and job.id == job_id and job.rank_name == "child_safety"
    complete(svc, job_id, "cs-1", job.lease_token)


def test_child_safety_jobs_never_leave_their_restriction(ctx: Rempart, svc: QueueService) -> None:
    ctx.keys.create("plain-mod", ["moderator", "senior_moderator"])
    ctx.keys.create("cs-2", ["child_safety"])
    job_id = enqueue(svc, make_case(ctx, "child_safety"), "child_safety", rank=0)
    both = ["senior_moderator", "child_safety"]
    with pytest.raises(Invalid, match="same restriction"):
        svc.escalate(job_id, by="cs-1", reason="r", roles=CS)
    with pytest.raises(Invalid, match="same restriction"):
        svc.reassign(job_id, to_queue="general", by="cs-lead", roles=both)
    with pytest.raises(Invalid, match="no live API key named 'plain-mod' has the child_safety"):
        svc.reassign(job_id, to_reviewer="plain-mod", by="cs-lead", roles=both)
    up = svc.escalate(job_id, by="cs-1", reason="needs the lead", to_queue="child_safety", roles=CS)
    assert (up.queue, up.escalated) == ("child_safety", True)
    handed = svc.reassign(job_id, to_reviewer="cs-2", by="cs-lead", roles=both)
    assert handed.claimed_by == "cs-2"
    # a general case moved into a restricted queue is fine; out again is not
    gen = enqueue(svc, make_case(ctx), rank=4)
    assert svc.reassign(gen, to_queue="child_safety", by="cs-lead", roles=both).queue == (
        "child_safety"
    )
    with pytest.raises(Invalid, match="same restriction"):
        svc.reassign(gen, to_queue="general", by="cs-lead", roles=both)


def test_stats(ctx: Rempart, svc: QueueService, clock: FakeClock) -> None:
    a = enqueue(svc, make_case(ctx), rank=4)
    enqueue(svc, make_case(ctx), rank=4, due_at=T0 + timedelta(hours=1))
    clock.advance(hours=2)
    enqueue(svc, make_case(ctx), rank=4)
    svc.claim(a, reviewer="ann", roles=MOD)
    general = {q.name: q for q in svc.stats()}["general"]
    assert (general.open, general.claimed, general.overdue) == (3, 1, 1)
    assert general.oldest_age_s == 2 * 3600
    cs = {q.name: q for q in svc.stats()}["child_safety"]
    assert (cs.open, cs.claimed, cs.overdue, cs.oldest_age_s) == (0, 0, 0, None)
