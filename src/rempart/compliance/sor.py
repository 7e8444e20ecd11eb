"""The statement of reasons as the EU Transparency Database takes it (Art. 24(5)).

The user's own copy, with redress options, is ``rempart.moderation.statements``.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from rempart.errors import Conflict
from rempart.moderation.models import Decision
from rempart.moderation.statements import END_DATE_FIELDS

if TYPE_CHECKING:
    from rempart.compliance.tdb.service import TdbSubmitter
    from rempart.context import Rempart


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def tdb_statement(d: Decision, puid: str | None = None) -> dict[str, Any]:
    """The JSON body the EU Transparency Database takes for this decision, fields in its order.

    Fields that do not apply are left out rather than sent empty, as the database's
    ``exclude_unless`` rules expect.
    """
    body: dict[str, Any] = {}
    if d.decision_visibility:
        body["decision_visibility"] = list(d.decision_visibility)
        if "DECISION_VISIBILITY_OTHER" in d.decision_visibility:
            body["decision_visibility_other"] = d.decision_visibility_other
    if d.decision_monetary:
        body["decision_monetary"] = d.decision_monetary
        if d.decision_monetary == "DECISION_MONETARY_OTHER":
            body["decision_monetary_other"] = d.decision_monetary_other
    if d.decision_provision:
        body["decision_provision"] = d.decision_provision
    if d.decision_account:
        body["decision_account"] = d.decision_account
    if d.account_type:
        body["account_type"] = d.account_type
    body["decision_ground"] = d.decision_ground
    if d.decision_ground_reference_url:
        body["decision_ground_reference_url"] = d.decision_ground_reference_url
    if d.decision_ground == "DECISION_GROUND_ILLEGAL_CONTENT":
        body["illegal_content_legal_ground"] = d.illegal_content_legal_ground
        body["illegal_content_explanation"] = d.illegal_content_explanation
    else:
        body["incompatible_content_ground"] = d.incompatible_content_ground
        body["incompatible_content_explanation"] = d.incompatible_content_explanation
        if d.incompatible_content_illegal is not None:
            body["incompatible_content_illegal"] = "Yes" if d.incompatible_content_illegal else "No"
    body["content_type"] = list(d.content_types)
    if "CONTENT_TYPE_OTHER" in d.content_types:
        body["content_type_other"] = d.content_type_other
    body["category"] = d.category
    if d.category_addition:
        body["category_addition"] = list(d.category_addition)
    if d.category_specification:
        body["category_specification"] = list(d.category_specification)
        if "KEYWORD_OTHER" in d.category_specification and d.category_specification_other:
            body["category_specification_other"] = d.category_specification_other
    body["territorial_scope"] = sorted(d.territorial_scope)
    if d.content_language:
        body["content_language"] = d.content_language
    body["content_date"] = _day(d.content_date)
    body["application_date"] = _day(d.application_date)
    for field in END_DATE_FIELDS:
        value = getattr(d, field)
        if value is not None:
            body[field] = _day(value)
    body["decision_facts"] = d.decision_facts
    body["source_type"] = d.source_type
    if d.source_type != "SOURCE_VOLUNTARY" and d.source_identity:
        body["source_identity"] = d.source_identity
    body["automated_detection"] = "Yes" if d.automated_detection else "No"
    body["automated_decision"] = d.automated_decision
    if puid is not None:
        body["puid"] = puid
    return body


def queue_statement(tdb: TdbSubmitter, s: Session, d: Decision) -> None:
    """Queue a recorded decision's statement for the Transparency Database, in its transaction.

    Only restrictions get one (Art. 17(1), 24(5)); decisions not to act, and decisions that
    only give effect to an authority's order (Art. 17(5) excludes Art. 9 orders), do not.
    """
    restricts = bool(
        d.decision_visibility or d.decision_monetary or d.decision_provision or d.decision_account
    )
    if not d.action or not restricts:
        return
    if d.order_ids and not d.notice_ids and d.source_type == "SOURCE_TYPE_OTHER_NOTIFICATION":
        return
    # trusted flaggers and authorities are organisations: their name may stay (17(3)(b))
    organisation = d.source_type in ("SOURCE_TRUSTED_FLAGGER", "SOURCE_TYPE_OTHER_NOTIFICATION")
    tdb.enqueue(d.id, tdb_statement(d), session=s, source_is_person=not organisation)


def stored_statement(rempart: Rempart, decision_id: int, roles: list[str]) -> dict[str, Any]:
    """The body queued (or sent) to the Transparency Database for a decision, as sent.

    404 for roles that may not see the decision; 409 when the decision has no statement
    (a decision not to act, or one giving effect to an authority's order).
    """
    rempart.decisions.get(decision_id, roles)
    subs = rempart.tdb.list(decision_id=decision_id)
    if not subs:
        raise Conflict(
            f"decision {decision_id} has no statement for the Transparency Database: it "
            "restricts nothing, or gives effect to an authority's order (Art. 17(5))",
            code="no_statement",
        )
    body: dict[str, Any] = dict(subs[-1].body)
    return body


def tdb_state(rempart: Rempart, decision_id: int) -> dict[str, Any] | None:
    """Where a decision's statement stands with the Transparency Database (field errors too)."""
    subs = rempart.tdb.list(decision_id=decision_id)
    if not subs:
        return None
    last = subs[-1]
    return {
        "puid": last.puid,
        "status": last.status,
        "field_errors": last.field_errors,
        "last_error": last.last_error,
        "permalink": last.permalink,
    }
