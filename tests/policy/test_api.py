"""``/v1/policies`` over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from tests.policy.util import CSAM_NCMEC, act, match, policy_text, review, rule

PROBLEM = "application/problem+json"
YAML = {"content-type": "text/yaml"}


def h(keys: dict[str, str], role: str, **extra: str) -> dict[str, str]:
    return {"X-API-Key": keys[role], **extra}


def test_load_list_show_activate(app_client: TestClient, keys: dict[str, str]) -> None:
    text = policy_text(rule("look", {"match": {}}, review()), name="site", version=1)
    r = app_client.post("/v1/policies", content=text, headers=h(keys, "admin", **YAML))
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["name"], body["version"], body["created"], body["active"]) == (
        "site",
        1,
        True,
        True,
    )
    assert body["loaded_by"] == "api-key:test-admin"
    r = app_client.post("/v1/policies", content=text, headers=h(keys, "admin", **YAML))
    assert r.status_code == 200 and r.json()["created"] is False
    v2 = policy_text(rule("remove", {"all": [{"match": {}}]}, act()), name="site", version=2)
    r = app_client.post("/v1/policies?activate=false", json={"text": v2}, headers=h(keys, "admin"))
    assert r.status_code == 201 and r.json()["active"] is False
    r = app_client.get("/v1/policies?name=site", headers=h(keys, "auditor"))
    assert [(v["version"], v["active"]) for v in r.json()] == [(1, True), (2, False)]
    r = app_client.get("/v1/policies/site/versions/2", headers=h(keys, "legal"))
    assert r.status_code == 200 and r.json()["text"] == v2
    when = r.json()["policy"]["rules"][0]["when"]
    assert "match" in when["all"][0] and "all_" not in when  # the file's own key names
    r = app_client.post("/v1/policies/site/versions/2/activate", headers=h(keys, "admin"))
    assert r.status_code == 200 and r.json()["active"] is True
    assert (
        app_client.get("/v1/policies/site/versions/9", headers=h(keys, "moderator")).status_code
        == 404
    )
    r = app_client.post("/v1/policies/site/versions/9/activate", headers=h(keys, "admin"))
    assert r.status_code == 404 and r.headers["content-type"] == PROBLEM


def test_bad_files_get_a_problem_naming_rule_and_field(
    app_client: TestClient, keys: dict[str, str]
) -> None:
    bad = policy_text(rule("oops", {"match": {"max_distance": -3}}, review("nowhere")))
    r = app_client.post("/v1/policies", content=bad, headers=h(keys, "admin", **YAML))
    assert r.status_code == 422 and r.headers["content-type"] == PROBLEM
    body = r.json()
    assert body["code"] == "policy_invalid"
    assert body["errors"][0]["loc"] == ["rules", 0, "when", "match", "max_distance"]
    assert body["errors"][0]["rule"] == "oops"
    assert body["detail"].startswith(
        "invalid policy: rule 'oops' (rules[0]): when.match.max_distance"
    )
    for content, headers in (
        (b"", YAML),
        (b"name: [", YAML),
        (b"\xff\xfe", YAML),
        (b"not json", {"content-type": "application/json"}),
        (b'{"txt": "x"}', {"content-type": "application/json"}),
        (b"name = ", {"content-type": "application/toml"}),
    ):
        r = app_client.post("/v1/policies", content=content, headers=h(keys, "admin", **headers))
        assert r.status_code == 422, (content, r.text)
        assert r.json()["code"] == "policy_invalid"
    r = app_client.post("/v1/policies", content=b"x" * 1_000_001, headers=h(keys, "admin", **YAML))
    assert r.status_code == 413
    listed = app_client.get("/v1/policies", headers=h(keys, "admin")).json()
    assert [v["name"] for v in listed] == ["rempart-default"]  # nothing bad was stored


def test_version_conflict(app_client: TestClient, keys: dict[str, str]) -> None:
    one = policy_text(rule("a", {"match": {}}, review()), name="p")
    changed = policy_text(rule("b", {"match": {}}, review()), name="p")
    assert (
        app_client.post("/v1/policies", content=one, headers=h(keys, "admin", **YAML)).status_code
        == 201
    )
    r = app_client.post("/v1/policies", content=changed, headers=h(keys, "admin", **YAML))
    assert r.status_code == 409 and r.json()["code"] == "policy_version_exists"


def test_toml_upload(app_client: TestClient, keys: dict[str, str]) -> None:
    toml = (
        'name = "t"\nversion = 2\n[queues.general]\nsla_hours = 1\n[[rules]]\nid = "r"\n'
        'when = { notice = {} }\noutcome = { review = { queue = "general", priority = 5 } }\n'
    )
    r = app_client.post(
        "/v1/policies",
        content=toml,
        headers=h(keys, "admin", **{"content-type": "application/toml"}),
    )
    assert r.status_code == 201 and r.json()["version"] == 2


def test_dry_run_record_and_replay(app_client: TestClient, keys: dict[str, str]) -> None:
    facts = {"matches": [CSAM_NCMEC], "item": {"content_type": ["CONTENT_TYPE_IMAGE"]}}
    r = app_client.post(
        "/v1/policies/evaluate", json={"facts": facts}, headers=h(keys, "moderator")
    )
    assert r.status_code == 200, r.text
    verdict = r.json()
    assert verdict["outcome"] == "act" and verdict["policy"] == "rempart-default"
    assert verdict["open_case"]["queue"] == "child_safety" and verdict["preserve"] is True
    listed = app_client.get("/v1/policies/evaluations", headers=h(keys, "auditor"))
    assert listed.json() == []  # a dry run is not recorded
    r = app_client.post(
        "/v1/policies/evaluate",
        json={"facts": facts, "record": True, "subject_type": "item", "subject_ref": "item-7"},
        headers=h(keys, "senior_moderator"),
    )
    assert r.status_code == 200
    recorded = r.json()
    assert recorded["verdict"] == verdict and recorded["subject_ref"] == "item-7"
    eid = recorded["evaluation_id"]
    r = app_client.get(f"/v1/policies/evaluations/{eid}/replay", headers=h(keys, "legal"))
    assert r.status_code == 200 and r.json()["agrees"] is True
    listed = app_client.get(
        "/v1/policies/evaluations?subject_ref=item-7", headers=h(keys, "auditor")
    )
    assert [e["id"] for e in listed.json()] == [eid]
    r = app_client.get("/v1/policies/evaluations/424242/replay", headers=h(keys, "auditor"))
    assert r.status_code == 404 and r.headers["content-type"] == PROBLEM
    huge = app_client.get(f"/v1/policies/evaluations/{2**64}/replay", headers=h(keys, "auditor"))
    assert huge.status_code == 422
    huge = app_client.get(f"/v1/policies/site/versions/{2**40}", headers=h(keys, "auditor"))
    assert huge.status_code == 422


def test_dry_run_of_a_staged_version(app_client: TestClient, keys: dict[str, str]) -> None:
    staged = policy_text(rule("remove", {"match": {}}, act()), name="next", version=1)
    app_client.post("/v1/policies?activate=false", content=staged, headers=h(keys, "admin", **YAML))
    body = {"facts": {"matches": [match()]}, "name": "next", "version": 1}
    r = app_client.post("/v1/policies/evaluate", json=body, headers=h(keys, "moderator"))
    assert r.json()["outcome"] == "act" and r.json()["policy"] == "next"
    r = app_client.post(
        "/v1/policies/evaluate", json={**body, "record": True}, headers=h(keys, "moderator")
    )
    assert r.status_code == 422  # records are made under the active policy only


def test_bad_facts(app_client: TestClient, keys: dict[str, str]) -> None:
    bad: list[dict[str, Any]] = [
        {"matchez": []},
        {"matches": [{"bank": "X"}]},
        {"classifiers": {"x": {"score": "high"}}},
        {"notice": {"source_type": "pigeon"}},
        {"notice": {"source_type": "other", "category": "STATEMENT_CATEGORY_NOPE"}},
        {"item": {"territory": "fr"}},
    ]
    for facts in bad:
        r = app_client.post(
            "/v1/policies/evaluate", json={"facts": facts}, headers=h(keys, "moderator")
        )
        assert r.status_code == 422, (facts, r.text)
        assert r.headers["content-type"] == PROBLEM
    nan = '{"facts": {"classifiers": {"x": {"score": NaN}}}}'
    r = app_client.post(
        "/v1/policies/evaluate",
        content=nan,
        headers=h(keys, "moderator", **{"content-type": "application/json"}),
    )
    assert r.status_code == 422
    nan_prov = json.dumps({"facts": {"provenance": {"x": float("nan")}}, "record": True})
    r = app_client.post(
        "/v1/policies/evaluate",
        content=nan_prov,
        headers=h(keys, "moderator", **{"content-type": "application/json"}),
    )
    assert r.status_code == 422
    r = app_client.post(
        "/v1/policies/evaluate",
        json={"facts": {}, "record": True, "subject_ref": "a\x00b"},
        headers=h(keys, "moderator"),
    )
    assert r.status_code == 422
