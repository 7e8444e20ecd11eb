"""Parts 3-6: one row per category and sub-category, each filled from the records it covers.

Every record sits in exactly one category and one sub-category (Annex II: no double counts),
so each category row equals the sum of its sub-category rows and the TOTAL row the sum of the
categories. A record without a sub-category goes to that category's ``KEYWORD_OTHER`` row
described "No sub-category specified"; ``KEYWORD_OTHER`` rows repeat, one per distinct
description (Annex II allows as many as needed, never two with the same description).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Protocol, TypeVar

from rempart.compliance.transparency import figures
from rempart.compliance.transparency.data import (
    ACCOUNT,
    MONETARY,
    PROVISION,
    VISIBILITY,
    Measure,
    Notice,
    Order,
)
from rempart.compliance.transparency.templates import (
    KEYWORD_OTHER,
    MEMBER_STATES,
    TOTAL,
    applies,
    category_structure,
    template,
)

NO_SPECIFICATION = "No sub-category specified"
NO_DESCRIPTION = "Other sub-category, not described"
ONE_HOUR = timedelta(hours=1)


class Categorised(Protocol):
    """A record placed in a category: notices, orders and own-initiative measures."""

    @property
    def category(self) -> str: ...
    @property
    def specification(self) -> str | None: ...
    @property
    def other_description(self) -> str | None: ...


R = TypeVar("R", bound=Categorised)
Values = Callable[[Sequence[R]], list[str]]


def placement(part: str, record: Categorised) -> tuple[str, str | None, str]:
    """(category, sub-category or None, "Other" description) of a record in a part."""
    keywords = category_structure(part)[record.category]
    if not keywords:
        return record.category, None, ""
    spec = record.specification
    if spec is None:
        return record.category, KEYWORD_OTHER, NO_SPECIFICATION
    if spec == KEYWORD_OTHER:
        desc = (record.other_description or "").strip() or NO_DESCRIPTION
        return record.category, KEYWORD_OTHER, desc
    return record.category, spec, ""


def block(
    part: str,
    rows: Sequence[tuple[str, ...]],
    records: Sequence[R],
    values: Values[R],
    head: Callable[[tuple[str, ...], str], list[str]],
    width: int,
    tier: str,
) -> list[list[str]]:
    """Fill one run of category rows (a template's, or part 3's TOTAL block per scope).

    ``head(row, description)`` gives the fixed cells of an output row; ``values`` the figures.
    """
    by_category: dict[str, list[R]] = {}
    by_keyword: dict[tuple[str, str | None], list[R]] = {}
    others: dict[str, dict[str, list[R]]] = {}
    for r in records:
        cat, kw, desc = placement(part, r)
        by_category.setdefault(cat, []).append(r)
        by_keyword.setdefault((cat, kw), []).append(r)
        if kw == KEYWORD_OTHER:
            others.setdefault(cat, {}).setdefault(desc, []).append(r)
    out: list[list[str]] = []
    current = ""

    def emit(row: tuple[str, ...], desc: str, recs: Sequence[R]) -> None:
        cells = values(recs) if applies(row[0], tier) else [""] * width
        out.append(head(row, desc) + cells)

    for row in rows:
        code = row[3].strip()
        if code == TOTAL:
            emit(row, "", records)
        elif code.startswith("STATEMENT_CATEGORY_"):
            current = code
            emit(row, "", by_category.get(code, []))
        elif code == KEYWORD_OTHER:
            groups = others.get(current, {})
            if not groups:
                emit(row, "", [])
            for desc in sorted(groups):
                emit(row, desc, groups[desc])
        else:
            emit(row, "", by_keyword.get((current, code), []))
    return out


def _head(service: str, period: str, scope: str | None = None) -> Callable[..., list[str]]:
    def head(row: tuple[str, ...], desc: str) -> list[str]:
        cells = [row[0], service, period, row[3], desc]
        if scope is not None:
            cells.append(scope)
        return cells

    return head


def _receipt(order: Order) -> timedelta | None:
    if order.receipt_confirmed_at is None:
        return None
    delta = order.receipt_confirmed_at - order.received_at
    return timedelta(0) if order.automated_receipt and delta <= ONE_HOUR else delta


def _order_values(orders: Sequence[Order]) -> list[str]:
    cells: list[str] = []
    notes: list[str] = []
    for kind in ("act", "info"):
        mine = [o for o in orders if o.kind == kind]
        receipts = [d for d in (_receipt(o) for o in mine) if d is not None]
        effects = [o.effect_given_at - o.received_at for o in mine if o.effect_given_at]
        receipt, effect = figures.median_hours(receipts), figures.median_hours(effects)
        cells.append(figures.count(len(mine)))
        notes.append("")
        if kind == "act":
            cells.append(figures.count(sum(o.items for o in mine)))
            notes.append("")
        cells += [figures.hours(receipt), figures.hours(effect)]
        notes.append("No receipt confirmation recorded" if mine and receipt is None else "")
        notes.append("Effect not given to any of these orders" if mine and effect is None else "")
    return cells + notes


def orders_part(orders: Sequence[Order], service: str, period: str, tier: str) -> list[list[str]]:
    """Part 3: the TOTAL block, then one block per Member State that sent an order.

    Annex II: "remove AT [..] SE and add rows for each respective Member State from which they
    have received an order". Each Member State block repeats the TOTAL block's categories
    (the template's placeholder block omits KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL_DEEPFAKE,
    which would break the sub-category sums).
    """
    part = "part_3_member_states_orders"
    tpl = template(part)
    scope_col = tpl.column("Scope")
    total_rows = [r for r in tpl.rows if r[scope_col] == TOTAL]
    width = len(tpl.header) - 6
    out = block(part, total_rows, orders, _order_values, _head(service, period, TOTAL), width, tier)
    for state in MEMBER_STATES:
        mine = [o for o in orders if o.member_state == state]
        if mine:
            head = _head(service, period, state)
            out += block(part, total_rows, mine, _order_values, head, width, tier)
    return out


def notices_part(
    notices: Sequence[Notice], service: str, period: str, tier: str
) -> list[list[str]]:
    """Part 4: notices by alleged category, trusted flaggers' apart, actions by ground.

    The median time to take action runs from receipt to each action's implementation; notices
    not acted on are left out of it (Annex II allows this). Trusted-flagger columns are blank
    for providers that are not online platforms (Art. 22 applies to online platforms only).
    """
    part = "part_4_notices"
    tpl = template(part)
    tf_applies = tier in ("online_platform", "vlop")

    def values(recs: Sequence[Notice]) -> list[str]:
        cells: list[str] = []
        notes: list[str] = [""] * 10
        tf = [n for n in recs if n.trusted_flagger]
        for group in (recs, tf):
            cells.append(figures.count(len(group)))
        for group in (recs, tf):
            cells.append(figures.count(sum(n.items for n in group)))
        for i, group in enumerate((recs, tf)):
            median = figures.median_hours(
                a.implemented_at - n.received_at for n in group for a in n.actions
            )
            cells.append(figures.hours(median))
            if group and median is None:
                notes[4 + i] = "No action taken on these notices"
        for ground in ("law", "terms"):
            for group in (recs, tf):
                cells.append(
                    figures.count(sum(1 for n in group for a in n.actions if a.ground == ground))
                )
        if not tf_applies:
            for i in (1, 3, 5, 7, 9):
                cells[i] = notes[i] = ""
        return cells + notes

    width = len(tpl.header) - 5
    return block(part, tpl.rows, notices, values, _head(service, period), width, tier)


def _restrictions(measure: Measure) -> set[str]:
    out = {_VISIBILITY_COLUMN[v] for v in measure.visibility}
    if measure.monetary:
        out.add(_MONETARY_COLUMN[measure.monetary])
    if measure.provision:
        out.add(_PROVISION_COLUMN[measure.provision])
    if measure.account:
        out.add(_ACCOUNT_COLUMN[measure.account])
    return out


_VISIBILITY_COLUMN = dict(
    zip(
        VISIBILITY,
        (
            "visibility_removal",
            "visibility_disable",
            "visibility_demoted",
            "visibility_age_restricted",
            "visibility_interaction_restricted",
            "visibility_labelled",
            "visibility_other",
        ),
        strict=True,
    )
)
_MONETARY_COLUMN = dict(
    zip(MONETARY, ("monetary_suspension", "monetary_termination", "monetary_other"), strict=True)
)
_PROVISION_COLUMN = {
    p: "provision_termination" if p.endswith("TERMINATION") else "provision_suspension"
    for p in PROVISION
}
_ACCOUNT_COLUMN = dict(zip(ACCOUNT, ("account_suspension", "account_termination"), strict=True))


def measures_part(
    part: str,
    measures: Sequence[Measure],
    service: str,
    period: str,
    tier: str,
    columns: Sequence[str],
    blank: frozenset[str],
) -> list[list[str]]:
    """Parts 5 and 6: own-initiative measures by category and by type of restriction.

    ``columns`` are the restriction columns in template order; those in ``blank`` are
    restrictions the service never imposes, left blank rather than 0 (Annex II, Part I §1).
    """
    tpl = template(part)
    width = len(tpl.header) - 5

    def values(recs: Sequence[Measure]) -> list[str]:
        kinds = [_restrictions(m) for m in recs]
        cells = [
            figures.count(len(recs)),
            figures.count(sum(1 for m in recs if m.solely_automated)),
        ]
        for col in columns:
            cells.append("" if col in blank else figures.count(sum(1 for k in kinds if col in k)))
        return cells + [""] * (width - len(cells))

    return block(part, tpl.rows, measures, values, _head(service, period), width, tier)
