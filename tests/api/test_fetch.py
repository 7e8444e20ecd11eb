"""Server-side URL fetch (``/h/hash?url=``, ``/c/bank/<name>/content?url=``): redirects are
followed like HMA's file links need, and every hop is held to the same host rules."""

from __future__ import annotations

from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread

import pytest

from rempart.api.fetch import MAX_REDIRECTS, fetch_url
from rempart.api.problems import ProblemError
from rempart.config import MediaLimits, Settings

BODY = b"\x89PNG fake file body"


class Files(BaseHTTPRequestHandler):
    """/file answers the body; /to?u=X redirects to X; /loop redirects to itself."""

    def do_GET(self) -> None:
        if self.path == "/file":
            self.send_response(200)
            self.send_header("Content-Length", str(len(BODY)))
            self.end_headers()
            self.wfile.write(BODY)
            return
        if self.path.startswith("/to?u="):
            target = self.path.removeprefix("/to?u=")
        elif self.path == "/loop":
            target = "/loop"
        else:
            self.send_response(404)
            self.end_headers()
            return
        self.send_response(302)
        self.send_header("Location", target)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def port() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Files)
    Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def settings(tmp_path: Path, hosts: list[str], private: bool = True) -> Settings:
    return Settings(
        home=tmp_path,
        allow_hash_url=True,
        hash_url_allowed_hosts=hosts,
        hash_url_allow_private=private,
    )


def test_redirects_are_followed_across_listed_hosts(tmp_path: Path, port: int) -> None:
    s = settings(tmp_path, ["127.0.0.1", "localhost"])
    url = f"http://127.0.0.1:{port}/to?u=http://localhost:{port}/to?u=/file"
    assert fetch_url(url, s, MediaLimits()) == BODY


def test_redirect_to_an_unlisted_host_is_refused(tmp_path: Path, port: int) -> None:
    s = settings(tmp_path, ["127.0.0.1"])
    with pytest.raises(ProblemError) as err:
        fetch_url(f"http://127.0.0.1:{port}/to?u=http://localhost:{port}/file", s, MediaLimits())
    assert (err.value.status, err.value.code) == (403, "host_not_allowed")


def test_redirect_to_another_scheme_is_refused(tmp_path: Path, port: int) -> None:
    s = settings(tmp_path, ["127.0.0.1"])
    with pytest.raises(ProblemError) as err:
        fetch_url(f"http://127.0.0.1:{port}/to?u=file:///etc/passwd", s, MediaLimits())
    assert (err.value.status, err.value.code) == (422, "bad_url")


def test_redirect_loop_ends_with_a_clear_error(tmp_path: Path, port: int) -> None:
    s = settings(tmp_path, ["127.0.0.1"])
    with pytest.raises(ProblemError) as err:
        fetch_url(f"http://127.0.0.1:{port}/loop", s, MediaLimits())
    assert err.value.status == 422
    assert str(MAX_REDIRECTS) in err.value.detail


def test_private_addresses_refused_unless_allowed(tmp_path: Path, port: int) -> None:
    s = settings(tmp_path, ["127.0.0.1"], private=False)
    with pytest.raises(ProblemError) as err:
        fetch_url(f"http://127.0.0.1:{port}/file", s, MediaLimits())
    assert (err.value.status, err.value.code) == (403, "private_address")


def test_size_limit_holds_after_a_redirect(tmp_path: Path, port: int) -> None:
    s = settings(tmp_path, ["127.0.0.1"])
    with pytest.raises(ProblemError) as err:
        fetch_url(f"http://127.0.0.1:{port}/to?u=/file", s, MediaLimits(max_bytes=4))
    assert (err.value.status, err.value.code) == (413, "too_large")
