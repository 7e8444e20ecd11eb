"""Decisions: record every Art. 17(3) element, carry them out, tell the people concerned.

One transaction records the decision, updates the item, account, notices, orders, review jobs
and automated flags, and queues the outgoing webhooks (enforcement, the user's statement of
reasons, the notifiers' answers) in the outbox; after-commit work cannot lose any of it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rempart.access.services import Principal
from rempart.clock import Clock, as_utc
from rempart.errors import Conflict, Invalid, NotFound
from rempart.events import NO_LOG, EventLog
from rempart.moderation.items import case_visible
from rempart.moderation.models import (
    Account,
    AuthorityOrder,
    AutomatedFlag,
    Case,
    Decision,
    Item,
    Notice,
    NoticeItem,
    ReviewJob,
    Strike,
    TrustedFlagger,
)
from rempart.moderation.schemas import EEA, DecisionIn, DecisionOut
from rempart.moderation.statements import redress, user_statement
from rempart.store.db import Database

if TYPE_CHECKING:
    from rempart.moderation.misuse import MisuseService
    from rempart.moderation.queues import QueueService
    from rempart.moderation.webhooks.service import WebhookService

# called inside the decision's transaction once it is recorded (compliance queues the
# statement for the Transparency Database there; moderation does not import compliance)
OnRecorded = Callable[[Session, Decision], None]
RESTRICTION_FIELDS = (
    "decision_visibility",
    "decision_visibility_other",
    "decision_monetary",
    "decision_monetary_other",
    "decision_provision",
    "decision_account",
    "end_date_visibility_restriction",
    "end_date_monetary_restriction",
    "end_date_service_restriction",
    "end_date_account_restriction",
)
GROUND_FIELDS = (
    "decision_ground",
    "decision_ground_reference_url",
    "illegal_content_legal_ground",
    "illegal_content_explanation",
    "incompatible_content_ground",
    "incompatible_content_explanation",
    "incompatible_content_illegal",
    "category_addition",
    "category_specification",
    "category_specification_other",
)


class DecisionService:
    """Take, carry out, explain and reverse decisions."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        queues: QueueService,
        webhooks: WebhookService,
        misuse: MisuseService,
        on_recorded: OnRecorded | None = None,
        events: EventLog = NO_LOG,
    ) -> None:
        self.db = db
        self.clock = clock
        self.queues = queues
        self.webhooks = webhooks
        self.misuse = misuse
        self.on_recorded = on_recorded
        self.events = events

    # --- taking decisions ----------------------------------------------------------------

    def decide_job(
        self, job_id: int, body: DecisionIn, principal: Principal, lease_token: int
    ) -> DecisionOut:
        """A reviewer decides the case of a job they hold (the lease is checked)."""
        with self.db.session() as s:
            job = s.get(ReviewJob, job_id)
            if job is None:
                raise NotFound(f"no review job {job_id}")
            case = s.get(Case, job.case_id)
            if case is None or not case_visible(case, principal.roles):
                raise NotFound(f"no review job {job_id}")
            # the lease is checked first: a reviewer who lost the job records nothing
            self.queues.complete(
                s, job_id, reviewer=principal.name, lease_token=lease_token, decision_id=None
            )
            d = self.record(s, case, body, by=principal.name, person=True)
            job.decision_id = d.id
            return self._out(s, d)

    def review_job(
        self, job_id: int, *, confirm: bool, reason: str, principal: Principal, lease_token: int
    ) -> DecisionOut:
        """A reviewer confirms or overturns the automated decision on a job's case.

        Confirming closes the case and counts the automated flags as true positives;
        overturning reverses the rule's decision (through the webhooks) and counts them as
        false positives. Either way the person's review is on record.
        """
        with self.db.session() as s:
            job = s.get(ReviewJob, job_id)
            case = s.get(Case, job.case_id) if job else None
            if job is None or case is None or not case_visible(case, principal.roles):
                raise NotFound(f"no review job {job_id}")
            auto = s.scalars(
                select(Decision)
                .where(
                    Decision.case_id == case.id,
                    Decision.status == "in_force",
                    Decision.decided_by_person.is_(False),
                )
                .order_by(Decision.id.desc())
            ).first()
            if auto is None:
                raise Conflict(f"case {case.id} has no automated decision to review; decide it")
            self.queues.complete(
                s, job_id, reviewer=principal.name, lease_token=lease_token, decision_id=auto.id
            )
            now = self.clock()
            for f in s.scalars(select(AutomatedFlag).where(AutomatedFlag.case_id == case.id)):
                f.review_outcome = "confirmed" if confirm else "overturned"
                f.reviewed_at = now
            if confirm:
                case.status = "closed"
                case.closed_at = now
                case.closed_by = principal.name
                case.facts = {**case.facts, "review": f"confirmed by {principal.name}: {reason}"}
                self.queues.cancel(s, case.id)
                return self._out(s, auto)
            new = self.reverse(
                s,
                auto,
                partial=False,
                replacement=None,
                by=principal.name,
                appeal_id=None,
                reason=reason,
            )
            return self._out(s, new)

    def decide_case(self, case_id: int, body: DecisionIn, principal: Principal) -> DecisionOut:
        """A person decides a case directly (own initiative, or outside the queues)."""
        with self.db.session() as s:
            case = s.get(Case, case_id)
            if case is None or not case_visible(case, principal.roles):
                raise NotFound(f"no case {case_id}")
            d = self.record(s, case, body, by=principal.name, person=True)
            return self._out(s, d)

    def record(
        self,
        s: Session,
        case: Case,
        body: DecisionIn,
        *,
        by: str,
        person: bool,
        policy_evaluation_id: int | None = None,
        policy_version: str | None = None,
        signals: dict[str, Any] | None = None,
        reverses: Decision | None = None,
        appeal_id: int | None = None,
        follow_up: bool = False,
    ) -> Decision:
        """Record a decision on a case inside ``s`` and queue everything that follows from it.

        ``follow_up`` marks a decision that follows from another in the same transaction (an
        Art. 23 suspension): it may land on the case its cause just closed.
        """
        now = self.clock()
        if case.status != "open" and reverses is None and not follow_up:
            raise Conflict(f"case {case.id} is closed")
        if reverses is None and person and not follow_up:
            pending = s.scalars(
                select(Decision.id).where(
                    Decision.case_id == case.id,
                    Decision.status == "in_force",
                    Decision.decided_by_person.is_(False),
                    Decision.action.is_(True),
                )
            ).first()
            if pending is not None:
                raise Conflict(
                    f"case {case.id} was acted on by a rule (decision {pending}): confirm or "
                    "overturn that decision instead of deciding again",
                    code="review_automated_decision",
                )
        item = s.get(Item, case.item_id)
        assert item is not None
        account = s.get(Account, item.account_id) if item.account_id else None
        # a follow-up (Art. 23 suspension) is the platform's own step, not an answer to notices
        notices = [] if follow_up else self._notices(s, case)
        orders = []
        if not follow_up:
            orders = [o for o in (s.get(AuthorityOrder, i) for i in case.order_ids) if o]
        flags = s.scalars(select(AutomatedFlag).where(AutomatedFlag.case_id == case.id)).all()
        automated_detection = bool(flags) or bool(reverses and reverses.automated_detection)
        source_type, source_identity = self._source(s, notices, orders)
        category = body.category or _notice_category(notices, orders)
        if category is None:
            raise Invalid("give the decision's category (STATEMENT_CATEGORY_*)")
        d = Decision(
            uuid=str(uuid.uuid4()),
            case_id=case.id,
            item_id=item.id,
            account_id=account.id if account else None,
            action=body.action,
            status="in_force",
            reverses_id=reverses.id if reverses else None,
            appeal_id=appeal_id,
            territorial_scope=body.territorial_scope
            or (list(item.territories) if item.territories else sorted(EEA)),
            application_date=now.date(),
            decision_facts=body.decision_facts,
            source_type=source_type,
            source_identity=source_identity,
            notice_ids=[n.id for n in notices],
            order_ids=[o.id for o in orders],
            content_types=list(item.content_types) or ["CONTENT_TYPE_OTHER"],
            content_type_other=item.content_type_other
            or (None if item.content_types else "not described by the platform"),
            content_language=item.language,
            content_date=item.content_date or as_utc(item.created_at).date(),
            account_type=account.account_type if account else None,
            automated_detection=automated_detection,
            automated_decision=_automation(person, automated_detection),
            category=category,
            decided_by=by,
            decided_by_person=person,
            policy_evaluation_id=policy_evaluation_id,
            policy_version=policy_version,
            signals=signals or {},
            created_at=now,
        )
        for field in RESTRICTION_FIELDS + GROUND_FIELDS:
            setattr(d, field, getattr(body, field))
        s.add(d)
        s.flush()
        self._carry_out(s, d, case, item, account, notices, orders, flags, body, person, now)
        if self.on_recorded is not None:
            self.on_recorded(s, d)
        # last: the ledger's counter row stays locked until commit (PostgreSQL)
        self.events.append(
            s,
            "decision",
            actor=by,
            subject=f"case:{case.id}",
            data={
                "decision_id": d.id,
                "uuid": d.uuid,
                "item": item.platform_ref,
                "action": d.action,
                "restriction": _restriction(d),
                "ground": d.decision_ground,
                "category": d.category,
                "automated_decision": d.automated_decision,
                "policy_version": policy_version,
                "policy_evaluation_id": policy_evaluation_id,
                "reverses": reverses.id if reverses else None,
                "appeal_id": appeal_id,
            },
        )
        return d

    def _carry_out(
        self,
        s: Session,
        d: Decision,
        case: Case,
        item: Item,
        account: Account | None,
        notices: list[Notice],
        orders: list[AuthorityOrder],
        flags: list[AutomatedFlag] | Any,
        body: DecisionIn,
        person: bool,
        now: datetime,
    ) -> None:
        if d.action:
            if d.decision_visibility:
                item.status = "restricted"
            if account is not None and d.decision_account:
                account.status = (
                    "terminated"
                    if d.decision_account == "DECISION_ACCOUNT_TERMINATED"
                    else "suspended"
                )
            self.webhooks.emit(
                s, "decision.enforce", f"decision:{d.uuid}:enforce", _enforce(d, item, account)
            )
        for n in notices:
            n.status = "decided"
            n.decided_at = now
        for o in orders:
            if o.kind == "act" and o.effect_given_at is None:
                o.effect_given_at = now
                o.effect_description = "restricted" if d.action else "no action: see decision"
        if person:
            for f in flags:
                if f.review_outcome is None:
                    f.review_outcome = "confirmed" if d.action else "overturned"
                    f.reviewed_at = now
        if person or not case.person_only_close:
            case.status = "closed"
            case.closed_at = now
            case.closed_by = d.decided_by
            self.queues.cancel(s, case.id)
        # the affected user's statement of reasons (Art. 17; contact details known: 17(2)); a
        # reversal gets one too, saying what was lifted and what remains
        if (d.action or d.reverses_id) and account is not None and account.contact_known:
            statement = user_statement(d, item_ref=item.platform_ref, notified_at=now)
            self.webhooks.emit(
                s,
                "notification.statement_of_reasons",
                f"decision:{d.uuid}:statement",
                {"account": account.platform_ref, "statement_of_reasons": statement},
            )
            d.user_notified_at = now
        # each notifier's answer with redress and the use of automated means (16(5), 16(6))
        for n in notices:
            if not n.notifier_email:
                continue
            self.webhooks.emit(
                s,
                "notification.notifier_decision",
                f"decision:{d.uuid}:notice:{n.uuid}",
                _notifier_message(d, n, item, now),
            )
            n.decision_notified_at = now
            d.notifier_notified_at = now
        # misuse: strikes for the account, or for notifiers of manifestly unfounded notices
        if d.action and account is not None and body.strike_weight != 0:
            weight = body.strike_weight if body.strike_weight is not None else 1.0
            self.misuse.add_strike(
                s,
                subject_type="account",
                subject_ref=account.platform_ref,
                weight=weight,
                reason=f"decision {d.uuid}: {d.category}",
                decision_id=d.id,
            )
            step = self.misuse.assess(s, "account", account.platform_ref, by=d.decided_by)
            if step is not None and step.action == "suspension" and step.ends_at is not None:
                self._suspension_decision(s, d, case, step.id, step.ends_at, step.reason)
        if not d.action and body.notice_unfounded:
            for n in notices:
                n.manifestly_unfounded = True
                if n.notifier_email:
                    self.misuse.add_strike(
                        s,
                        subject_type="notifier",
                        subject_ref=n.notifier_email,
                        weight=1.0,
                        reason=f"manifestly unfounded notice {n.uuid}",
                        decision_id=d.id,
                    )
                    self.misuse.assess(s, "notifier", n.notifier_email, by=d.decided_by)

    def _suspension_decision(
        self, s: Session, cause: Decision, case: Case, action_id: int, ends: datetime, why: str
    ) -> Decision:
        """An Art. 23(1) suspension is itself a restriction: its own decision, statement of
        reasons and Transparency Database entry, linked to the misuse record."""
        body = DecisionIn(
            decision_account="DECISION_ACCOUNT_SUSPENDED",
            end_date_account_restriction=as_utc(ends).date(),
            decision_ground="DECISION_GROUND_INCOMPATIBLE_CONTENT",
            incompatible_content_ground="Terms of service: repeated provision of manifestly "
            "illegal content (DSA Art. 23(1))",
            incompatible_content_explanation=why[:2000],
            incompatible_content_illegal=True,
            category=cause.category,
            category_specification=list(cause.category_specification),
            territorial_scope=list(cause.territorial_scope),
            decision_facts=f"The account was warned before and has again provided manifestly "
            f"illegal content (decision {cause.uuid}); the service is suspended until "
            f"{as_utc(ends).date().isoformat()}.",
            strike_weight=0,
        )
        d = self.record(s, case, body, by="rule:misuse", person=False, follow_up=True)
        self.misuse.link_decision(s, action_id, d.id)
        return d

    def _notices(self, s: Session, case: Case) -> list[Notice]:
        ids = s.scalars(select(NoticeItem.notice_id).where(NoticeItem.case_id == case.id)).all()
        if not ids:
            return []
        return list(s.scalars(select(Notice).where(Notice.id.in_(set(ids))).order_by(Notice.id)))

    def _source(
        self, s: Session, notices: list[Notice], orders: list[AuthorityOrder]
    ) -> tuple[str, str | None]:
        """TDB source_type and a non-personal source_identity (never a natural person)."""
        tf = [n for n in notices if n.trusted_flagger_id and n.within_expertise]
        if tf:
            flagger = s.get(TrustedFlagger, tf[0].trusted_flagger_id)
            return "SOURCE_TRUSTED_FLAGGER", flagger.name if flagger else None
        if notices:
            return "SOURCE_ARTICLE_16", None
        if orders:
            o = orders[0]
            return (
                "SOURCE_TYPE_OTHER_NOTIFICATION",
                f"{o.issuing_authority} ({o.issuing_member_state})",
            )
        return "SOURCE_VOLUNTARY", None

    # --- reading -------------------------------------------------------------------------

    def get(self, decision_id: int, roles: list[str]) -> DecisionOut:
        """A decision, hidden (404) from roles that may not see its case."""
        with self.db.session() as s:
            d = self._visible(s, decision_id, roles)
            return self._out(s, d)

    def user_statement(self, decision_id: int, roles: list[str]) -> dict[str, Any]:
        """The statement of reasons as the affected user received it (redress included)."""
        with self.db.session() as s:
            d = self._visible(s, decision_id, roles)
            item = s.get(Item, d.item_id) if d.item_id else None
            notified = d.user_notified_at or d.created_at
            return user_statement(
                d, item_ref=item.platform_ref if item else None, notified_at=as_utc(notified)
            )

    def _visible(self, s: Session, decision_id: int, roles: list[str]) -> Decision:
        d = s.get(Decision, decision_id) if 0 < decision_id < 2**63 else None
        if d is None:
            raise NotFound(f"no decision {decision_id}")
        case = s.get(Case, d.case_id) if d.case_id else None
        if case is not None and not case_visible(case, roles):
            raise NotFound(f"no decision {decision_id}")
        return d

    def _out(self, s: Session, d: Decision) -> DecisionOut:
        item = s.get(Item, d.item_id) if d.item_id else None
        return DecisionOut(
            id=d.id,
            uuid=d.uuid,
            case_id=d.case_id,
            item_ref=item.platform_ref if item else None,
            action=d.action,
            status=d.status,
            reverses_id=d.reverses_id,
            category=d.category,
            source_type=d.source_type,
            automated_detection=d.automated_detection,
            automated_decision=d.automated_decision,
            decided_by=d.decided_by,
            policy_version=d.policy_version,
            created_at=as_utc(d.created_at),
            user_notified_at=d.user_notified_at and as_utc(d.user_notified_at),
        )

    # --- reversing (appeals, out-of-court outcomes) ----------------------------------------

    def reverse(
        self,
        s: Session,
        old: Decision,
        *,
        partial: bool,
        replacement: DecisionIn | None,
        by: str,
        appeal_id: int | None,
        reason: str,
    ) -> Decision:
        """Undo ``old`` through the webhooks and record the decision that replaces it.

        A full reversal of an action lifts every restriction (the replacement is "no
        action"); a partial one keeps what ``replacement`` says; reversing a decision not to
        act records the action now taken. The old row keeps its content; only its status
        changes, so the history stays whole.
        """
        case = s.get(Case, old.case_id) if old.case_id else None
        if case is None:
            raise Conflict("this decision has no case to reverse")
        item = s.get(Item, case.item_id)
        assert item is not None
        account = s.get(Account, item.account_id) if item.account_id else None
        if replacement is None:
            if not old.action or partial:
                raise Invalid("give new_decision: what replaces the appealed decision")
            replacement = DecisionIn(
                action=False,
                category=old.category,
                decision_facts=reason,
            )
        elif replacement.category is None:
            replacement = replacement.model_copy(update={"category": old.category})
        old.status = "partially_reversed" if partial else "reversed"
        if old.action:
            if item.status == "restricted" and not replacement.decision_visibility:
                item.status = "visible"
            if account is not None and old.decision_account and not replacement.decision_account:
                account.status = "active"
            for strike in s.scalars(
                select(Strike).where(Strike.decision_id == old.id, Strike.revoked_at.is_(None))
            ):
                strike.revoked_at = self.clock()
                strike.reason = f"{strike.reason} (revoked: decision reversed by {by})"
            self.webhooks.emit(
                s,
                "decision.reverse",
                f"decision:{old.uuid}:reverse",
                {
                    "decision_id": old.uuid,
                    "item": item.platform_ref,
                    "account": account.platform_ref if account else None,
                    "reversed": "partially" if partial else "fully",
                    "remaining": _restriction(replacement) if replacement.action else None,
                    "reason": reason,
                },
            )
        new = self.record(
            s,
            case,
            replacement.model_copy(update={"strike_weight": 0}),
            by=by,
            person=True,
            reverses=old,
            appeal_id=appeal_id,
        )
        return new


def _automation(person: bool, detected: bool) -> str:
    if not person:
        return "AUTOMATED_DECISION_FULLY"
    return "AUTOMATED_DECISION_PARTIALLY" if detected else "AUTOMATED_DECISION_NOT_AUTOMATED"


def _notice_category(notices: list[Notice], orders: list[AuthorityOrder]) -> str | None:
    for n in notices:
        if n.category:
            return n.category
    for o in orders:
        if o.category != "STATEMENT_CATEGORY_NOT_SPECIFIED_ORDER":
            return o.category
    return None


def _restriction(d: Decision | DecisionIn) -> dict[str, Any]:
    out = {}
    for f in RESTRICTION_FIELDS:
        v = getattr(d, f)
        if v:
            out[f] = v.isoformat() if hasattr(v, "isoformat") else v
    return out


def _enforce(d: Decision, item: Item, account: Account | None) -> dict[str, Any]:
    """What the platform must do: the restriction, its scope and its end."""
    return {
        "decision_id": d.uuid,
        "item": item.platform_ref,
        "account": account.platform_ref if account else None,
        "restriction": _restriction(d),
        "territorial_scope": sorted(d.territorial_scope),
        "category": d.category,
        "decided_by": "rule" if not d.decided_by_person else "person",
    }


def _notifier_message(d: Decision, n: Notice, item: Item, now: datetime) -> dict[str, Any]:
    """The notifier's answer (Art. 16(5)): the decision, automation used (16(6)), redress."""
    return {
        "notice_id": n.uuid,
        "to": n.notifier_email,
        "item": item.platform_ref,
        "decision_id": d.uuid,
        "action_taken": d.action,
        "restriction": _restriction(d),
        "automated_means": {
            "used_in_processing": bool(d.automated_detection or n.automated_processing),
            "decision": d.automated_decision,
        },
        "redress": redress(now),
    }
