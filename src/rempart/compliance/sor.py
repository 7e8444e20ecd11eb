"""The statement of reasons as the EU Transparency Database takes it (Art. 24(5)).

The user's own copy, with redress options, is ``rempart.moderation.statements``.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from rempart.compliance.tdb.rules import (
    APPLICATION_DATE_MIN,
    CONTENT_DATE_MIN,
    DATE_MAX,
    GROUND_ILLEGAL,
    blank,
    valid_url,
)
from rempart.compliance.tdb.schema import (
    ALL_LANGUAGES,
    EEA_COUNTRY_CODES,
    END_DATE_FIELDS,
    MAX_LENGTHS,
    enum,
)
from rempart.errors import Conflict
from rempart.moderation.models import Decision

VISIBILITIES = enum("DECISION_VISIBILITIES")

if TYPE_CHECKING:
    from rempart.compliance.tdb.service import TdbSubmitter
    from rempart.context import Rempart


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _within(value: date, low: date, high: date) -> date:
    return min(max(value, low), high)


def _text(value: str | None, fallback: str) -> str:
    """A required text as given, or ``fallback`` when it is blank for the TDB (which trims
    and nulls empty strings): the TDB refuses a statement without it."""
    return value if isinstance(value, str) and not blank(value) else fallback


def tdb_statement(d: Decision, puid: str | None = None) -> dict[str, Any]:
    """The JSON body the EU Transparency Database takes for this decision, fields in its order.

    Fields that do not apply are left out rather than sent empty, as the database's
    ``exclude_unless`` rules expect. What the decision holds is made to fit the database's
    documented bounds (``StatementStoreRequest`` / ``GroupedSubmissionsService::multi_rules``
    and the API documentation), so that every restriction can be submitted (Art. 24(5)):

    - ``content_date`` is kept within 2000-01-01..2038-01-01 (the earliest and latest the TDB
      accepts); the application date is kept from 2020-01-01 on;
    - an end date is kept within the application date..2038-01-01 ("after or equal to the
      application date");
    - ``content_language`` is sent only when it is one of the TDB's ISO 639-1 codes, and
      ``decision_ground_reference_url`` only when it is a URL the TDB's ``url`` rule takes;
    - ``territorial_scope`` holds each EU/EEA code once (all of them when none is recorded);
    - an ``OTHER`` option or a ground always comes with its text.
    """
    body: dict[str, Any] = {}
    visibility = [v for v in dict.fromkeys(d.decision_visibility or []) if v in VISIBILITIES]
    if visibility:
        body["decision_visibility"] = visibility
        if "DECISION_VISIBILITY_OTHER" in visibility:
            body["decision_visibility_other"] = _text(
                d.decision_visibility_other, "other restriction of visibility"
            )
    if d.decision_monetary:
        body["decision_monetary"] = d.decision_monetary
        if d.decision_monetary == "DECISION_MONETARY_OTHER":
            body["decision_monetary_other"] = _text(
                d.decision_monetary_other, "other restriction of monetary payments"
            )
    if d.decision_provision:
        body["decision_provision"] = d.decision_provision
    if d.decision_account:
        body["decision_account"] = d.decision_account
    if d.account_type:
        body["account_type"] = d.account_type
    body["decision_ground"] = d.decision_ground
    url = d.decision_ground_reference_url
    if url and len(url) <= MAX_LENGTHS["decision_ground_reference_url"] and valid_url(url):
        body["decision_ground_reference_url"] = url
    if d.decision_ground == GROUND_ILLEGAL:
        body["illegal_content_legal_ground"] = _text(d.illegal_content_legal_ground, "not stated")
        body["illegal_content_explanation"] = _text(d.illegal_content_explanation, "not stated")
    else:
        body["incompatible_content_ground"] = _text(d.incompatible_content_ground, "not stated")
        body["incompatible_content_explanation"] = _text(
            d.incompatible_content_explanation, "not stated"
        )
        if d.incompatible_content_illegal is not None:
            body["incompatible_content_illegal"] = "Yes" if d.incompatible_content_illegal else "No"
    types = list(dict.fromkeys(d.content_types or [])) or ["CONTENT_TYPE_OTHER"]
    body["content_type"] = types
    if "CONTENT_TYPE_OTHER" in types:
        body["content_type_other"] = _text(d.content_type_other, "not described by the platform")
    body["category"] = d.category
    if d.category_addition:
        body["category_addition"] = list(dict.fromkeys(d.category_addition))
    if d.category_specification:
        body["category_specification"] = list(dict.fromkeys(d.category_specification))
        if "KEYWORD_OTHER" in d.category_specification and not blank(
            d.category_specification_other
        ):
            body["category_specification_other"] = d.category_specification_other
    scope = {c.upper() for c in d.territorial_scope or []} & set(EEA_COUNTRY_CODES)
    body["territorial_scope"] = sorted(scope or EEA_COUNTRY_CODES)
    language = (d.content_language or "").upper()
    if language in ALL_LANGUAGES:
        body["content_language"] = language
    start = max(d.application_date, APPLICATION_DATE_MIN)
    posted = d.content_date or start
    body["content_date"] = _day(_within(posted, CONTENT_DATE_MIN, DATE_MAX))
    body["application_date"] = _day(start)
    for field in END_DATE_FIELDS:
        value = getattr(d, field)
        if value is not None:
            body[field] = _day(_within(value, start, DATE_MAX))
    body["decision_facts"] = _text(d.decision_facts, "no further facts were recorded")
    body["source_type"] = d.source_type
    if d.source_type != "SOURCE_VOLUNTARY" and not blank(d.source_identity):
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
