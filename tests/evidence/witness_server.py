"""A stand-in HTTP witness on a free localhost port, enforcing what a witness must.

It is configured with the log's public key (as a real witness is) and keeps the latest head:
``POST /`` accepts a head only if its signature verifies and it is not smaller than the head
kept (and not a different root at the same size); ``GET /`` returns the head kept, 404 before
the first. It never trusts the log: its copy is what the check compares against.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from pydantic import ValidationError

from rempart.evidence.ledger.schemas import TreeHead
from rempart.evidence.ledger.signing import head_message, load_public_pem, signature_valid


class WitnessState:
    """What the witness holds."""

    def __init__(self, public_pem: str) -> None:
        self.public = load_public_pem(public_pem)
        self.latest: TreeHead | None = None
        self.lock = threading.Lock()


def _handler(state: WitnessState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(self, status: int, body: dict[str, Any]) -> None:
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def do_GET(self) -> None:
            with state.lock:
                latest = state.latest
            if latest is None:
                self._send(404, {"error": "no head yet"})
            else:
                self._send(200, json.loads(latest.model_dump_json()))

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            try:
                head = TreeHead.model_validate_json(self.rfile.read(length))
            except ValidationError as exc:
                self._send(400, {"error": str(exc)})
                return
            message = head_message(head.version, head.tree_size, head.timestamp, head.root_hash)
            if not signature_valid(state.public, head.signature, message):
                self._send(403, {"error": "signature does not verify with the log's key"})
                return
            with state.lock:
                old = state.latest
                if old is not None and (
                    head.tree_size < old.tree_size
                    or (head.tree_size == old.tree_size and head.root_hash != old.root_hash)
                ):
                    self._send(409, {"error": "the head does not extend the one held"})
                    return
                state.latest = head
            self._send(201, {"accepted": head.tree_size})

    return Handler


@contextmanager
def witness_server(public_pem: str) -> Iterator[tuple[str, WitnessState]]:
    """Run a witness for the log with ``public_pem``; yields its URL and its state."""
    state = WitnessState(public_pem)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
