"""A real HTTP client, sending HMA's own requests, against a live Rempart server.

The server runs under uvicorn on a loopback port; the client is ``requests``, as HMA's scripts
and most integrations use it. Each test sends the calls of one upstream file, with its request
shapes (JSON bodies, query strings, multipart fields named by content type) and asserts what the
upstream test asserts. Upstream: facebook/ThreatExchange, hasher-matcher-actioner/src/
OpenMediaMatch/tests/{test_api.py, test_api_banks.py, test_match_api.py, test_e2e_workflow.py},
hasher-matcher-actioner/docs/api.md (curl examples) and OpenMediaMatch/static/js/match-form.js.

Credentials go where an unchanged HMA client can put them: in the base URL
(``http://user:KEY@host``, sent by requests as HTTP Basic), or nowhere at all when key-less
HMA access is configured for the client's network. HMA's tests bank images by URL (GitHub);
nothing may be downloaded here, so images go up as multipart uploads, HMA's other way.
"""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import requests
import uvicorn
from threatexchange.signal_type.md5 import VideoMD5Signal
from threatexchange.signal_type.pdq.signal import PdqSignal

from rempart.api.app import create_app
from rempart.context import Rempart
from tests.api.test_hma import wait_for
from tests.conftest import encode, photo


@pytest.fixture
def server(rempart: Rempart) -> Iterator[str]:
    """``http://127.0.0.1:<port>``: the full app served by uvicorn in a thread."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(rempart, sync_interval_s=0.1), log_level="warning", lifespan="on"
    )
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert srv.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(10)
        sock.close()


class Hma:
    """A minimal HMA client: a base URL and a requests session, nothing Rempart-specific."""

    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")
        self.session = requests.Session()

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.session.get(self.base + path, timeout=30, **kw)

    def post(self, path: str, **kw: Any) -> requests.Response:
        return self.session.post(self.base + path, timeout=30, **kw)

    def put(self, path: str, **kw: Any) -> requests.Response:
        return self.session.put(self.base + path, timeout=30, **kw)

    def delete(self, path: str, **kw: Any) -> requests.Response:
        return self.session.delete(self.base + path, timeout=30, **kw)


def with_key(server: str, key: str, user: str = "hma") -> str:
    """The server's base URL carrying ``key`` as the password (``http://user:KEY@host``)."""
    return server.replace("http://", f"http://{user}:{key}@", 1)


@pytest.fixture
def hma(server: str, keys: dict[str, str]) -> Hma:
    """A client whose base URL carries an admin key."""
    return Hma(with_key(server, keys["admin"]))


def create_bank(client: Hma, name: str) -> None:
    """tests/utils.py create_bank."""
    r = client.post("/c/banks", json={"name": name})
    assert r.status_code == 201
    assert r.json() == {"matching_enabled_ratio": 1.0, "name": name}


def image(seed: int) -> bytes:
    return encode(photo(seed, (800, 600)), quality=90)


def add_photo(client: Hma, bank: str, data: bytes, **form: str) -> int:
    """tests/utils.py add_hash_to_bank, by upload: ``{"id", "signals": {"pdq": pytx's}}``."""
    r = client.post(
        f"/c/bank/{bank}/content", files={"photo": ("image.jpg", data, "image/jpeg")}, data=form
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body == {"id": body["id"], "signals": {"pdq": str(PdqSignal.hash_from_bytes(data))}}
    return int(body["id"])


# --- tests/test_api.py and tests/test_api_banks.py ---------------------------------------------
def test_status_needs_no_key(server: str) -> None:
    """test_api.py test_status_response; app.py's ``/`` redirects to ``/status``."""
    client = Hma(server)
    r = client.get("/status")
    assert (r.status_code, r.text) == (200, "I-AM-ALIVE")
    r = client.get("/")
    assert (r.status_code, r.text) == (200, "I-AM-ALIVE") and r.history[0].status_code == 302
    paths = client.get("/site-map").json()
    assert paths == sorted(paths) and {"/c/banks", "/m/lookup", "/h/hash"} <= set(paths)


def test_banks_crud(hma: Hma) -> None:
    """test_api_banks.py test_banks_empty_index / _create / _update / _delete."""
    r = hma.get("/c/banks")
    assert (r.status_code, r.json()) == (200, [])
    assert hma.post("/c/banks", json={"name": "01_TEST_BANK"}).status_code == 400
    assert hma.post("/c/banks", json={"name": "my_test_bank"}).status_code == 400
    r = hma.post("/c/banks", json={"name": "MY_TEST_BANK_01"})
    assert r.status_code == 201
    assert r.json() == {"matching_enabled_ratio": 1.0, "name": "MY_TEST_BANK_01"}
    assert hma.get("/c/banks").json() == [r.json()]
    assert hma.delete("/c/bank/MY_TEST_BANK_01").status_code == 200

    assert hma.post("/c/banks", json={"name": "MY_TEST_BANK"}).status_code == 201
    assert hma.put("/c/bank/MY_TEST_BANK", json={"name": "1_invalid_name"}).status_code == 400
    r = hma.put("/c/bank/MY_TEST_BANK", json={"name": "MY_TEST_BANK_RENAMED"})
    assert r.status_code == 200 and r.json()["name"] == "MY_TEST_BANK_RENAMED"
    r = hma.put("/c/bank/MY_TEST_BANK_RENAMED", json={"enabled": False})
    assert r.status_code == 200 and r.json()["matching_enabled_ratio"] == 0
    r = hma.put("/c/bank/MY_TEST_BANK_RENAMED", json={"enabled_ratio": 0.5})
    assert r.status_code == 200 and r.json()["matching_enabled_ratio"] == 0.5
    assert hma.get("/c/banks").json() == [
        {"name": "MY_TEST_BANK_RENAMED", "matching_enabled_ratio": 0.5}
    ]
    assert hma.get("/c/bank/MY_TEST_BANK_RENAMED").json()["matching_enabled_ratio"] == 0.5
    assert hma.delete("/c/bank/MY_TEST_BANK_RENAMED").status_code == 200
    r = hma.delete("/c/bank/MY_TEST_BANK_RENAMED")  # deleting a missing bank succeeds
    assert (r.status_code, r.json()) == (200, {"message": "Done"})


def test_bank_content(hma: Hma) -> None:
    """test_api_banks.py test_bank_get_content(_404), test_bank_update_content(_400),
    test_banks_delete_content, test_bank_get_content_with_signals, test_banks_add_metadata."""
    assert hma.get("/c/bank/TEST_BANK_GET/content/1").status_code == 404
    create_bank(hma, "TEST_BANK_GET")
    r = hma.get("/c/bank/TEST_BANK_GET/content/1")
    assert r.status_code == 404 and r.json()["message"]
    data = image(1)
    meta = {"content_id": "1197433091", "json": {"asdf": {}}}
    cid = add_photo(hma, "TEST_BANK_GET", data, metadata=json.dumps(meta))

    r = hma.get(f"/c/bank/TEST_BANK_GET/content/{cid}")
    assert r.status_code == 200 and r.json()["id"] == cid
    assert r.json()["bank"] == {"matching_enabled_ratio": 1.0, "name": "TEST_BANK_GET"}
    assert r.json()["metadata"]["content_id"] == "1197433091"
    assert "signals" not in r.json()
    r = hma.get(f"/c/bank/TEST_BANK_GET/content/{cid}?include_signals=true")
    assert r.json()["signals"] == {"pdq": str(PdqSignal.hash_from_bytes(data))}

    bad = hma.post(
        "/c/bank/TEST_BANK_GET/content",
        files={"photo": ("image.jpg", data, "image/jpeg")},
        data={"metadata": json.dumps({"invalid_metadata": 5})},
    )
    assert bad.status_code == 400 and bad.json()["message"]

    one_year = int((datetime.now() + timedelta(days=365)).timestamp())
    r = hma.put(f"/c/bank/TEST_BANK_GET/content/{cid}", json={"disable_until_ts": one_year})
    assert r.status_code == 200 and r.json()["disable_until_ts"] == one_year
    r = hma.put(f"/c/bank/TEST_BANK_GET/content/{cid}", json={"disable_until_ts": 9999999999})
    assert r.status_code == 400

    r = hma.delete(f"/c/bank/TEST_BANK_GET/content/{cid}")
    assert (r.status_code, r.json()) == (200, {"deleted": 1})
    r = hma.get(f"/m/raw_lookup?signal_type=pdq&signal={PdqSignal.hash_from_bytes(data)}")
    assert (r.status_code, r.json()) == (200, {"matches": []})


def test_add_hash_index(hma: Hma) -> None:
    """test_api_banks.py test_banks_add_hash_index: each banked image found by raw_lookup."""
    create_bank(hma, "NEW_BANK")
    first, second = image(2), encode(photo(3, (640, 480)), "PNG")
    id1 = add_photo(hma, "NEW_BANK", first)
    create_bank(hma, "NEW_BANK_2")
    id2 = add_photo(hma, "NEW_BANK", second)
    for data, cid in ((first, id1), (second, id2)):
        url = f"/m/raw_lookup?signal_type=pdq&signal={PdqSignal.hash_from_bytes(data)}"
        assert wait_for(lambda url=url: hma.get(url).json(), {"matches": [cid]}) == {
            "matches": [cid]
        }


# --- tests/test_e2e_workflow.py and tests/test_match_api.py ------------------------------------
def test_e2e_workflow(hma: Hma) -> None:
    """test_e2e_workflow.py test_add_hashes_and_find_match."""
    create_bank(hma, "TEST_BANK")
    hashes = PdqSignal.get_examples()
    ids = []
    for pdq in hashes:
        resp = hma.post("/c/bank/TEST_BANK/signal", json={"pdq": pdq})
        assert resp.status_code == 200
        ids.append(resp.json()["id"])

    def build_info() -> Any:
        return hma.get("/m/index/status?signal_type=pdq").json()["pdq"]["size"]

    assert wait_for(build_info, len(hashes)) == len(hashes)
    all_build_info = hma.get("/m/index/status?signal_type=pdq").json()
    assert "pdq" in all_build_info and all_build_info["pdq"]["present"] is True
    resp = hma.get(f"/m/lookup?signal_type=pdq&signal={hashes[-1]}")
    assert resp.status_code == 200
    assert resp.json() == {"TEST_BANK": [{"bank_content_id": ids[-1], "distance": "0"}]}
    resp = hma.get("/m/lookup?signal_type=pdq&signal=" + "5" * 64)
    assert (resp.status_code, resp.json()) == (200, {})


def test_raw_lookups_and_lookups(hma: Hma) -> None:
    """test_match_api.py test_raw_lookups / test_lookups over one example of each HMA type
    (standing in for its StaticSampleSignalExchangeAPI bank "SAMPLE")."""
    create_bank(hma, "SAMPLE")
    types = {"pdq": PdqSignal, "video_md5": VideoMD5Signal}
    for name, st in types.items():
        r = hma.post("/c/bank/SAMPLE/signal", json={name: st.get_examples()[0]})
        assert r.status_code == 200
    for sig_name, st in types.items():
        query_str: dict[str, Any] = {"signal": st.get_examples()[0], "signal_type": sig_name}
        assert (
            wait_for(
                lambda q=query_str: len(hma.get("/m/raw_lookup", params=q).json()["matches"]), 1
            )
            == 1
        )
        resp = hma.get("/m/raw_lookup", params=query_str)
        assert resp.status_code == 200
        match_count = len(resp.json()["matches"])
        query_str["include_distance"] = True  # requests sends "True", as Flask's client did
        resp = hma.get("/m/raw_lookup", params=query_str)
        assert resp.status_code == 200 and len(resp.json()["matches"]) == match_count
        for match in resp.json()["matches"]:
            assert "bank_content_id" in match and "distance" in match

        del query_str["include_distance"]
        resp = hma.get("/m/lookup", params=query_str)
        assert resp.status_code == 200
        assert len(resp.json()) == 1 and "SAMPLE" in resp.json()
        for match in resp.json()["SAMPLE"]:
            assert "bank_content_id" in match and "distance" in match


def test_bank_filters(hma: Hma) -> None:
    """test_match_api.py test_raw_lookup_with_bank_filter, _with_distance_and_bank_filter,
    test_lookup_with_bank_filter."""
    sig_str = PdqSignal.get_examples()[0]
    for bank in ("BANK_A", "BANK_B", "BANK_C"):
        create_bank(hma, bank)
        assert hma.post(f"/c/bank/{bank}/signal", json={"pdq": sig_str}).status_code == 200
    query_str: dict[str, Any] = {"signal": sig_str, "signal_type": "pdq"}

    def raw(**extra: Any) -> list[Any]:
        r = hma.get("/m/raw_lookup", params=query_str | extra)
        assert r.status_code == 200
        return list(r.json()["matches"])

    def look(**extra: Any) -> dict[str, Any]:
        r = hma.get("/m/lookup", params=query_str | extra)
        assert r.status_code == 200
        return dict(r.json())

    assert wait_for(lambda: len(raw()), 3) == 3
    assert len(raw(banks="BANK_A")) == 1
    assert len(raw(banks="BANK_A,BANK_B")) == 2
    assert len(raw(banks="NON_EXISTENT_BANK")) == 0
    matches = raw(include_distance=True, banks="BANK_A,BANK_B")
    assert len(matches) == 2
    assert all("bank_content_id" in m and "distance" in m for m in matches)
    assert set(look()) == {"BANK_A", "BANK_B", "BANK_C"}
    assert set(look(banks="BANK_A")) == {"BANK_A"} and len(look(banks="BANK_A")["BANK_A"]) > 0
    assert set(look(banks="BANK_A,BANK_C")) == {"BANK_A", "BANK_C"}
    assert look(banks="NON_EXISTENT_BANK") == {}
    # a repeated parameter means its first value, as Flask's request.args.get reads it
    repeated = [("signal_type", "pdq"), ("signal", sig_str), ("signal", "0" * 64)]
    r = hma.get("/m/lookup", params=[*repeated, ("banks", "BANK_B"), ("banks", "BANK_A")])
    assert set(r.json()) == {"BANK_B"}
    r = hma.get("/m/raw_lookup", params=repeated)
    assert len(r.json()["matches"]) == 3


# --- docs/api.md curl examples -----------------------------------------------------------------
def test_docs_curl_examples(hma: Hma) -> None:
    """docs/api.md: ``curl -X POST --form photo='@example.png' /h/hash``, the same to
    ``/m/lookup?bypass_coinflip=false``, and ``GET /m/lookup?signal_type=pdq&signal=...``."""
    data = encode(photo(7, (800, 600)), "PNG")
    pdq = str(PdqSignal.hash_from_bytes(data))
    r = hma.post("/h/hash", files={"photo": ("example.png", data, "image/png")})
    assert (r.status_code, r.json()) == (200, {"pdq": pdq})
    create_bank(hma, "TEST_BANK")
    cid = add_photo(hma, "TEST_BANK", data)
    expected = {"pdq": {"TEST_BANK": [{"bank_content_id": cid, "distance": "0"}]}}

    def lookup_upload() -> Any:
        files = {"photo": ("example.png", data, "image/png")}
        return hma.post("/m/lookup?bypass_coinflip=false", files=files).json()

    assert wait_for(lookup_upload, expected) == expected
    assert hma.post(
        "/m/lookup?seed=1234", files={"photo": ("example.png", data, "image/png")}
    ).json() == (expected)
    r = hma.get(f"/m/lookup?signal_type=pdq&signal={pdq}")
    assert r.json() == expected["pdq"]
    r = hma.post("/m/compare", json={"pdq": [pdq, pdq]})
    assert r.json() == {"pdq": [True, {"distance": 0}]}
    assert hma.get("/m/index/status").json()["pdq"]["present"] is True
    assert {"name": "pdq", "enabled_ratio": 1.0} in hma.get("/c/signal_type").json()
    assert hma.get("/c/content_type").json() == [
        {"enabled": True, "name": "photo"},
        {"enabled": True, "name": "video"},
    ]


# --- static/js/match-form.js and curation.py's exchange and signal-type routes ----------------
def test_ui_match_form(hma: Hma) -> None:
    """The match page's calls: ``/ui/query`` (file field named by content type),
    ``/ui/query_hash`` and ``/ui/bank/<bank>/content/find``, ``bypass_enabled_ratio`` as a
    form field."""
    create_bank(hma, "UI_BANK")
    data = image(9)
    cid = add_photo(hma, "UI_BANK", data)
    pdq = str(PdqSignal.hash_from_bytes(data))

    def query_hash() -> Any:
        form = {"signal_type": "pdq", "signal_value": pdq, "bypass_enabled_ratio": "true"}
        return hma.post("/ui/query_hash", data=form).json()

    result = wait_for(lambda: query_hash()["banks"], ["UI_BANK"])
    assert result == ["UI_BANK"]
    got = query_hash()
    assert got["hashes"] == {"pdq": pdq}
    assert got["matches"] == [
        {
            "bank_name": "UI_BANK",
            "content_id": cid,
            "distance": "0",
            "signal_type": "pdq",
            "signal_value": pdq,
        }
    ]
    r = hma.post(
        "/ui/query",
        files={"photo": ("image.jpg", data, "image/jpeg")},
        data={"bypass_enabled_ratio": "false"},
    )
    assert r.status_code == 200 and r.json()["banks"] == ["UI_BANK"]
    assert r.json()["hashes"]["pdq"] == pdq and r.json()["matches"][0]["content_id"] == cid
    r = hma.post("/ui/query_hash", data={"signal_type": "pdq"})
    assert r.status_code == 400 and r.json()["message"] == "Signal value is required"
    r = hma.post("/ui/bank/UI_BANK/content/find", json={"signal_type": "pdq", "signal_value": pdq})
    assert r.json()["content_ids"] == [cid] and r.json()["bank_name"] == "UI_BANK"
    r = hma.post("/ui/bank/UI_BANK/content/find", json={"nothing": 1})
    assert r.status_code == 400


def test_exchanges_and_signal_type_config(hma: Hma) -> None:
    """curation.py: exchange listing (none installed here) and PUT /c/signal_type/<name>."""
    assert hma.get("/c/exchanges").json() == []
    assert hma.get("/c/exchanges/apis").json() == []
    r = hma.get("/c/exchange/SAMPLE")
    assert r.status_code == 404 and r.json()["message"] == "Exchange 'SAMPLE' not found"
    r = hma.post("/c/exchanges", json={"bank": "lower", "api": "sample"})
    assert r.status_code == 400 and "must match" in r.json()["message"]
    r = hma.post("/c/exchanges", json={"bank": "SAMPLE", "api": "sample", "api_json": {}})
    assert r.status_code == 400 and r.json()["message"] == "No such exchange type 'sample'"
    r = hma.put("/c/signal_type/pdq", json={"enabled_ratio": 1.0})
    assert r.status_code == 204 and r.content == b""
    r = hma.put("/c/signal_type/pdq", json={"enabled_ratio": 0.5})
    assert r.status_code == 400 and r.json()["code"] == "not_supported"
    assert hma.put("/c/signal_type/nope", json={"enabled_ratio": 1.0}).status_code == 400


# --- authentication as an unchanged client can send it -----------------------------------------
def test_key_in_base_url_and_basic_auth(server: str, keys: dict[str, str]) -> None:
    """``http://user:KEY@host`` (requests sends Basic), curl's ``-u KEY:``, ``auth=``."""
    assert Hma(with_key(server, keys["curator"])).get("/c/banks").status_code == 200
    plain = Hma(server)
    # curl's ``http://KEY@host`` / ``-u KEY:``: the key as the user name, no password
    assert plain.get("/c/banks", auth=(keys["curator"], "")).status_code == 200
    assert plain.get("/c/banks", auth=("anyone", keys["curator"])).status_code == 200
    assert plain.get("/c/banks", headers={"X-API-Key": keys["curator"]}).status_code == 200
    bearer = {"Authorization": f"Bearer {keys['curator']}"}
    assert plain.get("/c/banks", headers=bearer).status_code == 200


def test_refusals_are_problem_details(server: str, keys: dict[str, str]) -> None:
    """Missing key, wrong key, unreadable Basic credentials → 401; a role lacking → 403."""
    plain = Hma(server)
    cases: list[tuple[requests.Response, int, str]] = [
        (plain.get("/c/banks"), 401, "no_api_key"),
        (Hma(with_key(server, "rmp_wrong")).get("/c/banks"), 401, "bad_api_key"),
        (plain.get("/c/banks", headers={"Authorization": "Basic !!notb64"}), 401, "no_api_key"),
        (plain.get("/c/banks", headers={"Authorization": "Digest abc"}), 401, "no_api_key"),
        (Hma(with_key(server, keys["matcher"])).get("/c/banks"), 403, "forbidden"),
        (Hma(with_key(server, keys["moderator"])).post("/h/hash"), 403, "forbidden"),
    ]
    empty = base64.b64encode(b":").decode()
    cases.append(
        (plain.get("/c/banks", headers={"Authorization": f"Basic {empty}"}), 401, "no_api_key")
    )
    for r, status, code in cases:
        assert r.status_code == status, (code, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        body = r.json()
        assert body["status"] == status and body["code"] == code and body["message"]


def test_keyless_hma_access_from_listed_networks(
    server: str, rempart: Rempart, keys: dict[str, str]
) -> None:
    """Opt-in: listed roles for key-less calls from listed networks, HMA routes only."""
    client = Hma(server)
    pdq = PdqSignal.get_examples()[0]
    lookup = f"/m/lookup?signal_type=pdq&signal={pdq}"
    assert client.get(lookup).status_code == 401  # off by default

    rempart.settings.hma_keyless_roles = ["matcher", "hasher"]
    rempart.settings.hma_keyless_networks = ["10.0.0.0/8"]  # not the client's network
    assert client.get(lookup).status_code == 401

    rempart.settings.hma_keyless_networks = ["10.0.0.0/8", "127.0.0.0/8"]
    r = client.get(lookup)
    assert (r.status_code, r.json()) == (200, {})
    data = image(4)
    r = client.post("/h/hash", files={"photo": ("a.jpg", data, "image/jpeg")})
    assert r.json() == {"pdq": str(PdqSignal.hash_from_bytes(data))}
    # the role check still applies: curation needs a key, and so does everything off HMA
    r = client.get("/c/banks")
    assert r.status_code == 401 and r.json()["code"] == "no_api_key"
    assert client.get("/v1/banks").status_code == 401
    # credentials that are sent are checked, never replaced by key-less access
    assert Hma(with_key(server, "rmp_wrong")).get(lookup).status_code == 401
    assert Hma(with_key(server, keys["curator"])).get(lookup).status_code == 403

    # roles outside hasher/matcher/curator, and unreadable entries, grant nothing
    rempart.settings.hma_keyless_roles = ["admin", "not-a-role"]
    rempart.settings.hma_keyless_networks = ["127.0.0.0/8"]
    assert client.get(lookup).status_code == 401
    rempart.settings.hma_keyless_roles = ["curator"]
    rempart.settings.hma_keyless_networks = ["garbage"]
    assert client.get("/c/banks").status_code == 401
    rempart.settings.hma_keyless_networks = ["127.0.0.1/32"]
    assert client.get("/c/banks").status_code == 200
