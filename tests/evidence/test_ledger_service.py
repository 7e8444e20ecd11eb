"""The ledger service on SQLite and PostgreSQL: appends, heads, proofs, witness checks."""

from __future__ import annotations

import stat
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from sqlalchemy import text

from rempart.clock import utcnow
from rempart.config import Settings
from rempart.errors import Invalid, NotFound
from rempart.evidence.ledger import merkle
from rempart.evidence.ledger.service import Ledger
from rempart.evidence.ledger.signing import KEY_FILE
from rempart.evidence.ledger.witness import FileWitness, check, publish
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


def fill(rempart: Bare, n: int) -> None:
    """Append ``n`` events of assorted kinds."""
    kinds = ["intake", "match", "decision", "evidence_view", "export"]
    for i in range(n):
        rempart.ledger.append_now(
            kinds[i % len(kinds)], actor=f"user:{i % 3}", subject=f"case:{i // 4}", data={"i": i}
        )


def test_append_gives_consecutive_seqs_and_filters(rempart: Bare) -> None:
    fill(rempart, 10)
    events = rempart.ledger.events(limit=1000)
    assert [e.seq for e in events] == list(range(10))
    custody = rempart.ledger.events(subject="case:1")
    assert [e.seq for e in custody] == [4, 5, 6, 7]
    assert [e.seq for e in rempart.ledger.events(kind="match")] == [1, 6]
    assert [e.seq for e in rempart.ledger.events(after_seq=7)] == [8, 9]
    assert rempart.ledger.event(3).data == {"i": 3}
    with pytest.raises(NotFound):
        rempart.ledger.event(10)


def test_append_in_a_rolled_back_transaction_leaves_no_event(rempart: Bare) -> None:
    fill(rempart, 2)
    with pytest.raises(RuntimeError), rempart.db.session() as s:
        rempart.ledger.append(s, "decision", actor="mod:1", subject="case:1", data={})
        raise RuntimeError("the caller's work failed")
    assert rempart.ledger.size() == 2
    assert rempart.ledger.append_now("decision", actor="mod:1", subject="case:1") == 2
    assert rempart.ledger.verify().ok


def test_bad_events_are_refused(rempart: Bare) -> None:
    with pytest.raises(Invalid):
        rempart.ledger.append_now("", actor="a", subject="b")
    with pytest.raises(Invalid):
        rempart.ledger.append_now("intake", actor="a", subject="b", data={"x": float("nan")})
    with pytest.raises(Invalid):
        rempart.ledger.append_now("intake", actor="a", subject="b", data={"x": object()})
    with pytest.raises(Invalid):
        rempart.ledger.append_now("intake", actor="a" * 256, subject="b")
    assert rempart.ledger.size() == 0


def test_concurrent_appends_are_gap_free(rempart: Bare) -> None:
    errors: list[BaseException] = []

    def worker(w: int) -> None:
        try:
            for i in range(15):
                rempart.ledger.append_now("login", actor=f"w{w}", subject="ledger", data={"i": i})
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert [e.seq for e in rempart.ledger.events(limit=1000)] == list(range(90))
    assert rempart.ledger.verify().ok


def test_signed_heads_and_proofs_verify(rempart: Bare) -> None:
    fill(rempart, 5)
    first = rempart.ledger.sign_head()
    fill(rempart, 8)
    second = rempart.ledger.sign_head()
    assert (first.tree_size, second.tree_size) == (5, 13)
    key_path = rempart.settings.home / KEY_FILE
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    load_pem_public_key(rempart.ledger.public_key_pem().encode())
    for seq in range(13):
        proof = rempart.ledger.inclusion_proof(seq)
        assert proof.root_hash == second.root_hash
        assert merkle.verify_inclusion(
            seq,
            13,
            bytes.fromhex(proof.leaf_hash),
            [bytes.fromhex(p) for p in proof.path],
            bytes.fromhex(second.root_hash),
        )
    old = rempart.ledger.inclusion_proof(2, tree_size=5)
    assert old.root_hash == first.root_hash
    cons = rempart.ledger.consistency_proof(5, 13)
    assert (cons.first_hash, cons.second_hash) == (first.root_hash, second.root_hash)
    assert merkle.verify_consistency(
        5,
        13,
        bytes.fromhex(first.root_hash),
        bytes.fromhex(second.root_hash),
        [bytes.fromhex(p) for p in cons.proof],
    )
    with pytest.raises(NotFound):
        rempart.ledger.inclusion_proof(13)
    with pytest.raises(Invalid):
        rempart.ledger.inclusion_proof(6, tree_size=5)
    with pytest.raises(Invalid):
        rempart.ledger.consistency_proof(9, 5)
    report = rempart.ledger.verify()
    assert report.ok, report.problems
    assert (report.events, report.heads, report.root_hash) == (13, 2, second.root_hash)


def test_file_witness_accepts_honest_growth(rempart: Bare, tmp_path: Path) -> None:
    witness = FileWitness(tmp_path / "witness" / "heads.jsonl")
    fill(rempart, 4)
    publish(witness, rempart.ledger)
    fill(rempart, 3)
    publish(witness, rempart.ledger)
    fill(rempart, 2)
    report = check(witness, rempart.ledger)
    assert report.ok, report.problems
    assert (report.witness_heads, report.ledger_size) == (2, 9)


def test_rewritten_log_passes_verify_but_fails_the_witness(rempart: Bare, tmp_path: Path) -> None:
    """The operator rewrites event 2, recomputes every leaf hash and re-signs every head."""
    from sqlalchemy import select

    from rempart.evidence.ledger.models import LedgerEvent, LedgerTreeHead, LedgerWitnessCheck
    from rempart.evidence.ledger.schemas import HEAD_VERSION
    from rempart.evidence.ledger.service import event_leaf
    from rempart.evidence.ledger.signing import head_message, load_signing_key

    witness = FileWitness(tmp_path / "heads.jsonl")
    fill(rempart, 6)
    publish(witness, rempart.ledger)
    fill(rempart, 4)
    assert check(witness, rempart.ledger).ok

    key = load_signing_key(rempart.settings)  # the operator holds the signing key
    with rempart.db.session() as s:
        event = s.scalars(select(LedgerEvent).where(LedgerEvent.seq == 2)).one()
        event.data = {"i": 2, "note": "quietly changed"}
        s.flush()
        rows = list(s.scalars(select(LedgerEvent).order_by(LedgerEvent.seq)))
        for row in rows:
            row.leaf_hash = event_leaf(row).hex()
        leaves = [bytes.fromhex(r.leaf_hash) for r in rows]
        for head in s.scalars(select(LedgerTreeHead)):
            head.root_hash = merkle.root(leaves[: head.tree_size]).hex()
            message = head_message(HEAD_VERSION, head.tree_size, head.timestamp, head.root_hash)
            head.signature = key.sign(message).hex()
    report = rempart.ledger.verify()
    assert report.ok, report.problems
    caught = check(witness, rempart.ledger)
    assert not caught.ok
    assert "rewritten" in caught.problems[0]
    with rempart.db.session() as s:
        outcomes = [
            c.ok for c in s.scalars(select(LedgerWitnessCheck).order_by(LedgerWitnessCheck.id))
        ]
    assert outcomes == [True, False]  # every check is recorded


def test_truncated_log_fails_the_witness(rempart: Bare, tmp_path: Path) -> None:
    witness = FileWitness(tmp_path / "heads.jsonl")
    fill(rempart, 6)
    publish(witness, rempart.ledger)
    with rempart.db.session() as s:
        s.execute(text("DELETE FROM ledger_event WHERE seq >= 4"))
    report = check(witness, rempart.ledger)
    assert not report.ok
    assert "truncated" in report.problems[0]


def test_periodic_signing_signs_only_when_the_log_grew(rempart: Bare) -> None:
    assert rempart.ledger.sign_if_grown() is not None  # the empty tree's first head
    assert rempart.ledger.sign_if_grown() is None
    fill(rempart, 2)
    head = rempart.ledger.sign_if_grown()
    assert head is not None and head.tree_size == 2
    assert rempart.ledger.sign_if_grown() is None
    assert [h.tree_size for h in rempart.ledger.heads()] == [2, 0]
    assert rempart.ledger.verify().ok


def test_proofs_from_cached_chunks(rempart: Bare, monkeypatch: pytest.MonkeyPatch) -> None:
    """Proofs over large logs use cached chunk roots; they agree with the plain computation."""
    import rempart.evidence.ledger.service as service

    monkeypatch.setattr(service, "CHUNK", 4)
    fill(rempart, 23)
    for round_ in range(2):
        size = rempart.ledger.size()
        with rempart.db.session() as s:
            leaves = rempart.ledger._leaves(s)
        for n in (1, 4, 5, 16, size):
            for seq in range(n):
                proof = rempart.ledger.inclusion_proof(seq, n)
                assert [bytes.fromhex(p) for p in proof.path] == merkle.inclusion_path(
                    seq, leaves[:n]
                )
                assert proof.root_hash == merkle.root(leaves[:n]).hex()
        for first in range(size + 1):
            cons = rempart.ledger.consistency_proof(first, size)
            assert merkle.verify_consistency(
                first,
                size,
                bytes.fromhex(cons.first_hash),
                merkle.root(leaves),
                [bytes.fromhex(p) for p in cons.proof],
            )
        fill(rempart, 9 + round_)  # the cache grows with the log
