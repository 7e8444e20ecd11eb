"""Native /v1 API: scanning with explanations, banks, imports and exports, index status."""

from __future__ import annotations

import numpy as np
from fastapi.testclient import TestClient
from PIL import ImageOps

from rempart.context import Rempart
from tests.conftest import encode, photo


def test_scan_explains_matches(
    app_client: TestClient, keys: dict[str, str], rempart: Rempart
) -> None:
    h = {"X-API-Key": keys["admin"]}
    r = app_client.post(
        "/v1/banks",
        json={
            "name": "KNOWN",
            "dsa_category": "STATEMENT_CATEGORY_PROTECTION_OF_MINORS",
            "specifications": ["KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL"],
            "source": "ncmec",
        },
        headers=h,
    )
    assert r.status_code == 201, r.text
    img = photo(3)
    up = app_client.post(
        "/v1/banks/KNOWN/media",
        files={"file": ("a.jpg", encode(img))},
        params={"note": "case 12"},
        headers=h,
    )
    assert up.status_code == 201, up.text
    rempart.matcher.sync()
    res = app_client.post(
        "/v1/scan", files={"file": ("b.jpg", encode(ImageOps.flip(img), quality=60))}, headers=h
    ).json()
    assert res["matched"] is True
    m = res["matches"][0]
    assert m["bank"] == "KNOWN" and m["content_id"] == up.json()["id"]
    assert m["dsa_category"] == "STATEMENT_CATEGORY_PROTECTION_OF_MINORS"
    assert m["orientation"] != "original" and m["distance"] <= 31 and m["note"] == "case 12"
    assert set(res["timings_ms"]) == {"hash", "match", "provenance", "classify", "total"}
    assert res["provenance"]["ai_generated"] == "unknown"  # a plain photo proves nothing
    scores = {r["name"]: r for r in res["classifiers"]["results"]}
    assert {"nsfw", "sexual", "graphic_violence", "face", "apparent_minor"} <= set(scores)
    assert all(r["model"] and r["version"] and not r["flagged"] for r in scores.values())
    quick = app_client.post(
        "/v1/scan",
        files={"file": ("b.jpg", encode(img))},
        params={"analyse": "false"},
        headers=h,
    ).json()
    assert quick["matched"] and quick["provenance"] is None and quick["classifiers"] is None
    assert set(quick["timings_ms"]) == {"hash", "match", "total"}
    other = app_client.post(
        "/v1/scan", files={"file": ("c.png", encode(photo(99), "PNG"))}, headers=h
    ).json()
    assert other["matched"] is False and other["signals"]["pdq"]


def test_scan_bad_input_is_problem(app_client: TestClient, keys: dict[str, str]) -> None:
    h = {"X-API-Key": keys["matcher"]}
    r = app_client.post("/v1/scan", files={"file": ("a.jpg", b"")}, headers=h)
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    r = app_client.post(
        "/v1/scan", files={"file": ("a.jpg", b"\xff\xd8\xff\xe0garbage")}, headers=h
    )
    assert r.status_code in (415, 422) and r.json()["detail"]
    r = app_client.post("/v1/scan", headers=h)
    assert r.status_code == 422


def test_import_export_over_http(app_client: TestClient, keys: dict[str, str]) -> None:
    h = {"X-API-Key": keys["curator"]}
    app_client.post("/v1/banks", json={"name": "LIST"}, headers=h)
    rng = np.random.default_rng(2)
    values = [rng.integers(0, 256, 32, dtype=np.uint8).tobytes().hex() for _ in range(5)]
    csv = "signal_type,signal_value\n" + "".join(f"pdq,{v}\n" for v in values)
    r = app_client.post(
        "/v1/banks/LIST/import?format=csv", files={"file": ("l.csv", csv)}, headers=h
    )
    assert r.json() == {"read": 5, "imported": 5, "skipped": 0, "errors": []}
    bad = app_client.post(
        "/v1/banks/LIST/import?format=csv",
        files={"file": ("l.csv", "signal_type,signal_value\npdq,zz\n")},
        headers=h,
    )
    assert bad.status_code == 422 and "line 2" in bad.json()["detail"]
    latin = app_client.post(
        "/v1/banks/LIST/import?format=te", files={"file": ("l.txt", b"pdq \xe9\xff\n")}, headers=h
    )
    assert latin.status_code == 422
    out = app_client.get("/v1/banks/LIST/export?format=te", headers=h)
    assert sorted(out.text.split()) == sorted(["pdq"] * 5 + values)
    assert app_client.get("/v1/banks/NOPE/export", headers=h).status_code == 404
    listed = app_client.get("/v1/banks/LIST/content?limit=2", headers=h).json()
    assert len(listed) == 2 and listed[0]["signals"]["pdq"] in values


def test_lookup_and_index(app_client: TestClient, keys: dict[str, str], rempart: Rempart) -> None:
    h = {"X-API-Key": keys["admin"]}
    app_client.post("/v1/banks", json={"name": "L", "thresholds": {"pdq": 10}}, headers=h)
    v = np.random.default_rng(4).integers(0, 256, 32, dtype=np.uint8).tobytes().hex()
    app_client.post("/v1/banks/L/content", json={"signals": {"pdq": v}}, headers=h)
    rempart.matcher.sync()
    one = app_client.get(f"/v1/lookup?signal_type=pdq&signal={v}", headers=h).json()
    assert one["matches"][0]["distance"] == 0
    many = app_client.post(
        "/v1/lookup", json={"signal_type": "pdq", "signals": [v, "0" * 64]}, headers=h
    ).json()
    assert len(many) == 2 and many[0]["matches"] and not many[1]["matches"]
    bad = app_client.get("/v1/lookup?signal_type=pdq&signal=zz", headers=h)
    assert bad.status_code == 422
    status = app_client.get("/v1/index", headers=h).json()
    assert status["pdq"]["size"] == 1 and status["ready"] is True
    snap = app_client.post("/v1/index/snapshot", headers=h).json()
    assert snap["saved"]
    assert app_client.get("/readyz").json()["status"] == "ready"
    metrics = app_client.get("/metrics", headers=h)
    assert "rempart_index_entries" in metrics.text


def test_out_of_range_ids_are_404_not_500(app_client: TestClient, keys: dict[str, str]) -> None:
    """Found by schemathesis: an id past 2**63 reached SQLite and overflowed."""
    h = {"X-API-Key": keys["curator"]}
    assert app_client.post("/v1/banks", json={"name": "BIG"}, headers=h).status_code == 201
    huge = 3050692040873698918400
    for url in (f"/v1/banks/BIG/content/{huge}", f"/c/bank/BIG/content/{huge}"):
        r = app_client.get(url, headers=h)
        assert r.status_code == 404, (url, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
    assert app_client.delete(f"/v1/banks/BIG/content/{huge}", headers=h).status_code == 404


def test_model_errors_raised_in_routes_are_422(
    app_client: TestClient, keys: dict[str, str]
) -> None:
    h = {"X-API-Key": keys["curator"]}
    app_client.post("/v1/banks", json={"name": "MEDIA"}, headers=h)
    img = encode(photo(3), "JPEG")
    r = app_client.post(
        "/v1/banks/MEDIA/media",
        params={"provenance": "x" * 300},
        files={"file": ("a.jpg", img)},
        headers=h,
    )
    assert r.status_code == 422 and r.json()["code"] == "validation"


def test_rename_to_an_invalid_name_is_422(app_client: TestClient, keys: dict[str, str]) -> None:
    """Found by schemathesis: PATCH with a bad new name raised inside the route (500)."""
    h = {"X-API-Key": keys["curator"]}
    app_client.post("/v1/banks", json={"name": "OLD"}, headers=h)
    r = app_client.patch("/v1/banks/OLD", json={"name": "0 bad"}, headers=h)
    assert r.status_code == 422 and "UPPER_SNAKE_CASE" in r.json()["detail"]
    assert app_client.get("/v1/banks/OLD", headers=h).status_code == 200
