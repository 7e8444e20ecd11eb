"""The TDB client against the stand-in TDB over real HTTP: success, refusals, duplicates,
tokens, and retries with backoff (the sleeps are recorded, never waited)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rempart.compliance.tdb.client import (
    TdbClient,
    TdbError,
    TdbUnauthorized,
    TdbUnavailable,
    parse_duplicates,
    parse_statement_errors,
    retry_after_s,
)
from rempart.compliance.tdb.rules import validate_statement
from tests.compliance.test_tdb_rules import statements
from tests.standins.tdb_server import TdbStandIn, doc_example, serve

TOKEN = "sandbox-token"


@pytest.fixture(scope="module")
def server() -> Iterator[TdbStandIn]:
    with serve() as state:
        yield state


@pytest.fixture
def tdb(server: TdbStandIn) -> TdbStandIn:
    server.reset()
    return server


class Sleeps(list[float]):
    """A fake ``time.sleep`` that records the delays."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def client(tdb: TdbStandIn, sleeps: Sleeps) -> Iterator[TdbClient]:
    c = TdbClient(tdb.base_url, TOKEN, sleep=sleeps, jitter=lambda: 1.0, max_attempts=4)
    yield c
    c.close()


def statement(puid: str, **changes: Any) -> dict[str, Any]:
    body = doc_example()
    body["puid"] = puid
    body.update(changes)
    return body


def test_a_batch_is_created(client: TdbClient, tdb: TdbStandIn) -> None:
    result = client.submit([statement("a-1"), statement("a-2")])
    assert result.ok and result.status_code == 201
    assert [c["puid"] for c in result.created] == ["a-1", "a-2"]
    for record in result.created:
        assert {"uuid", "created_at", "platform_name", "permalink", "self", "puid"} <= set(record)
        assert record["permalink"].endswith(record["uuid"])
        datetime.strptime(record["created_at"], "%Y-%m-%d %H:%M:%S")
    assert set(tdb.stored()) == {"a-1", "a-2"}
    call = tdb.calls[-1]
    assert call.path == "/api/v1/statements" and call.size == 2
    assert call.headers["authorization"] == f"Bearer {TOKEN}"
    assert call.headers["accept"] == "application/json"
    assert call.headers["content-type"] == "application/json"


def test_invalid_statements_reject_the_whole_batch(client: TdbClient, tdb: TdbStandIn) -> None:
    batch = [
        statement("b-0"),
        statement("b-1", decision_facts="  ", content_language="en"),
        statement("b-2"),
        statement("b-3", category="STATEMENT_CATEGORY_PORNOGRAPHY_OR_SEXUALIZED_CONTENT"),
    ]
    result = client.submit(batch)
    assert not result.ok and result.status_code == 422
    assert set(result.rejected) == {1, 3}
    assert result.rejected[1] == {
        "content_language": ["The selected content language is invalid."],
        "decision_facts": ["The decision facts field is required."],
    }
    assert result.rejected[3] == {"category": ["The selected category is invalid."]}
    assert tdb.stored() == {}  # all or nothing
    assert client.submit([batch[0], batch[2]]).ok


def test_a_known_puid_is_reported_with_its_record(client: TdbClient, tdb: TdbStandIn) -> None:
    first = client.submit([statement("c-1")]).created[0]
    again = client.submit([statement("c-2"), statement("c-1")])
    assert again.status_code == 422 and not again.rejected
    assert set(again.duplicates) == {"c-1"}
    assert "c-2" not in tdb.stored()  # nothing of that call was stored
    assert client.existing("c-1") is not None
    assert client.existing("c-1")["uuid"] == first["uuid"]  # type: ignore[index]
    assert client.exists("c-1") and not client.exists("c-2")


def test_puids_are_per_platform(tdb: TdbStandIn, sleeps: Sleeps) -> None:
    tdb.tokens["other-token"] = "Other platform"
    mine = TdbClient(tdb.base_url, TOKEN, sleep=sleeps)
    theirs = TdbClient(tdb.base_url, "other-token", sleep=sleeps)
    assert mine.submit([statement("shared")]).ok
    assert theirs.submit([statement("shared")]).ok
    assert not theirs.exists("nobody") and theirs.exists("shared")


def test_a_bad_token_is_not_retried(tdb: TdbStandIn, sleeps: Sleeps) -> None:
    bad = TdbClient(tdb.base_url, "revoked", sleep=sleeps)
    with pytest.raises(TdbUnauthorized, match="REMPART_TDB_TOKEN"):
        bad.submit([statement("d-1")])
    with pytest.raises(TdbUnauthorized):
        bad.ping()
    assert sleeps == []
    assert [c.status for c in tdb.calls] == [401, 401]


def test_ping(client: TdbClient) -> None:
    assert client.ping() == {"you_say": "ping", "i_say": "pong"}


def test_rate_limit_waits_as_told(client: TdbClient, tdb: TdbStandIn, sleeps: Sleeps) -> None:
    tdb.fail_next(429, retry_after=7)
    assert client.submit([statement("e-1")]).ok
    assert sleeps == [7.0]
    assert [c.status for c in tdb.calls] == [429, 201]


def test_server_errors_back_off_exponentially(
    client: TdbClient, tdb: TdbStandIn, sleeps: Sleeps
) -> None:
    tdb.fail_next(500, times=3)
    assert client.submit([statement("f-1")]).ok
    assert sleeps == [1.0, 2.0, 4.0]
    assert [c.status for c in tdb.calls] == [500, 500, 500, 201]


def test_jitter_spreads_the_delays(tdb: TdbStandIn, sleeps: Sleeps) -> None:
    client = TdbClient(tdb.base_url, TOKEN, sleep=sleeps, jitter=lambda: 0.0, backoff_s=2.0)
    tdb.fail_next(503, times=2)
    assert client.submit([statement("g-1")]).ok
    assert sleeps == [1.0, 2.0]  # half of 2 s, half of 4 s: the random half is 0 here
    assert [client.backoff(n) for n in (1, 2, 3)] == [1.0, 2.0, 4.0]
    capped = TdbClient(tdb.base_url, TOKEN, jitter=lambda: 1.0, max_backoff_s=5.0)
    assert capped.backoff(10) == 5.0


def test_giving_up_after_the_last_attempt(
    client: TdbClient, tdb: TdbStandIn, sleeps: Sleeps
) -> None:
    tdb.fail_next(502, times=10)
    with pytest.raises(TdbUnavailable, match="after 4 attempts") as caught:
        client.submit([statement("h-1")])
    assert caught.value.status == 503
    assert len(sleeps) == 3 and len(tdb.calls) == 4
    assert tdb.stored() == {}


def test_a_long_retry_after_is_left_to_the_queue(
    client: TdbClient, tdb: TdbStandIn, sleeps: Sleeps
) -> None:
    tdb.fail_next(429, retry_after=3600)
    with pytest.raises(TdbUnavailable) as caught:
        client.submit([statement("i-1")])
    assert caught.value.retry_after_s == 3600.0
    assert sleeps == [] and len(tdb.calls) == 1


def test_retry_after_as_a_date() -> None:
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    later = format_datetime(now + timedelta(seconds=30), usegmt=True)
    assert retry_after_s(later, now) == 30.0
    assert retry_after_s("12", now) == 12.0
    assert retry_after_s("soon", now) is None
    assert retry_after_s(None, now) is None
    assert retry_after_s(format_datetime(now - timedelta(hours=1), usegmt=True), now) == 0.0


def test_network_errors_are_retried(sleeps: Sleeps) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = TdbClient(f"http://127.0.0.1:{port}", TOKEN, sleep=sleeps, max_attempts=3)
    with pytest.raises(TdbUnavailable, match="could not reach the TDB"):
        client.submit([statement("j-1")])
    assert len(sleeps) == 2


def test_a_lost_answer_is_found_again(tdb: TdbStandIn, sleeps: Sleeps) -> None:
    """The TDB stored the batch but the answer timed out: the retry sees the puids as known."""
    client = TdbClient(
        tdb.base_url, TOKEN, sleep=sleeps, http=httpx.Client(timeout=0.3), jitter=lambda: 1.0
    )
    tdb.fail_next(504, delay_s=1.0, store=True)
    result = client.submit([statement("k-1"), statement("k-2")])
    assert result.status_code == 422
    assert set(result.duplicates) == {"k-1", "k-2"}
    assert set(tdb.stored()) == {"k-1", "k-2"}
    assert sleeps == [1.0]


def test_batch_size_and_puids_are_checked_before_sending(
    client: TdbClient, tdb: TdbStandIn
) -> None:
    with pytest.raises(ValueError, match="1 to 100"):
        client.submit([])
    with pytest.raises(ValueError, match="1 to 100"):
        client.submit([statement(f"l-{i}") for i in range(101)])
    with pytest.raises(ValueError, match="own puid"):
        client.submit([statement("l-1"), statement("l-1")])
    assert tdb.calls == []
    assert client.submit([statement(f"m-{i}") for i in range(100)]).ok


def test_the_stand_in_refuses_what_the_tdb_refuses(client: TdbClient, tdb: TdbStandIn) -> None:
    """Batch-level rules of the real API, as the client never sends them."""
    raw = httpx.Client(base_url=tdb.base_url, headers=client.headers)
    too_many = raw.post("/api/v1/statements", json={"statements": [{}] * 101})
    assert too_many.status_code == 422
    assert too_many.json()["errors"] == {
        "statements": ["The statements field must have between 1 and 100 items."]
    }
    assert raw.post("/api/v1/statements", json={}).json()["errors"]["statements"] == [
        "The statements field is required."
    ]
    same = raw.post("/api/v1/statements", json={"statements": [statement("n"), statement("n")]})
    assert same.json()["errors"]["existing_puids"] == ["n"]
    no_json = httpx.post(
        tdb.base_url + "/api/v1/statements", headers={"Authorization": "Bearer nope"}
    )
    assert no_json.status_code == 302  # Laravel sends browsers to the login page


def test_odd_answers_are_errors(tdb: TdbStandIn, client: TdbClient) -> None:
    tdb.fail_next(418)
    with pytest.raises(TdbError, match="418"):
        client.submit([statement("o-1")])


def test_parsing_error_shapes() -> None:
    nested = {"statement_0": {"decision_facts": ["required"]}, "statement_2": {"puid": ["bad"]}}
    assert parse_statement_errors(nested, 3) == {
        0: {"decision_facts": ["required"]},
        2: {"puid": ["bad"]},
    }
    flat = {"statement_1.decision_facts": ["required"], "statements.1.category": "invalid"}
    assert parse_statement_errors(flat, 2) == {
        1: {"decision_facts": ["required"], "category": ["invalid"]}
    }
    assert parse_statement_errors({"statement_4": ["broken"], "statement_9": ["x"]}, 5) == {
        4: {"statement": ["broken"]}
    }
    assert parse_statement_errors({"puid": ["x"]}, 1) == {}
    single = {"message": "m", "errors": {"puid": ["m"]}, "existing": {"puid": "p1", "uuid": "u"}}
    assert parse_duplicates(single) == {"p1": {"puid": "p1", "uuid": "u"}}
    multi = {"errors": {"puid": ["m"], "existing_puids": ["p2", 3]}}
    assert parse_duplicates(multi) == {"p2": {"puid": "p2"}}


def test_a_client_needs_url_and_token() -> None:
    with pytest.raises(ValueError):
        TdbClient("", "t")
    with pytest.raises(ValueError):
        TdbClient("https://tdb.example", "")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(statements(), min_size=1, max_size=5, unique_by=lambda s: s["puid"]))
def test_generated_statements_are_stored_over_http(
    server: TdbStandIn, batch: list[dict[str, Any]]
) -> None:
    """Statements our rules accept are stored by the stand-in TDB, sent as JSON over HTTP."""
    server.reset()
    assert all(validate_statement(s) == {} for s in batch)
    client = TdbClient(server.base_url, TOKEN, sleep=lambda s: None)
    result = client.submit(batch)
    assert result.ok, (result.rejected, result.duplicates)
    assert set(server.stored()) == {s["puid"] for s in batch}


def test_the_single_endpoint_answers_as_the_tdb_does(tdb: TdbStandIn) -> None:
    """POST /api/v1/statement (StatementAPIController::store): 201 with the record; a
    FormRequest 422 naming the first error and how many more; a known puid's 422 with
    ``existing``, which our duplicate parser reads."""
    headers = {
        "Authorization": f"Bearer {TOKEN}",
        "Accept": "application/json",
        "Content-Type": "application/json",
    }
    url = f"{tdb.base_url}/api/v1/statement"
    created = httpx.post(url, json=doc_example(), headers=headers)
    assert created.status_code == 201
    assert created.json()["puid"] == "TK421" and created.json()["uuid"]
    bad = httpx.post(
        url, json={**doc_example(), "puid": "x y", "category": "NOPE"}, headers=headers
    )
    assert bad.status_code == 422
    assert bad.json()["message"] == "The selected category is invalid. (and 1 more error)"
    assert set(bad.json()["errors"]) == {"category", "puid"}
    again = httpx.post(url, json=doc_example(), headers=headers)
    assert again.status_code == 422
    assert again.json()["errors"] == {
        "puid": ["The identifier given is not unique within this platform."]
    }
    assert parse_duplicates(again.json()) == {"TK421": {"puid": "TK421"}}
    assert list(tdb.stored()) == ["TK421"]
