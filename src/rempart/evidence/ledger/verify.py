"""``Ledger.verify``: recompute the whole log from its stored fields and say what is wrong.

One pass over the events in seq order recomputes each leaf hash from the fields (never trusting
the stored ``leaf_hash``), checks seqs run 0, 1, 2, ... and feeds a Merkle frontier, so the root
at every signed head's size is known without storing the tree. Rows whose fields do not match
their leaf hash are then explained: recorded at another seq (reordered, or shifted by an
insertion or deletion), a leaf hash column rewritten (the fields still match the signed roots),
or modified.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, select

from rempart.evidence.ledger import merkle
from rempart.evidence.ledger.keys import (
    ROTATION_KIND,
    SigningKeyOut,
    head_key_problem,
    history_problems,
)
from rempart.evidence.ledger.models import LedgerCounter, LedgerEvent, LedgerTreeHead
from rempart.evidence.ledger.schemas import HEAD_VERSION, Problem, VerifyReport
from rempart.evidence.ledger.service import event_leaf
from rempart.evidence.ledger.signing import head_message
from rempart.store.db import Database

MAX_EXPLAINED = 2000  # mismatching rows examined one by one; beyond that, only counted
NEAR = 3
COLUMNS = (
    LedgerEvent.seq,
    LedgerEvent.at,
    LedgerEvent.kind,
    LedgerEvent.actor,
    LedgerEvent.subject,
    LedgerEvent.data,
    LedgerEvent.leaf_hash,
)  # how far an event may have moved for verify to name where it came from


@dataclass
class _Bad:
    """A row whose fields do not hash to its stored leaf hash."""

    row: Row[Any]
    stored: bytes
    belongs_at: int | None = None


def _explain(bad: dict[int, _Bad]) -> list[Problem]:
    """Say, for each mismatching row, whether it moved (and how) or was changed."""
    seqs = sorted(bad)
    others = seqs if len(seqs) <= 200 else []
    for seq, b in bad.items():
        candidates = [s for s in others if s != seq]
        candidates += [seq + d for d in range(-NEAR, NEAR + 1) if d and seq + d >= 0]
        for s in candidates:
            h = event_leaf(b.row, s)
            if h == b.stored or (s in bad and h == bad[s].stored):
                b.belongs_at = s
                break
    problems: list[Problem] = []
    shifts: dict[int, list[int]] = defaultdict(list)
    for seq in seqs:
        b = bad[seq]
        if b.belongs_at is None:
            continue
        other = bad.get(b.belongs_at)
        if other is not None and other.belongs_at == seq:
            problems.append(
                Problem(
                    kind="reordered",
                    seq=seq,
                    detail=f"event at seq {seq} was recorded at seq {b.belongs_at}: "
                    "events were swapped",
                )
            )
        else:
            shifts[seq - b.belongs_at].append(seq)
    for offset, moved in sorted(shifts.items()):
        first = moved[0]
        if offset > 0:
            problems.append(
                Problem(
                    kind="inserted",
                    seq=first - offset,
                    detail=f"{offset} event(s) inserted at seq {first - offset}: "
                    f"{len(moved)} later event(s) from seq {first} were recorded "
                    f"{offset} place(s) earlier",
                )
            )
        else:
            problems.append(
                Problem(
                    kind="deleted",
                    seq=first,
                    detail=f"{-offset} event(s) deleted at seq {first} and later events "
                    f"renumbered: {len(moved)} event(s) from seq {first} were recorded "
                    f"{-offset} place(s) later",
                )
            )
    return problems


def verify_ledger(db: Database, keys: list[SigningKeyOut]) -> VerifyReport:
    """Recompute every leaf hash, the root at each head, each signature; list every problem.

    Each head is checked against the key of the history valid at its timestamp, and the
    history itself against the ``ledger.key_rotated`` events the log holds.
    """
    started = time.perf_counter()
    problems: list[Problem] = []
    rotations: dict[int, dict[str, Any]] = {}
    with db.session() as s:
        heads = list(s.scalars(select(LedgerTreeHead).order_by(LedgerTreeHead.id)))
        counter = s.scalar(select(LedgerCounter.next_seq).where(LedgerCounter.id == 1))
        wanted = defaultdict(list)
        for h in heads:
            wanted[h.tree_size].append(h)
        roots: dict[int, bytes] = {}
        if 0 in wanted:
            roots[0] = merkle.EMPTY_ROOT
        frontier = merkle.Frontier()
        bad: dict[int, _Bad] = {}
        unexplained = 0
        expected = 0
        stmt = select(*COLUMNS).order_by(LedgerEvent.seq).execution_options(yield_per=20_000)
        for row in s.execute(stmt):
            if row.seq != expected:
                if row.seq > expected:
                    problems.append(
                        Problem(
                            kind="deleted",
                            seq=expected,
                            detail=f"events {expected}..{row.seq - 1} are missing (a gap)",
                        )
                    )
                expected = row.seq
            expected += 1
            leaf = event_leaf(row)
            try:
                stored = bytes.fromhex(row.leaf_hash)
            except ValueError:
                stored = b""
            if leaf != stored:
                if len(bad) < MAX_EXPLAINED:
                    bad[row.seq] = _Bad(row, stored)
                else:
                    unexplained += 1
            if row.kind == ROTATION_KIND:
                rotations[row.seq] = row.data
            frontier.append(leaf)
            if frontier.size in wanted:
                roots[frontier.size] = frontier.root()
        size = frontier.size
        root = frontier.root()
        if counter is not None and counter != expected:
            kind = "deleted" if counter > expected else "inserted"
            problems.append(
                Problem(
                    kind=kind,
                    seq=expected,
                    detail=f"the seq counter says {counter} events were appended but the "
                    f"log holds seqs up to {expected - 1}",
                )
            )
        elif counter is None:
            problems.append(Problem(kind="counter", detail="the ledger's seq counter is missing"))
        problems += _head_problems(heads, roots, size, keys)
        problems += [
            Problem(kind="key_history", detail=d) for d in history_problems(keys, rotations)
        ]
        good_heads = [h for h in heads if roots.get(h.tree_size) == _hex(h.root_hash)]
        explained = _explain(bad)
        moved = {p.seq for p in explained if p.kind == "reordered"}
        shifted = {b.row.seq for b in bad.values() if b.belongs_at is not None}
        for seq in sorted(bad):
            if seq in moved or seq in shifted:
                continue
            signed = any(h.tree_size > seq for h in good_heads)
            if signed and not any(h.tree_size > seq and h not in good_heads for h in heads):
                problems.append(
                    Problem(
                        kind="leaf_hash_altered",
                        seq=seq,
                        detail=f"the stored leaf_hash of event {seq} was changed (its fields "
                        "still match the signed tree heads)",
                    )
                )
            else:
                problems.append(
                    Problem(
                        kind="modified",
                        seq=seq,
                        detail=f"event {seq} was modified: its fields no longer hash to its "
                        "leaf hash",
                    )
                )
        problems += explained
        if unexplained:
            problems.append(
                Problem(
                    kind="modified",
                    detail=f"{unexplained} more events do not match their leaf hashes",
                )
            )
    problems.sort(key=lambda p: (p.seq if p.seq is not None else -1, p.kind))
    return VerifyReport(
        ok=not problems,
        events=size,
        heads=len(heads),
        root_hash=root.hex(),
        seconds=round(time.perf_counter() - started, 3),
        problems=problems,
    )


def _hex(text: str) -> bytes | None:
    try:
        return bytes.fromhex(text)
    except ValueError:
        return None


def _head_problems(
    heads: list[LedgerTreeHead],
    roots: dict[int, bytes],
    size: int,
    keys: list[SigningKeyOut],
) -> list[Problem]:
    """Signature, size and root of every head, and that each extends the one before it."""
    problems: list[Problem] = []
    previous: LedgerTreeHead | None = None
    for h in heads:
        message = head_message(HEAD_VERSION, h.tree_size, h.timestamp, h.root_hash)
        bad = head_key_problem(keys, h.key_id, h.timestamp, h.signature, message)
        if bad is not None:
            kind, why = bad
            problems.append(
                Problem(
                    kind=kind,
                    head_id=h.id,
                    detail=f"tree head {h.id} (size {h.tree_size}) {why}",
                )
            )
        if h.tree_size > size:
            problems.append(
                Problem(
                    kind="head_size",
                    head_id=h.id,
                    detail=f"tree head {h.id} signs {h.tree_size} events but the log holds "
                    f"{size}: events were deleted or the head altered",
                )
            )
        elif roots.get(h.tree_size) != _hex(h.root_hash):
            problems.append(
                Problem(
                    kind="head_root",
                    head_id=h.id,
                    detail=f"tree head {h.id}'s root does not match the first {h.tree_size} "
                    "events recomputed",
                )
            )
        if previous is not None and (
            h.tree_size < previous.tree_size or h.timestamp < previous.timestamp
        ):
            problems.append(
                Problem(
                    kind="head_order",
                    head_id=h.id,
                    detail=f"tree head {h.id} is smaller or older than head {previous.id}",
                )
            )
        previous = h
    return problems
