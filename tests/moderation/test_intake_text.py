"""Posts and chatbot answers through the automated path: text policy scores route them."""

from __future__ import annotations

from fastapi.testclient import TestClient

from rempart.api.app import create_app
from rempart.context import Rempart
from rempart.moderation.schemas import ItemIn

DENIAL_FR = (
    "Les chambres à gaz n'ont jamais existé, la Shoah est un mensonge inventé pour l'argent."
)
LESSON_FR = (
    "En cours d'histoire, nous avons étudié la déportation des Juifs de France vers Auschwitz."
)
THREAT_EN = "I know where you live and I am going to kill you tomorrow night."


def post(mod: Rempart, ref: str) -> None:
    mod.moderation.put_item(ItemIn(ref=ref, account={"ref": "u1"}))


def test_holocaust_denial_in_french_goes_to_the_hate_speech_queue(mod: Rempart) -> None:
    post(mod, "post-1")
    out = mod.moderation.ingest_text("post-1", DENIAL_FR)
    assert out.outcome == "review" and out.rule_ids == ["text-denial"], out
    assert out.queues == ["hate_speech"]
    case = mod.moderation.case(out.case_id or 0, ["moderator"])
    assert "suspected STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH" in case["jobs"][0]["reason"]
    facts = case["facts"]
    assert facts["classifiers"]["text_denial"]["flagged"] is True
    assert facts["item"]["language"] == "FR" and facts["item"]["content_type"] == [
        "CONTENT_TYPE_TEXT"
    ]
    assert [f["detector"] for f in case["flags"]] == ["text_denial"]  # only what it flagged


def test_a_history_lesson_is_allowed(mod: Rempart) -> None:
    post(mod, "post-2")
    out = mod.moderation.ingest_text("post-2", LESSON_FR)
    assert out.outcome == "allow", out


def test_a_threat_is_handled_first_through_the_api(mod: Rempart) -> None:
    post(mod, "post-3")
    _, platform = mod.keys.create("platform-app", ["platform"])
    _, moderator = mod.keys.create("mod-1", ["moderator"])
    mod_client = TestClient(create_app(mod))
    h = {"X-API-Key": platform}
    r = mod_client.post("/v1/items/post-3/text", json={"text": THREAT_EN}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["queues"] == ["urgent"]
    bad = mod_client.post("/v1/items/post-3/text", json={"text": ""}, headers=h)
    assert bad.status_code == 422 and bad.headers["content-type"].startswith(
        "application/problem+json"
    )
    refused = mod_client.post(
        "/v1/items/post-3/text",
        json={"text": THREAT_EN},
        headers={"X-API-Key": moderator},
    )
    assert refused.status_code == 403
