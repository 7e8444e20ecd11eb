"""Notices (Art. 16), trusted flaggers (Art. 22) and authority orders (Arts 9, 10).

A notice names one or more items; each item's open case gathers it, and the case waits in a
review queue ranked by severity. The notifier gets a receipt at once when they left an
address (16(4)) and the decision later (16(5)), both through the platform's webhooks.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rempart.access.services import Principal
from rempart.clock import Clock, as_utc
from rempart.errors import Invalid, NotFound, RempartError
from rempart.events import NO_LOG, EventLog
from rempart.moderation.items import locate_item, open_case
from rempart.moderation.models import (
    Account,
    AuthorityOrder,
    Decision,
    Item,
    Notice,
    NoticeItem,
    TrustedFlagger,
)
from rempart.moderation.schemas import (
    CHILD_ABUSE_KEYWORDS,
    NoticeIn,
    NoticeReceipt,
    OrderIn,
    OrderOut,
    TrustedFlaggerIn,
    TrustedFlaggerOut,
)
from rempart.store.db import Database

if TYPE_CHECKING:
    from rempart.moderation.misuse import MisuseService
    from rempart.moderation.queues import QueueService
    from rempart.moderation.webhooks.service import WebhookService
    from rempart.policy.service import PolicyService
    from rempart.policy.verdict import Verdict

# severity ranks of review jobs: lower is reviewed first
RANK_CHILD_SAFETY, RANK_THREAT, RANK_ORDER, RANK_TRUSTED, RANK_OTHER = 0, 1, 2, 3, 4
# removal deadlines: EU Regulation 2021/784 (terrorist content): 1 hour; French removal
# orders for child sexual abuse material: 24 hours
TCO_DEADLINE = timedelta(hours=1)
CSAM_ORDER_DEADLINE = timedelta(hours=24)


class Suspended(RempartError):
    """The sender's notices or complaints are suspended under Art. 23(2)."""

    status = 403
    code = "processing_suspended"


@dataclass(frozen=True)
class Route:
    """Where a case goes for review, and why."""

    queue: str
    rank: int
    priority: int
    reason: str
    due_at: datetime | None = None


def notice_route(notice: Notice, child_abuse: bool) -> Route:
    """The severity rank of a notice's cases (child safety first, then threat to life, then
    trusted flaggers within their expertise, then everyone else), with the queue used when the
    policy names none."""
    if child_abuse:
        return Route("child_safety", RANK_CHILD_SAFETY, 100, "notice alleging child sexual abuse")
    if notice.threat_to_life:
        return Route("urgent", RANK_THREAT, 90, "notice reporting a threat to life or safety")
    if notice.within_expertise:
        return Route("trusted_flaggers", RANK_TRUSTED, 50, "trusted flagger within expertise")
    return Route("notices", RANK_OTHER, 10, "Art. 16 notice")


def policy_route(verdict: Verdict, fallback: Route, now: datetime) -> Route:
    """The active policy's review queue for a notice, ranked by the notice's severity.

    Notices are always decided by a person: an ``act`` verdict on a notice alone is routed to
    its review queues like any other (automated action stays with detections).
    """
    reviews = sorted(verdict.reviews, key=lambda r: -r.priority)
    if not reviews:
        return fallback
    best = reviews[0]
    if fallback.queue == "child_safety" and best.restricted_to_role != "child_safety":
        return fallback  # suspected abuse material never leaves the restricted queue
    return Route(
        best.queue,
        fallback.rank,
        best.priority,
        f"{fallback.reason}; policy {verdict.policy}@{verdict.policy_version} rule {best.rule_id}",
        now + timedelta(hours=best.sla_hours) if best.sla_hours else None,
    )


def order_deadline(order: OrderIn | AuthorityOrder, effective: datetime) -> datetime | None:
    """The removal deadline an act order carries, from when it takes effect."""
    if order.kind != "act":
        return None
    if order.regime == "tco" or "KEYWORD_TERRORIST_CONTENT" in order.specifications:
        return effective + TCO_DEADLINE
    csam = order.regime == "csam" or bool(CHILD_ABUSE_KEYWORDS & set(order.specifications))
    if csam and order.issuing_member_state == "FR":
        return effective + CSAM_ORDER_DEADLINE
    return None


class NoticeService:
    """Receive notices and orders, register trusted flaggers, and measure them."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        queues: QueueService,
        webhooks: WebhookService,
        misuse: MisuseService,
        policies: PolicyService,
        events: EventLog = NO_LOG,
    ) -> None:
        self.db = db
        self.clock = clock
        self.queues = queues
        self.webhooks = webhooks
        self.misuse = misuse
        self.policies = policies
        self.events = events

    # --- notices -------------------------------------------------------------------------

    def submit(self, body: NoticeIn, principal: Principal | None = None) -> NoticeReceipt:
        """Record a notice, join its items' cases, queue them, and confirm receipt."""
        now = self.clock()
        if body.notifier_email:
            stop = self.misuse.is_suspended("notifier", body.notifier_email.lower(), "notices")
            if stop is not None:
                raise Suspended(
                    f"notices from this notifier are not processed until {stop.ends_at} "
                    "(Art. 23(2)): too many manifestly unfounded notices"
                )
        with self.db.session() as s:
            flagger = self._flagger_for(s, principal, now)
            notice = Notice(
                uuid=str(uuid.uuid4()),
                received_at=now,
                channel=body.channel,
                explanation=body.explanation,
                category=body.category,
                specifications=list(body.specifications),
                legal_ground=body.legal_ground,
                member_state=body.member_state,
                notifier_type="trusted_flagger" if flagger else body.notifier_type,
                notifier_name=flagger.name if flagger else body.notifier_name,
                notifier_email=(body.notifier_email or "").lower() or None,
                trusted_flagger_id=flagger.id if flagger else None,
                within_expertise=bool(flagger and body.category in flagger.expertise),
                bona_fide=body.bona_fide,
                bona_fide_at=now,
                threat_to_life=body.threat_to_life,
                submitted_by=principal.name if principal else None,
                status="open",
            )
            if flagger and not notice.notifier_email:
                notice.notifier_email = flagger.contact_email
            s.add(notice)
            s.flush()
            fallback = notice_route(notice, body.child_abuse)
            case_ids = []
            queues = []
            for where in body.items:
                item = locate_item(s, where, now)
                route = self._route(s, notice, item, fallback, now)
                queues.append(route.queue)
                kind = "child_safety" if route.queue == "child_safety" else "general"
                case = open_case(s, item, now, kind)
                s.add(
                    NoticeItem(
                        notice_id=notice.id,
                        item_id=item.id,
                        url=where.url,
                        locator=where.locator,
                        case_id=case.id,
                    )
                )
                self.queues.enqueue(
                    s,
                    case_id=case.id,
                    queue=route.queue,
                    rank=route.rank,
                    priority=route.priority,
                    reason=route.reason,
                    due_at=route.due_at,
                )
                case_ids.append(case.id)
            self.events.append(
                s,
                "notice",
                actor=principal.name if principal else "public",
                subject=f"notice:{notice.uuid}",
                data={
                    "category": notice.category,
                    "specifications": list(notice.specifications),
                    "notifier_type": notice.notifier_type,
                    "trusted_flagger_id": notice.trusted_flagger_id,
                    "threat_to_life": notice.threat_to_life,
                    "items": len(body.items),
                    "case_ids": sorted(set(case_ids)),
                    "queues": queues,
                },
            )
            receipt = False
            if notice.notifier_email:
                self.webhooks.emit(
                    s,
                    "notification.notice_receipt",
                    f"notice:{notice.uuid}:receipt",
                    {
                        "notice_id": notice.uuid,
                        "to": notice.notifier_email,
                        "received_at": now.isoformat(),
                        "items": len(body.items),
                        "message": "We received your notice and will inform you of our "
                        "decision and of the ways to contest it.",
                    },
                )
                notice.receipt_sent_at = now
                receipt = True
            return NoticeReceipt(
                notice_id=notice.uuid,
                received_at=now,
                items=len(body.items),
                case_ids=sorted(set(case_ids)),
                receipt_sent=receipt,
                trusted_flagger=flagger.name if flagger else None,
                priority_queue=queues[0],
            )

    def _route(
        self, s: Session, notice: Notice, item: Item, fallback: Route, now: datetime
    ) -> Route:
        """Evaluate the active policy on the notice's facts (recorded) and route by it."""
        from rempart.policy.facts import AccountFact, Facts, ItemFact, NoticeFact

        source = "article_16"
        if notice.within_expertise:
            source = "trusted_flagger"
        elif notice.notifier_type == "authority":
            source = "other"
        rest: dict[str, object] = {}
        account = s.get(Account, item.account_id) if item.account_id else None
        if account is not None:
            rest["account"] = AccountFact(
                id=account.platform_ref,
                strikes=self.misuse.active_weight("account", account.platform_ref, session=s),
                account_type=account.account_type,
            )
        facts = Facts(
            notice=NoticeFact(
                source_type=source,
                category=notice.category,
                specifications=list(notice.specifications),
                threat_to_life=notice.threat_to_life,
                trusted_flagger_id=str(notice.trusted_flagger_id)
                if notice.trusted_flagger_id
                else None,
            ),
            item=ItemFact(content_type=list(item.content_types), language=item.language),
            **rest,
        )
        recorded = self.policies.evaluate(
            facts,
            subject_type="notice",
            subject_ref=f"{notice.uuid}/{item.platform_ref}"[:255],
            session=s,
        )
        return policy_route(recorded.verdict, fallback, now)

    def get(self, notice_id: str) -> dict[str, Any]:
        """A notice with its items and status."""
        with self.db.session() as s:
            n = s.scalar(select(Notice).where(Notice.uuid == notice_id))
            if n is None:
                raise NotFound(f"no notice {notice_id}")
            items = s.scalars(select(NoticeItem).where(NoticeItem.notice_id == n.id)).all()
            return {
                "notice_id": n.uuid,
                "received_at": as_utc(n.received_at),
                "category": n.category,
                "specifications": n.specifications,
                "notifier_type": n.notifier_type,
                "trusted_flagger_id": n.trusted_flagger_id,
                "threat_to_life": n.threat_to_life,
                "status": n.status,
                "receipt_sent_at": n.receipt_sent_at and as_utc(n.receipt_sent_at),
                "decided_at": n.decided_at and as_utc(n.decided_at),
                "items": [{"item_id": i.item_id, "case_id": i.case_id} for i in items],
            }

    def _flagger_for(
        self, s: Session, principal: Principal | None, now: datetime
    ) -> TrustedFlagger | None:
        """The trusted flagger behind a key, when the key belongs to an active one."""
        if principal is None or "trusted_flagger" not in principal.roles:
            return None
        tf = s.scalar(select(TrustedFlagger).where(TrustedFlagger.api_key_id == principal.key_id))
        if tf is None or tf.status != "active":
            return None
        if tf.valid_until is not None and as_utc(tf.valid_until) < now:
            return None
        return tf

    # --- trusted flaggers ----------------------------------------------------------------

    def add_flagger(self, body: TrustedFlaggerIn, api_key_id: int | None) -> TrustedFlaggerOut:
        """Register a trusted flagger, linked to the API key it submits notices with."""
        with self.db.session() as s:
            if s.scalar(select(TrustedFlagger).where(TrustedFlagger.name == body.name)):
                raise Invalid(f"a trusted flagger named {body.name!r} exists", status=409)
            row = TrustedFlagger(
                name=body.name,
                awarding_dsc=body.awarding_dsc,
                expertise=list(body.expertise),
                contact_email=body.contact_email,
                api_key_id=api_key_id,
                valid_until=body.valid_until,
                valid_from=self.clock(),
                created_at=self.clock(),
                status="active",
            )
            s.add(row)
            s.flush()
            return self._flagger_out(s, row)

    def flaggers(self) -> list[TrustedFlaggerOut]:
        """Every trusted flagger with the share of its notices that led to action."""
        with self.db.session() as s:
            rows = s.scalars(select(TrustedFlagger).order_by(TrustedFlagger.id)).all()
            return [self._flagger_out(s, r) for r in rows]

    def set_flagger_status(self, flagger_id: int, status: str) -> TrustedFlaggerOut:
        """Suspend or revoke a trusted flagger (its notices then count as ordinary ones)."""
        if status not in ("active", "suspended", "revoked"):
            raise Invalid("status is active, suspended or revoked")
        with self.db.session() as s:
            row = s.get(TrustedFlagger, flagger_id)
            if row is None:
                raise NotFound(f"no trusted flagger {flagger_id}")
            row.status = status
            return self._flagger_out(s, row)

    def _flagger_out(self, s: Session, tf: TrustedFlagger) -> TrustedFlaggerOut:
        total = s.scalar(
            select(func.count()).select_from(Notice).where(Notice.trusted_flagger_id == tf.id)
        )
        decided_ids = s.scalars(
            select(Notice.id).where(Notice.trusted_flagger_id == tf.id, Notice.status == "decided")
        ).all()
        actioned = 0
        if decided_ids:
            wanted = set(decided_ids)
            for d in s.scalars(select(Decision).where(Decision.reverses_id.is_(None))):
                if d.action and wanted & set(d.notice_ids):
                    actioned += len(wanted & set(d.notice_ids))
                    wanted -= set(d.notice_ids)
        decided = len(decided_ids)
        return TrustedFlaggerOut(
            id=tf.id,
            name=tf.name,
            awarding_dsc=tf.awarding_dsc,
            expertise=list(tf.expertise),
            status=tf.status,
            notices=int(total or 0),
            decided=decided,
            actioned=actioned,
            action_share=(actioned / decided) if decided else None,
        )

    # --- authority orders ----------------------------------------------------------------

    def receive_order(self, body: OrderIn) -> OrderOut:
        """Record an order, confirm its receipt and queue an act order before its deadline."""
        now = self.clock()
        received = body.received_at or now
        effective = body.effective_at or received
        with self.db.session() as s:
            order = AuthorityOrder(
                kind=body.kind,
                regime=body.regime,
                issuing_member_state=body.issuing_member_state,
                issuing_authority=body.issuing_authority,
                reference=body.reference,
                legal_basis=body.legal_basis,
                category=body.category,
                specifications=list(body.specifications),
                received_at=received,
                effective_at=effective,
                deadline_at=order_deadline(body, effective),
                receipt_confirmed_at=now,  # confirmed automatically on receipt
            )
            s.add(order)
            s.flush()
            child = order.regime == "csam" or bool(CHILD_ABUSE_KEYWORDS & set(body.specifications))
            item_ids = []
            for where in body.items:
                item = locate_item(s, where, now)
                item_ids.append(item.id)
                if body.kind != "act":
                    continue
                case = open_case(s, item, now, "child_safety" if child else "general")
                case.order_ids = [*case.order_ids, order.id]
                self.queues.enqueue(
                    s,
                    case_id=case.id,
                    queue="child_safety" if child else "authority_orders",
                    rank=RANK_CHILD_SAFETY if child else RANK_ORDER,
                    priority=80,
                    reason=f"removal order {body.reference or order.id} from "
                    f"{body.issuing_authority} ({body.issuing_member_state})",
                    due_at=order.deadline_at,
                )
            order.item_ids = item_ids
            return _order_out(order)

    def orders(self) -> list[OrderOut]:
        """Every order, newest first."""
        with self.db.session() as s:
            rows = s.scalars(select(AuthorityOrder).order_by(AuthorityOrder.id.desc())).all()
            return [_order_out(r) for r in rows]

    def give_effect(self, order_id: int, description: str) -> OrderOut:
        """Record that an order (e.g. an Art. 10 information order) has been given effect."""
        with self.db.session() as s:
            row = s.get(AuthorityOrder, order_id)
            if row is None:
                raise NotFound(f"no order {order_id}")
            if row.effect_given_at is None:
                row.effect_given_at = self.clock()
            row.effect_description = description
            return _order_out(row)


def _order_out(o: AuthorityOrder) -> OrderOut:
    return OrderOut(
        id=o.id,
        kind=o.kind,
        regime=o.regime,
        issuing_member_state=o.issuing_member_state,
        issuing_authority=o.issuing_authority,
        category=o.category,
        item_ids=list(o.item_ids),
        received_at=as_utc(o.received_at),
        effective_at=as_utc(o.effective_at),
        deadline_at=o.deadline_at and as_utc(o.deadline_at),
        receipt_confirmed_at=o.receipt_confirmed_at and as_utc(o.receipt_confirmed_at),
        effect_given_at=o.effect_given_at and as_utc(o.effect_given_at),
    )
