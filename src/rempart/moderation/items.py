"""Items, accounts and cases, by the platform's own ids; one open case per item."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from rempart.errors import NotFound
from rempart.moderation.models import Account, Case, Item
from rempart.moderation.schemas import AccountIn, ItemIn, ItemOut, NoticeItemIn

# cases of these kinds are visible only to the child-safety role
RESTRICTED_KINDS = {"child_safety": "child_safety"}


def upsert_account(s: Session, account: AccountIn, now: datetime) -> Account:
    """The account with this ref, created or updated from what the platform sent."""
    row = s.scalar(select(Account).where(Account.platform_ref == account.ref))
    if row is None:
        row = Account(platform_ref=account.ref, created_at=now, status="active")
        s.add(row)
    if account.account_type is not None:
        row.account_type = account.account_type
    row.contact_known = account.contact_known
    s.flush()
    return row


def upsert_item(s: Session, item: ItemIn, now: datetime) -> Item:
    """The item with this ref, created or updated: later calls refine what is known."""
    row = s.scalar(select(Item).where(Item.platform_ref == item.ref))
    if row is None:
        row = Item(platform_ref=item.ref, created_at=now, status="visible")
        s.add(row)
    if item.account is not None:
        row.account_id = upsert_account(s, item.account, now).id
    for field in ("url", "content_type_other", "language", "content_date"):
        value = getattr(item, field)
        if value is not None:
            setattr(row, field, value)
    if item.content_types:
        row.content_types = list(item.content_types)
    if item.territories:
        row.territories = list(item.territories)
    s.flush()
    return row


def locate_item(s: Session, where: NoticeItemIn, now: datetime) -> Item:
    """The item a notice or order names, by ref or URL; unknown ones are recorded as seen."""
    row = None
    if where.ref:
        row = s.scalar(select(Item).where(Item.platform_ref == where.ref))
    if row is None and where.url:
        row = s.scalar(select(Item).where(Item.url == where.url).limit(1))
    if row is None:
        row = Item(
            platform_ref=where.ref or where.url or "",
            url=where.url,
            created_at=now,
            status="visible",
        )
        s.add(row)
        s.flush()
    return row


def item_by_ref(s: Session, ref: str) -> Item:
    """The item with this platform ref, or NotFound."""
    row = s.scalar(select(Item).where(Item.platform_ref == ref))
    if row is None:
        raise NotFound(f"no item {ref!r}")
    return row


def open_case(s: Session, item: Item, now: datetime, kind: str = "general") -> Case:
    """The item's open case, or a new one: several notices about one item join one case.

    A more sensitive kind wins (a general case that gets a child-safety signal becomes a
    child-safety case), so restricted material never stays in a general queue's case.
    """
    row = s.scalar(
        select(Case)
        .where(Case.item_id == item.id, Case.status == "open")
        .order_by(Case.id)
        .with_for_update()
    )
    if row is None:
        row = Case(item_id=item.id, kind=kind, status="open", opened_at=now)
        s.add(row)
        s.flush()
    elif kind in RESTRICTED_KINDS and row.kind not in RESTRICTED_KINDS:
        row.kind = kind
    return row


def case_visible(case: Case, roles: list[str]) -> bool:
    """Whether a caller with ``roles`` may see this case (child safety: only its role)."""
    needed = RESTRICTED_KINDS.get(case.kind)
    return needed is None or needed in roles


def item_out(s: Session, row: Item) -> ItemOut:
    """An item as the API shows it."""
    account = s.get(Account, row.account_id) if row.account_id else None
    return ItemOut(
        id=row.id,
        ref=row.platform_ref,
        account_ref=account.platform_ref if account else None,
        url=row.url,
        content_types=list(row.content_types),
        language=row.language,
        territories=list(row.territories),
        content_date=row.content_date,
        status=row.status,
    )
