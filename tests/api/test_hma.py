"""HMA-compatible routes answer with HMA's shapes (spec: HMA 2.0 OpenMediaMatch blueprints)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from fastapi.testclient import TestClient
from PIL import ImageOps

from tests.conftest import encode, photo


def hdr(keys: dict[str, str], role: str = "admin") -> dict[str, str]:
    return {"X-API-Key": keys[role]}


def test_status_is_public_text(app_client: TestClient) -> None:
    r = app_client.get("/status")
    assert r.status_code == 200 and r.text == "I-AM-ALIVE"


def test_bank_crud_shapes(app_client: TestClient, keys: dict[str, str]) -> None:
    h = hdr(keys, "curator")
    r = app_client.post("/c/banks", json={"name": "MY_TEST_BANK_01"}, headers=h)
    assert r.status_code == 201
    assert r.json() == {"matching_enabled_ratio": 1.0, "name": "MY_TEST_BANK_01"}
    assert (
        app_client.post("/c/banks", json={"name": "MY_TEST_BANK_01"}, headers=h).status_code == 403
    )
    bad = app_client.post("/c/banks", json={"name": "my_test_bank"}, headers=h)
    assert bad.status_code == 400
    assert bad.json()["message"] == "Bank names must be UPPER_WITH_UNDERSCORE"
    assert app_client.post("/c/banks", json={}, headers=h).status_code == 422
    assert app_client.get("/c/banks", headers=h).json() == [
        {"matching_enabled_ratio": 1.0, "name": "MY_TEST_BANK_01"}
    ]
    r = app_client.put("/c/bank/MY_TEST_BANK_01", json={"enabled": False}, headers=h)
    assert r.json()["matching_enabled_ratio"] == 0
    r = app_client.put(
        "/c/bank/MY_TEST_BANK_01", json={"name": "RENAMED", "enabled_ratio": 0.5}, headers=h
    )
    assert r.json() == {"matching_enabled_ratio": 0.5, "name": "RENAMED"}
    assert app_client.get("/c/bank/MY_TEST_BANK_01", headers=h).status_code == 404
    assert app_client.delete("/c/bank/RENAMED", headers=h).json() == {"message": "Done"}
    assert app_client.delete("/c/bank/RENAMED", headers=h).json() == {"message": "Done"}
    assert app_client.get("/c/banks", headers=h).json() == []


def test_hash_add_lookup_flow(app_client: TestClient, keys: dict[str, str]) -> None:
    h = hdr(keys)
    img = photo(1)
    original = encode(img)
    app_client.post("/c/banks", json={"name": "TEST_BANK"}, headers=h)
    hashed = app_client.post("/h/hash", files={"photo": ("x.jpg", original)}, headers=h).json()
    assert set(hashed) == {"pdq"} and len(hashed["pdq"]) == 64
    added = app_client.post(
        "/c/bank/TEST_BANK/content",
        files={"photo": ("x.jpg", original)},
        data={
            "metadata": json.dumps({"content_id": "1197433091", "json": {"asdf": {}}}),
            "note": "from test",
        },
        headers=h,
    )
    assert added.status_code == 200, added.text
    body = added.json()
    assert set(body) == {"id", "signals"} and body["signals"]["pdq"] == hashed["pdq"]
    cid = body["id"]
    url = f"/m/lookup?signal_type=pdq&signal={hashed['pdq']}"
    expected = {"TEST_BANK": [{"bank_content_id": cid, "distance": "0"}]}
    # the server's sync thread applies the change log: visible well within a second
    assert wait_for(lambda: app_client.get(url, headers=h).json(), expected) == expected
    mirrored = encode(ImageOps.mirror(img), quality=70)
    r = app_client.post("/m/lookup", files={"photo": ("m.jpg", mirrored)}, headers=h)
    assert r.status_code == 200
    assert list(r.json()["pdq"]["TEST_BANK"][0]) == ["bank_content_id", "distance"]
    raw = app_client.get(f"/m/raw_lookup?signal_type=pdq&signal={hashed['pdq']}", headers=h)
    assert raw.json() == {"matches": [cid]}
    raw = app_client.get(
        f"/m/raw_lookup?signal_type=pdq&signal={hashed['pdq']}&include_distance=true", headers=h
    )
    assert raw.json() == {"matches": [{"bank_content_id": cid, "distance": "0"}]}
    got = app_client.get(f"/c/bank/TEST_BANK/content/{cid}?include_signals=true", headers=h).json()
    assert got["disable_until_ts"] == 1 and got["bank"]["name"] == "TEST_BANK"
    assert got["signals"]["pdq"] == hashed["pdq"] and got["note"] == "from test"
    assert got["metadata"] == {
        "content_id": "1197433091",
        "content_uri": None,
        "json": {"asdf": {}},
        "collab": None,
    }
    put = app_client.put(
        f"/c/bank/TEST_BANK/content/{cid}", json={"disable_until_ts": 0}, headers=h
    )
    assert put.status_code == 200 and put.json()["disable_until_ts"] == 0
    assert app_client.get(url, headers=h).json() == {}  # disabled entries never match
    far = app_client.put(
        f"/c/bank/TEST_BANK/content/{cid}", json={"disable_until_ts": 9999999999}, headers=h
    )
    assert far.status_code == 400
    assert app_client.delete(f"/c/bank/TEST_BANK/content/{cid}", headers=h).json() == {"deleted": 1}
    assert app_client.delete(f"/c/bank/TEST_BANK/content/{cid}", headers=h).json() == {"deleted": 0}


def wait_for(fetch: Callable[[], Any], expected: Any, timeout: float = 1.0) -> Any:
    """Poll until ``fetch()`` equals ``expected`` or ``timeout`` passes; returns the last value."""
    deadline = time.monotonic() + timeout
    value = fetch()
    while value != expected and time.monotonic() < deadline:
        time.sleep(0.05)
        value = fetch()
    return value


def test_signal_add_and_metadata_errors(app_client: TestClient, keys: dict[str, str]) -> None:
    h = hdr(keys)
    app_client.post("/c/banks", json={"name": "B"}, headers=h)
    pdq = np.random.default_rng(0).integers(0, 256, 32, dtype=np.uint8).tobytes().hex()
    r = app_client.post("/c/bank/B/signal", json={"pdq": pdq, "note": "n"}, headers=h)
    assert r.status_code == 200 and r.json()["signals"] == {"pdq": pdq}
    assert app_client.post("/c/bank/B/signal", json={}, headers=h).json()["message"] == (
        "No signals given"
    )
    assert app_client.post("/c/bank/B/signal", json={"nope": "x"}, headers=h).status_code == 400
    assert app_client.post("/c/bank/B/signal", json={"pdq": "xyz"}, headers=h).status_code == 400
    assert app_client.post("/c/bank/B/signal", content=b"pdq", headers=h).status_code == 415
    assert app_client.post("/c/bank/NOPE/signal", json={"pdq": pdq}, headers=h).status_code == 404
    bad_meta = app_client.post(
        "/c/bank/B/content",
        files={"photo": ("x.jpg", encode(photo(2)))},
        data={"metadata": json.dumps({"invalid_metadata": 5})},
        headers=h,
    )
    assert bad_meta.status_code == 400 and "Invalid metadata" in bad_meta.json()["message"]
    long_note = app_client.post("/c/bank/B/signal", json={"pdq": pdq, "note": "x" * 256}, headers=h)
    assert long_note.status_code == 400


def test_compare_and_types(app_client: TestClient, keys: dict[str, str]) -> None:
    h = hdr(keys)
    rng = np.random.default_rng(5)
    a = rng.integers(0, 256, 32, dtype=np.uint8)
    b = a.copy()
    b[0] ^= 0b111
    b[5] ^= 0b11
    r = app_client.post(
        "/m/compare", json={"pdq": [a.tobytes().hex(), b.tobytes().hex()]}, headers=h
    )
    assert r.json() == {"pdq": [True, {"distance": 5}]}
    md5 = "d41d8cd98f00b204e9800998ecf8427e"
    assert app_client.post("/m/compare", json={"video_md5": [md5, md5]}, headers=h).json() == {
        "video_md5": [True, {}]
    }
    assert app_client.post("/m/compare", json=["banana"], headers=h).status_code == 400
    assert app_client.post("/m/compare", json={"pdq": ["a"]}, headers=h).status_code == 400
    assert app_client.post("/m/compare", json={}, headers=h).json() == {}
    names = [t["name"] for t in app_client.get("/c/signal_type", headers=h).json()]
    assert {"pdq", "video_md5", "vpdq"} <= set(names)
    assert app_client.get("/c/content_type", headers=h).json() == [
        {"enabled": True, "name": "photo"},
        {"enabled": True, "name": "video"},
    ]
    status = app_client.get("/m/index/status", headers=h).json()
    assert status["pdq"]["present"] is True and status["pdq"]["size"] == 0


def test_hash_errors(app_client: TestClient, keys: dict[str, str]) -> None:
    h = hdr(keys, "hasher")
    assert app_client.post("/h/hash", headers=h).status_code == 400
    r = app_client.post("/h/hash", files={"file": ("x.jpg", b"abc")}, headers=h)
    assert r.status_code == 400 and "content_type" in r.json()["message"]
    r = app_client.post("/h/hash", files={"photo": ("x.jpg", b"not an image")}, headers=h)
    assert r.status_code == 415 and r.headers["content-type"] == "application/problem+json"
    r = app_client.get("/h/hash?url=http://example.com/a.jpg", headers=h)
    assert r.status_code == 403 and r.json()["code"] == "hash_url_disabled"
