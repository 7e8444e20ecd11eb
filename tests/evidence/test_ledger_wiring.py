"""Every kind of state change lands in the ledger, with who did it, and the log verifies."""

from __future__ import annotations

from fastapi.testclient import TestClient

from rempart.banks.schemas import BankCreate, ContentIn
from rempart.context import Rempart
from rempart.moderation.schemas import DecisionIn, ItemIn, NoticeIn
from tests.clock import FakeClock
from tests.moderation.conftest import person


def kinds(ctx: Rempart, subject: str | None = None) -> list[str]:
    return [e.kind for e in ctx.ledger.events(subject=subject, limit=10_000)]


def test_moderation_bank_key_and_policy_changes_are_logged(mod: Rempart) -> None:
    assert "policy_change" in kinds(mod)  # the default policy, loaded at start
    mod.banks.create_bank(BankCreate(name="LIST"))
    mod.banks.add_content("LIST", ContentIn(signals={"md5": "a" * 32}))
    key, _ = mod.keys.create("ops", ["curator"])
    mod.keys.revoke(key.id)
    mod.moderation.put_item(
        ItemIn(ref="p1", account={"ref": "u1"}, content_types=["CONTENT_TYPE_TEXT"])
    )
    receipt = mod.notices.submit(
        NoticeIn(
            explanation="Scam listing.",
            items=[{"ref": "p1"}],
            category="STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
            notifier_name="Ana",
            notifier_email="ana@example.org",
            bona_fide=True,
        )
    )
    job = mod.queues.claim_next("*", reviewer="mia", roles=["moderator"])
    assert job is not None
    d = mod.decisions.decide_job(
        job.id,
        DecisionIn(
            decision_visibility=["DECISION_VISIBILITY_CONTENT_REMOVED"],
            decision_ground="DECISION_GROUND_INCOMPATIBLE_CONTENT",
            incompatible_content_ground="Terms, section 4 (fraud)",
            incompatible_content_explanation="A fake listing asking for prepayment.",
            decision_facts="Notice reviewed by a moderator.",
        ),
        person("mia"),
        job.lease_token,
    )
    assert kinds(mod, "bank:LIST") == ["bank_change", "bank_content"]
    assert kinds(mod, f"api_key:{key.id}") == ["key_change", "key_change"]
    assert kinds(mod, f"notice:{receipt.notice_id}") == ["notice"]
    [decision] = mod.ledger.events(subject=f"case:{d.case_id}", kind="decision")
    assert decision.actor == "mia" and decision.data["decision_id"] == d.id
    mod.ledger.sign_head()
    assert mod.ledger.verify().ok


def test_api_events_name_the_key_that_acted(
    app_client: TestClient, rempart: Rempart, keys: dict[str, str]
) -> None:
    r = app_client.post(
        "/v1/banks", json={"name": "VIA_API"}, headers={"X-API-Key": keys["curator"]}
    )
    assert r.status_code == 201, r.text
    [event] = rempart.ledger.events(subject="bank:VIA_API")
    assert event.actor == "test-curator"


def test_a_keys_first_use_in_an_hour_is_a_login(mod: Rempart, mclock: FakeClock) -> None:
    key, secret = mod.keys.create("mia", ["moderator"])
    for _ in range(3):
        assert mod.keys.verify(secret) is not None
    assert kinds(mod, f"api_key:{key.id}") == ["key_change", "login"]
    mclock.advance(hours=1, seconds=1)
    mod.keys.verify(secret)
    assert kinds(mod, f"api_key:{key.id}") == ["key_change", "login", "login"]
    assert mod.keys.verify("rmp_not-a-key") is None
    assert kinds(mod, f"api_key:{key.id}")[-1] == "login"
