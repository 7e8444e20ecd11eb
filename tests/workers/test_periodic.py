"""Periodic jobs keep running through failures and stop when told."""

from __future__ import annotations

import threading

from rempart.config import Settings
from rempart.context import Rempart
from rempart.workers.periodic import Periodic, standard_jobs


def test_a_failing_round_does_not_stop_the_job() -> None:
    calls = []
    done = threading.Event()

    def flaky() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database restarting")
        done.set()

    jobs = Periodic()
    jobs.add("flaky", 0.01, flaky)
    jobs.start()
    try:
        assert done.wait(5)
    finally:
        jobs.stop()
    assert len(calls) >= 2


def test_tdb_submission_runs_only_when_configured(settings: Settings) -> None:
    ctx = Rempart.open(settings, load_index=False)
    try:
        names = [n for n, *_ in standard_jobs(ctx).jobs]
        rest = ["misuse-release", "ledger-sign", "personal-data-purge"]
        rest += ["ncmec-resend", "referral-deliver"]  # both no-ops until configured
        assert names == rest
        ctx.settings.tdb_url, ctx.settings.tdb_token = "https://tdb.example", "t"
        names = [n for n, *_ in standard_jobs(ctx).jobs]
        assert names == ["tdb-submit", *rest]
    finally:
        ctx.close()
