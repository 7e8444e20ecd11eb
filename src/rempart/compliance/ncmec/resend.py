"""The periodic re-send of CyberTipline reports stuck half-way, with backoff and a cap.

A report whose sending started but did not finish (NCMEC or the network was down: status
``SUBMITTED`` or ``FILES_UPLOADED``, or a ``DRAFT`` whose submit was tried) is resumed by
``resend_due`` from the first step not recorded (``NcmecService.send`` never repeats a step
it recorded). Reports NCMEC *refused* (``FAILED``: a validation or authorisation code) are
not retried: the same call would be refused again, a person must fix them. A draft nobody
asked to send is never sent automatically.

Each automatic attempt is claimed by moving the report's ``next_attempt_at`` forward in one
conditional update, so several processes never resume the same report at once. After an
unsuccessful attempt the next one waits ``base_s * 2**n`` (at most ``max_backoff_s``); after
``max_attempts`` automatic attempts the report is left for a person (``pending()`` and the
alarm still list it) and its ``last_error`` says so. NCMEC deletes an unfinished report some
hours after its last change, so the defaults retry within minutes, not days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

import structlog
from sqlalchemy import and_, or_, select, update

from rempart.clock import as_utc
from rempart.compliance.ncmec.client import NcmecClient, NcmecError
from rempart.compliance.ncmec.models import NcmecReport
from rempart.compliance.ncmec.service import NcmecService
from rempart.errors import RempartError

log = structlog.get_logger("rempart.ncmec")

ACTOR = "system:ncmec-resend"
RESUMABLE = ("SUBMITTED", "FILES_UPLOADED")


@dataclass(frozen=True)
class ResendPolicy:
    """How often and how long stuck reports are retried."""

    base_s: float = 60.0
    max_backoff_s: float = 1800.0
    max_attempts: int = 8
    lease_s: float = 900.0  # a claimed attempt that crashed is free again after this
    batch: int = 20

    def delay(self, attempts: int) -> timedelta:
        """The wait after the ``attempts``-th unsuccessful automatic attempt."""
        return timedelta(seconds=min(self.max_backoff_s, self.base_s * 2 ** max(0, attempts - 1)))


@dataclass(frozen=True)
class ResendOutcome:
    """What one automatic attempt did to one report."""

    report_id: int
    result: Literal["finished", "retry", "failed", "gave_up"]
    status: str
    detail: str = ""


def _due(service: NcmecService, policy: ResendPolicy) -> list[int]:
    """Ids of reports in a resumable state whose next automatic attempt is due."""
    now = service.clock()
    stmt = (
        select(NcmecReport.id)
        .where(
            or_(
                NcmecReport.status.in_(RESUMABLE),
                and_(NcmecReport.status == "DRAFT", NcmecReport.attempts > 0),
            ),
            NcmecReport.auto_attempts < policy.max_attempts,
            or_(NcmecReport.next_attempt_at.is_(None), NcmecReport.next_attempt_at <= now),
        )
        .order_by(NcmecReport.id)
        .limit(policy.batch)
    )
    with service.db.session() as s:
        return list(s.scalars(stmt))


def _claim(service: NcmecService, report_id: int, policy: ResendPolicy) -> int | None:
    """Take the report's next attempt (its count after this one), or None if another did."""
    now = service.clock()
    with service.db.session() as s:
        attempts = s.scalar(select(NcmecReport.auto_attempts).where(NcmecReport.id == report_id))
        if attempts is None:
            return None
        done = s.execute(
            update(NcmecReport)
            .where(
                NcmecReport.id == report_id,
                NcmecReport.auto_attempts == attempts,
                or_(NcmecReport.next_attempt_at.is_(None), NcmecReport.next_attempt_at <= now),
            )
            .values(
                auto_attempts=attempts + 1,
                next_attempt_at=now + timedelta(seconds=policy.lease_s),
            )
        )
        return int(attempts) + 1 if getattr(done, "rowcount", 0) == 1 else None


def _after_failure(
    service: NcmecService, report_id: int, attempts: int, policy: ResendPolicy
) -> tuple[str, str]:
    """Schedule the next attempt (or give up); the report's status and what happened."""
    with service.db.session() as s:
        report = s.get(NcmecReport, report_id)
        assert report is not None
        if report.status == "FAILED":
            report.next_attempt_at = None
            return report.status, "failed"
        if attempts >= policy.max_attempts:
            report.next_attempt_at = None
            report.last_error = (
                f"gave up after {attempts} automatic attempts: send it by hand "
                f"(last error: {report.last_error or 'unknown'})"
            )[:4000]
            return report.status, "gave_up"
        report.next_attempt_at = as_utc(service.clock()) + policy.delay(attempts)
        return report.status, "retry"


def resend_due(
    service: NcmecService,
    *,
    client: NcmecClient | None = None,
    policy: ResendPolicy | None = None,
) -> list[ResendOutcome]:
    """Resume every due stuck report once; what happened to each (for the periodic job)."""
    policy = policy or ResendPolicy()
    outcomes: list[ResendOutcome] = []
    for report_id in _due(service, policy):
        attempts = _claim(service, report_id, policy)
        if attempts is None:
            continue  # another process has it
        try:
            out = service.send(report_id, by=ACTOR, client=client)
        except (NcmecError, RempartError) as exc:
            status, result = _after_failure(service, report_id, attempts, policy)
            log.warning("ncmec.resend_failed", report=report_id, attempt=attempts, error=str(exc))
            outcomes.append(ResendOutcome(report_id, result, status, str(exc)))  # type: ignore[arg-type]
            continue
        with service.db.session() as s:
            row = s.get(NcmecReport, report_id)
            if row is not None:
                row.next_attempt_at = None
        outcomes.append(ResendOutcome(report_id, "finished", out.status))
    return outcomes
