"""The statement of reasons the affected user gets (Art. 17), with its redress options.

The Transparency Database copy (``rempart.compliance.sor``) carries no personal data and no
redress information (the database has no field for it); the user's copy adds the redress
options of Art. 17(3)(f): the internal complaint with its deadline, out-of-court settlement
and the courts.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from rempart.moderation.models import Decision

APPEAL_MONTHS = 6  # Art. 20(1): at least six months from the notification
END_DATE_FIELDS = (
    "end_date_visibility_restriction",
    "end_date_monetary_restriction",
    "end_date_service_restriction",
    "end_date_account_restriction",
)


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def add_months(when: datetime, months: int) -> datetime:
    """``when`` plus calendar months, clamped to the month's last day (31 Aug + 6 = 28 Feb)."""
    month = when.month - 1 + months
    year = when.year + month // 12
    month = month % 12 + 1
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    last = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    return when.replace(year=year, month=month, day=min(when.day, last))


def appeal_deadline(notified_at: datetime) -> datetime:
    """The last moment an internal complaint is accepted (six months from the notification)."""
    return add_months(notified_at, APPEAL_MONTHS)


def redress(notified_at: datetime) -> dict[str, Any]:
    """The redress options every statement to a user or notifier must give (17(3)(f), 16(5))."""
    return {
        "internal_complaint": {
            "how": "reply through the platform's appeal form; it is free of charge",
            "until": appeal_deadline(notified_at).isoformat(),
            "legal_basis": "Regulation (EU) 2022/2065, Article 20",
        },
        "out_of_court_settlement": {
            "how": "any dispute settlement body certified under Article 21 DSA; the list is "
            "published by the European Commission",
            "legal_basis": "Regulation (EU) 2022/2065, Article 21",
        },
        "judicial_redress": "you may also bring the matter before a court of competent "
        "jurisdiction under national law",
    }


def user_statement(
    d: Decision, *, item_ref: str | None, notified_at: datetime, notifier: str | None = None
) -> dict[str, Any]:
    """The statement of reasons sent to the affected user (Art. 17), redress included."""
    automated = {
        "detection": bool(d.automated_detection),
        "decision": d.automated_decision,
        "explanation": _automation_text(d),
    }
    ground: dict[str, Any] = {"type": d.decision_ground}
    if d.decision_ground == "DECISION_GROUND_ILLEGAL_CONTENT":
        ground |= {
            "legal_ground": d.illegal_content_legal_ground,
            "explanation": d.illegal_content_explanation,
        }
    elif d.decision_ground == "DECISION_GROUND_INCOMPATIBLE_CONTENT":
        ground |= {
            "contractual_ground": d.incompatible_content_ground,
            "explanation": d.incompatible_content_explanation,
        }
    if d.decision_ground_reference_url:
        ground["reference_url"] = d.decision_ground_reference_url
    return {
        "decision_id": d.uuid,
        "replaces_decision": d.reverses_id,
        "item": item_ref,
        "restriction": {
            "visibility": list(d.decision_visibility),
            "monetary": d.decision_monetary,
            "provision": d.decision_provision,
            "account": d.decision_account,
            "territorial_scope": sorted(d.territorial_scope),
            "applies_from": _day(d.application_date),
            "ends": {f: _day(getattr(d, f)) for f in END_DATE_FIELDS if getattr(d, f)},
        },
        "facts": d.decision_facts,
        "source": d.source_type,
        "notifier": notifier,
        "automated_means": automated,
        "ground": ground,
        "category": d.category,
        "specifications": list(d.category_specification),
        "redress": redress(notified_at),
    }


def _automation_text(d: Decision) -> str:
    detect = "found by automated means" if d.automated_detection else "reported or found by people"
    decide = {
        "AUTOMATED_DECISION_FULLY": "decided automatically under a written rule",
        "AUTOMATED_DECISION_PARTIALLY": "decided by a person helped by automated means",
        "AUTOMATED_DECISION_NOT_AUTOMATED": "decided by a person",
    }[d.automated_decision]
    return f"The content was {detect} and {decide}."
