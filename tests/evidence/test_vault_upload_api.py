"""``POST /v1/evidence/cases/{case_id}``: upload evidence into the vault, per role, logged."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from rempart.access.roles import ALL_ROLES
from rempart.context import Rempart
from rempart.moderation.models import Case, Item
from tests.conftest import encode, photo

OTHER = "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH"
MAY_STORE = {OTHER: {"legal", "child_safety"}, "csam": {"child_safety"}}


def make_case(rempart: Rempart) -> int:
    with rempart.db.session() as s:
        item = Item(platform_ref="post-up")
        s.add(item)
        s.flush()
        case = Case(item_id=item.id)
        s.add(case)
        s.flush()
        return case.id


@pytest.mark.parametrize("category", [OTHER, "csam"])
def test_upload_per_role_and_every_store_is_logged(
    app_client: TestClient, rempart: Rempart, keys: dict[str, str], category: str
) -> None:
    case_id = make_case(rempart)
    image = encode(photo(7), "JPEG", quality=85)
    stored = []
    for role in ALL_ROLES:
        r = app_client.post(
            f"/v1/evidence/cases/{case_id}",
            params={"category": category},
            content=image,
            headers={
                "X-API-Key": keys[role],
                "content-type": "image/jpeg",
                "X-Evidence-Metadata": json.dumps({"uploader_ip": "198.51.100.9"}),
            },
        )
        if role in MAY_STORE[category]:
            assert r.status_code == 201, (role, r.text)
            body = r.json()
            assert body["case_id"] == case_id and body["media_type"] == "image/jpeg"
            assert body["category"] == category and body["size"] == len(image)
            stored.append((role, body["id"]))
        else:
            assert r.status_code == 403, (role, r.text)
            assert r.headers["content-type"].startswith("application/problem+json")
    assert len({oid for _, oid in stored}) == 1  # content-addressed: one object
    oid = stored[0][1]
    events = rempart.ledger.events(subject=f"vault_object:{oid}", kind="evidence.stored")
    assert [e.actor for e in events] == [f"test-{role}" for role, _ in stored]
    assert all(e.data["case_id"] == case_id for e in events)
    cleared = sorted(MAY_STORE[category])[0]
    back = rempart.vault.read(
        oid, principal_roles=[cleared], actor="t", case_ref=f"case:{case_id}", purpose="check"
    )
    assert back == image  # stored encrypted, read back intact
    meta = rempart.vault.describe(oid, principal_roles=[cleared], actor="t", case_ref="c")
    assert meta.metadata == {"uploader_ip": "198.51.100.9"}


def test_upload_bad_requests(
    app_client: TestClient, rempart: Rempart, keys: dict[str, str]
) -> None:
    case_id = make_case(rempart)
    legal = {"X-API-Key": keys["legal"]}
    url = f"/v1/evidence/cases/{case_id}"
    assert app_client.post(url, params={"category": OTHER}, headers=legal).status_code == 422
    assert app_client.post(url, content=b"x", headers=legal).status_code == 422  # no category
    r = app_client.post(
        f"/v1/evidence/cases/{case_id + 100}", params={"category": OTHER}, content=b"x",
        headers=legal,
    )  # fmt: skip
    assert r.status_code == 404
    for meta in ("{not json", "[1, 2]"):
        r = app_client.post(url, params={"category": OTHER}, content=b"x",
                            headers={**legal, "X-Evidence-Metadata": meta})  # fmt: skip
        assert r.status_code == 422 and r.headers["content-type"].startswith(
            "application/problem+json"
        )
    big = b"\0" * (rempart.limits.max_bytes + 1)
    r = app_client.post(url, params={"category": OTHER}, content=big, headers=legal)
    assert r.status_code == 413
    assert rempart.ledger.events(kind="evidence.stored") == []  # nothing refused was stored
