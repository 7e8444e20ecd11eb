"""HMA-compatible routes answer with HMA's shapes (spec: HMA 2.0 OpenMediaMatch blueprints)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image, ImageOps
from threatexchange.signal_type.md5 import VideoMD5Signal
from threatexchange.signal_type.pdq.signal import PdqSignal

from rempart.api import hma
from rempart.context import Rempart
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


def wait_for(fetch: Callable[[], Any], expected: Any, timeout: float = 2.0) -> Any:
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


# --- HMA's own tests and clients, replayed ----------------------------------------------------
# The tests below send the requests of OpenMediaMatch's test suite (tests/test_api.py,
# test_api_banks.py, test_match_api.py, test_e2e_workflow.py), of HMA's UI (bank-management.js)
# and of the fetlife/hasher_matcher_actioner_api Ruby client, and assert what they assert.
# HMA's tests bank images by URL; here a fake fetch serves local images for those URLs.

IMAGE_URL = "https://github.com/facebook/ThreatExchange/blob/main/pdq/data/bridge-mods/aaa-orig.jpg?raw=true"
IMAGE_URL_2 = (
    "https://github.com/facebook/ThreatExchange/blob/main/pdq/data/misc-images/c.png?raw=true"
)
SPECIMEN1 = "facd8bcb2a49bcebdec1985298d5fe84bcd006c187c598c720c3c087b3fdb318"
SPECIMEN2 = "facd8bcb2a49bcebdec1985228d5ae84bcd006c187c598c720c2b087b3fdb318"


@pytest.fixture
def images(monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    """URL → bytes, served by a fake fetch in place of downloads."""
    served = {
        IMAGE_URL: encode(photo(11, (1600, 1200)), quality=92),
        IMAGE_URL_2: encode(photo(12, (800, 600)), "PNG"),
    }

    def fake_fetch(url: str, settings: Any, limits: Any) -> bytes:
        return served[url]

    monkeypatch.setattr(hma, "fetch_url", fake_fetch)
    return served


def pytx_pdq(data: bytes) -> str:
    return str(PdqSignal.hash_from_bytes(data))


def create_bank(client: TestClient, h: dict[str, str], name: str) -> None:
    """HMA's tests/utils.py create_bank."""
    r = client.post("/c/banks", json={"name": name}, headers=h)
    assert r.status_code == 201
    assert r.json() == {"matching_enabled_ratio": 1.0, "name": name}


def add_hash_to_bank(
    client: TestClient, h: dict[str, str], bank: str, url: str, data: bytes
) -> int:
    """HMA's tests/utils.py add_hash_to_bank: the answer is exactly the id and the PDQ."""
    r = client.post(f"/c/bank/{bank}/content?url={url}&content_type=photo", headers=h)
    assert r.status_code == 200, r.text
    cid = r.json()["id"]
    assert r.json() == {"id": cid, "signals": {"pdq": pytx_pdq(data)}}
    return int(cid)


def test_status_not_loaded_and_stale(app_client: TestClient, rempart: Rempart) -> None:
    """tests/test_api.py test_status_response."""
    r = app_client.get("/status")
    assert (r.status_code, r.text) == (200, "I-AM-ALIVE")
    assert app_client.get("/status/live").text == "I-AM-ALIVE"
    rempart.matcher.stop()  # no sync thread refreshing last_sync under us
    rempart.matcher.ready = False
    r = app_client.get("/status")
    assert (r.status_code, r.text) == (503, "INDEX-NOT-LOADED")
    assert app_client.get("/status/live").status_code == 200
    rempart.matcher.ready = True
    rempart.matcher.last_sync = time.time() - 66
    r = app_client.get("/status")
    assert (r.status_code, r.text) == (503, "INDEX-STALE")
    rempart.matcher.last_sync = time.time()
    assert app_client.get("/status").text == "I-AM-ALIVE"


def test_index_not_ready_is_503(
    app_client: TestClient, rempart: Rempart, keys: dict[str, str]
) -> None:
    h = hdr(keys)
    rempart.matcher.stop()
    rempart.matcher.ready = False
    for url in (
        f"/m/raw_lookup?signal_type=pdq&signal={SPECIMEN1}",
        f"/m/lookup?signal_type=pdq&signal={SPECIMEN1}",
    ):
        r = app_client.get(url, headers=h)
        assert r.status_code == 503 and r.json()["message"] == "index not yet ready"


def test_site_map_lists_hma_paths(app_client: TestClient) -> None:
    r = app_client.get("/site-map")  # public, as in HMA (used as a liveness probe)
    assert r.status_code == 200
    paths = r.json()
    assert paths == sorted(paths)
    for p in (
        "/c/bank/<bank_name>",
        "/c/bank/<bank_name>/content/<content_id>",
        "/c/banks",
        "/h/hash",
        "/m/lookup",
        "/m/raw_lookup",
        "/status",
    ):
        assert p in paths


def test_hma_banks(app_client: TestClient, keys: dict[str, str]) -> None:
    """tests/test_api_banks.py: index, create, update, delete."""
    h = hdr(keys, "curator")
    r = app_client.get("/c/banks", headers=h)
    assert (r.status_code, r.json()) == (200, [])
    for bad in ("01_TEST_BANK", "my_test_bank"):
        assert app_client.post("/c/banks", json={"name": bad}, headers=h).status_code == 400
    created = app_client.post("/c/banks", json={"name": "MY_TEST_BANK_01"}, headers=h)
    assert created.status_code == 201
    assert created.json() == {"matching_enabled_ratio": 1.0, "name": "MY_TEST_BANK_01"}
    assert app_client.get("/c/banks", headers=h).json() == [created.json()]
    app_client.delete("/c/bank/MY_TEST_BANK_01", headers=h)

    create_bank(app_client, h, "MY_TEST_BANK")
    r = app_client.put("/c/bank/MY_TEST_BANK", json={"name": "1_invalid_name"}, headers=h)
    assert r.status_code == 400
    r = app_client.put("/c/bank/MY_TEST_BANK", json={"name": "MY_TEST_BANK_RENAMED"}, headers=h)
    assert r.status_code == 200 and r.json()["name"] == "MY_TEST_BANK_RENAMED"
    r = app_client.put("/c/bank/MY_TEST_BANK_RENAMED", json={"enabled": False}, headers=h)
    assert r.status_code == 200 and r.json()["matching_enabled_ratio"] == 0
    r = app_client.put("/c/bank/MY_TEST_BANK_RENAMED", json={"enabled_ratio": 0.5}, headers=h)
    assert r.status_code == 200 and r.json()["matching_enabled_ratio"] == 0.5
    assert app_client.get("/c/banks", headers=h).json() == [
        {"name": "MY_TEST_BANK_RENAMED", "matching_enabled_ratio": 0.5}
    ]
    # HMA looks the bank up before validating the body
    r = app_client.put("/c/bank/NO_SUCH_BANK", json={"name": "bad name"}, headers=h)
    assert r.status_code == 404 and r.json()["message"] == "Bank not found"
    assert app_client.delete("/c/bank/MY_TEST_BANK_RENAMED", headers=h).status_code == 200
    assert app_client.delete("/c/bank/MY_TEST_BANK_RENAMED", headers=h).status_code == 200


def test_ruby_client_bank_calls(app_client: TestClient, keys: dict[str, str]) -> None:
    """fetlife/hasher_matcher_actioner_api create_bank / get_bank, as its VCR cassettes show."""
    h = hdr(keys, "curator")
    r = app_client.get("/c/bank/bad_name", headers=h)
    assert r.status_code == 404 and r.json()["message"] == "bank 'bad_name' not found"
    body = {"name": "bad_name", "enabled": "true", "matching_enabled_ratio": 1.0}
    r = app_client.post("/c/banks", json=body, headers=h)
    assert r.status_code == 400
    assert r.json()["message"] == "Bank names must be UPPER_WITH_UNDERSCORE"
    body["name"] = "TEST_BANK"
    r = app_client.post("/c/banks", json=body, headers=h)
    assert r.status_code == 201
    assert r.json() == {"matching_enabled_ratio": 1.0, "name": "TEST_BANK"}
    r = app_client.post("/c/banks", json=body, headers=h)
    assert r.status_code == 403 and "already exists" in r.json()["message"]
    assert app_client.get("/c/bank/TEST_BANK", headers=h).json()["name"] == "TEST_BANK"


def test_hma_bank_content(
    app_client: TestClient, keys: dict[str, str], images: dict[str, bytes]
) -> None:
    """tests/test_api_banks.py: content added by URL, fetched, updated, deleted."""
    h = hdr(keys)
    r = app_client.get("/c/bank/TEST_BANK_GET/content/1", headers=h)
    assert r.status_code == 404
    create_bank(app_client, h, "TEST_BANK_GET")
    assert app_client.get("/c/bank/TEST_BANK_GET/content/1", headers=h).status_code == 404
    cid = add_hash_to_bank(app_client, h, "TEST_BANK_GET", IMAGE_URL, images[IMAGE_URL])
    r = app_client.get(f"/c/bank/TEST_BANK_GET/content/{cid}", headers=h)
    assert r.status_code == 200
    assert r.json() == {
        "id": cid,
        "disable_until_ts": 1,
        "original_media_uri": None,
        "bank": {"matching_enabled_ratio": 1.0, "name": "TEST_BANK_GET"},
    }
    r = app_client.get(f"/c/bank/TEST_BANK_GET/content/{cid}?include_signals=true", headers=h)
    assert r.json()["signals"] == {"pdq": pytx_pdq(images[IMAGE_URL])}
    assert (
        "signals"
        in app_client.get(
            f"/c/bank/TEST_BANK_GET/content/{cid}?include_signals=True", headers=h
        ).json()
    )
    assert app_client.get("/c/bank/TEST_BANK_GET/content/abc", headers=h).status_code == 404

    one_year = int((datetime.now() + timedelta(days=365)).timestamp())
    r = app_client.put(
        f"/c/bank/TEST_BANK_GET/content/{cid}", json={"disable_until_ts": one_year}, headers=h
    )
    assert r.status_code == 200 and r.json()["disable_until_ts"] == one_year
    assert set(r.json()) >= {"id", "disable_until_ts", "collab_metadata", "bank"}
    r = app_client.put(
        f"/c/bank/TEST_BANK_GET/content/{cid}", json={"disable_until_ts": 9999999999}, headers=h
    )
    assert r.status_code == 400
    r = app_client.put(f"/c/bank/TEST_BANK_GET/content/{cid}", content=b"{}", headers=h)
    assert r.status_code == 415  # Flask's get_json() without a JSON content type
    r = app_client.put("/c/bank/TEST_BANK_GET/content/999", json={}, headers=h)
    assert r.status_code == 404

    r = app_client.delete(f"/c/bank/TEST_BANK_GET/content/{cid}", headers=h)
    assert (r.status_code, r.json()) == (200, {"deleted": 1})
    r = app_client.delete(f"/c/bank/TEST_BANK_GET/content/{cid}", headers=h)
    assert (r.status_code, r.json()) == (200, {"deleted": 0})
    assert app_client.delete("/c/bank/TEST_BANK_GET/content/x", headers=h).status_code == 404


def test_hma_add_metadata(
    app_client: TestClient, keys: dict[str, str], images: dict[str, bytes]
) -> None:
    """tests/test_api_banks.py test_banks_add_metadata, then reading it back (issue #1886)."""
    h = hdr(keys)
    create_bank(app_client, h, "NEW_BANK")
    url = f"/c/bank/NEW_BANK/content?url={IMAGE_URL}&content_type=photo"
    r = app_client.post(url, json={"metadata": {"invalid_metadata": 5}}, headers=h)
    assert r.status_code == 400, r.text
    r = app_client.post(url, json={"metadata": {"json": ["not", "an", "object"]}}, headers=h)
    assert r.status_code == 400
    r = app_client.post(
        url, json={"metadata": {"content_id": "1197433091", "json": {"asdf": {}}}}, headers=h
    )
    assert r.status_code == 200, r.text
    got = app_client.get(f"/c/bank/NEW_BANK/content/{r.json()['id']}", headers=h).json()
    assert got["metadata"] == {
        "content_id": "1197433091",
        "content_uri": None,
        "json": {"asdf": {}},
        "collab": None,
    }
    got = app_client.get(
        f"/c/bank/NEW_BANK/content/{r.json()['id']}?include_metadata=false", headers=h
    ).json()
    assert "metadata" not in got


def test_metadata_from_ui_form_and_ruby_query(
    app_client: TestClient, keys: dict[str, str], images: dict[str, bytes]
) -> None:
    """HMA's UI sends metadata as a multipart field; the Ruby client as a query parameter."""
    h = hdr(keys)
    create_bank(app_client, h, "TEST_BANK")
    meta = {"content_id": "test-content-456", "content_uri": "https://example.com/o.jpg"}
    r = app_client.post(
        "/c/bank/TEST_BANK/content",
        files={"photo": ("image-in-hash-db.jpg", images[IMAGE_URL], "image/jpeg")},
        data={"metadata": json.dumps(meta)},
        headers=h,
    )
    assert r.status_code == 200, r.text
    assert r.json() == {"id": r.json()["id"], "signals": {"pdq": pytx_pdq(images[IMAGE_URL])}}
    got = app_client.get(f"/c/bank/TEST_BANK/content/{r.json()['id']}", headers=h).json()
    assert got["metadata"] == meta | {"json": None, "collab": None}
    query = json.dumps({"content_id": "q-1", "json": {"source": "url_test"}})
    r = app_client.post(
        f"/c/bank/TEST_BANK/content?content_type=photo&metadata={query}&url={IMAGE_URL}",
        headers=h,
    )
    assert r.status_code == 200, r.text
    got = app_client.get(f"/c/bank/TEST_BANK/content/{r.json()['id']}", headers=h).json()
    assert got["metadata"]["content_id"] == "q-1"
    assert got["metadata"]["json"] == {"source": "url_test"}
    r = app_client.post("/c/bank/TEST_BANK/content", headers=h)
    assert r.status_code == 400
    assert r.json()["message"] == "Neither `url` nor multipart file upload was received"
    r = app_client.post(
        "/c/bank/NON_EXISTENT_BANK/content",
        files={"photo": ("x.jpg", images[IMAGE_URL], "image/jpeg")},
        headers=h,
    )
    assert r.status_code == 404
    assert r.json()["message"] == "bank 'NON_EXISTENT_BANK' not found"


def test_hma_add_hash_index(
    app_client: TestClient, keys: dict[str, str], images: dict[str, bytes]
) -> None:
    """tests/test_api_banks.py test_banks_add_hash_index."""
    h = hdr(keys)
    create_bank(app_client, h, "NEW_BANK")
    id1 = add_hash_to_bank(app_client, h, "NEW_BANK", IMAGE_URL, images[IMAGE_URL])
    create_bank(app_client, h, "NEW_BANK_2")
    id2 = add_hash_to_bank(app_client, h, "NEW_BANK", IMAGE_URL_2, images[IMAGE_URL_2])
    for url, cid in ((IMAGE_URL, id1), (IMAGE_URL_2, id2)):
        q = f"/m/raw_lookup?signal_type=pdq&signal={pytx_pdq(images[url])}"
        assert wait_for(lambda q=q: app_client.get(q, headers=h).json(), {"matches": [cid]}) == {
            "matches": [cid]
        }


def test_hma_get_content_signal_type(app_client: TestClient, keys: dict[str, str]) -> None:
    """tests/test_api_banks.py test_bank_get_content_signal_validation (older HMA)."""
    h = hdr(keys)
    create_bank(app_client, h, "TEST_BANK")
    r = app_client.post("/c/bank/TEST_BANK/signal", json={"pdq": "0" * 64}, headers=h)
    assert r.status_code == 200
    cid = r.json()["id"]
    r = app_client.get(f"/c/bank/TEST_BANK/content/{cid}?signal_type=video_md5", headers=h)
    assert r.status_code == 200 and r.json()["signals"] == {}
    r = app_client.get(f"/c/bank/TEST_BANK/content/{cid}?signal_type=pdq", headers=h)
    assert r.json()["signals"] == {"pdq": "0" * 64}
    r = app_client.get(f"/c/bank/TEST_BANK/content/{cid}?signal_type=invalid", headers=h)
    assert r.status_code == 400 and "No such signal type" in r.json()["message"]


def test_hma_e2e_workflow(app_client: TestClient, keys: dict[str, str]) -> None:
    """tests/test_e2e_workflow.py: bank pytx's PDQ examples by hash, check the index, match."""
    h = hdr(keys)
    create_bank(app_client, h, "TEST_BANK")
    examples = PdqSignal.get_examples()
    ids = []
    for pdq in examples:
        r = app_client.post("/c/bank/TEST_BANK/signal", json={"pdq": pdq}, headers=h)
        assert r.status_code == 200
        assert r.json() == {"id": r.json()["id"], "signals": {"pdq": pdq}}
        ids.append(r.json()["id"])

    def size() -> Any:
        return app_client.get("/m/index/status?signal_type=pdq", headers=h).json()

    info = wait_for(size, {"pdq": size()["pdq"] | {"size": len(examples)}})
    assert set(info) == {"pdq"}
    assert info["pdq"]["present"] is True and info["pdq"]["size"] == len(examples)
    r = app_client.get(f"/m/lookup?signal_type=pdq&signal={examples[-1]}", headers=h)
    assert r.status_code == 200
    assert r.json() == {"TEST_BANK": [{"bank_content_id": ids[-1], "distance": "0"}]}
    r = app_client.get("/m/lookup?signal_type=pdq&signal=" + "5" * 64, headers=h)
    assert (r.status_code, r.json()) == (200, {})
    r = app_client.get("/m/index/status?signal_type=nope", headers=h)
    assert r.status_code == 400 and r.json()["message"] == "No such signal type 'nope'"


def _sample_bank(client: TestClient, h: dict[str, str]) -> dict[str, str]:
    """Stand-in for HMA's StaticSampleSignalExchangeAPI: one example of each HMA type."""
    create_bank(client, h, "SAMPLE")
    samples = {"pdq": PdqSignal.get_examples()[0], "video_md5": VideoMD5Signal.get_examples()[0]}
    for st, value in samples.items():
        assert client.post("/c/bank/SAMPLE/signal", json={st: value}, headers=h).status_code == 200
    return samples


def test_hma_raw_lookups_and_lookups(app_client: TestClient, keys: dict[str, str]) -> None:
    """tests/test_match_api.py test_raw_lookups and test_lookups."""
    h = hdr(keys)
    for st, sig in _sample_bank(app_client, h).items():
        query = {"signal": sig, "signal_type": st}

        def raw(q: dict[str, Any] = query) -> Any:
            return app_client.get("/m/raw_lookup", params=q, headers=h)

        assert wait_for(lambda: len(raw().json()["matches"]) >= 1, True)
        assert raw().status_code == 200
        count = len(raw().json()["matches"])
        with_dist = raw(query | {"include_distance": True})
        assert with_dist.status_code == 200 and len(with_dist.json()["matches"]) == count
        for m in with_dist.json()["matches"]:
            assert "bank_content_id" in m and "distance" in m
        r = app_client.get("/m/lookup", params=query, headers=h)
        assert r.status_code == 200 and list(r.json()) == ["SAMPLE"]
        for m in r.json()["SAMPLE"]:
            assert "bank_content_id" in m and "distance" in m
    # pytx's pretty_str: an int distance for PDQ, "-" for exact hashes
    r = app_client.get(
        "/m/lookup",
        params={"signal_type": "video_md5", "signal": VideoMD5Signal.get_examples()[0]},
        headers=h,
    )
    assert r.json()["SAMPLE"][0]["distance"] == "-"


def test_hma_bank_filters(app_client: TestClient, keys: dict[str, str]) -> None:
    """tests/test_match_api.py: raw_lookup and lookup with ``banks``."""
    h = hdr(keys)
    pdq = PdqSignal.get_examples()[0]
    for bank in ("BANK_A", "BANK_B", "BANK_C"):
        create_bank(app_client, h, bank)
        app_client.post(f"/c/bank/{bank}/signal", json={"pdq": pdq}, headers=h)
    query: dict[str, Any] = {"signal": pdq, "signal_type": "pdq"}

    def raw(**extra: Any) -> Any:
        return app_client.get("/m/raw_lookup", params=query | extra, headers=h).json()

    def look(**extra: Any) -> Any:
        return app_client.get("/m/lookup", params=query | extra, headers=h).json()

    assert wait_for(lambda: len(raw()["matches"]), 3) == 3
    assert len(raw(banks="BANK_A")["matches"]) == 1
    assert len(raw(banks="BANK_A,BANK_B")["matches"]) == 2
    assert len(raw(banks="NON_EXISTENT_BANK")["matches"]) == 0
    both = raw(banks="BANK_A,BANK_B", include_distance=True)["matches"]
    assert len(both) == 2 and all(set(m) == {"bank_content_id", "distance"} for m in both)
    assert set(look()) == {"BANK_A", "BANK_B", "BANK_C"}
    assert set(look(banks="BANK_A")) == {"BANK_A"} and look(banks="BANK_A")["BANK_A"]
    assert set(look(banks="BANK_A,BANK_C")) == {"BANK_A", "BANK_C"}
    assert look(banks="NON_EXISTENT_BANK") == {}


def test_hma_compare(app_client: TestClient, keys: dict[str, str]) -> None:
    """tests/test_api.py test_compare_hashes."""
    h = hdr(keys, "matcher")
    r = app_client.post("/m/compare", json={"pdq": [SPECIMEN1, SPECIMEN2]}, headers=h)
    assert r.json() == {"pdq": [True, {"distance": 9}]}
    expected = PdqSignal.compare_hash(SPECIMEN1, SPECIMEN2)
    assert r.json()["pdq"][1]["distance"] == expected.distance.distance  # type: ignore[attr-defined]
    bad_inputs: list[Any] = [
        ["banana"],
        {"pdq": "banana"},
        {"pdq": []},
        {"pdq": ["banana", "banana"]},
        {"pdq": [SPECIMEN1, SPECIMEN2, SPECIMEN1]},
    ]
    for bad in bad_inputs:
        r = app_client.post("/m/compare", json=bad, headers=h)
        assert r.status_code == 400 and r.json()["message"], bad
    r = app_client.post("/m/compare", content=b'{"pdq": []}', headers=h)
    assert r.status_code == 415


def test_hma_hashing(
    app_client: TestClient, keys: dict[str, str], images: dict[str, bytes]
) -> None:
    """/h/hash by upload (the Google client, HMA's curl example) and by URL: pytx's exact PDQ."""
    h = hdr(keys, "hasher")
    for data in images.values():
        r = app_client.post("/h/hash", files={"photo": data}, headers=h)
        assert r.status_code == 200 and r.json() == {"pdq": pytx_pdq(data)}
    r = app_client.get(f"/h/hash?url={IMAGE_URL}", headers=h)
    assert r.json() == {"pdq": pytx_pdq(images[IMAGE_URL])}
    r = app_client.get(f"/h/hash?url={IMAGE_URL}&content_type=photo&types=pdq", headers=h)
    assert r.json() == {"pdq": pytx_pdq(images[IMAGE_URL])}
    data = images[IMAGE_URL]
    r = app_client.post("/h/hash?types=pdq,md5", files={"photo": data}, headers=h)
    assert set(r.json()) == {"pdq", "md5"}
    r = app_client.post("/h/hash?types=", files={"photo": data}, headers=h)
    assert r.status_code == 400 and r.json()["message"] == "empty signal type selection"
    r = app_client.post("/h/hash?types=video_md5", files={"photo": data}, headers=h)
    assert r.status_code == 400
    assert r.json()["message"] == "signal type 'video_md5' doesn't exist or is disabled"
    r = app_client.get(f"/h/hash?url={IMAGE_URL}&content_type=text", headers=h)
    assert r.status_code == 400 and r.json()["message"] == "no such content_type: 'text'"
    r = app_client.post("/h/hash", files=[("photo", data), ("photo", data)], headers=h)
    assert r.status_code == 400 and r.json()["message"] == "Only one file allowed per request"
    r = app_client.post("/h/hash", headers=h)
    assert r.json()["message"] == "Missing multipart/form-data file upload"
    # HMA MD5s any bytes sent as "video"; our intake refuses a photo labelled as a video
    r = app_client.post("/h/hash", files={"video": data}, headers=h)
    assert r.status_code == 415 and r.json()["message"]
    # too little detail: pytx's PdqSignal gives "" and so do we
    flat = encode(Image.new("RGB", (300, 300), (128, 128, 128)))
    assert pytx_pdq(flat) == ""
    assert app_client.post("/h/hash", files={"photo": flat}, headers=h).json() == {"pdq": ""}


def test_url_refusals_are_400(
    app_client: TestClient, rempart: Rempart, keys: dict[str, str]
) -> None:
    """HMA answers a refused or unfetchable URL with 400 ("Invalid or unsafe URL provided")."""
    h = hdr(keys)
    rempart.settings.allow_hash_url = True  # no hosts listed: every host is refused
    r = app_client.get("/h/hash?url=https://example.com/a.jpg", headers=h)
    assert r.status_code == 400 and r.json()["code"] == "host_not_allowed"
    r = app_client.get("/m/lookup?url=ftp://example.com/a.jpg", headers=h)
    assert r.status_code == 400 and r.json()["code"] == "bad_url"


def test_hma_lookup_post_and_url(
    app_client: TestClient, keys: dict[str, str], images: dict[str, bytes]
) -> None:
    """POST /m/lookup (tests/test_api.py test_lookup_success, the Ruby client's lookup_file) and
    GET /m/lookup?url= (its lookup_url): ``{signal_type: {bank: [matches]}}``."""
    h = hdr(keys)
    create_bank(app_client, h, "BANK")
    cid = add_hash_to_bank(app_client, h, "BANK", IMAGE_URL, images[IMAGE_URL])
    expected = {"pdq": {"BANK": [{"bank_content_id": cid, "distance": "0"}]}}

    def post(query: str = "") -> Any:
        files = {"photo": ("image-in-hash-db.jpg", images[IMAGE_URL], "image/jpeg")}
        return app_client.post(f"/m/lookup{query}", files=files, headers=h)

    assert wait_for(lambda: post().json(), expected) == expected
    assert post("?bypass_coinflip=false&seed=1234").json() == expected
    assert post("?banks=BANK").json() == expected
    assert post("?banks=OTHER").json() == {"pdq": {}}
    assert post("?types=pdq,md5").json() == expected | {"md5": {}}
    r = app_client.get(f"/m/lookup?types=pdq&url={IMAGE_URL}", headers=h)
    assert r.status_code == 200 and r.json() == expected
    r = app_client.get(f"/m/lookup?url={IMAGE_URL}&signal_type=pdq", headers=h)
    assert r.json() == expected["pdq"]
    other = app_client.post(
        "/m/lookup", files={"photo": ("x.jpg", encode(photo(40)))}, headers=h
    ).json()
    assert other == {"pdq": {}}
    r = app_client.post("/m/lookup", files={"file": ("x.jpg", images[IMAGE_URL])}, headers=h)
    assert r.status_code == 400
    r = app_client.get("/m/lookup?signal_type=pdq", headers=h)
    assert r.status_code == 400
    assert r.json()["message"] == "Either url or both signal and signal_type are required"
    r = app_client.get("/m/lookup?signal_type=nope&signal=x", headers=h)
    assert r.status_code == 400 and r.json()["message"] == "No such SignalType 'nope'"
    r = app_client.get("/m/lookup?signal_type=pdq&signal=x", headers=h)
    assert r.status_code == 400 and r.json()["message"].startswith("invalid signal: ")


def test_low_quality_photo_banks_by_digest(app_client: TestClient, keys: dict[str, str]) -> None:
    """HMA answers 400 (its PDQ is ""): we bank the photo's MD5 and SHA-256 instead."""
    h = hdr(keys)
    create_bank(app_client, h, "B")
    flat = encode(Image.new("RGB", (300, 300), (10, 10, 10)))
    r = app_client.post("/c/bank/B/content", files={"photo": ("f.jpg", flat)}, headers=h)
    assert r.status_code == 200 and set(r.json()["signals"]) == {"md5", "sha256"}
    r = app_client.post("/c/bank/B/content?types=pdq", files={"photo": ("f.jpg", flat)}, headers=h)
    assert r.status_code == 400 and r.json()["message"].startswith("No signals given")


def test_signal_type_index(app_client: TestClient, keys: dict[str, str]) -> None:
    """GET /c/signal_type/index, HMA's per-type index freshness."""
    h = hdr(keys)
    create_bank(app_client, h, "B")
    app_client.post("/c/bank/B/signal", json={"pdq": SPECIMEN1}, headers=h)

    def status() -> Any:
        return app_client.get("/c/signal_type/index?signal_type=pdq", headers=h).json()

    got = wait_for(lambda: status()["pdq"]["index_out_of_date"], False)
    assert got is False
    pdq = status()["pdq"]
    assert set(pdq) == {
        "db_size",
        "index_size",
        "index_out_of_date",
        "newest_db_item",
        "index_built_to",
    }
    assert pdq["db_size"] == pdq["index_size"] == 1 and pdq["newest_db_item"] > 0
    assert app_client.get("/c/signal_type/index?signal_type=x", headers=h).status_code == 400
