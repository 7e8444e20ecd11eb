"""A platform's webhook receiver, as a real local HTTP server, for end-to-end tests.

It enforces what the platform's side is documented to do: refuse a request whose
``Rempart-Signature`` does not verify with the public ``verify`` (401), refuse one missing
the delivery headers or with a body that is not the JSON envelope of the event it names (400),
and carry out each ``Idempotency-Key`` once (a repeat is answered 200 and not processed again).
It can be told to fail the next N requests with a status, or to stall them past the client's
timeout.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from rempart.moderation.webhooks.signing import SignatureError, verify


class ManualClock:
    """A clock the test moves by hand (shared by Rempart and the receiver: no sleeping)."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.now += timedelta(seconds=seconds)

    def set(self, when: datetime) -> None:
        """Jump to ``when`` (never backwards)."""
        self.now = max(self.now, when)


@dataclass
class Received:
    """One request as it arrived."""

    headers: dict[str, str]
    body: bytes
    status: int
    reason: str = ""

    @property
    def json(self) -> Any:
        """The body parsed."""
        return json.loads(self.body)


@dataclass
class Receiver:
    """State of the stand-in: its key material, the requests seen, and the failures to inject."""

    clock: Callable[[], datetime]
    secret: str | None = None
    public_key: str | None = None
    tolerance_s: float = 300
    url: str = ""
    requests: list[Received] = field(default_factory=list)  # every request, refused ones too
    processed: dict[str, Received] = field(default_factory=dict)  # by Idempotency-Key, first
    duplicates: int = 0
    _fail: list[int] = field(default_factory=list)
    _stall: int = 0
    _stall_s: float = 0.0
    _release: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_next(self, n: int, status: int = 500) -> None:
        """Answer the next ``n`` requests with ``status`` (after reading them)."""
        with self._lock:
            self._fail.extend([status] * n)

    def stall_next(self, n: int, seconds: float) -> None:
        """Hold the next ``n`` requests for ``seconds`` before answering (client timeouts)."""
        with self._lock:
            self._stall, self._stall_s = n, seconds

    def recover(self) -> None:
        """Stop injecting failures: the platform's outage is over."""
        with self._lock:
            self._fail.clear()
            self._stall = 0

    def keyed(self, secret: str | None = None, public_key: str | None = None) -> None:
        """Set the key material the receiver verifies with."""
        self.secret, self.public_key = secret, public_key

    def events(self) -> list[str]:
        """Events processed, in order."""
        return [r.headers["rempart-event"] for r in self.processed.values()]

    def handle(self, headers: dict[str, str], body: bytes) -> tuple[int, str]:
        """Decide the answer to one request (the platform's side of the contract)."""
        with self._lock:
            stall = self._stall > 0
            if stall:
                self._stall -= 1
            fail = self._fail.pop(0) if self._fail and not stall else None
        if stall:
            self._release.wait(self._stall_s)
            return 200, "too late"
        status, reason = self._check(headers, body)
        if status == 200 and fail is not None:
            status, reason = fail, "injected failure"
        rec = Received(headers, body, status, reason)
        with self._lock:
            self.requests.append(rec)
            if status == 200:
                key = headers["idempotency-key"]
                if key in self.processed:
                    self.duplicates += 1
                else:
                    self.processed[key] = rec
        return status, reason

    def _check(self, headers: dict[str, str], body: bytes) -> tuple[int, str]:
        if headers.get("content-type") != "application/json":
            return 400, "Content-Type must be application/json"
        for name in ("rempart-event", "rempart-delivery", "idempotency-key"):
            if not headers.get(name):
                return 400, f"missing {name}"
        try:
            if self.secret is not None:
                verify(
                    headers,
                    body,
                    secret=self.secret,
                    now=self.clock(),
                    tolerance_s=self.tolerance_s,
                )
            else:
                verify(
                    headers,
                    body,
                    public_key=self.public_key,
                    now=self.clock(),
                    tolerance_s=self.tolerance_s,
                )
        except SignatureError as exc:
            return 401, exc.detail
        try:
            doc = json.loads(body)
        except ValueError:
            return 400, "body is not JSON"
        if doc.get("event") != headers["rempart-event"]:
            return 400, "the signed body names another event than Rempart-Event"
        if doc.get("idempotency_key") != headers["idempotency-key"]:
            return 400, "the signed body names another key than Idempotency-Key"
        return 200, "ok"


def _handler(state: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, reason = state.handle(headers, body)
            payload = json.dumps({"status": status, "reason": reason}).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test)

        def log_message(self, format: str, *args: Any) -> None:
            return None

    return Handler


@contextmanager
def running(
    clock: Callable[[], datetime], *, secret: str | None = None, public_key: str | None = None
) -> Iterator[Receiver]:
    """Serve a receiver on a free local port for the duration of the block."""
    state = Receiver(clock=clock, secret=secret, public_key=public_key)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}/rempart/webhooks"
    thread = threading.Thread(
        target=server.serve_forever, args=(0.05,), name="webhook-receiver", daemon=True
    )
    thread.start()
    try:
        yield state
    finally:
        state._release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
