"""The whole flow on the API, as a platform, its reviewers and its legal team use it.

An upload matches a CSAM bank and is blocked automatically; a trusted flagger's notice about
another item is queued ahead of an ordinary user's; a moderator decides; the statement of
reasons validates and the (stand-in) Transparency Database takes it; the user appeals; a
senior moderator reverses; the platform's webhook endpoint receives the reversal, signed; the
transparency report counts all of it.
"""

from __future__ import annotations

import csv
import io
import time
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from rempart.api.app import create_app
from rempart.compliance.tdb.rules import validate_statement
from rempart.config import MediaLimits, Settings
from rempart.context import Rempart
from rempart.signals.hashing import hash_photo
from tests.conftest import encode, photo
from tests.standins import tdb_server, webhook_receiver

ROLES = ("platform", "curator", "moderator", "senior_moderator", "legal", "child_safety")
CSAM = {
    "dsa_category": "STATEMENT_CATEGORY_PROTECTION_OF_MINORS",
    "specifications": ["KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL"],
}
SPEECH = "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH"


@pytest.fixture
def tdb() -> Iterator[tdb_server.TdbStandIn]:
    with tdb_server.serve() as state:
        yield state


@pytest.fixture
def world(db_url: str, tmp_path: Path, tdb: tdb_server.TdbStandIn) -> Iterator[dict[str, Any]]:
    settings = Settings(
        home=tmp_path / "home",
        database_url=db_url,
        tdb_url=tdb.base_url,
        tdb_token="sandbox-token",  # the stand-in's token
    )
    ctx = Rempart.open(settings)
    keys = {r: ctx.keys.create(r if r != "moderator" else "mia", [r])[1] for r in ROLES}
    keys["admin"] = ctx.keys.create("admin", ["admin"])[1]
    keys["senior_moderator"] = ctx.keys.create("sam", ["senior_moderator"])[1]
    with (
        webhook_receiver.running(lambda: datetime.now(UTC)) as receiver,
        TestClient(create_app(ctx, sync_interval_s=0.1)) as client,
    ):
        yield {"ctx": ctx, "client": client, "keys": keys, "receiver": receiver, "tdb": tdb}
    ctx.close()


def call(w: dict[str, Any], role: str, method: str, url: str, **kw: Any) -> Any:
    r = w["client"].request(method, url, headers={"X-API-Key": w["keys"][role]}, **kw)
    assert r.status_code < 300, (method, url, r.status_code, r.text)
    return r.json() if r.content and "json" in r.headers.get("content-type", "") else r


def wait_for(check: Any, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = check()
        if out:
            return out
        time.sleep(0.05)
    raise AssertionError("timed out")


def csv_rows(archive: zipfile.ZipFile, part: str) -> list[dict[str, str]]:
    [name] = [n for n in archive.namelist() if part in n]
    text = archive.read(name).decode("utf-8-sig")
    # the official headers carry stray spaces ("Number of notices received "): compare stripped
    return [
        {k.strip(): v.strip() for k, v in row.items()} for row in csv.DictReader(io.StringIO(text))
    ]


def test_upload_notice_decision_appeal_reversal_report(world: dict[str, Any]) -> None:
    w = world
    # the platform's webhook endpoint, signed with a secret shown once
    hook = call(
        w,
        "admin",
        "POST",
        "/v1/webhooks/endpoints",
        json={"name": "platform", "url": w["receiver"].url, "events": ["*"]},
    )
    w["receiver"].keyed(secret=hook["secret"])

    # 1. an upload matches a verified CSAM bank and is blocked automatically
    call(w, "curator", "POST", "/v1/banks", json={"name": "NCMEC", "source": "ncmec", **CSAM})
    known = encode(photo(11), quality=95)
    pdq = hash_photo(known, MediaLimits(), fast=False).pdq
    assert pdq is not None
    call(w, "curator", "POST", "/v1/banks/NCMEC/content", json={"signals": {"pdq": pdq.hex}})
    call(w, "platform", "POST", "/v1/items", json={"ref": "img-1", "account": {"ref": "u1"}})
    upload = encode(photo(11), quality=60)

    def scanned() -> Any:
        files = {"file": ("img.jpg", upload, "image/jpeg")}
        out = call(w, "platform", "POST", "/v1/items/img-1/scan", files=files)
        return out if out["outcome"] == "act" else None

    blocked = wait_for(scanned)  # the bank addition reaches the index within a second
    assert blocked["preserve"] and "child_safety" in blocked["queues"]
    assert call(w, "platform", "GET", "/v1/items/img-1")["status"] == "restricted"
    r = w["client"].get(
        f"/v1/decisions/{blocked['decision_id']}", headers={"X-API-Key": w["keys"]["moderator"]}
    )
    assert r.status_code == 404  # child-safety records are hidden from other roles

    # 2. a trusted flagger's notice is queued ahead of an ordinary user's sent earlier
    tf = call(
        w,
        "legal",
        "POST",
        "/v1/trusted-flaggers",
        json={"name": "Point de Contact", "awarding_dsc": "FR", "expertise": [SPEECH]},
    )
    for ref, account in (("post-2", "u2"), ("post-3", "u3")):
        item = {
            "ref": ref,
            "account": {"ref": account, "account_type": "ACCOUNT_TYPE_PRIVATE"},
            "content_types": ["CONTENT_TYPE_TEXT"],
            "language": "FR",
        }
        call(w, "platform", "POST", "/v1/items", json=item)
    notice = {
        "explanation": "Incitement to hatred against a religious group.",
        "category": SPEECH,
        "specifications": ["KEYWORD_HATE_SPEECH"],
        "notifier_name": "Ana User",
        "notifier_email": "ana@example.org",
        "bona_fide": True,
    }
    ordinary = w["client"].post("/v1/notices", json=notice | {"items": [{"ref": "post-2"}]})
    assert ordinary.status_code == 201, ordinary.text  # open to anyone, no key needed
    flagged = w["client"].post(
        "/v1/notices",
        json=notice | {"items": [{"ref": "post-3"}], "notifier_email": "pdc@example.org"},
        headers={"X-API-Key": tf["api_key"]},
    )
    assert flagged.json()["trusted_flagger"] == "Point de Contact"

    # 3. a moderator claims the next job: the trusted flagger's, and decides
    job = call(w, "moderator", "POST", "/v1/queues/*/claim", json={})  # what is next, anywhere
    assert job["case_id"] == flagged.json()["case_ids"][0]
    decision = {
        "decision_visibility": ["DECISION_VISIBILITY_CONTENT_REMOVED"],
        "decision_ground": "DECISION_GROUND_ILLEGAL_CONTENT",
        "illegal_content_legal_ground": "Code pénal, art. R625-7; loi du 29 juillet 1881",
        "illegal_content_explanation": "Public incitement to hatred on religious grounds.",
        "category": SPEECH,
        "category_specification": ["KEYWORD_HATE_SPEECH"],
        "decision_facts": "Trusted flagger notice; reviewed by a moderator.",
    }
    d = call(
        w,
        "moderator",
        "POST",
        f"/v1/jobs/{job['id']}/decision",
        json={"lease_token": job["lease_token"], "decision": decision},
    )
    assert d["source_type"] == "SOURCE_TRUSTED_FLAGGER" and d["decided_by"] == "mia"
    second = call(w, "moderator", "POST", "/v1/queues/*/claim", json={})
    assert second["case_id"] == ordinary.json()["case_ids"][0]
    call(
        w,
        "moderator",
        "POST",
        f"/v1/jobs/{second['id']}/decision",
        json={"lease_token": second["lease_token"], "decision": {"action": False}},
    )

    # 4. the statement of reasons validates and the Transparency Database takes it
    sor = call(w, "legal", "GET", f"/v1/decisions/{d['id']}/statement-of-reasons")
    assert validate_statement(sor) == {}
    assert sor["source_type"] == "SOURCE_TRUSTED_FLAGGER"
    assert sor["source_identity"] == "Point de Contact"
    summary = call(w, "legal", "POST", "/v1/tdb/submit")
    assert summary["sent"] >= 2, summary  # the CSAM block and this decision
    assert sor["puid"] in w["tdb"].stored()

    # 5. the user appeals through the platform; a senior moderator reverses
    appeal = call(
        w,
        "platform",
        "POST",
        f"/v1/decisions/{d['id']}/appeals",
        json={"complainant_role": "affected", "complainant_ref": "u3", "text": "Satire."},
    )
    r = w["client"].post(
        f"/v1/appeals/{appeal['id']}/decision",
        json={"outcome": "reversed", "reasoned_text": "x"},
        headers={"X-API-Key": w["keys"]["moderator"]},
    )
    assert r.status_code == 403  # a moderator may not decide appeals
    out = call(
        w,
        "senior_moderator",
        "POST",
        f"/v1/appeals/{appeal['id']}/decision",
        json={"outcome": "reversed", "reasoned_text": "Read in context it is satire."},
    )
    assert out["outcome"] == "reversed" and out["decided_by"] == "sam"
    assert call(w, "platform", "GET", "/v1/items/post-3")["status"] == "visible"

    # 6. the platform's endpoint receives the reversal, signed and verified
    def reversed_() -> Any:
        hits = [
            r.json["data"]
            for r in w["receiver"].processed.values()
            if r.headers["rempart-event"] == "decision.reverse"
        ]
        return hits

    [reversal] = wait_for(reversed_)
    assert reversal["decision_id"] == d["uuid"] and reversal["item"] == "post-3"
    assert "decision.enforce" in w["receiver"].events()

    # 7. the transparency report counts all of it
    today = datetime.now(UTC).date().isoformat()
    report = call(w, "legal", "GET", f"/v1/reports/transparency?from={today}&to={today}")
    archive = zipfile.ZipFile(io.BytesIO(report.content))
    assert len(archive.namelist()) == 11
    notices = {r["Category of illegal content"]: r for r in csv_rows(archive, "part_4")}
    total = notices["TOTAL"]
    assert total["Number of notices received"] == "2"
    assert total["Number of notices received from Trusted flaggers"] == "1"
    assert total["Number of actions taken on the basis of the law"] == "1"
    appeals = csv_rows(archive, "part_7")
    submitted = [
        r
        for r in appeals
        if r["Indicator"].startswith("Number of complaints submitted")
        and r["Scope"] in ("Total number", "Decisions reversed")
    ]
    assert {r["Scope"]: r["Value"] for r in submitted} == {
        "Total number": "1",
        "Decisions reversed": "1",
    }
    own = {r["Category of illegal content"]: r for r in csv_rows(archive, "part_5")}
    for code in ("TOTAL", "KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL"):
        row = own[code]
        assert row["Number of measures taken at the provider's own initiative"] == "1"
        assert row["Number of measures taken after detection with solely automated means"] == "1"
        assert row["Visibility restriction Disable"] == "1"
    automated = {
        (r["Indicator"], r["Scope"]): r["Value"]
        for r in csv_rows(archive, "part_8")
        if r["Scope"] == "Total number"
    }
    assert automated[("Number of measures solely taken by automated means", "Total number")] == "1"
