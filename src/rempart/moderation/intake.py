"""From an upload to a verdict carried out: scan, evaluate the policy, act, queue or allow.

This is the automated path (own-initiative detection): a bank match or a classifier score
becomes facts, the active policy turns them into a verdict (recorded with its version), and
the verdict becomes a decision by rule, a case with review jobs, or nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from rempart.clock import Clock
from rempart.events import NO_LOG, EventLog, current_actor
from rempart.moderation.decisions import DecisionService
from rempart.moderation.items import item_by_ref, open_case
from rempart.moderation.models import Account, AutomatedFlag, Item
from rempart.moderation.notices import RANK_CHILD_SAFETY, RANK_OTHER
from rempart.moderation.schemas import DecisionIn
from rempart.scan.service import ScanResult
from rempart.store.db import Database

if TYPE_CHECKING:
    from rempart.banks.services import BankService
    from rempart.moderation.misuse import MisuseService
    from rempart.moderation.queues import QueueService
    from rempart.policy.facts import Facts
    from rempart.policy.service import PolicyService
    from rempart.policy.verdict import ResolvedDecision, ReviewRequest, Verdict
    from rempart.scan.service import ScanService


# keeps an upload as evidence (the vault, wired by the context): (session, bytes, case id,
# category, media type) -> the stored object's id; moderation does not import evidence
PreserveHook = Callable[[Session, bytes, int, str, str], int]
CSAM_KEYWORDS = {
    "KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL",
    "KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL_DEEPFAKE",
}


class IngestResult(BaseModel):
    """What happened to an upload: the matches, the verdict and what it led to."""

    item: str
    outcome: str
    reason: str
    policy: str
    policy_version: int
    evaluation_id: int
    rule_ids: list[str]
    shadow_rule_ids: list[str]
    matches: list[dict[str, Any]]
    decision_id: int | None = None
    case_id: int | None = None
    queues: list[str] = []
    preserve: bool = False
    evidence_ids: list[int] = []


class Intake:
    """Scan an item's upload and carry out the active policy's verdict."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        scanner: ScanService,
        banks: BankService,
        policies: PolicyService,
        decisions: DecisionService,
        queues: QueueService,
        misuse: MisuseService,
        events: EventLog = NO_LOG,
        preserve: PreserveHook | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.scanner = scanner
        self.banks = banks
        self.policies = policies
        self.decisions = decisions
        self.queues = queues
        self.misuse = misuse
        self.events = events
        self.preserve = preserve

    def ingest(self, item_ref: str, data: bytes) -> IngestResult:
        """Scan ``data`` (an upload of item ``item_ref``) and apply the policy to it."""
        with self.db.session() as s:
            item_by_ref(s, item_ref)  # 404 before any work on an unknown item
        scan = self.scanner.scan(data)
        return self.apply(item_ref, scan, data=data)

    def ingest_text(self, item_ref: str, text: str, lang: str | None = None) -> IngestResult:
        """Scan the text of item ``item_ref`` (a post, a chatbot answer) and apply the policy."""
        with self.db.session() as s:
            item_by_ref(s, item_ref)
        return self.apply(item_ref, self.scanner.scan_text(text, lang))

    def apply(self, item_ref: str, scan: ScanResult, *, data: bytes | None = None) -> IngestResult:
        """Evaluate a scan of an item under the active policy and carry out the verdict."""
        from rempart.policy.facts import SYNTHETIC, AccountFact, Facts, ItemFact

        banks = {b.name: b for b in self.banks.list_banks()}
        with self.db.session() as s:
            item = item_by_ref(s, item_ref)
            account = s.get(Account, item.account_id) if item.account_id else None
            rest: dict[str, object] = {}
            if account is not None:
                rest["account"] = AccountFact(
                    id=account.platform_ref,
                    strikes=self.misuse.active_weight("account", account.platform_ref, session=s),
                    account_type=account.account_type,
                )
            facts = Facts.from_scan(scan, banks, **rest)
            declared = list(item.content_types)
            if SYNTHETIC in facts.item.content_type and declared and SYNTHETIC not in declared:
                item.content_types = [*declared, SYNTHETIC]  # its provenance says AI made it
            if item.content_types or item.territories or item.language:
                facts = facts.model_copy(
                    update={
                        "item": ItemFact(
                            content_type=list(item.content_types) or facts.item.content_type,
                            territory=item.territories[0] if len(item.territories) == 1 else None,
                            language=item.language,
                        )
                    }
                )
            if not item.content_types and facts.item.content_type:
                item.content_types = list(facts.item.content_type)
            recorded = self.policies.evaluate(
                facts, subject_type="item", subject_ref=item_ref, session=s
            )
            verdict = recorded.verdict
            out = IngestResult(
                item=item_ref,
                outcome=verdict.outcome,
                reason=verdict.reason,
                policy=verdict.policy,
                policy_version=verdict.policy_version,
                evaluation_id=recorded.evaluation_id,
                rule_ids=list(verdict.rule_ids),
                shadow_rule_ids=list(verdict.shadow_rule_ids),
                matches=[m.model_dump(mode="json") for m in scan.matches],
                preserve=verdict.preserve,
            )
            if verdict.outcome != "allow":
                self._carry_out(s, item, facts, verdict, recorded.evaluation_id, out)
                if verdict.preserve and data is not None and out.case_id is not None:
                    self._preserve(s, data, scan, facts, out)
            # last: the ledger's counter row stays locked until commit (PostgreSQL)
            subject = f"item:{item_ref}"
            actor = current_actor()
            self.events.append(
                s,
                "intake",
                actor=actor,
                subject=subject,
                data={
                    "content_type": scan.content_type,
                    "size_bytes": scan.size_bytes,
                    "signals": dict(scan.signals),
                    "pdq_quality": scan.pdq_quality,
                },
            )
            for m in facts.matches:
                self.events.append(
                    s,
                    "match",
                    actor=actor,
                    subject=subject,
                    data=m.model_dump(mode="json"),
                )
            if facts.classifiers or facts.provenance:
                self.events.append(
                    s,
                    "classification",
                    actor=actor,
                    subject=subject,
                    data={
                        "classifiers": {
                            k: v.model_dump(mode="json") for k, v in facts.classifiers.items()
                        },
                        "provenance": dict(facts.provenance),
                    },
                )
            self.events.append(
                s,
                "policy_evaluation",
                actor=actor,
                subject=subject,
                data={
                    "evaluation_id": recorded.evaluation_id,
                    "policy": verdict.policy,
                    "version": verdict.policy_version,
                    "outcome": verdict.outcome,
                    "rules": list(verdict.rule_ids),
                    "shadow_rules": list(verdict.shadow_rule_ids),
                },
            )
            return out

    def _preserve(
        self, s: Session, data: bytes, scan: ScanResult, facts: Facts, out: IngestResult
    ) -> None:
        """Keep the upload in the vault, encrypted, for the case (the policy said preserve)."""
        if self.preserve is None or out.case_id is None:
            return
        specs = {k for m in facts.matches if not m.suppressed for k in m.specifications}
        category = (
            "csam"
            if specs & CSAM_KEYWORDS
            else next((m.dsa_category for m in facts.matches if m.dsa_category), "other")
        )
        out.evidence_ids.append(self.preserve(s, data, out.case_id, category, _media_type(scan)))

    def _carry_out(
        self,
        s: Session,
        item: Item,
        facts: Facts,
        verdict: Verdict,
        evaluation_id: int,
        out: IngestResult,
    ) -> None:
        now = self.clock()
        child = bool(
            (verdict.open_case and verdict.open_case.restricted_to_role == "child_safety")
            or any(r.restricted_to_role == "child_safety" for r in verdict.reviews)
        )
        case = open_case(s, item, now, "child_safety" if child else "general")
        case.preserve = case.preserve or verdict.preserve
        case.facts = facts.model_dump(mode="json")
        if verdict.open_case is not None and verdict.open_case.closable_by == "person":
            case.person_only_close = True
        if (verdict.outcome == "act" and verdict.reviews) or child:
            # a person confirms or overturns the rule's action; child safety is never cleared
            # by a machine, whatever the policy says
            case.person_only_close = True
        out.case_id = case.id
        for m in facts.matches:
            if m.suppressed:
                continue
            s.add(
                AutomatedFlag(
                    case_id=case.id,
                    item_id=item.id,
                    detector_kind="bank",
                    detector=m.bank,
                    category=m.dsa_category,
                    detail={"signal_type": m.signal_type, "distance": m.distance},
                    flagged_at=now,
                )
            )
        for name, c in facts.classifiers.items():
            if c.flagged is False:
                continue  # scored below its own threshold: a measurement, not a flag
            s.add(
                AutomatedFlag(
                    case_id=case.id,
                    item_id=item.id,
                    detector_kind="classifier",
                    detector=name,
                    detail={"score": c.score, "model": c.model, "version": c.version},
                    flagged_at=now,
                )
            )
        s.flush()
        if verdict.outcome == "act" and verdict.decision is not None:
            body = decision_from_rule(verdict.decision, now.date(), verdict)
            if verdict.strike is not None:
                body = body.model_copy(update={"strike_weight": verdict.strike.weight})
            else:
                body = body.model_copy(update={"strike_weight": 0.0})
            d = self.decisions.record(
                s,
                case,
                body,
                by=f"rule:{verdict.policy}/{verdict.deciding_rule}",
                person=False,
                policy_evaluation_id=evaluation_id,
                policy_version=f"{verdict.policy}@{verdict.policy_version}",
                signals=case.facts,
            )
            out.decision_id = d.id
        wanted: list[tuple[str, int, str, float | None, str]] = [
            (r.queue, r.priority, r.rule_id, r.sla_hours, _suspected(r)) for r in verdict.reviews
        ]
        if verdict.open_case is not None and all(q != verdict.open_case.queue for q, *_ in wanted):
            wanted.append((verdict.open_case.queue, 100, verdict.open_case.rule_id, None, ""))
        if case.status == "open":
            for queue, priority, rule_id, sla, suspected in wanted:
                self.queues.enqueue(
                    s,
                    case_id=case.id,
                    queue=queue,
                    rank=RANK_CHILD_SAFETY if child else RANK_OTHER,
                    priority=priority,
                    reason=(
                        f"policy {verdict.policy}@{verdict.policy_version} rule {rule_id}"
                        f"{suspected}"
                    ),
                    due_at=now + timedelta(hours=sla) if sla else None,  # the rule's own SLA
                )
                out.queues.append(queue)


def _suspected(review: ReviewRequest) -> str:
    """The rule's suspicion, for the job's reason: "; suspected CATEGORY (KEYWORD, ...)"."""
    parts = [review.suspected_category or ""]
    if review.suspected_specifications:
        parts.append(f"({', '.join(review.suspected_specifications)})")
    text = " ".join(p for p in parts if p)
    return f"; suspected {text}" if text else ""


def _media_type(scan: ScanResult) -> str:
    kind = "image" if scan.content_type == "photo" else "video"
    return f"{kind}/{scan.format.lower()}" if scan.format else "application/octet-stream"


def decision_from_rule(rule: ResolvedDecision, today: date, verdict: Verdict) -> DecisionIn:
    """A policy rule's decision as a decision to record: durations become end dates."""

    def end(duration: timedelta | None) -> date | None:
        return today + duration if duration else None

    seen = next((h.explanations for h in verdict.hits if h.rule_id == verdict.deciding_rule), [])
    facts = (
        rule.decision_facts
        or (
            f"Automated detection under policy {verdict.policy} version {verdict.policy_version}, "
            f"rule {verdict.deciding_rule}: {verdict.reason}"
            + (f". Signals: {'; '.join(seen)}" if seen else "")  # what the decision rests on
        )[:5000]
    )
    illegal = rule.incompatible_content_illegal
    return DecisionIn(
        action=True,
        decision_visibility=list(rule.decision_visibility),
        decision_visibility_other=rule.decision_visibility_other,
        decision_monetary=rule.decision_monetary,
        decision_monetary_other=rule.decision_monetary_other,
        decision_provision=rule.decision_provision,
        decision_account=rule.decision_account,
        end_date_visibility_restriction=end(rule.visibility_duration),
        end_date_monetary_restriction=end(rule.monetary_duration),
        end_date_service_restriction=end(rule.provision_duration),
        end_date_account_restriction=end(rule.account_duration),
        decision_ground=rule.decision_ground,
        decision_ground_reference_url=rule.decision_ground_reference_url,
        illegal_content_legal_ground=rule.illegal_content_legal_ground,
        illegal_content_explanation=rule.illegal_content_explanation,
        incompatible_content_ground=rule.incompatible_content_ground,
        incompatible_content_explanation=rule.incompatible_content_explanation,
        incompatible_content_illegal=None if illegal is None else illegal == "Yes",
        category=rule.category,
        category_addition=list(rule.category_addition),
        category_specification=list(rule.category_specification),
        category_specification_other=rule.category_specification_other,
        territorial_scope=list(rule.territorial_scope),
        decision_facts=facts,
    )
