"""Text banks: a banked phrase matches its paraphrases and translations within the bank's
threshold and nothing unrelated; bank and entry switches and removals apply at once; the
``/v1/text/scan`` route, its roles and its input checks; banking text through the HMA API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from rempart.access.roles import ALL_ROLES
from rempart.banks.lookup import Query
from rempart.banks.schemas import BankCreate, BankSettings, ContentIn, ContentUpdate
from rempart.cli.common import services
from rempart.cli.main import app
from rempart.config import get_settings
from rempart.context import Rempart
from rempart.signals.types import SIGNAL_TYPES, TEXT

PHRASE = "The Holocaust never happened, it is a hoax invented for money"
PARAPHRASE = "the holocaust is a hoax, it never happened, they made it all up for cash"
TRANSLATION = "L'Holocauste n'a jamais eu lieu, c'est un canular inventé pour l'argent"
UNRELATED = [
    "the weather is lovely today, let's go for a walk by the river",
    "the museum at Auschwitz documents the murder of over a million people",
    "can you recommend a good pizza place near the station?",
]


def norm(text: str) -> str:
    return SIGNAL_TYPES[TEXT].normalize(text)


def find(rempart: Rempart, text: str, banks: list[str] | None = None) -> list[tuple[str, int]]:
    r = rempart.lookup.lookup(TEXT, [Query(norm(text))], bank_names=banks)
    return [(m.bank, m.distance) for m in r.matches]


def test_text_signal_is_normalized() -> None:
    assert norm("  Ｈｏｌｏｃａｕｓｔ\n\tHOAX  ") == "holocaust hoax"
    for bad in ("", "   ", "x" * 5000):
        try:
            norm(bad)
        except ValueError as exc:
            assert "empty" in str(exc) or "at most" in str(exc)
        else:
            raise AssertionError(bad)


def test_paraphrase_and_translation_match_unrelated_does_not(rempart: Rempart) -> None:
    rempart.banks.create_bank(BankCreate(name="DENIAL_PHRASES"))
    item = rempart.banks.add_content("DENIAL_PHRASES", ContentIn(signals={TEXT: PHRASE}))
    assert item.signals[TEXT] == norm(PHRASE)
    assert item.content_type == "text"  # taken from the signals when not given
    assert find(rempart, PHRASE) == [("DENIAL_PHRASES", 0)]
    threshold = SIGNAL_TYPES[TEXT].default_threshold
    for text in (PARAPHRASE, TRANSLATION):
        hits = find(rempart, text)
        assert hits and hits[0][0] == "DENIAL_PHRASES" and hits[0][1] <= threshold, (text, hits)
    for text in UNRELATED:
        assert find(rempart, text) == [], text
    # a tighter bank threshold keeps only near-copies
    rempart.banks.update_bank("DENIAL_PHRASES", BankSettings(thresholds={TEXT: 10}))
    assert find(rempart, PARAPHRASE) == [] and find(rempart, PHRASE.upper()) != []


def test_switches_and_removal_apply_at_once(rempart: Rempart) -> None:
    rempart.banks.create_bank(BankCreate(name="THREATS"))
    rempart.banks.create_bank(BankCreate(name="OTHER"))
    item = rempart.banks.add_content(
        "THREATS", ContentIn(signals={TEXT: "I know where you live and I will kill you"})
    )
    query = "je sais où tu habites et je vais te tuer"
    assert [b for b, _ in find(rempart, query)] == ["THREATS"]
    assert find(rempart, query, banks=["OTHER"]) == []
    rempart.banks.update_bank("THREATS", BankSettings(enabled=False))
    assert find(rempart, query) == []
    rempart.banks.update_bank("THREATS", BankSettings(enabled=True))
    rempart.banks.update_content("THREATS", item.id, ContentUpdate(enabled=False))
    assert find(rempart, query) == []
    rempart.banks.update_content("THREATS", item.id, ContentUpdate(enabled=True))
    assert find(rempart, query) != []
    rempart.banks.delete_content("THREATS", item.id)
    assert find(rempart, query) == []
    assert len(rempart.lookup.text_index) == 0


def test_text_scan_api_round_trip(
    app_client: TestClient, keys: dict[str, str], rempart: Rempart
) -> None:
    admin = {"X-API-Key": keys["admin"]}
    r = app_client.post(
        "/v1/banks",
        json={"name": "TEXT_BANK", "dsa_category": "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH"},
        headers=admin,
    )
    assert r.status_code == 201, r.text
    r = app_client.post(
        "/v1/banks/TEXT_BANK/content",
        json={"signals": {"text": PHRASE}, "note": "known denial slogan"},
        headers=admin,
    )
    assert r.status_code == 201, r.text
    content_id = r.json()["id"]
    matcher = {"X-API-Key": keys["matcher"]}
    r = app_client.post("/v1/text/scan", json={"text": TRANSLATION}, headers=matcher)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["matched"] and body["matches"][0]["content_id"] == content_id
    assert body["matches"][0]["note"] == "known denial slogan"
    assert body["matches"][0]["dsa_category"] == "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH"
    assert body["language"] == "fr" and "denial" in body["classifier"]["flagged"]
    assert set(body["timings_ms"]) == {"classify", "banks", "total"}
    r = app_client.post(
        "/v1/text/scan", json={"text": UNRELATED[0], "lang": "en"}, headers=matcher
    ).json()
    assert not r["matched"] and r["classifier"]["flagged"] == [] and r["language"] == "en"
    # the same phrase through HMA's curation API, then looked up through HMA's matching API
    r = app_client.post(
        "/c/bank/TEXT_BANK/signal", json={"text": "we will burn your house down"}, headers=admin
    )
    assert r.status_code == 200, r.text
    r = app_client.post(
        "/v1/text/scan", json={"text": "on va mettre le feu à ta maison", "banks": ["TEXT_BANK"]},
        headers=matcher,
    )  # fmt: skip
    assert r.json()["matched"], r.text


def test_text_scan_refuses_roles_and_bad_input(
    app_client: TestClient, keys: dict[str, str]
) -> None:
    body = {"text": "hello there"}
    assert app_client.post("/v1/text/scan", json=body).status_code == 401
    for role in ALL_ROLES:
        r = app_client.post("/v1/text/scan", json=body, headers={"X-API-Key": keys[role]})
        assert r.status_code == (200 if role in ("matcher", "admin") else 403), (role, r.text)
    h = {"X-API-Key": keys["matcher"]}
    for bad in (
        {},
        {"text": ""},
        {"text": "   \n "},
        {"text": "x" * 20_001},
        {"text": "hi", "lang": "not a language"},
        {"text": "hi", "extra": 1},
        {"text": 12},
    ):
        r = app_client.post("/v1/text/scan", json=bad, headers=h)
        assert r.status_code == 422, (bad, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")


def test_cli_text_scan_matches_a_banked_phrase(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REMPART_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("REMPART_DATABASE_URL", db_url)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        with services() as ctx:
            ctx.banks.create_bank(BankCreate(name="CLI_TEXT"))
            ctx.banks.add_content("CLI_TEXT", ContentIn(signals={TEXT: PHRASE}))
        r = runner.invoke(app, ["text", "scan", PARAPHRASE])
        assert r.exit_code == 0, r.stderr
        out = json.loads(r.stdout)
        assert out["matched"] and out["matches"][0]["bank"] == "CLI_TEXT"
        r = runner.invoke(app, ["text", "scan", " "])
        assert r.exit_code == 1 and "empty" in r.stderr
    finally:
        get_settings.cache_clear()
