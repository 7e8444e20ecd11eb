"""The queue routes end to end: claim, renew, release, notes, escalate, reassign, and the
child-safety queue answering 404 to every key without the child_safety role, admin included."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from rempart.context import Rempart
from tests.moderation.test_queues import make_case


@pytest.fixture
def jobs(rempart: Rempart) -> dict[str, int]:
    """A general queue with a trusted-flagger and an other job, a child-safety queue with one."""
    q = rempart.queues
    q.ensure_queue("general", sla_hours=24)
    q.ensure_queue("child_safety", sla_hours=2, restricted_role="child_safety")
    other, flagger, csam = (
        make_case(rempart),
        make_case(rempart),
        make_case(rempart, "child_safety"),
    )
    with rempart.db.session() as s:
        return {
            "other": q.enqueue(s, case_id=other, queue="general", rank=4),
            "flagger": q.enqueue(
                s, case_id=flagger, queue="general", rank=3, reason="trusted flagger"
            ),
            "csam": q.enqueue(s, case_id=csam, queue="child_safety", rank=0),
        }


def as_(keys: dict[str, str], role: str) -> dict[str, str]:
    return {"X-API-Key": keys[role]}


def problem(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = r.json()
    return body


def test_claim_work_and_release_a_job(
    app_client: TestClient, keys: dict[str, str], jobs: dict[str, int]
) -> None:
    mod = as_(keys, "moderator")
    listed = app_client.get("/v1/queues/general/jobs", headers=mod)
    assert listed.status_code == 200
    assert [j["id"] for j in listed.json()] == [jobs["flagger"], jobs["other"]]
    assert listed.json()[0]["rank_name"] == "trusted_flagger"
    assert listed.json()[0]["overdue"] is False and listed.json()[0]["seconds_left"] > 0
    r = app_client.post("/v1/queues/general/claim", headers=mod, json={"lease_s": 600})
    assert r.status_code == 200, r.text
    job = r.json()
    assert (job["id"], job["claimed_by"], job["claimed"]) == (
        jobs["flagger"],
        "test-moderator",
        True,
    )
    token = job["lease_token"]
    assert app_client.get(f"/v1/jobs/{job['id']}", headers=as_(keys, "auditor")).json()["claimed"]
    r = app_client.post(f"/v1/jobs/{job['id']}/renew", headers=mod, json={"lease_token": token})
    assert r.status_code == 200 and r.json()["lease_token"] == token
    # another reviewer cannot renew or release it, nor claim it by id
    senior = as_(keys, "senior_moderator")
    body = {"lease_token": token}
    assert problem(app_client.post(f"/v1/jobs/{job['id']}/renew", headers=senior, json=body), 409)[
        "code"
    ] == ("lease_lost")
    assert problem(app_client.post(f"/v1/jobs/{job['id']}/claim", headers=senior), 409)["code"] == (
        "job_claimed"
    )
    stale = {"lease_token": token + 7}
    problem(app_client.post(f"/v1/jobs/{job['id']}/release", headers=mod, json=stale), 409)
    r = app_client.post(f"/v1/jobs/{job['id']}/release", headers=mod, json=body)
    assert r.status_code == 200 and r.json()["claimed"] is False
    r = app_client.post(f"/v1/jobs/{job['id']}/claim", headers=senior)  # now free: by id
    assert r.status_code == 200 and r.json()["claimed_by"] == "test-senior_moderator"
    # the last general job, then nothing left to claim
    assert app_client.post("/v1/queues/general/claim", headers=mod).json()["id"] == jobs["other"]
    r = app_client.post("/v1/queues/general/claim", headers=mod)
    assert r.status_code == 204 and r.content == b""


def test_notes_escalate_reassign(
    app_client: TestClient, keys: dict[str, str], jobs: dict[str, int]
) -> None:
    mod, senior = as_(keys, "moderator"), as_(keys, "senior_moderator")
    job = jobs["other"]
    r = app_client.post(f"/v1/jobs/{job}/notes", headers=mod, json={"text": "looks like spam"})
    assert r.status_code == 201 and r.json()["author"] == "test-moderator"
    problem(app_client.post(f"/v1/jobs/{job}/notes", headers=mod, json={"text": ""}), 422)
    r = app_client.post(
        f"/v1/jobs/{job}/escalate", headers=mod, json={"reason": "possible coordinated campaign"}
    )
    assert r.status_code == 200, r.text
    assert (r.json()["queue"], r.json()["escalated"], r.json()["rank"]) == ("escalations", True, 4)
    problem(app_client.post(f"/v1/jobs/{job}/escalate", headers=mod, json={}), 422)
    r = app_client.post(
        f"/v1/jobs/{job}/reassign", headers=senior, json={"to_reviewer": "test-moderator"}
    )
    assert r.status_code == 200, r.text
    assert r.json()["claimed_by"] == "test-moderator"
    problem(app_client.post(f"/v1/jobs/{job}/reassign", headers=senior, json={}), 422)
    bad = {"to_queue": "nowhere"}
    problem(app_client.post(f"/v1/jobs/{job}/reassign", headers=senior, json=bad), 404)
    r = app_client.post(f"/v1/jobs/{job}/reassign", headers=senior, json={"to_queue": "general"})
    assert r.status_code == 200 and r.json()["queue"] == "general"
    notes = app_client.get(f"/v1/jobs/{job}/notes", headers=as_(keys, "auditor")).json()
    assert [n["author"] for n in notes] == ["test-moderator"] * 2 + ["test-senior_moderator"] * 2
    assert notes[1]["text"].startswith("escalated from general to escalations")


def test_child_safety_queue_is_hidden_from_admin_and_moderators(
    app_client: TestClient, keys: dict[str, str], jobs: dict[str, int]
) -> None:
    job = jobs["csam"]
    for role in ("moderator", "senior_moderator", "admin", "auditor"):
        h = as_(keys, role)
        names = [q["name"] for q in app_client.get("/v1/queues", headers=h).json()]
        assert "child_safety" not in names and "general" in names, role
        missing = problem(app_client.get(f"/v1/jobs/{job}", headers=h), 404)
        assert missing["detail"] == f"no review job with id {job}"
        assert problem(app_client.get("/v1/jobs/999999", headers=h), 404)["detail"] == (
            "no review job with id 999999"
        )
        problem(app_client.get("/v1/queues/child_safety/jobs", headers=h), 404)
        problem(app_client.get(f"/v1/jobs/{job}/notes", headers=h), 404)
    for role in ("moderator", "senior_moderator", "admin"):
        h = as_(keys, role)
        problem(app_client.post("/v1/queues/child_safety/claim", headers=h), 404)
        problem(app_client.post(f"/v1/jobs/{job}/claim", headers=h), 404)
        problem(app_client.post(f"/v1/jobs/{job}/notes", headers=h, json={"text": "x"}), 404)
        problem(app_client.post(f"/v1/jobs/{job}/escalate", headers=h, json={"reason": "x"}), 404)
    reassign = {"to_queue": "general"}
    problem(
        app_client.post(f"/v1/jobs/{job}/reassign", headers=as_(keys, "admin"), json=reassign),
        404,
    )
    cs = as_(keys, "child_safety")
    names = [q["name"] for q in app_client.get("/v1/queues", headers=cs).json()]
    assert {"child_safety", "general"} <= set(names)
    assert [j["id"] for j in app_client.get("/v1/queues/child_safety/jobs", headers=cs).json()] == [
        job
    ]
    r = app_client.post("/v1/queues/child_safety/claim", headers=cs)
    assert r.status_code == 200 and r.json()["id"] == job
    assert r.json()["claimed_by"] == "test-child_safety"
    assert app_client.get(f"/v1/jobs/{job}", headers=cs).json()["claimed"] is True
    # a child-safety key is no general moderator
    assert problem(app_client.post("/v1/queues/general/claim", headers=cs), 403)["code"] == (
        "forbidden"
    )


def test_bad_input_gets_problem_details(
    app_client: TestClient, keys: dict[str, str], jobs: dict[str, int]
) -> None:
    mod = as_(keys, "moderator")
    problem(app_client.post("/v1/queues/general/claim", headers=mod, json={"lease_s": 1}), 422)
    problem(app_client.get("/v1/queues/general/jobs?status=weird", headers=mod), 422)
    problem(app_client.get("/v1/jobs/99999999999999999999", headers=mod), 422)
    problem(app_client.get("/v1/jobs/0", headers=mod), 422)
    problem(app_client.post(f"/v1/jobs/{jobs['other']}/renew", headers=mod), 422)
    problem(app_client.get("/v1/queues/nope/jobs", headers=mod), 404)
    problem(app_client.get("/v1/queues/no%00pe/jobs", headers=mod), 404)  # PostgreSQL: no 500
    nul = {"text": "a\x00b"}
    problem(app_client.post(f"/v1/jobs/{jobs['other']}/notes", headers=mod, json=nul), 422)
    problem(app_client.post("/v1/queues/general/claim", headers=as_(keys, "auditor")), 403)
    problem(
        app_client.post(
            f"/v1/jobs/{jobs['other']}/reassign", headers=mod, json={"to_queue": "general"}
        ),
        403,
    )
