"""The ledger through its adapters: HTTP witness, ``rempart ledger`` and ``/v1/ledger``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from typer.testing import CliRunner

from rempart.cli.main import app
from rempart.config import get_settings
from rempart.context import Rempart
from rempart.evidence.ledger import merkle
from rempart.evidence.ledger.models import LedgerEvent, LedgerTreeHead
from rempart.evidence.ledger.schemas import HEAD_VERSION
from rempart.evidence.ledger.service import event_leaf
from rempart.evidence.ledger.signing import head_message, load_public_pem, load_signing_key
from rempart.evidence.ledger.witness import HttpWitness, WitnessError, check, publish
from tests.evidence.witness_server import witness_server

runner = CliRunner()


def fill(rempart: Rempart, n: int) -> None:
    for i in range(n):
        rempart.ledger.append_now("decision", actor="mod:1", subject=f"case:{i}", data={"i": i})


def rewrite_history(rempart: Rempart) -> None:
    """The operator changes event 1 and recomputes and re-signs everything."""
    key = load_signing_key(rempart.settings)
    with rempart.db.session() as s:
        row = s.scalars(select(LedgerEvent).where(LedgerEvent.seq == 1)).one()
        row.actor = "mod:2"
        s.flush()
        rows = list(s.scalars(select(LedgerEvent).order_by(LedgerEvent.seq)))
        for r in rows:
            r.leaf_hash = event_leaf(r).hex()
        leaves = [bytes.fromhex(r.leaf_hash) for r in rows]
        for h in s.scalars(select(LedgerTreeHead)):
            h.root_hash = merkle.root(leaves[: h.tree_size]).hex()
            h.signature = key.sign(
                head_message(HEAD_VERSION, h.tree_size, h.timestamp, h.root_hash)
            ).hex()


def test_http_witness_catches_a_rewritten_log(rempart: Rempart) -> None:
    with witness_server(rempart.ledger.public_key_pem()) as (url, state):
        witness = HttpWitness(url)
        assert check(witness, rempart.ledger).witness_heads == 0
        base = rempart.ledger.size()  # start-up events (policy loaded, ...)
        fill(rempart, 5)
        publish(witness, rempart.ledger)
        fill(rempart, 3)
        publish(witness, rempart.ledger)
        assert state.latest is not None and state.latest.tree_size == base + 8
        fill(rempart, 2)
        assert check(witness, rempart.ledger).ok
        rewrite_history(rempart)
        assert rempart.ledger.verify().ok  # the operator's own view is self-consistent
        report = check(witness, rempart.ledger)
        assert not report.ok
        assert "rewritten" in report.problems[0]
        # the witness also refuses to be moved back to a rewritten, shorter head
        with rempart.db.session() as s:
            s.execute(text("DELETE FROM ledger_event WHERE seq >= :n"), {"n": base + 6})
            s.execute(text("UPDATE ledger_counter SET next_seq = :n"), {"n": base + 6})
        with pytest.raises(WitnessError, match="409"):
            publish(witness, rempart.ledger)


def test_http_witness_refuses_a_head_it_cannot_verify(rempart: Rempart, tmp_path: Path) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from rempart.evidence.ledger.signing import public_pem

    other = public_pem(Ed25519PrivateKey.generate().public_key())
    with witness_server(other) as (url, _), pytest.raises(WitnessError, match="403"):
        publish(HttpWitness(url), rempart.ledger)
    with pytest.raises(WitnessError, match="cannot reach"):
        HttpWitness(url, timeout_s=2).heads()


@pytest.fixture
def home(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("REMPART_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("REMPART_DATABASE_URL", db_url)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def run(*args: str) -> tuple[int, str, str]:
    r = runner.invoke(app, list(args))
    return r.exit_code, r.stdout, r.stderr


def test_cli_verify_head_prove_and_witness(home: Path) -> None:
    ctx = Rempart.open(load_index=False)
    try:
        base = ctx.ledger.size()  # start-up events
        fill(ctx, 6)
    finally:
        ctx.close()
    code, out, _ = run("ledger", "head")
    assert code == 0
    head = json.loads(out)
    n = head["tree_size"]
    assert n >= base + 6
    code, out, _ = run("ledger", "prove", str(base + 3), "--tree-size", str(n))
    assert code == 0
    proof = json.loads(out)
    assert proof["root_hash"] == head["root_hash"]
    assert merkle.verify_inclusion(
        base + 3,
        n,
        bytes.fromhex(proof["leaf_hash"]),
        [bytes.fromhex(p) for p in proof["path"]],
        bytes.fromhex(head["root_hash"]),
    )
    code, out, _ = run("ledger", "public-key")
    assert code == 0
    load_public_pem(out)
    witness = str(home / "witness.jsonl")
    assert run("ledger", "witness", "publish", "--file", witness)[0] == 0
    code, out, _ = run("ledger", "witness", "check", "--file", witness)
    assert code == 0 and "consistent with 1 witness head" in out
    code, out, _ = run("ledger", "verify")
    assert code == 0 and "ledger intact:" in out and "2 signed heads" in out

    ctx = Rempart.open(load_index=False)
    try:
        with ctx.db.session() as s:
            s.execute(
                text("UPDATE ledger_event SET kind = 'export' WHERE seq = :s"), {"s": base + 2}
            )
    finally:
        ctx.close()
    code, _, errors = run("ledger", "verify")
    assert code == 1
    assert f"modified at seq {base + 2}" in errors
    assert "NOT intact" in errors
    code, _, errors = run("ledger", "prove", "9999")
    assert code == 1 and "no event 9999" in errors
    code, _, errors = run("ledger", "witness", "check")
    assert code == 1 and "exactly one of --file" in errors


def test_api_routes(rempart: Rempart, app_client: TestClient, keys: dict[str, str]) -> None:
    auditor = {"X-API-Key": keys["auditor"]}
    assert app_client.get("/v1/ledger/head", headers=auditor).status_code == 404
    base = rempart.ledger.size()  # start-up and key-creation events
    fill(rempart, 7)
    r = app_client.post("/v1/ledger/head", headers={"X-API-Key": keys["admin"]})
    assert r.status_code == 201
    head = r.json()
    n = head["tree_size"]
    assert n >= base + 7
    latest = app_client.get("/v1/ledger/head", headers={"X-API-Key": keys["legal"]}).json()
    assert latest == head
    events = app_client.get("/v1/ledger/events?subject=case:3", headers=auditor).json()
    assert [e["seq"] for e in events] == [base + 3]
    page = app_client.get(f"/v1/ledger/events?after_seq={base + 4}&limit=1", headers=auditor).json()
    assert [e["seq"] for e in page] == [base + 5]
    proof = app_client.get(
        f"/v1/ledger/proofs/inclusion/{base + 3}?tree_size={n}", headers=auditor
    ).json()
    assert proof["root_hash"] == head["root_hash"]
    cons = app_client.get(
        f"/v1/ledger/proofs/consistency?first=2&second={n}", headers=auditor
    ).json()
    assert cons["second_hash"] == head["root_hash"]
    assert merkle.verify_consistency(
        2,
        n,
        bytes.fromhex(cons["first_hash"]),
        bytes.fromhex(cons["second_hash"]),
        [bytes.fromhex(p) for p in cons["proof"]],
    )
    key = app_client.get("/v1/ledger/public-key").json()  # no API key needed
    public = load_public_pem(key["public_key_pem"])
    message = head_message(
        HEAD_VERSION, head["tree_size"], rempart.ledger.latest_head().timestamp, head["root_hash"]
    )
    public.verify(bytes.fromhex(head["signature"]), message)
    missing = app_client.get("/v1/ledger/proofs/inclusion/99999", headers=auditor)
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    bad = app_client.get("/v1/ledger/proofs/consistency?first=5&second=2", headers=auditor)
    assert bad.status_code == 422
    assert (
        app_client.get("/v1/ledger/events", headers={"X-API-Key": keys["moderator"]}).status_code
        == 403
    )
