"""Builds a period's ``ReportData`` from the moderation tables.

The period runs from ``start`` 00:00 UTC to the day after ``end`` 00:00 UTC. What counts:

* notices, orders, complaints and disputes *received* in the period; own-initiative decisions,
  Art. 23 suspensions and automated flags *made* in the period;
* what happened to them as known at the end of the period (a complaint decided after it is
  still pending in this report), so a report for a past period reads the same on any day;
* a notice comes from a trusted flagger when its flagger acted within its expertise
  (Art. 22(1)); an action on notices is a decision to act (not a reversal) citing them,
  counted once, under the earliest of them received in the period;
* a notice was processed solely by automated means when it says so, or when every decision
  on it (there is at least one) was fully automated;
* own-initiative: a decision to act that cites no notice and no order and does not come from
  an appeal (Annex II); "solely automated" means ``AUTOMATED_DECISION_FULLY``;
* an automated flag is part of processing a notice when a notice processed by automated means
  was on the same case before it; otherwise it is an own-initiative detection;
* a detector's false negatives are the items a person actioned in the period for one of the
  categories the detector flags that it never flagged (unknown for detectors whose flags
  carry no category, e.g. classifiers without one).

A sub-category code outside the template's list for its category (e.g. a retired TDB keyword)
is reported under ``KEYWORD_OTHER`` with the keyword's label as description.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from rempart import taxonomy
from rempart.clock import as_utc
from rempart.compliance.transparency import data as rd
from rempart.compliance.transparency.templates import KEYWORD_OTHER, category_structure
from rempart.config import Settings
from rempart.errors import Invalid
from rempart.moderation.models import (
    Appeal,
    AuthorityOrder,
    AutomatedFlag,
    Decision,
    Item,
    MisuseAction,
    Notice,
    NoticeItem,
    OdsDispute,
)
from rempart.store.db import Database

FULLY = "AUTOMATED_DECISION_FULLY"
NOTICE_SOURCES = frozenset({"SOURCE_ARTICLE_16", "SOURCE_TRUSTED_FLAGGER"})
SUSPENSION_KINDS: dict[str, rd.SuspensionKind] = {
    "service": "illegal_content",  # Art. 23(1)
    "notices": "unfounded_notices",  # Art. 23(2)
    "complaints": "unfounded_complaints",  # Art. 23(2)
    "account": "illegal_content",  # by subject, when no suspension type was recorded
    "notifier": "unfounded_notices",
    "complainant": "unfounded_complaints",
}


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The period's [from, to) instants in UTC for inclusive dates."""
    if start > end:
        raise Invalid(f"the period starts ({start}) after it ends ({end})")
    lo = datetime.combine(start, time(), UTC)
    return lo, datetime.combine(end + timedelta(days=1), time(), UTC)


def collect(db: Database, settings: Settings, start: date, end: date) -> rd.ReportData:
    """Everything the report for ``start``..``end`` (inclusive) is computed from."""
    lo, hi = period_bounds(start, end)
    with db.session() as s:
        decisions = list(
            s.scalars(
                select(Decision)
                .where(Decision.created_at >= lo, Decision.created_at < hi)
                .order_by(Decision.id)
            )
        )
        notices = _notices(s, lo, hi, decisions)
        return rd.ReportData(
            provider_name=settings.provider_name,
            service_name=settings.platform_name,
            notices=notices,
            orders=_orders(s, lo, hi),
            measures=_measures(decisions),
            complaints=_complaints(s, lo, hi),
            disputes=_disputes(s, lo, hi),
            suspensions=_suspensions(s, lo, hi),
            flags=_flags(s, lo, hi),
            misses=_misses(s, lo, hi, decisions),
            evaluations=offline_evaluations(),
        )


def _within(value: datetime | None, hi: datetime) -> datetime | None:
    """A timestamp if it happened before the period's end, else None (not yet, then)."""
    if value is None:
        return None
    value = as_utc(value)
    return value if value < hi else None


def _specification(
    part: str, what: str, category: str, specs: Sequence[str], other: str | None
) -> tuple[str | None, str | None]:
    """(sub-category, "Other" description) of a record, in the part's template terms."""
    tree = category_structure(part)
    if category not in tree:
        raise Invalid(
            f"{what} has category {category!r}, which {part} does not report; "
            f"correct the record (one of {', '.join(sorted(tree))})"
        )
    keywords = tree[category]
    if not keywords or not specs:
        return None, None
    for spec in specs:
        if spec in keywords:
            return spec, (other if spec == KEYWORD_OTHER else None)
    label = taxonomy.specifications().get(specs[0], specs[0])
    return KEYWORD_OTHER, other or label


def _language(value: str | None) -> str | None:
    return value.strip().lower() if value else None


def _action_ground(d: Decision) -> rd.Ground:
    if d.decision_ground == "DECISION_GROUND_INCOMPATIBLE_CONTENT":
        return "terms"
    if d.decision_ground is None and d.incompatible_content_ground:
        return "terms"
    return "law"


def _acts(d: Decision) -> bool:
    """A decision to act that is not the outcome of an appeal or a reversal."""
    return d.action and d.reverses_id is None and d.appeal_id is None


def _notices(
    s: Session, lo: datetime, hi: datetime, decisions: Sequence[Decision]
) -> tuple[rd.Notice, ...]:
    rows = list(
        s.scalars(
            select(Notice)
            .where(Notice.received_at >= lo, Notice.received_at < hi)
            .order_by(Notice.received_at, Notice.id)
        )
    )
    items: dict[int, int] = defaultdict(int)
    for notice_id in s.scalars(
        select(NoticeItem.notice_id)
        .join(Notice, Notice.id == NoticeItem.notice_id)
        .where(Notice.received_at >= lo, Notice.received_at < hi)
    ):
        items[notice_id] += 1
    order = {n.id: i for i, n in enumerate(rows)}
    actions: dict[int, list[rd.NoticeAction]] = defaultdict(list)
    automated: dict[int, bool] = {}
    for d in decisions:
        cited = [i for i in d.notice_ids if i in order]
        if d.reverses_id is None and d.appeal_id is None:
            for i in cited:
                automated[i] = automated.get(i, True) and d.automated_decision == FULLY
        if not _acts(d) or not cited:
            continue
        first = min(cited, key=order.__getitem__)
        actions[first].append(
            rd.NoticeAction(
                ground=_action_ground(d),
                implemented_at=as_utc(d.created_at),
                solely_automated=d.automated_decision == FULLY,
                language=_language(d.content_language),
            )
        )
    out = []
    for n in rows:
        spec, other = _specification(
            rd.NOTICE_PART, f"notice {n.uuid}", n.category, n.specifications, None
        )
        out.append(
            rd.Notice(
                received_at=as_utc(n.received_at),
                category=n.category,
                specification=spec,
                other_description=other,
                items=items[n.id],
                trusted_flagger=n.trusted_flagger_id is not None and n.within_expertise,
                automated=n.automated_processing or automated.get(n.id, False),
                actions=tuple(actions[n.id]),
            )
        )
    return tuple(out)


def _orders(s: Session, lo: datetime, hi: datetime) -> tuple[rd.Order, ...]:
    rows = s.scalars(
        select(AuthorityOrder)
        .where(AuthorityOrder.received_at >= lo, AuthorityOrder.received_at < hi)
        .order_by(AuthorityOrder.received_at, AuthorityOrder.id)
    )
    out = []
    for o in rows:
        what = f"order {o.id}"
        spec, other = _specification(rd.ORDER_PART, what, o.category, o.specifications, None)
        if o.kind not in ("act", "info"):
            raise Invalid(f"{what} has kind {o.kind!r}; expected act or info")
        out.append(
            rd.Order(
                kind="act" if o.kind == "act" else "info",
                member_state=o.issuing_member_state,
                category=o.category,
                specification=spec,
                other_description=other,
                items=len(o.item_ids),
                received_at=as_utc(o.received_at),
                receipt_confirmed_at=_within(o.receipt_confirmed_at, hi),
                effect_given_at=_within(o.effect_given_at, hi),
            )
        )
    return tuple(out)


def _measures(decisions: Sequence[Decision]) -> tuple[rd.Measure, ...]:
    out = []
    for d in decisions:
        if not _acts(d) or d.notice_ids or d.order_ids or d.source_type in NOTICE_SOURCES:
            continue
        ground: rd.MeasureGround = "terms" if _action_ground(d) == "terms" else "illegal"
        part = rd.ILLEGAL_PART if ground == "illegal" else rd.TERMS_PART
        what = f"decision {d.uuid}"
        spec, other = _specification(
            part, what, d.category, d.category_specification, d.category_specification_other
        )
        out.append(
            rd.Measure(
                ground=ground,
                category=d.category,
                specification=spec,
                other_description=other,
                decided_at=as_utc(d.created_at),
                visibility=tuple(d.decision_visibility),
                monetary=d.decision_monetary,
                provision=d.decision_provision,
                account=d.decision_account,
                solely_automated=d.automated_decision == FULLY,
                language=_language(d.content_language),
            )
        )
    return tuple(out)


def _outcome(
    outcome: str | None, decided_at: datetime | None, hi: datetime
) -> tuple[Any, datetime | None]:
    """The outcome and its time as known at the period's end (None while pending)."""
    when = _within(decided_at, hi)
    value = outcome.strip().lower() if outcome else None
    if value is None or (when is None and (decided_at is not None or value != "omitted")):
        return None, None
    return value, when


def _complaints(s: Session, lo: datetime, hi: datetime) -> tuple[rd.Complaint, ...]:
    rows = s.scalars(
        select(Appeal)
        .where(Appeal.submitted_at >= lo, Appeal.submitted_at < hi)
        .order_by(Appeal.submitted_at, Appeal.id)
    )
    out = []
    for a in rows:
        outcome, decided = _outcome(a.outcome, a.decided_at, hi)
        kind = a.complaint_type.strip().lower()
        if kind not in rd.COMPLAINT_TYPES:
            raise Invalid(f"appeal {a.id} has complaint type {a.complaint_type!r}")
        out.append(
            rd.Complaint(
                type=kind,
                submitted_at=as_utc(a.submitted_at),
                outcome=outcome,
                decided_at=decided,
                new_restriction_imposed=outcome is not None and a.new_restriction_imposed,
            )
        )
    return tuple(out)


def _disputes(s: Session, lo: datetime, hi: datetime) -> tuple[rd.Dispute, ...]:
    rows = s.scalars(
        select(OdsDispute)
        .where(OdsDispute.received_at >= lo, OdsDispute.received_at < hi)
        .order_by(OdsDispute.received_at, OdsDispute.id)
    )
    out = []
    for r in rows:
        outcome, decided = _outcome(r.outcome, r.decided_at, hi)
        implemented = bool(r.implemented) and (
            r.implemented_at is None or _within(r.implemented_at, hi) is not None
        )
        out.append(
            rd.Dispute(
                submitted_at=as_utc(r.received_at),
                outcome=outcome,
                decided_at=decided,
                implemented=implemented if outcome is not None else None,
            )
        )
    return tuple(out)


def _suspensions(s: Session, lo: datetime, hi: datetime) -> tuple[rd.Suspension, ...]:
    rows = s.scalars(
        select(MisuseAction)
        .where(
            MisuseAction.action == "suspension",
            MisuseAction.starts_at >= lo,
            MisuseAction.starts_at < hi,
        )
        .order_by(MisuseAction.starts_at, MisuseAction.id)
    )
    out = []
    for m in rows:
        kind = SUSPENSION_KINDS.get(m.suspension_type or m.subject_type)
        if kind is None:
            raise Invalid(f"suspension {m.id} has unknown type {m.suspension_type!r}")
        out.append(rd.Suspension(kind=kind, imposed_at=as_utc(m.starts_at)))
    return tuple(out)


def _flags(s: Session, lo: datetime, hi: datetime) -> tuple[rd.AutomatedFlag, ...]:
    in_period = (AutomatedFlag.flagged_at >= lo, AutomatedFlag.flagged_at < hi)
    scope: dict[int, rd.FlagScope] = {}
    for flag_id, tf_id, within in s.execute(
        select(AutomatedFlag.id, Notice.trusted_flagger_id, Notice.within_expertise)
        .join(NoticeItem, NoticeItem.case_id == AutomatedFlag.case_id)
        .join(Notice, Notice.id == NoticeItem.notice_id)
        .where(
            *in_period,
            Notice.automated_processing.is_(True),
            Notice.received_at <= AutomatedFlag.flagged_at,
        )
    ):
        if tf_id is not None and within:
            scope[flag_id] = "trusted_flagger_notice"
        else:
            scope.setdefault(flag_id, "notice")
    out = []
    rows = s.execute(
        select(AutomatedFlag, Item.language)
        .join(Item, Item.id == AutomatedFlag.item_id)
        .where(*in_period)
        .order_by(AutomatedFlag.flagged_at, AutomatedFlag.id)
    )
    for f, language in rows:
        review = f.review_outcome if f.review_outcome in ("confirmed", "overturned") else None
        if review is not None and f.reviewed_at is not None and as_utc(f.reviewed_at) >= hi:
            review = None
        if f.detector_kind not in ("bank", "classifier", "guardrail"):
            raise Invalid(f"automated flag {f.id} has detector kind {f.detector_kind!r}")
        out.append(
            rd.AutomatedFlag(
                detector_kind=cast(rd.DetectorKind, f.detector_kind),
                detector=f.detector,
                flagged_at=as_utc(f.flagged_at),
                review=cast(rd.Review | None, review),
                scope=scope.get(f.id, "own_initiative"),
                language=_language(language),
            )
        )
    return tuple(out)


def _misses(
    s: Session, lo: datetime, hi: datetime, decisions: Sequence[Decision]
) -> tuple[rd.DetectorMisses, ...]:
    categories: dict[tuple[str, str], set[str]] = defaultdict(set)
    for kind, name, category in s.execute(
        select(AutomatedFlag.detector_kind, AutomatedFlag.detector, AutomatedFlag.category).where(
            AutomatedFlag.flagged_at >= lo, AutomatedFlag.flagged_at < hi
        )
    ):
        entry = categories[(kind, name)]
        if category:
            entry.add(category)
    actioned: dict[str, set[int]] = defaultdict(set)
    for d in decisions:
        if d.action and d.decided_by_person and d.item_id is not None:
            actioned[d.category].add(d.item_id)
    out = []
    for (kind, name), cats in sorted(categories.items()):
        if not cats or kind not in ("bank", "classifier"):
            continue
        wanted = set().union(*(actioned[c] for c in cats))
        flagged = set(
            s.scalars(
                select(AutomatedFlag.item_id).where(
                    AutomatedFlag.detector_kind == kind,
                    AutomatedFlag.detector == name,
                    AutomatedFlag.flagged_at < hi,
                )
            )
        )
        out.append(
            rd.DetectorMisses(
                detector_kind="bank" if kind == "bank" else "classifier",
                detector=name,
                false_negatives=len(wanted - flagged),
            )
        )
    return tuple(out)


def offline_evaluations(path: Path | None = None) -> tuple[rd.OfflineEvaluation, ...]:
    """The text policy's figures on its held-out test split (``make bench`` writes them).

    One evaluation per classifier fact (``text_denial`` ...), over all languages and per
    language; nothing when the metrics file is absent or unreadable (no figure is invented).
    """
    from importlib.resources import files

    where = path or Path(str(files("rempart.classify.text") / "data" / "metrics.json"))
    try:
        metrics = json.loads(where.read_text(encoding="utf-8"))
        results: dict[str, dict[str, dict[str, Any]]] = metrics["results"]
        version = str(metrics["version"])
    except (OSError, ValueError, KeyError, TypeError):
        return ()
    out = []
    categories = sorted({c for per in results.values() for c in per})
    for cat in categories:
        rows = [
            (lang, per[cat])
            for lang, per in sorted(results.items())
            if cat in per and lang != "all"
        ]  # "all", when present, is their sum: recomputed here from the counts
        tp, fp, fn, tn = (sum(int(r.get(k, 0)) for _, r in rows) for k in ("tp", "fp", "fn", "tn"))
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out.append(
            rd.OfflineEvaluation(
                detector=f"text_{cat}",
                model_version=version,
                precision=precision,
                recall=recall,
                f1=f1,
                positives=tp + fn,
                negatives=fp + tn,
                per_language=tuple(
                    (lang, float(r["precision"]), float(r["recall"]), float(r["f1"]))
                    for lang, r in rows
                ),
            )
        )
    return tuple(out)
