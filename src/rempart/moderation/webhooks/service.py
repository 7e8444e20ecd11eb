"""The webhook outbox: events queued with the change that caused them, then sent, signed.

``emit`` inserts one delivery row per subscribed endpoint *inside the caller's transaction*,
so a decision and the webhook that carries it out commit (or roll back) together.
``deliver_due`` then posts what is due; a 2xx marks it delivered, anything else schedules a
retry with exponential backoff and jitter, and after ``settings.webhook_max_attempts``
tries the delivery is a dead letter until someone replays it. Delivery is at-least-once: a
worker that dies mid-flight leaves its claim to expire and the delivery is sent again, so
receivers de-duplicate by the ``Idempotency-Key`` header (``<event>:<key>``).
"""

from __future__ import annotations

import json
import random
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import structlog
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from rempart import __version__
from rempart.clock import Clock, as_utc, utcnow
from rempart.config import Settings
from rempart.errors import Conflict, Invalid, NotFound, RempartError
from rempart.moderation.webhooks.encryption import SecretBox, load_key
from rempart.moderation.webhooks.events import EVENTS, subscribed
from rempart.moderation.webhooks.models import WebhookDelivery, WebhookEndpoint
from rempart.moderation.webhooks.schemas import (
    DeliveryOut,
    DeliveryResult,
    DeliverySummary,
    EndpointIn,
    EndpointOut,
    Signing,
    Status,
)
from rempart.moderation.webhooks.signing import ED25519, HEADER, HMAC_SHA256, sign
from rempart.store.db import Database

log = structlog.get_logger(__name__)

TIMEOUT = httpx.Timeout(5.0, connect=3.0)  # a slow receiver must not stall the outbox
CLAIM_BATCH = 10  # deliveries leased at a time: at most 10 tries of TIMEOUT each ...
LEASE_S = 120.0  # ... fit in the lease; a delivery whose worker died is sent again after it
MAX_BACKOFF_S = 3600.0
JITTER = 0.25  # each delay is stretched by up to 25%, so retries from one outage spread out
MAX_KEY = 200
MAX_ID = 2**63 - 1  # larger ids cannot exist, and PostgreSQL refuses to compare them
STATUSES: tuple[Status, ...] = ("pending", "delivered", "dead")
USER_AGENT = f"Rempart-Webhooks/{__version__}"


def canonical_json(value: Any) -> bytes:
    """Deterministic JSON (sorted keys, no spaces, UTF-8): the exact bytes signed and sent."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()


def envelope(row: WebhookDelivery) -> dict[str, Any]:
    """The body of a delivery: the event, its keys and time, and the caller's payload."""
    return {
        "event": row.event,
        "idempotency_key": row.idempotency_key,
        "delivery_id": row.id,
        "created_at": as_utc(row.created_at).isoformat(),
        "data": row.payload,
    }


def backoff_s(base_s: float, attempts: int, rand: float | None = None) -> float:
    """Delay before the next try: ``base * 2**(attempts-1)``, plus up to 25% jitter, capped."""
    r = random.random() if rand is None else rand
    delay = base_s * float(2 ** max(attempts - 1, 0))
    return min(delay * (1 + JITTER * r), MAX_BACKOFF_S)


def _retry_after(response_headers: httpx.Headers) -> float | None:
    value = str(response_headers.get("retry-after", ""))
    return float(value) if value.isdigit() else None


@dataclass(frozen=True)
class _Job:
    """What one attempt needs, read in a short transaction so none is held during the POST."""

    id: int
    endpoint: str
    url: str
    signing: str
    token: str
    event: str
    key: str
    body: bytes


@dataclass(frozen=True)
class _Outcome:
    status_code: int | None
    error: str | None
    retry_after: float | None = None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class WebhookService:
    """Endpoints, the delivery outbox, retries, dead letters and the background sender."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        clock: Clock = utcnow,
        *,
        http: httpx.Client | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        self._http = http
        self._owns_http = http is None
        self._box: SecretBox | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- plumbing ---

    @property
    def box(self) -> SecretBox:
        """The cipher for stored secrets; the key file is created on first use only."""
        with self._lock:
            if self._box is None:
                self._box = SecretBox(load_key(self.settings))
            return self._box

    @property
    def http(self) -> httpx.Client:
        """The HTTP client (the injected one, or a short-timeout client of our own)."""
        with self._lock:
            if self._http is None:
                self._http = httpx.Client(
                    timeout=TIMEOUT, follow_redirects=False, headers={"User-Agent": USER_AGENT}
                )
            return self._http

    # --- endpoints ---

    def add_endpoint(
        self, name: str, url: str, events: list[str], signing: Signing = "hmac-sha256"
    ) -> tuple[EndpointOut, str]:
        """Register an endpoint; returns it and the HMAC secret (once) or the public key PEM."""
        spec = EndpointIn(name=name, url=url, events=events, signing=signing)
        if spec.signing == HMAC_SHA256:
            shown = "whsec_" + secrets.token_urlsafe(32)
            material = shown.encode()
        else:
            private = Ed25519PrivateKey.generate()
            material = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
            shown = _public_pem(private)
        row = WebhookEndpoint(
            name=spec.name,
            url=spec.url,
            events=spec.events,
            signing=spec.signing,
            secret_encrypted=self.box.encrypt(material, context=spec.name),
            enabled=True,
            created_at=self.clock(),
        )
        try:
            with self.db.session() as s:
                if s.scalar(select(WebhookEndpoint.id).where(WebhookEndpoint.name == spec.name)):
                    raise Conflict(f"a webhook endpoint named {spec.name!r} already exists")
                s.add(row)
                s.flush()
                out = _endpoint_out(row)
        except IntegrityError:
            raise Conflict(f"a webhook endpoint named {spec.name!r} already exists") from None
        log.info("webhook.endpoint_added", endpoint=out.name, url=out.url, signing=out.signing)
        return out, shown

    def list_endpoints(self) -> list[EndpointOut]:
        """Every endpoint, by name."""
        with self.db.session() as s:
            rows = s.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.name))
            return [_endpoint_out(r) for r in rows]

    def remove_endpoint(self, name: str) -> EndpointOut:
        """Delete an endpoint and, with it, its queued and past deliveries."""
        with self.db.session() as s:
            row = self._endpoint(s, name)
            out = _endpoint_out(row)
            s.delete(row)
        log.info("webhook.endpoint_removed", endpoint=name)
        return out

    def public_key(self, name: str) -> str:
        """The PEM public key that verifies an Ed25519 endpoint's deliveries."""
        with self.db.session() as s:
            row = self._endpoint(s, name)
            signing, token = row.signing, row.secret_encrypted
        if signing != ED25519:
            raise Conflict(
                f"webhook endpoint {name!r} signs with {signing}: it has a shared secret "
                "(shown once at creation), not a public key"
            )
        raw = self.box.decrypt(token, context=name)
        return _public_pem(Ed25519PrivateKey.from_private_bytes(raw))

    @staticmethod
    def _endpoint(s: Session, name: str) -> WebhookEndpoint:
        row = s.scalar(select(WebhookEndpoint).where(WebhookEndpoint.name == name))
        if row is None:
            raise NotFound(f"no webhook endpoint named {name!r}")
        return row

    # --- outbox ---

    def emit(self, session: Session, event: str, key: str, payload: dict[str, Any]) -> list[int]:
        """Queue ``event`` for every subscribed endpoint, in ``session``'s transaction.

        ``key`` identifies the occurrence (a decision id, say); the delivery's idempotency key
        is ``<event>:<key>``, so one decision can drive several events, and emitting the same
        pair again queues nothing. Returns the ids of the deliveries newly queued.
        """
        if event not in EVENTS:
            raise Invalid(f"unknown webhook event {event!r}; known: {', '.join(EVENTS)}")
        if not key or len(key) > MAX_KEY:
            raise Invalid(f"a webhook idempotency key must be 1-{MAX_KEY} characters")
        if not isinstance(payload, dict):
            raise Invalid("a webhook payload must be a JSON object (a dict)")
        try:
            data = json.loads(canonical_json(payload))  # stored exactly as it will be sent
        except (TypeError, ValueError) as exc:
            raise Invalid(f"the webhook payload is not plain JSON: {exc}") from None
        full_key = f"{event}:{key}"
        now = self.clock()
        endpoints = _subscribers(session)
        dialect = session.get_bind().dialect.name
        queued: list[int] = []
        for endpoint_id, patterns in endpoints:
            if not subscribed(patterns, event):
                continue
            values = {
                "endpoint_id": endpoint_id,
                "event": event,
                "idempotency_key": full_key,
                "payload": data,
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
            new_id = _insert_once(session, dialect, values)
            if new_id is not None:
                queued.append(new_id)
        log.info("webhook.queued", webhook_event=event, key=full_key, deliveries=queued)
        return queued

    def deliver_due(self, limit: int = 100) -> DeliverySummary:
        """Send up to ``limit`` due deliveries once each and record how each went."""
        summary = DeliverySummary()
        due_by = self.clock()  # one cut-off per round: a retry scheduled now waits its turn
        seen: set[int] = set()
        while len(seen) < limit:
            batch = self._claim(min(CLAIM_BATCH, limit - len(seen)), due_by=due_by, skip=seen)
            if not batch:
                break
            seen.update(batch)
            for delivery_id in batch:
                result = self._attempt(delivery_id)
                if result is None:
                    continue
                summary.attempted += 1
                summary.results.append(result)
                if result.status == "delivered":
                    summary.delivered += 1
                elif result.status == "dead":
                    summary.dead += 1
                else:
                    summary.retrying += 1
        return summary

    def _claim(
        self, limit: int, *, due_by: datetime | None = None, skip: set[int] | None = None
    ) -> list[int]:
        """Lease due deliveries (move them ``LEASE_S`` ahead) so no other worker sends them.

        The lease is one compare-and-set UPDATE, so two workers never claim the same row; a
        worker that dies leaves its rows to come due again when the lease runs out.
        """
        now = self.clock()
        cutoff = due_by or now
        due = (
            select(WebhookDelivery.id)
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
            .where(
                WebhookDelivery.status == "pending",
                WebhookDelivery.next_attempt_at <= cutoff,
                WebhookEndpoint.enabled.is_(True),
            )
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
            .limit(max(1, limit))
        )
        if skip:
            due = due.where(WebhookDelivery.id.not_in(skip))
        claim = (
            update(WebhookDelivery)
            .where(
                WebhookDelivery.id.in_(due.scalar_subquery()),
                WebhookDelivery.status == "pending",
                WebhookDelivery.next_attempt_at <= cutoff,  # re-checked: a racing worker lost
            )
            .values(next_attempt_at=now + timedelta(seconds=LEASE_S))
            .returning(WebhookDelivery.id)
            .execution_options(synchronize_session=False)
        )
        with self.db.session() as s:
            return sorted(s.scalars(claim).all())

    def _job(self, delivery_id: int) -> _Job | None:
        with self.db.session() as s:
            row = s.get(
                WebhookDelivery, delivery_id, options=[joinedload(WebhookDelivery.endpoint)]
            )
            if row is None or row.status != "pending":
                return None
            ep = row.endpoint
            return _Job(
                id=row.id,
                endpoint=ep.name,
                url=ep.url,
                signing=ep.signing,
                token=ep.secret_encrypted,
                event=row.event,
                key=row.idempotency_key,
                body=canonical_json(envelope(row)),
            )

    def _attempt(self, delivery_id: int) -> DeliveryResult | None:
        """Post one claimed delivery and record the outcome; ``None`` if it vanished."""
        job = self._job(delivery_id)
        if job is None:
            return None
        outcome = self._post(job)
        return self._record(job, outcome)

    def _post(self, job: _Job) -> _Outcome:
        try:
            signature = self._sign(job)
        except RempartError as exc:
            return _Outcome(None, exc.detail)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "Rempart-Event": job.event,
            "Rempart-Delivery": str(job.id),
            "Idempotency-Key": job.key,
            HEADER: signature,
        }
        try:
            with self.http.stream("POST", job.url, content=job.body, headers=headers) as resp:
                code = resp.status_code
                if 200 <= code < 300:
                    return _Outcome(code, None)
                snippet = b""
                for chunk in resp.iter_bytes():
                    snippet += chunk
                    if len(snippet) >= 200:
                        break
                text = snippet[:200].decode(errors="replace").strip()
                return _Outcome(
                    code,
                    f"HTTP {code}: {text}" if text else f"HTTP {code}",
                    _retry_after(resp.headers),
                )
        except httpx.TimeoutException as exc:
            return _Outcome(None, f"timed out ({type(exc).__name__})")
        except httpx.HTTPError as exc:
            return _Outcome(None, f"{type(exc).__name__}: {exc}"[:500])

    def _sign(self, job: _Job) -> str:
        material = self.box.decrypt(job.token, context=job.endpoint)
        stamp = int(self.clock().timestamp())
        if job.signing == ED25519:
            key = Ed25519PrivateKey.from_private_bytes(material)
            return sign(job.body, timestamp=stamp, private_key=key)
        return sign(job.body, timestamp=stamp, secret=material.decode())

    def _record(self, job: _Job, outcome: _Outcome) -> DeliveryResult | None:
        now = self.clock()
        with self.db.session() as s:
            row = s.get(WebhookDelivery, job.id)
            if row is None or row.status != "pending":
                return None
            row.attempts += 1
            row.last_status_code = outcome.status_code
            if outcome.ok:
                row.status = "delivered"
                row.delivered_at = now
                row.last_error = None
                log.info(
                    "webhook.delivered",
                    delivery=job.id,
                    endpoint=job.endpoint,
                    webhook_event=job.event,
                    status_code=outcome.status_code,
                    attempts=row.attempts,
                )
            elif row.attempts >= self.settings.webhook_max_attempts:
                row.status = "dead"
                row.last_error = outcome.error
                log.error(
                    "webhook.dead",
                    delivery=job.id,
                    endpoint=job.endpoint,
                    webhook_event=job.event,
                    attempts=row.attempts,
                    error=outcome.error,
                )
            else:
                delay = backoff_s(self.settings.webhook_backoff_s, row.attempts)
                if outcome.retry_after is not None:
                    delay = min(max(delay, outcome.retry_after), MAX_BACKOFF_S)
                row.next_attempt_at = now + timedelta(seconds=delay)
                row.last_error = outcome.error
                log.warning(
                    "webhook.retry",
                    delivery=job.id,
                    endpoint=job.endpoint,
                    webhook_event=job.event,
                    attempts=row.attempts,
                    retry_in_s=round(delay, 3),
                    error=outcome.error,
                )
            return DeliveryResult(
                id=row.id,
                endpoint=job.endpoint,
                event=job.event,
                status=_status(row.status),
                attempts=row.attempts,
                status_code=outcome.status_code,
                error=outcome.error,
            )

    # --- inspection and replay ---

    def deliveries(
        self, status: str | None = None, event: str | None = None, limit: int = 100
    ) -> list[DeliveryOut]:
        """Deliveries, newest first, optionally of one status and one event."""
        if status is not None and status not in STATUSES:
            raise Invalid(f"unknown delivery status {status!r}; use one of {', '.join(STATUSES)}")
        if event is not None and event not in EVENTS:
            raise Invalid(f"unknown webhook event {event!r}; known: {', '.join(EVENTS)}")
        if not 1 <= limit <= 1000:
            raise Invalid("limit must be between 1 and 1000")
        q = select(WebhookDelivery).options(joinedload(WebhookDelivery.endpoint))
        if status is not None:
            q = q.where(WebhookDelivery.status == status)
        if event is not None:
            q = q.where(WebhookDelivery.event == event)
        q = q.order_by(WebhookDelivery.id.desc()).limit(limit)
        with self.db.session() as s:
            return [_delivery_out(r) for r in s.scalars(q)]

    def dead_letters(self, limit: int = 100) -> list[DeliveryOut]:
        """Deliveries that ran out of attempts and wait for a replay."""
        return self.deliveries(status="dead", limit=limit)

    def delivery(self, delivery_id: int) -> DeliveryOut:
        """One delivery by id."""
        with self.db.session() as s:
            row = s.get(WebhookDelivery, delivery_id) if 0 < delivery_id <= MAX_ID else None
            if row is None:
                raise NotFound(f"no webhook delivery with id {delivery_id}")
            return _delivery_out(row)

    def replay(self, delivery_id: int) -> DeliveryOut:
        """Put a dead letter back in the queue, due now, with its attempts reset."""
        with self.db.session() as s:
            row = s.get(WebhookDelivery, delivery_id) if 0 < delivery_id <= MAX_ID else None
            if row is None:
                raise NotFound(f"no webhook delivery with id {delivery_id}")
            if row.status != "dead":
                raise Conflict(
                    f"only dead letters can be replayed; delivery {delivery_id} is {row.status}"
                )
            row.status = "pending"
            row.attempts = 0
            row.next_attempt_at = self.clock()
            out = _delivery_out(row)
        log.info("webhook.replayed", delivery=delivery_id)
        return out

    # --- background sender ---

    def start(self, interval_s: float = 1.0, limit: int = 100) -> None:
        """Start a daemon thread that delivers what is due every ``interval_s``."""
        if self._thread is not None:
            return
        self._stop.clear()

        def loop() -> None:
            while not self._stop.is_set():
                attempted = 0
                try:
                    attempted = self.deliver_due(limit).attempted
                except Exception as exc:  # keep running through a transient DB error
                    log.warning("webhook.round_failed", error=str(exc))
                if attempted < limit:  # a full round means more is due: go again at once
                    self._stop.wait(interval_s)

        self._thread = threading.Thread(target=loop, name="rempart-webhooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the background thread (the current POST finishes first)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=15)
            self._thread = None

    def close(self) -> None:
        """Stop the thread and close our own HTTP client."""
        self.stop()
        if self._owns_http and self._http is not None:
            self._http.close()
            self._http = None


def _subscribers(session: Session) -> list[tuple[int, list[str]]]:
    """(id, subscriptions) of every enabled endpoint."""
    rows = session.execute(
        select(WebhookEndpoint.id, WebhookEndpoint.events).where(WebhookEndpoint.enabled.is_(True))
    )
    return [(r[0], list(r[1])) for r in rows]


def _insert_once(session: Session, dialect: str, values: dict[str, Any]) -> int | None:
    """Insert a delivery unless its (endpoint, key) exists; its id, or ``None`` if it did."""
    if dialect in ("postgresql", "sqlite"):
        ins = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(WebhookDelivery)
        stmt = (
            ins.values(**values)
            .on_conflict_do_nothing(index_elements=["endpoint_id", "idempotency_key"])
            .returning(WebhookDelivery.id)
        )
        new_id: int | None = session.execute(stmt).scalar_one_or_none()
        return new_id
    exists = session.scalar(
        select(WebhookDelivery.id).where(
            WebhookDelivery.endpoint_id == values["endpoint_id"],
            WebhookDelivery.idempotency_key == values["idempotency_key"],
        )
    )
    if exists is not None:
        return None
    row = WebhookDelivery(**values)
    session.add(row)
    session.flush()
    return row.id


def _public_pem(private: Ed25519PrivateKey) -> str:
    return (
        private.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
    )


def _status(value: str) -> Status:
    for s in STATUSES:
        if s == value:
            return s
    raise ValueError(f"unknown delivery status {value!r}")


def _endpoint_out(row: WebhookEndpoint) -> EndpointOut:
    return EndpointOut(
        id=row.id,
        name=row.name,
        url=row.url,
        events=list(row.events),
        signing=HMAC_SHA256 if row.signing == HMAC_SHA256 else ED25519,
        enabled=row.enabled,
        created_at=as_utc(row.created_at),
    )


def _delivery_out(row: WebhookDelivery) -> DeliveryOut:
    return DeliveryOut(
        id=row.id,
        endpoint=row.endpoint.name,
        event=row.event,
        idempotency_key=row.idempotency_key,
        payload=dict(row.payload),
        status=_status(row.status),
        attempts=row.attempts,
        next_attempt_at=as_utc(row.next_attempt_at),
        last_status_code=row.last_status_code,
        last_error=row.last_error,
        created_at=as_utc(row.created_at),
        delivered_at=as_utc(row.delivered_at) if row.delivered_at else None,
    )


__all__ = ["DeliverySummary", "WebhookService", "backoff_s", "canonical_json", "envelope"]
