"""HTTP client for the Transparency Database API (``/api/v1``), as the Commission documents it.

Only ``201 Created`` means stored. A ``422`` names what was wrong: per statement
(``{"errors": {"statement_3": {"decision_facts": [...]}}}``, and then *none* of the batch was
stored), or a puid the TDB already holds (``existing`` / ``existing_puids``), which for us means
"already sent". ``401`` is a bad token and is not retried; ``429``, ``5xx`` and network errors
are retried with exponential backoff and jitter, honouring ``Retry-After``.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote

import httpx

from rempart.clock import Clock, utcnow
from rempart.compliance.tdb.rules import MAX_BATCH
from rempart.errors import RempartError

FieldErrors = dict[str, list[str]]
_STATEMENT_KEY = re.compile(r"statements?[_.](\d+)(?:\.(.+))?")


class TdbError(RempartError):
    """The TDB answered in a way that retrying will not fix (a refused call, an odd reply)."""

    status = 502
    code = "tdb_error"


class TdbUnauthorized(TdbError):
    """The API token was refused: generate a new one in the TDB profile and configure it."""

    code = "tdb_unauthorized"


class TdbUnavailable(TdbError):
    """The TDB could not be reached or kept refusing for load; try again later."""

    status = 503
    code = "tdb_unavailable"

    def __init__(self, detail: str, *, retry_after_s: float | None = None) -> None:
        super().__init__(detail)
        self.retry_after_s = retry_after_s


@dataclass
class BatchResult:
    """What one call to ``POST /api/v1/statements`` did.

    ``created`` holds the stored statements (``uuid``, ``permalink``, ``puid`` ...) when the
    call succeeded. Otherwise nothing was stored, and ``rejected`` (index in the batch → field
    errors) or ``duplicates`` (puid → the record the TDB already holds, at least its puid) say
    why: the remaining statements may be sent again without those.
    """

    status_code: int
    created: list[dict[str, Any]] = field(default_factory=list)
    rejected: dict[int, FieldErrors] = field(default_factory=dict)
    duplicates: dict[str, dict[str, Any]] = field(default_factory=dict)
    message: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the whole batch was stored."""
        return self.status_code == 201


def _messages(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)]


def parse_statement_errors(errors: dict[str, Any], size: int) -> dict[int, FieldErrors]:
    """Per-statement field errors from a 422's ``errors``, whatever key shape the TDB used.

    Accepts the documented nesting (``statement_3: {field: [...]}``), flat keys
    (``statement_3.field`` or Laravel's ``statements.3.field``) and a bare ``statement_3``.
    """
    out: dict[int, FieldErrors] = {}
    for key, value in errors.items():
        match = _STATEMENT_KEY.fullmatch(str(key))
        if not match or int(match.group(1)) >= size:
            continue
        target = out.setdefault(int(match.group(1)), {})
        if isinstance(value, dict):
            for name, messages in value.items():
                target.setdefault(str(name), []).extend(_messages(messages))
        else:
            target.setdefault(match.group(2) or "statement", []).extend(_messages(value))
    return out


def parse_duplicates(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Puids the TDB says it already holds, from either of its duplicate answers."""
    out: dict[str, dict[str, Any]] = {}
    existing = body.get("existing")
    if isinstance(existing, dict) and isinstance(existing.get("puid"), str):
        out[existing["puid"]] = existing
    errors = body.get("errors")
    listed = errors.get("existing_puids") if isinstance(errors, dict) else None
    if isinstance(listed, list):
        for puid in listed:
            if isinstance(puid, str):
                out.setdefault(puid, {"puid": puid})
    return out


def retry_after_s(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


class TdbClient:
    """Talks to one TDB (sandbox or production) with one platform's API token."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        http: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
        max_attempts: int = 5,
        backoff_s: float = 1.0,
        max_backoff_s: float = 60.0,
        max_retry_after_s: float = 120.0,
        jitter: Callable[[], float] = random.random,
        clock: Clock = utcnow,
        timeout_s: float = 30.0,
    ) -> None:
        if not base_url or not token:
            raise ValueError("the TDB needs a base URL and an API token")
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.http = http or httpx.Client(timeout=timeout_s)
        self.sleep = sleep
        self.max_attempts = max(1, max_attempts)
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.max_retry_after_s = max_retry_after_s
        self.jitter = jitter
        self.clock = clock

    @property
    def headers(self) -> dict[str, str]:
        """The headers every call carries (bearer token, JSON both ways)."""
        return {
            "Authorization": f"Bearer {self.token}",
            "Accept": "application/json",
            "Content-Type": "application/json",
        }

    def backoff(self, attempt: int) -> float:
        """Delay before retry ``attempt`` (1-based): doubling, capped, with half of it random."""
        delay = min(self.max_backoff_s, self.backoff_s * 2.0 ** (attempt - 1))
        return delay / 2 + delay / 2 * self.jitter()

    def _request(self, method: str, path: str, body: Any = None) -> httpx.Response:
        """One call, retried on 429, 5xx and network errors; other answers are returned."""
        url = self.base_url + path
        problem = "no attempt made"
        wait_hint: float | None = None
        for attempt in range(1, self.max_attempts + 1):
            wait_hint = None
            try:
                response = self.http.request(
                    method, url, json=body, headers=self.headers, follow_redirects=False
                )
            except httpx.TransportError as exc:
                problem = f"could not reach the TDB at {self.base_url}: {exc.__class__.__name__}"
            else:
                status = response.status_code
                if status == 401:
                    raise TdbUnauthorized(
                        "the TDB refused the API token (401); generate a new token in the TDB "
                        "profile and set REMPART_TDB_TOKEN"
                    )
                if status != 429 and status < 500:
                    return response
                message = _json(response).get("message") or response.reason_phrase
                problem = f"the TDB answered {status}: {message}"
                wait_hint = retry_after_s(response.headers.get("Retry-After"), self.clock())
                if wait_hint is not None and wait_hint > self.max_retry_after_s:
                    raise TdbUnavailable(problem, retry_after_s=wait_hint)
            if attempt == self.max_attempts:
                break
            delay = self.backoff(attempt)
            self.sleep(max(delay, wait_hint) if wait_hint is not None else delay)
        raise TdbUnavailable(
            f"{problem} (after {self.max_attempts} attempts)", retry_after_s=wait_hint
        )

    def submit(self, statements: list[dict[str, Any]]) -> BatchResult:
        """Send 1 to 100 statements in one call; the TDB stores all of them or none."""
        if not 1 <= len(statements) <= MAX_BATCH:
            raise ValueError(
                f"a TDB batch holds 1 to {MAX_BATCH} statements, not {len(statements)}"
            )
        puids = [s.get("puid") for s in statements]
        if len(set(puids)) != len(puids):
            raise ValueError("every statement of a batch needs its own puid")
        response = self._request("POST", "/api/v1/statements", {"statements": statements})
        data = _json(response)
        message = data.get("message") if isinstance(data.get("message"), str) else None
        if response.status_code == 201:
            created = data.get("statements")
            if not isinstance(created, list) or len(created) != len(statements):
                raise TdbError("the TDB answered 201 without the statements it created")
            return BatchResult(201, created=[c if isinstance(c, dict) else {} for c in created])
        if response.status_code == 422:
            raw = data.get("errors")
            errors: dict[str, Any] = raw if isinstance(raw, dict) else {}
            result = BatchResult(
                422,
                rejected=parse_statement_errors(errors, len(statements)),
                duplicates={p: r for p, r in parse_duplicates(data).items() if p in puids},
                message=message,
            )
            if result.rejected or result.duplicates:
                return result
            raise TdbError(f"the TDB refused the batch (422): {message or errors}")
        raise TdbError(f"the TDB answered {response.status_code}: {message or response.text[:200]}")

    def existing(self, puid: str) -> dict[str, Any] | None:
        """The statement the TDB holds under ``puid`` for this platform, or None."""
        response = self._request("GET", f"/api/v1/statement/existing-puid/{quote(puid, safe='')}")
        if response.status_code == 302:
            data = _json(response)
            data.setdefault("puid", puid)
            return data
        if response.status_code == 404:
            return None
        raise TdbError(f"the TDB answered {response.status_code} to a puid check")

    def exists(self, puid: str) -> bool:
        """Whether the TDB already holds a statement with this puid (302 found / 404)."""
        return self.existing(puid) is not None

    def ping(self) -> dict[str, Any]:
        """Check the URL and token (``GET /api/ping`` answers ``{"i_say": "pong"}``)."""
        response = self._request("GET", "/api/ping")
        if response.status_code != 200:
            raise TdbError(f"the TDB answered {response.status_code} to a ping")
        return _json(response)

    def close(self) -> None:
        """Release the connection pool."""
        self.http.close()
