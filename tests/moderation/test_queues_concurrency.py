"""Real threads against the real database: no job is ever handed to two reviewers, and
enqueues of one case from many transactions still make one job."""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from collections.abc import Callable

from rempart.context import Rempart
from rempart.errors import Conflict
from rempart.moderation.queue_schemas import ClaimedJob
from rempart.moderation.queues import QueueService
from tests.moderation.test_queues import ctx, make_case  # noqa: F401  (fixture)

THREADS = 8
JOBS = 60


def run_threads(n: int, target: Callable[[int], None]) -> list[BaseException]:
    """Start ``n`` threads at once (behind a barrier); the errors they raised."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(n)

    def body(i: int) -> None:
        try:
            barrier.wait()
            target(i)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a claimer hung"
    return errors


def test_many_reviewers_claiming_one_queue_never_share_a_job(ctx: Rempart) -> None:  # noqa: F811
    svc = QueueService(ctx.db, ctx.settings)
    svc.ensure_queue("general")
    cases = [make_case(ctx) for _ in range(JOBS)]
    with ctx.db.session() as s:
        job_ids = {
            svc.enqueue(s, case_id=c, queue="general", rank=i % 5) for i, c in enumerate(cases)
        }
    got: dict[int, list[ClaimedJob]] = {i: [] for i in range(THREADS)}

    def claimer(i: int) -> None:
        while (job := svc.claim_next("general", reviewer=f"r{i}", roles=["moderator"])) is not None:
            got[i].append(job)

    assert run_threads(THREADS, claimer) == []
    claims = [j for jobs in got.values() for j in jobs]
    counts = Counter(j.id for j in claims)
    assert set(counts) == job_ids
    assert max(counts.values()) == 1, [k for k, v in counts.items() if v > 1]
    for i, jobs in got.items():
        for j in jobs:  # the database agrees on who holds each job, with the token handed out
            held = svc.get(j.id, ["moderator"])
            assert (held.claimed_by, held.lease_token) == (f"r{i}", j.lease_token)
    assert sum(1 for jobs in got.values() if jobs) > 1  # the claims really interleaved


def test_racing_for_one_named_job_leaves_one_winner(ctx: Rempart) -> None:  # noqa: F811
    svc = QueueService(ctx.db, ctx.settings)
    svc.ensure_queue("general")
    for _ in range(5):
        with ctx.db.session() as s:
            job_id = svc.enqueue(s, case_id=make_case(ctx), queue="general", rank=4)
        winners: list[str] = []

        def grab(i: int, job_id: int = job_id, winners: list[str] = winners) -> None:
            with contextlib.suppress(Conflict):  # the losers are told it is claimed
                winners.append(
                    svc.claim(job_id, reviewer=f"r{i}", roles=["moderator"]).claimed_by or ""
                )

        assert run_threads(THREADS, grab) == []
        assert len(winners) == 1
        assert svc.get(job_id, ["moderator"]).claimed_by == winners[0]


def test_concurrent_enqueues_of_one_case_make_one_job(ctx: Rempart) -> None:  # noqa: F811
    svc = QueueService(ctx.db, ctx.settings)
    svc.ensure_queue("general")
    case_id = make_case(ctx)
    ids: list[int] = []

    def enqueue(i: int) -> None:
        with ctx.db.session() as s:
            ids.append(svc.enqueue(s, case_id=case_id, queue="general", rank=4 - i % 5, priority=i))

    assert run_threads(THREADS, enqueue) == []
    assert len(set(ids)) == 1
    (job,) = svc.list_jobs("general", roles=["moderator"])
    assert (job.rank, job.priority) == (0, THREADS - 1)
