"""The TDB outbox end to end, on SQLite and PostgreSQL, against the stand-in TDB over HTTP."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError

from rempart.compliance.tdb import service as service_module
from rempart.compliance.tdb.client import TdbClient, TdbUnauthorized
from rempart.compliance.tdb.models import FAILED, PENDING, REJECTED, SENT
from rempart.compliance.tdb.service import TdbSubmitter
from rempart.config import Settings
from rempart.errors import Conflict, Invalid, NotFound
from rempart.moderation.models import Decision
from rempart.store.db import Database
from tests.standins.tdb_server import TdbStandIn, doc_example, serve

TOKEN = "sandbox-token"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture(scope="module")
def server() -> Iterator[TdbStandIn]:
    with serve() as state:
        yield state


@pytest.fixture
def tdb(server: TdbStandIn) -> TdbStandIn:
    server.reset()
    return server


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    database.migrate()
    yield database
    database.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def submitter(db: Database, tdb: TdbStandIn, clock: Clock, sleeps: list[float]) -> TdbSubmitter:
    settings = Settings(tdb_url=tdb.base_url, tdb_token=TOKEN, puid_prefix="rmp")
    client = TdbClient(tdb.base_url, TOKEN, sleep=sleeps.append, max_attempts=2)
    return TdbSubmitter(db, settings, clock, client=client)


def make_decisions(db: Database, count: int, *, reverses: int | None = None) -> list[int]:
    """Decisions as the moderation package stores them (the FK target of submissions)."""
    with db.session() as s:
        rows = [
            Decision(
                uuid=str(uuid.uuid4()),
                application_date=date(2026, 3, 1),
                source_type="SOURCE_VOLUNTARY",
                automated_decision="AUTOMATED_DECISION_NOT_AUTOMATED",
                category="STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
                decided_by="reviewer-7",
                reverses_id=reverses,
            )
            for _ in range(count)
        ]
        s.add_all(rows)
        s.flush()
        return [r.id for r in rows]


def statement(**changes: Any) -> dict[str, Any]:
    """A valid statement as the lead's ``sor.py`` hands it over: no puid yet."""
    body = doc_example()
    del body["puid"]
    body.update(changes)
    return body


def test_250_statements_go_in_three_batches(
    submitter: TdbSubmitter, db: Database, tdb: TdbStandIn
) -> None:
    ids = make_decisions(db, 251)
    queued = [submitter.enqueue(i, statement()) for i in ids[:250]]
    bad = submitter.enqueue(ids[250], statement(category="NOPE", decision_facts=""))
    assert {q.status for q in queued} == {PENDING}
    assert bad.status == REJECTED
    assert set(bad.field_errors) == {"category", "decision_facts"}

    summary = submitter.submit_due()
    assert tdb.batch_sizes() == [100, 100, 50]
    assert (summary.claimed, summary.sent, summary.calls, summary.rejected) == (250, 250, 3, 0)
    stored = tdb.stored()
    assert len(stored) == 250 and bad.puid not in stored  # a rejected one is never sent
    sent = submitter.list(status=SENT, limit=1000)
    assert len(sent) == 250
    for row in sent:
        assert row.tdb_uuid == stored[row.puid]
        assert row.permalink and row.permalink.endswith(row.tdb_uuid)
        assert row.sent_at is not None and row.attempts == 1
    assert submitter.submit_due().claimed == 0  # nothing left to do
    assert submitter.counts() == {PENDING: 0, SENT: 250, REJECTED: 1, FAILED: 0}
    assert submitter.field_errors(ids[250]) == bad.field_errors
    assert submitter.field_errors(ids[0]) == {}


def test_a_tdb_rejection_is_surfaced_and_the_rest_resent(
    submitter: TdbSubmitter, db: Database, tdb: TdbStandIn
) -> None:
    """The TDB stops accepting a code we still send (a schema change): the statements that
    carry it are rejected with its field errors; the others of the batch are sent again."""
    tdb.retired.add("KEYWORD_PHISHING")
    ids = make_decisions(db, 5)
    for n, decision_id in enumerate(ids):
        extra = {"category_specification": ["KEYWORD_PHISHING"]} if n in (1, 3) else {}
        assert submitter.enqueue(decision_id, statement(**extra)).status == PENDING
    summary = submitter.submit_due()
    assert (summary.sent, summary.rejected, summary.calls) == (3, 2, 2)
    assert tdb.batch_sizes() == [5, 3]
    rejected = submitter.list(status=REJECTED)
    assert {r.decision_id for r in rejected} == {ids[1], ids[3]}
    assert submitter.field_errors(ids[1]) == {
        "category_specification": ["The selected category specification is invalid."]
    }
    assert rejected[0].last_error == "refused by the Transparency Database"


def test_a_corrected_statement_gets_a_new_puid(
    submitter: TdbSubmitter, db: Database, tdb: TdbStandIn
) -> None:
    (decision_id,) = make_decisions(db, 1)
    first = submitter.enqueue(decision_id, statement(content_language="english"))
    assert first.status == REJECTED
    fixed = submitter.enqueue(decision_id, statement())
    assert fixed.status == PENDING and fixed.puid != first.puid
    assert fixed.puid.startswith(f"rmp-{decision_id}-")
    assert submitter.get(first.puid).superseded_by == fixed.puid
    assert submitter.submit_due().sent == 1
    assert set(tdb.stored()) == {fixed.puid}
    with pytest.raises(Conflict, match="never reused"):
        submitter.enqueue(decision_id, statement(puid=first.puid))
    assert submitter.field_errors(decision_id) == {}


def test_new_puids_skip_used_ones(
    submitter: TdbSubmitter, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    (decision_id,) = make_decisions(db, 1)
    draws = iter(["aaaa", "aaaa", "bbbb"])
    monkeypatch.setattr(service_module.secrets, "token_hex", lambda n: next(draws))
    first = submitter.enqueue(decision_id, statement(decision_facts="one"))
    second = submitter.enqueue(decision_id, statement(decision_facts="two"))
    assert (first.puid, second.puid) == (f"rmp-{decision_id}-aaaa", f"rmp-{decision_id}-bbbb")


def test_the_database_refuses_a_reused_puid(submitter: TdbSubmitter, db: Database) -> None:
    from rempart.compliance.tdb.models import TdbSubmission

    (decision_id,) = make_decisions(db, 1)
    row = submitter.enqueue(decision_id, statement())
    with pytest.raises(IntegrityError), db.session() as s:
        s.add(TdbSubmission(decision_id=decision_id, puid=row.puid, body={}, field_errors={}))


def test_a_reversal_supersedes_the_reversed_statement(
    submitter: TdbSubmitter, db: Database, tdb: TdbStandIn
) -> None:
    (original,) = make_decisions(db, 1)
    first = submitter.enqueue(original, statement())
    submitter.submit_due()
    (reversal,) = make_decisions(db, 1, reverses=original)
    second = submitter.enqueue(reversal, statement(decision_facts="Reversed on appeal."))
    assert submitter.get(first.puid).superseded_by == second.puid
    assert submitter.get(first.puid).status == SENT
    assert submitter.submit_due().sent == 1
    assert set(tdb.stored()) == {first.puid, second.puid}


def test_enqueuing_twice_is_idempotent(submitter: TdbSubmitter, db: Database) -> None:
    (decision_id,) = make_decisions(db, 1)
    one = submitter.enqueue(decision_id, statement())
    two = submitter.enqueue(decision_id, statement())
    assert one.puid == two.puid and len(submitter.list(decision_id=decision_id)) == 1


def test_statements_are_scrubbed_before_they_are_stored(
    submitter: TdbSubmitter, db: Database
) -> None:
    ids = make_decisions(db, 2)
    body = statement(
        decision_facts="Reported by jane@example.com from 203.0.113.9",
        source_identity="Jane Doe",
        illegal_content_legal_ground="dropped: the ground is incompatible content",
    )
    row = submitter.enqueue(ids[0], body)
    assert row.body["decision_facts"] == "Reported by [email] from [ip]"
    assert "source_identity" not in row.body  # a natural person's name never leaves
    assert "illegal_content_legal_ground" not in row.body  # the TDB would drop it
    org = submitter.enqueue(
        ids[1], statement(source_identity="Acme Rights Ltd"), source_is_person=False
    )
    assert org.body["source_identity"] == "Acme Rights Ltd"


def test_enqueue_inside_the_decisions_transaction(submitter: TdbSubmitter, db: Database) -> None:
    (decision_id,) = make_decisions(db, 1)
    with pytest.raises(RuntimeError), db.session() as s:
        submitter.enqueue(decision_id, statement(), session=s)
        raise RuntimeError("the decision failed")
    assert submitter.list() == []  # rolled back with the decision
    with db.session() as s:
        row = submitter.enqueue(decision_id, statement(), session=s)
    assert submitter.get(row.puid).status == PENDING


def test_enqueue_checks_its_input(submitter: TdbSubmitter, db: Database) -> None:
    with pytest.raises(NotFound):
        submitter.enqueue(999_999, statement())
    (decision_id,) = make_decisions(db, 1)
    with pytest.raises(Invalid):
        submitter.enqueue(decision_id, statement(puid="bad puid"))
    with pytest.raises(Invalid):
        submitter.list(status="lost")
    with pytest.raises(NotFound):
        submitter.get("nope")


def test_an_unreachable_tdb_backs_off_then_fails(
    db: Database, tdb: TdbStandIn, clock: Clock, sleeps: list[float]
) -> None:
    settings = Settings(tdb_url=tdb.base_url, tdb_token=TOKEN)
    client = TdbClient(tdb.base_url, TOKEN, sleep=sleeps.append, max_attempts=2)
    submitter = TdbSubmitter(db, settings, clock, client=client, max_attempts=3)
    (decision_id,) = make_decisions(db, 1)
    row = submitter.enqueue(decision_id, statement())
    tdb.fail_next(500, times=100)

    first = submitter.submit_due()
    assert (first.deferred, first.sent) == (1, 0)
    after = submitter.get(row.puid)
    assert after.status == PENDING and after.attempts == 1
    assert after.next_attempt_at == clock.now + timedelta(seconds=60)
    assert "500" in (after.last_error or "")
    assert submitter.submit_due().claimed == 0  # not due yet
    clock.advance(60)
    assert submitter.submit_due().deferred == 1
    assert submitter.get(row.puid).next_attempt_at == clock.now + timedelta(seconds=120)
    clock.advance(120)
    assert submitter.submit_due().failed == 1
    assert submitter.get(row.puid).status == FAILED
    clock.advance(10_000)
    assert submitter.submit_due().claimed == 0  # failed rows wait for a person

    tdb.reset()
    assert submitter.retry_failed() == 1
    assert submitter.submit_due().sent == 1
    assert set(tdb.stored()) == {row.puid}


def test_retry_after_is_honoured_by_the_queue(
    submitter: TdbSubmitter, db: Database, tdb: TdbStandIn, clock: Clock
) -> None:
    (decision_id,) = make_decisions(db, 1)
    row = submitter.enqueue(decision_id, statement())
    tdb.fail_next(429, retry_after=3600)
    summary = submitter.submit_due()
    assert summary.deferred == 1
    assert submitter.get(row.puid).next_attempt_at == clock.now + timedelta(seconds=3600)


def test_a_lost_answer_counts_as_sent_once(
    db: Database, tdb: TdbStandIn, clock: Clock, sleeps: list[float]
) -> None:
    """The TDB stored the batch but its answer was lost: the retry finds the puids there, and
    the records (uuid, permalink) are read back; nothing is stored twice."""
    import httpx

    settings = Settings(tdb_url=tdb.base_url, tdb_token=TOKEN)
    client = TdbClient(tdb.base_url, TOKEN, sleep=sleeps.append, http=httpx.Client(timeout=0.3))
    submitter = TdbSubmitter(db, settings, clock, client=client)
    ids = make_decisions(db, 3)
    for decision_id in ids:
        submitter.enqueue(decision_id, statement())
    tdb.fail_next(504, delay_s=1.0, store=True)
    summary = submitter.submit_due()
    assert (summary.already_present, summary.sent) == (3, 0)
    stored = tdb.stored()
    assert len(stored) == 3
    for row in submitter.list():
        assert row.status == SENT and row.tdb_uuid == stored[row.puid]
        assert row.permalink and row.permalink.endswith(row.tdb_uuid)


def test_a_lost_answer_counts_as_sent_with_the_current_puid_answer(
    db: Database, tdb: TdbStandIn, clock: Clock, sleeps: list[float]
) -> None:
    """Today's TDB answers existing-puid with only ``{"message", "puid"}``
    (StatementAPIController::existingPuid), not the stored statement: still sent, once."""
    import httpx

    tdb.existing_answer = "current"
    settings = Settings(tdb_url=tdb.base_url, tdb_token=TOKEN)
    client = TdbClient(tdb.base_url, TOKEN, sleep=sleeps.append, http=httpx.Client(timeout=0.3))
    submitter = TdbSubmitter(db, settings, clock, client=client)
    ids = make_decisions(db, 2)
    for decision_id in ids:
        submitter.enqueue(decision_id, statement())
    tdb.fail_next(504, delay_s=1.0, store=True)
    summary = submitter.submit_due()
    assert (summary.already_present, summary.sent) == (2, 0)
    assert len(tdb.stored()) == 2
    for row in submitter.list():
        assert row.status == SENT and row.tdb_uuid is None and row.permalink is None
    assert submitter.submit_due().claimed == 0  # nothing is sent twice


def test_scrubbing_never_pushes_a_text_past_its_limit(
    submitter: TdbSubmitter, db: Database
) -> None:
    """A 5000-character text full of addresses is scrubbed ("[email]" is longer than "a@b.io")
    and shortened back to 5000 characters; a text that was too long already is refused."""
    [fits, too_long] = make_decisions(db, 2)
    facts = ("Seen at a@b.io. " * 400)[:5000]
    row = submitter.enqueue(fits, statement(decision_facts=facts))
    assert row.status == PENDING, row.field_errors
    sent = submitter.get(row.puid).body["decision_facts"]
    assert len(sent) == 5000 and sent.endswith("\u2026") and "a@b.io" not in sent
    refused = submitter.enqueue(too_long, statement(decision_facts="x" * 5001))
    assert refused.status == REJECTED and set(refused.field_errors) == {"decision_facts"}


def test_a_bad_token_stops_the_run_and_keeps_the_queue(
    db: Database, tdb: TdbStandIn, clock: Clock
) -> None:
    settings = Settings(tdb_url=tdb.base_url, tdb_token="revoked")
    submitter = TdbSubmitter(db, settings, clock)  # the client is built from the settings
    (decision_id,) = make_decisions(db, 1)
    row = submitter.enqueue(decision_id, statement())
    with pytest.raises(TdbUnauthorized):
        submitter.submit_due()
    after = submitter.get(row.puid)
    assert after.status == PENDING and after.attempts == 0
    assert after.next_attempt_at == clock.now  # released: due again at once
    assert "401" in (after.last_error or "")


def test_not_configured(db: Database, clock: Clock) -> None:
    submitter = TdbSubmitter(db, Settings(), clock)
    assert not submitter.configured
    with pytest.raises(Conflict, match="REMPART_TDB_URL") as caught:
        submitter.submit_due()
    assert caught.value.code == "tdb_not_configured"


def test_a_bad_prefix_is_refused(db: Database, clock: Clock) -> None:
    submitter = TdbSubmitter(db, Settings(puid_prefix="my platform"), clock)
    (decision_id,) = make_decisions(db, 1)
    with pytest.raises(Invalid, match="PUID_PREFIX"):
        submitter.enqueue(decision_id, statement())


def test_listing(submitter: TdbSubmitter, db: Database) -> None:
    ids = make_decisions(db, 3)
    for decision_id in ids:
        submitter.enqueue(decision_id, statement())
    newest_first = submitter.list()
    assert [r.decision_id for r in newest_first] == ids[::-1]
    assert [r.decision_id for r in submitter.list(decision_id=ids[1])] == [ids[1]]
    assert len(submitter.list(limit=2)) == 2 and len(submitter.list(offset=2)) == 1
    assert all(r.created_at.tzinfo is not None for r in newest_first)


def test_concurrent_runs_never_send_a_statement_twice(
    db: Database, tdb: TdbStandIn, clock: Clock
) -> None:
    """Two workers at once: each claims its own rows, every statement is stored exactly once."""
    import threading

    settings = Settings(tdb_url=tdb.base_url, tdb_token=TOKEN)
    ids = make_decisions(db, 150)
    first = TdbSubmitter(db, settings, clock)
    for decision_id in ids:
        first.enqueue(decision_id, statement())
    tdb.latency_s = 0.2
    summaries = []

    def work() -> None:
        summaries.append(TdbSubmitter(db, settings, clock).submit_due(limit=100))

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(s.claimed for s in summaries) == [50, 100]
    assert sum(s.sent for s in summaries) == 150
    assert sum(s.already_present for s in summaries) == 0
    assert len(tdb.stored()) == 150
    assert first.counts()[SENT] == 150


def test_values_must_be_json(submitter: TdbSubmitter, db: Database) -> None:
    (decision_id,) = make_decisions(db, 1)
    with pytest.raises(Invalid, match="YYYY-MM-DD"):
        submitter.enqueue(decision_id, statement(application_date=date(2026, 3, 1)))
