"""The moderation facade the adapters call: items, the automated path, cases."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rempart.access.services import Principal
from rempart.clock import Clock, as_utc
from rempart.errors import Conflict, NotFound
from rempart.moderation.intake import IngestResult, Intake
from rempart.moderation.items import case_visible, item_by_ref, item_out, upsert_item
from rempart.moderation.models import AutomatedFlag, Case, Decision, Item, NoticeItem, ReviewJob
from rempart.moderation.schemas import ItemIn, ItemOut
from rempart.store.db import Database

if TYPE_CHECKING:
    from rempart.moderation.queues import QueueService

# queues every deployment has, whatever its policy names (notices and orders route here)
BUILTIN_QUEUES: dict[str, tuple[str, float, str | None]] = {
    "child_safety": ("Child sexual abuse material and grooming", 4.0, "child_safety"),
    "urgent": ("Threats to life or safety (Recital 52, Art. 18)", 1.0, None),
    "authority_orders": ("Orders from authorities (Arts 9, 10), by deadline", 24.0, None),
    "trusted_flaggers": ("Notices from trusted flaggers (Art. 22)", 24.0, None),
    "notices": ("Art. 16 notices", 72.0, None),
    "appeals": ("Internal complaints (Art. 20)", 72.0, None),
    "escalations": ("Escalated by a reviewer", 24.0, None),
    "general": ("Automated flags and everything else", 72.0, None),
}


class ModerationService:
    """Items and accounts, the automated path, and case views."""

    def __init__(self, db: Database, clock: Clock, intake: Intake, queues: QueueService) -> None:
        self.db = db
        self.clock = clock
        self.intake = intake
        self.queues = queues

    def sync_queues(self, policy_queues: dict[str, Any] | None = None) -> None:
        """Create the built-in queues and the active policy's (SLA, restricted role)."""
        for name, (description, sla, role) in BUILTIN_QUEUES.items():
            self.queues.ensure_queue(
                name, description=description, sla_hours=sla, restricted_role=role
            )
        for name, q in (policy_queues or {}).items():
            self.queues.ensure_queue(
                name,
                description=getattr(q, "description", "") or "",
                sla_hours=getattr(q, "sla_hours", None) or 24.0,
                restricted_role=getattr(q, "restricted_to_role", None),
            )

    def put_item(self, body: ItemIn) -> ItemOut:
        """Create or update an item and its account."""
        with self.db.session() as s:
            return item_out(s, upsert_item(s, body, self.clock()))

    def get_item(self, ref: str) -> ItemOut:
        """An item by the platform's id."""
        with self.db.session() as s:
            return item_out(s, item_by_ref(s, ref))

    def ingest(self, item_ref: str, data: bytes) -> IngestResult:
        """Scan an upload of an item and carry out the policy's verdict."""
        return self.intake.ingest(item_ref, data)

    def ingest_text(self, item_ref: str, text: str, lang: str | None = None) -> IngestResult:
        """Scan the text of an item (a post, a chatbot answer) and carry out the verdict."""
        return self.intake.ingest_text(item_ref, text, lang)

    def case(self, case_id: int, roles: list[str]) -> dict[str, Any]:
        """A case with everything about it (404 for roles that may not see it)."""
        with self.db.session() as s:
            c = self._case(s, case_id, roles)
            item = item_by_id(s, c.item_id)
            notices = s.scalars(select(NoticeItem.notice_id).where(NoticeItem.case_id == c.id))
            flags = s.scalars(select(AutomatedFlag).where(AutomatedFlag.case_id == c.id))
            jobs = s.scalars(select(ReviewJob).where(ReviewJob.case_id == c.id))
            decisions = s.scalars(select(Decision).where(Decision.case_id == c.id))
            return {
                "id": c.id,
                "kind": c.kind,
                "status": c.status,
                "item": item_out(s, item).model_dump(mode="json"),
                "person_only_close": c.person_only_close,
                "preserve": c.preserve,
                "opened_at": as_utc(c.opened_at).isoformat(),
                "closed_at": c.closed_at and as_utc(c.closed_at).isoformat(),
                "closed_by": c.closed_by,
                "notice_ids": sorted(set(notices)),
                "order_ids": list(c.order_ids),
                "flags": [
                    {
                        "detector_kind": f.detector_kind,
                        "detector": f.detector,
                        "detail": f.detail,
                        "review_outcome": f.review_outcome,
                    }
                    for f in flags
                ],
                "jobs": [
                    {"id": j.id, "status": j.status, "queue_id": j.queue_id, "reason": j.reason}
                    for j in jobs
                ],
                "decision_ids": [d.id for d in decisions],
                # what the rules saw: matches, classifier scores, provenance (for the reviewer)
                "facts": c.facts or {},
            }

    def close_case(self, case_id: int, principal: Principal, reason: str) -> dict[str, Any]:
        """A person closes a case and its open jobs (child-safety cases close only this way)."""
        with self.db.session() as s:
            c = self._case(s, case_id, principal.roles)
            if c.status != "open":
                raise Conflict(f"case {case_id} is already closed")
            c.status = "closed"
            c.closed_at = self.clock()
            c.closed_by = principal.name
            c.facts = {**c.facts, "closing_reason": reason}
            self.queues.cancel(s, c.id)
        return self.case(case_id, principal.roles)

    def _case(self, s: Session, case_id: int, roles: list[str]) -> Case:
        c = s.get(Case, case_id) if 0 < case_id < 2**63 else None
        if c is None or not case_visible(c, roles):
            raise NotFound(f"no case {case_id}")
        return c


def item_by_id(s: Session, item_id: int) -> Item:
    """The item row of a case."""
    row = s.get(Item, item_id)
    assert row is not None
    return row
