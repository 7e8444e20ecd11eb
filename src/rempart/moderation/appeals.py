"""Internal complaints (Art. 20) and out-of-court disputes (Art. 21).

Rules enforced here, not merely advised: a complaint is accepted for six months from the
notification; the affected user may complain about a restriction and a notifier about any
decision on their notice, to act or not; it is decided by a person who took no part in the
decision complained of (20(6)); a reversal is carried out through the webhooks and produces a
new decision and statement of reasons.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from rempart.access.services import Principal
from rempart.clock import Clock, as_utc
from rempart.errors import Conflict, Invalid, NotFound
from rempart.events import NO_LOG, EventLog, current_actor
from rempart.moderation.decisions import DecisionService
from rempart.moderation.items import case_visible
from rempart.moderation.models import Appeal, Case, Decision, Notice, OdsDispute
from rempart.moderation.notices import RANK_CHILD_SAFETY, RANK_OTHER, Suspended
from rempart.moderation.schemas import (
    AppealDecisionIn,
    AppealIn,
    AppealOut,
    DisputeIn,
    DisputeOut,
    DisputeOutcomeIn,
)
from rempart.moderation.statements import appeal_deadline, redress
from rempart.store.db import Database

if TYPE_CHECKING:
    from rempart.moderation.misuse import MisuseService
    from rempart.moderation.queues import QueueService
    from rempart.moderation.webhooks.service import WebhookService


class Forbidden(Invalid):
    """The caller may not take this step (e.g. deciding an appeal on their own decision)."""

    status = 403
    code = "forbidden"


class AppealService:
    """Accept, route and decide complaints; record out-of-court disputes."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        decisions: DecisionService,
        queues: QueueService,
        webhooks: WebhookService,
        misuse: MisuseService,
        events: EventLog = NO_LOG,
    ) -> None:
        self.db = db
        self.clock = clock
        self.decisions = decisions
        self.queues = queues
        self.webhooks = webhooks
        self.misuse = misuse
        self.events = events

    def submit(self, decision_id: int, body: AppealIn) -> AppealOut:
        """Accept a complaint within the window, free of charge, and queue it for a person."""
        now = self.clock()
        ref = body.complainant_ref.strip()
        if body.complainant_role == "notifier":
            ref = ref.lower()
        stop = self.misuse.is_suspended("complainant", ref, "complaints")
        if stop is not None:
            raise Suspended(
                f"complaints from this complainant are not processed until {stop.ends_at} "
                "(Art. 23(2)): too many manifestly unfounded complaints"
            )
        with self.db.session() as s:
            d = s.get(Decision, decision_id) if 0 < decision_id < 2**63 else None
            if d is None:
                raise NotFound(f"no decision {decision_id}")
            if d.status != "in_force":
                raise Conflict(f"decision {decision_id} was already {d.status}")
            notified = self._check_standing(s, d, body.complainant_role, ref)
            if now > appeal_deadline(notified):
                raise Invalid(
                    f"the six-month window to complain closed on {appeal_deadline(notified)}",
                    code="appeal_window_closed",
                )
            kind = body.complaint_type or _complaint_type(s, d)
            appeal = Appeal(
                decision_id=d.id,
                complainant_role=body.complainant_role,
                complainant_ref=ref,
                complaint_type=kind,
                text=body.text,
                submitted_at=now,
                status="open",
            )
            s.add(appeal)
            s.flush()
            case = s.get(Case, d.case_id) if d.case_id else None
            if case is not None:
                child = case.kind == "child_safety"
                self.queues.enqueue(
                    s,
                    case_id=case.id,
                    queue="child_safety" if child else "appeals",
                    rank=RANK_CHILD_SAFETY if child else RANK_OTHER,
                    priority=60,
                    reason=f"appeal {appeal.id} against decision {d.uuid}",
                )
            self.events.append(
                s,
                "appeal",
                actor=current_actor(),
                subject=f"decision:{d.id}",
                data={
                    "appeal_id": appeal.id,
                    "op": "submit",
                    "type": kind,
                    "role": appeal.complainant_role,
                },
            )
            return _appeal_out(appeal)

    def _check_standing(self, s: Session, d: Decision, role: str, ref: str) -> datetime:
        """Who may complain about what, and when their six months started."""
        if role == "affected":
            if not d.action:
                raise Invalid("the affected user can complain only about a restriction")
            return as_utc(d.user_notified_at or d.created_at)
        emails = {
            n.notifier_email
            for n in s.scalars(select(Notice).where(Notice.id.in_(d.notice_ids or [-1])))
        }
        if ref not in emails:
            raise Forbidden("only a notifier of this decision's notices can complain as notifier")
        return as_utc(d.notifier_notified_at or d.created_at)

    def get(self, appeal_id: int, roles: list[str]) -> AppealOut:
        """An appeal (hidden from roles that may not see its case)."""
        with self.db.session() as s:
            a = self._visible(s, appeal_id, roles)
            return _appeal_out(a)

    def _visible(self, s: Session, appeal_id: int, roles: list[str]) -> Appeal:
        a = s.get(Appeal, appeal_id) if 0 < appeal_id < 2**63 else None
        if a is None:
            raise NotFound(f"no appeal {appeal_id}")
        d = s.get(Decision, a.decision_id)
        case = s.get(Case, d.case_id) if d and d.case_id else None
        if case is not None and not case_visible(case, roles):
            raise NotFound(f"no appeal {appeal_id}")
        return a

    def decide(self, appeal_id: int, body: AppealDecisionIn, principal: Principal) -> AppealOut:
        """A person other than the original decider decides; reversals are carried out."""
        now = self.clock()
        with self.db.session() as s:
            a = self._visible(s, appeal_id, principal.roles)
            if a.status != "open":
                raise Conflict(f"appeal {appeal_id} is already decided")
            d = s.get(Decision, a.decision_id)
            assert d is not None
            if principal.name in _deciders(s, d):
                raise Forbidden(
                    "an appeal is decided by a person who did not take the decision "
                    "complained of (Art. 20(6))"
                )
            a.status = "decided"
            a.outcome = body.outcome
            a.decided_at = now
            a.decided_by = principal.name
            a.reasoned_text = body.reasoned_text
            a.manifestly_unfounded = body.manifestly_unfounded
            self.events.append(
                s,
                "appeal",
                actor=principal.name,
                subject=f"decision:{d.id}",
                data={"appeal_id": a.id, "op": "decide", "outcome": a.outcome},
            )
            if body.outcome in ("reversed", "partially_reversed"):
                new = self.decisions.reverse(
                    s,
                    d,
                    partial=body.outcome == "partially_reversed",
                    replacement=body.new_decision,
                    by=principal.name,
                    appeal_id=a.id,
                    reason=body.reasoned_text,
                )
                a.new_decision_id = new.id
                a.new_restriction_imposed = bool(new.action and not d.action)
            elif body.new_decision is not None:
                raise Invalid("new_decision is only for reversals")
            if body.manifestly_unfounded and body.outcome in ("upheld", "omitted"):
                self.misuse.add_strike(
                    s,
                    subject_type="complainant",
                    subject_ref=a.complainant_ref,
                    weight=1.0,
                    reason=f"manifestly unfounded complaint {a.id}",
                    decision_id=d.id,
                )
                self.misuse.assess(s, "complainant", a.complainant_ref, by=principal.name)
            if d.case_id is not None:  # the appeal's review job is done
                self.queues.cancel(s, d.case_id)
            self.webhooks.emit(
                s,
                "notification.appeal_decision",
                f"appeal:{a.id}:decision",
                {
                    "appeal_id": a.id,
                    "to": a.complainant_ref,
                    "complainant_role": a.complainant_role,
                    "decision_id": d.uuid,
                    "outcome": a.outcome,
                    "reasons": a.reasoned_text,
                    "decided_by_person": True,
                    "new_decision_id": a.new_decision_id,
                    "redress": {k: v for k, v in redress(now).items() if k != "internal_complaint"},
                },
            )
            return _appeal_out(a)

    # --- out-of-court disputes ------------------------------------------------------------

    def add_dispute(self, decision_id: int, body: DisputeIn) -> DisputeOut:
        """Record a dispute a certified body received about a decision."""
        with self.db.session() as s:
            if s.get(Decision, decision_id) is None:
                raise NotFound(f"no decision {decision_id}")
            row = OdsDispute(
                decision_id=decision_id,
                body_name=body.body_name,
                received_at=body.received_at or self.clock(),
            )
            s.add(row)
            s.flush()
            return _dispute_out(row)

    def dispute_outcome(self, dispute_id: int, body: DisputeOutcomeIn) -> DisputeOut:
        """Record the body's outcome and whether the platform implemented it."""
        with self.db.session() as s:
            row = s.get(OdsDispute, dispute_id) if 0 < dispute_id < 2**63 else None
            if row is None:
                raise NotFound(f"no dispute {dispute_id}")
            row.outcome = body.outcome
            row.decided_at = body.decided_at or self.clock()
            row.fees_paid = body.fees_paid
            if body.implemented is not None:
                row.implemented = body.implemented
                row.implemented_at = self.clock() if body.implemented else None
            return _dispute_out(row)

    def disputes(self) -> list[DisputeOut]:
        """Every dispute, newest first."""
        with self.db.session() as s:
            return [
                _dispute_out(r)
                for r in s.scalars(select(OdsDispute).order_by(OdsDispute.id.desc()))
            ]


def _deciders(s: Session, d: Decision) -> set[str]:
    """Every person who took the decision or one it replaced (none of them may decide)."""
    out = set()
    cur: Decision | None = d
    while cur is not None:
        if cur.decided_by_person:
            out.add(cur.decided_by)
        cur = s.get(Decision, cur.reverses_id) if cur.reverses_id else None
    return out


def _complaint_type(s: Session, d: Decision) -> str:
    """The Part 7 row a complaint about this decision counts in."""
    if not d.action:
        tf = s.scalars(
            select(Notice).where(
                Notice.id.in_(d.notice_ids or [-1]), Notice.trusted_flagger_id.is_not(None)
            )
        ).first()
        return "no_action_on_tf_notice" if tf else "no_action_on_notice"
    if d.decision_account:
        return "suspend_account"
    if d.decision_provision:
        return "suspend_service"
    if d.decision_monetary:
        return "restrict_monetisation"
    return "restrict_visibility"


def _appeal_out(a: Appeal) -> AppealOut:
    return AppealOut(
        id=a.id,
        decision_id=a.decision_id,
        complainant_role=a.complainant_role,
        complaint_type=a.complaint_type,
        status=a.status,
        outcome=a.outcome,
        submitted_at=as_utc(a.submitted_at),
        decided_at=a.decided_at and as_utc(a.decided_at),
        decided_by=a.decided_by,
        new_decision_id=a.new_decision_id,
    )


def _dispute_out(r: OdsDispute) -> DisputeOut:
    return DisputeOut(
        id=r.id,
        decision_id=r.decision_id,
        body_name=r.body_name,
        received_at=as_utc(r.received_at),
        outcome=r.outcome,
        decided_at=r.decided_at and as_utc(r.decided_at),
        implemented=r.implemented,
    )
