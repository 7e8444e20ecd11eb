"""Every kind of change to the stored ledger is caught by ``verify`` and named, with where."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from rempart.clock import utcnow
from rempart.config import Settings
from rempart.evidence.ledger.models import LedgerEvent, LedgerTreeHead
from rempart.evidence.ledger.service import Ledger, event_leaf
from rempart.store.db import Database


@dataclass
class Bare:
    """Just the ledger over a freshly migrated database: nothing else logs to it."""

    db: Database
    settings: Settings
    ledger: Ledger


@pytest.fixture
def rempart(settings: Settings) -> Iterator[Bare]:
    """The ledger alone (the full ``Rempart`` logs its own start-up events)."""
    db = Database(settings.db_url)
    db.migrate()
    yield Bare(db, settings, Ledger(db, settings, utcnow))
    db.dispose()


Mutation = Callable[[Session], None]


def event(s: Session, seq: int) -> LedgerEvent:
    return s.scalars(select(LedgerEvent).where(LedgerEvent.seq == seq)).one()


def head(s: Session, size: int) -> LedgerTreeHead:
    return s.scalars(select(LedgerTreeHead).where(LedgerTreeHead.tree_size == size)).one()


def set_field(seq: int, **values: object) -> Mutation:
    def mutate(s: Session) -> None:
        row = event(s, seq)
        for name, value in values.items():
            setattr(row, name, value)

    return mutate


def shift_timestamp(s: Session) -> None:
    row = event(s, 3)
    row.at = row.at + timedelta(microseconds=1)


def delete(seq: int) -> Mutation:
    def mutate(s: Session) -> None:
        s.execute(text("DELETE FROM ledger_event WHERE seq = :s"), {"s": seq})

    return mutate


def delete_and_renumber(s: Session) -> None:
    s.execute(text("DELETE FROM ledger_event WHERE seq = 4"))
    for seq in range(5, 12):
        s.execute(text("UPDATE ledger_event SET seq = seq - 1 WHERE seq = :s"), {"s": seq})


def insert_forged(s: Session) -> None:
    """A forged event at seq 4, later events shifted up; the forger computes a valid leaf."""
    for seq in range(11, 3, -1):
        s.execute(text("UPDATE ledger_event SET seq = seq + 1 WHERE seq = :s"), {"s": seq})
    model = event(s, 3)
    forged = LedgerEvent(
        seq=4, at=model.at, kind="decision", actor="mod:evil", subject="case:1", data={}
    )
    forged.leaf_hash = event_leaf(forged).hex()
    s.add(forged)


def swap(s: Session) -> None:
    s.execute(text("UPDATE ledger_event SET seq = -1 WHERE seq = 2"))
    s.execute(text("UPDATE ledger_event SET seq = 2 WHERE seq = 7"))
    s.execute(text("UPDATE ledger_event SET seq = 7 WHERE seq = -1"))


def swap_contents(s: Session) -> None:
    """Swap what two rows say, leaving seq and leaf_hash in place."""
    a, b = event(s, 2), event(s, 7)
    fields = ("at", "kind", "actor", "subject", "data")
    va, vb = [getattr(a, f) for f in fields], [getattr(b, f) for f in fields]
    for f, x, y in zip(fields, va, vb, strict=True):
        setattr(a, f, y)
        setattr(b, f, x)


def leaf_hash(s: Session) -> None:
    event(s, 3).leaf_hash = "ab" * 32


def head_root(s: Session) -> None:
    head(s, 5).root_hash = "cd" * 32


def head_size(s: Session) -> None:
    head(s, 5).tree_size = 6


def head_signature(s: Session) -> None:
    row = head(s, 12)
    row.signature = ("00" if row.signature[:2] != "00" else "11") + row.signature[2:]


def head_timestamp(s: Session) -> None:
    row = head(s, 12)
    row.timestamp = row.timestamp + timedelta(seconds=1)


CASES: dict[str, tuple[Mutation, set[tuple[str, int | None]]]] = {
    # name: (mutation, problems that must be reported as (kind, seq) or (kind, None) for heads)
    "data": (set_field(3, data={"i": 99}), {("modified", 3), ("head_root", None)}),
    "kind": (set_field(3, kind="export"), {("modified", 3)}),
    "actor": (set_field(3, actor="user:9"), {("modified", 3)}),
    "subject": (set_field(3, subject="case:9"), {("modified", 3)}),
    "timestamp": (shift_timestamp, {("modified", 3)}),
    "delete": (delete(4), {("deleted", 4), ("head_root", None)}),
    "delete_last": (delete(11), {("deleted", 11), ("head_size", None)}),
    "delete_renumber": (delete_and_renumber, {("deleted", 4), ("head_size", None)}),
    "insert": (insert_forged, {("inserted", 4), ("head_root", None)}),
    "swap": (swap, {("reordered", 2), ("reordered", 7), ("head_root", None)}),
    "swap_contents": (swap_contents, {("reordered", 2), ("reordered", 7)}),
    "leaf_hash": (leaf_hash, {("leaf_hash_altered", 3)}),
    "head_root": (head_root, {("head_root", None), ("head_signature", None)}),
    "head_size": (head_size, {("head_root", None), ("head_signature", None)}),
    "head_signature": (head_signature, {("head_signature", None)}),
    "head_timestamp": (head_timestamp, {("head_signature", None)}),
}


@pytest.fixture
def ledger_ctx(rempart: Bare) -> Bare:
    """12 events with heads signed at sizes 5 and 12; verify passes before any change."""
    for i in range(12):
        rempart.ledger.append_now(
            ["intake", "match", "decision"][i % 3],
            actor=f"user:{i % 2}",
            subject=f"case:{i // 3}",
            data={"i": i},
        )
        if i == 4:
            rempart.ledger.sign_head()
    rempart.ledger.sign_head()
    report = rempart.ledger.verify()
    assert report.ok, report.problems
    return rempart


@pytest.mark.parametrize("name", list(CASES))
def test_each_mutation_is_caught(ledger_ctx: Bare, name: str) -> None:
    mutation, expected = CASES[name]
    with ledger_ctx.db.session() as s:
        mutation(s)
    report = ledger_ctx.ledger.verify()
    assert not report.ok
    found = {(p.kind, p.seq) for p in report.problems}
    assert expected <= found, report.problems
    for p in report.problems:
        assert p.detail
        if p.kind.startswith("head_"):
            assert p.head_id is not None
