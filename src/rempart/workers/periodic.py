"""Periodic jobs: send due statements to the TDB, end due suspensions, sign ledger heads.

Each job runs in one daemon thread at its own interval; a failing round is logged and the
next one tries again, so a database hiccup or a TDB outage never stops the process. The jobs
are safe to run in several processes at once (their services claim work by lease).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import structlog

from rempart.context import Rempart
from rempart.evidence.dsar import PersonalData

log = structlog.get_logger("rempart.workers")


@dataclass
class Periodic:
    """A set of named jobs, each called every ``interval_s`` seconds until stopped."""

    jobs: list[tuple[str, float, Callable[[], object]]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def add(self, name: str, interval_s: float, fn: Callable[[], object]) -> None:
        """Register a job."""
        self.jobs.append((name, interval_s, fn))

    def start(self) -> None:
        """Start one daemon thread per job."""
        self._stop.clear()
        for name, interval, fn in self.jobs:
            t = threading.Thread(
                target=self._loop, args=(name, interval, fn), name=f"rempart-{name}", daemon=True
            )
            t.start()
            self._threads.append(t)

    def _loop(self, name: str, interval: float, fn: Callable[[], object]) -> None:
        while not self._stop.wait(interval):
            try:
                fn()
            except Exception as exc:  # keep running: the next round retries
                log.warning("worker.round_failed", job=name, error=str(exc))

    def stop(self) -> None:
        """Stop every job (a running round finishes first)."""
        self._stop.set()
        for t in self._threads:
            t.join(timeout=15)
        self._threads.clear()


def standard_jobs(ctx: Rempart) -> Periodic:
    """The jobs every deployment runs: TDB submission and NCMEC resumption (when configured),
    suspension ends, ledger heads, personal-data purge, Art. 18 referral delivery."""
    from rempart.compliance.ncmec.resend import resend_due
    from rempart.evidence.referral_delivery import deliver_due

    jobs = Periodic()
    if ctx.settings.tdb_url and ctx.settings.tdb_token:
        jobs.add("tdb-submit", ctx.settings.tdb_submit_interval_s, ctx.tdb.submit_due)
    jobs.add("misuse-release", 60.0, ctx.misuse.release_due)
    jobs.add("ledger-sign", ctx.settings.ledger_sign_interval_s, ctx.ledger.sign_if_grown)
    jobs.add("personal-data-purge", 86400.0, PersonalData(ctx).purge_personal_data)
    # resumes CyberTipline reports a crash left behind; ctx.ncmec is read only when it runs
    jobs.add("ncmec-resend", 300.0, lambda: resend_due(ctx.ncmec) if ctx.ncmec.conf.username else 0)
    jobs.add("referral-deliver", 60.0, lambda: deliver_due(ctx))  # Art. 18, when endpoints set
    return jobs
