"""Automatic delivery of Art. 18 referrals to the authority's configured endpoint.

An authority in ``Art18Settings`` may name an ``endpoint``: an ``https://`` (or ``http://``)
URL that receives the signed bundle by ``POST`` (body: the bundle, type
``application/vnd.rempart.bundle+zip``; headers ``X-Rempart-Referral-Id``,
``X-Rempart-Bundle-Sha256``, ``X-Rempart-Manifest-Sha256``; a bearer ``token`` if configured),
or a ``file://`` outbox folder where ``<referral_id>.zip`` and ``<referral_id>.json`` are
written atomically (for a transfer tool, an encrypted mail gateway, a portal upload).

``deliver`` makes one attempt: a 2xx answer (or a written file) records ``sent_at``, the
channel and the response, as the ``referral.sent`` ledger event; a failure is recorded as a
``referral.delivery_failed`` event and the next attempt is scheduled with exponential backoff,
up to ``delivery_max_attempts``; then the referral is left for a person (``pending()`` still
lists it). ``deliver_due`` runs the due attempts (the periodic job); each is claimed by a
conditional update so several processes never deliver the same referral at once. Authorities
reached by other means keep ``mark_sent`` by hand.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlparse

import httpx
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from rempart.clock import as_utc
from rempart.context import Rempart
from rempart.errors import Conflict, Invalid, NotFound
from rempart.evidence.bundle import MEDIA_TYPE
from rempart.evidence.ledger.signing import iso
from rempart.evidence.referral_models import LawEnforcementReferral
from rempart.evidence.referrals import Art18Settings, Authority, ReferralOut

ACTOR = "system:referral-delivery"
PURPOSE = "DSA Art. 18 delivery"
LEASE = timedelta(minutes=10)


class DeliveryFailed(Exception):
    """One delivery attempt did not succeed; the message says why."""


@dataclass(frozen=True)
class DeliveryOutcome:
    """What one attempt did."""

    referral_id: str
    result: Literal["sent", "retry", "gave_up"]
    detail: str = ""


def check_endpoint(endpoint: str) -> str:
    """The endpoint if it is an http(s) URL or a file:// folder; a clear error otherwise."""
    parsed = urlparse(endpoint)
    if parsed.scheme in ("http", "https") and parsed.netloc:
        return endpoint
    if parsed.scheme == "file" and parsed.path.startswith("/"):
        return endpoint
    raise Invalid(f"an Art. 18 endpoint is an https:// URL or a file:///folder, not {endpoint!r}")


def _authority_for(conf: Art18Settings, row: LawEnforcementReferral) -> Authority | None:
    """The configured authority the referral was addressed to (by name), if still configured."""
    for authority in conf.authorities.values():
        if authority.name == row.recipient_authority:
            return authority
    return None


def _write_outbox(folder: Path, row: LawEnforcementReferral, bundle: bytes) -> str:
    """Write the bundle and a small description into the outbox, each atomically."""
    folder.mkdir(parents=True, exist_ok=True)
    about = {
        "referral_id": row.referral_id,
        "case_id": row.case_id,
        "recipient_authority": row.recipient_authority,
        "recipient_state": row.recipient_state,
        "member_states": row.member_states,
        "bundle_id": row.bundle_id,
        "bundle_sha256": row.bundle_sha256,
        "manifest_sha256": row.payload_sha256,
        "created_at": iso(as_utc(row.created_at)),
    }
    for name, data in (
        (f"{row.referral_id}.zip", bundle),
        (f"{row.referral_id}.json", (json.dumps(about, indent=2) + "\n").encode()),
    ):
        tmp = folder / f".{name}.{secrets.token_hex(6)}"
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, folder / name)
    return f"written to {folder / (row.referral_id + '.zip')}"


def _post(
    endpoint: str, row: LawEnforcementReferral, bundle: bytes, token: str | None, timeout: float
) -> str:
    """POST the bundle; the response summary on 2xx, ``DeliveryFailed`` otherwise."""
    headers = {
        "content-type": MEDIA_TYPE,
        "x-rempart-referral-id": row.referral_id,
        "x-rempart-bundle-sha256": row.bundle_sha256,
        "x-rempart-manifest-sha256": row.payload_sha256,
    }
    if token:
        headers["authorization"] = f"Bearer {token}"
    try:
        response = httpx.post(endpoint, content=bundle, headers=headers, timeout=timeout)
    except httpx.HTTPError as exc:
        raise DeliveryFailed(f"cannot reach {endpoint}: {type(exc).__name__}: {exc}") from None
    summary = f"HTTP {response.status_code}: {response.text[:1000]}"
    if not 200 <= response.status_code < 300:
        raise DeliveryFailed(summary)
    return summary


def _claim(ctx: Rempart, referral_id: str) -> LawEnforcementReferral | None:
    """Take the next attempt (a short lease on ``next_delivery_at``), or None if not due."""
    now = ctx.clock()
    with ctx.db.session() as s:
        done = s.execute(
            update(LawEnforcementReferral)
            .where(
                LawEnforcementReferral.referral_id == referral_id,
                LawEnforcementReferral.sent_at.is_(None),
                LawEnforcementReferral.endpoint.is_not(None),
                or_(
                    LawEnforcementReferral.next_delivery_at.is_(None),
                    LawEnforcementReferral.next_delivery_at <= now,
                ),
            )
            .values(next_delivery_at=now + LEASE)
        )
        if getattr(done, "rowcount", 0) != 1:
            return None
        row = _referral(s, referral_id)
        s.expunge(row)
        return row


def deliver(
    ctx: Rempart,
    referral_id: str,
    *,
    by: str = ACTOR,
    conf: Art18Settings | None = None,
    force: bool = False,
) -> DeliveryOutcome:
    """One delivery attempt of a referral to its endpoint, recorded either way.

    ``force`` (a person asking): attempt now even while backing off or past the cap.
    """
    conf = conf or Art18Settings()
    with ctx.db.session() as s:
        current = _referral(s, referral_id)
        if current.sent_at is not None:
            raise Conflict(f"referral {referral_id} was already sent at {current.sent_at}")
        if current.endpoint is None:
            raise Invalid(
                f"referral {referral_id}'s authority has no endpoint: send it by other means "
                "and mark it sent"
            )
        if force:
            s.execute(
                update(LawEnforcementReferral)
                .where(LawEnforcementReferral.referral_id == referral_id)
                .values(next_delivery_at=None)
            )  # a person asked: one more attempt now
    row = _claim(ctx, referral_id)
    if row is None:
        raise Conflict(f"referral {referral_id} is being delivered or is not due yet")
    assert row.endpoint is not None
    authority = _authority_for(conf, row)
    token = authority.token.get_secret_value() if authority and authority.token else None
    try:
        if row.bundle_object_id is None:
            raise DeliveryFailed("the referral's bundle is not in the vault")
        bundle = ctx.vault.read(
            row.bundle_object_id,
            principal_roles=["legal", "child_safety"],
            actor=by,
            case_ref=f"case:{row.case_id}",
            purpose=PURPOSE,
            export=True,
        )
        parsed = urlparse(row.endpoint)
        if parsed.scheme == "file":
            response = _write_outbox(Path(unquote(parsed.path)), row, bundle)
        else:
            response = _post(row.endpoint, row, bundle, token, conf.delivery_timeout_s)
    except (DeliveryFailed, OSError) as exc:
        return _failed(ctx, conf, referral_id, str(exc), by)
    now = ctx.clock()
    with ctx.db.session() as s:
        live = _referral(s, referral_id)
        live.sent_at, live.sent_by, live.channel = now, by, row.endpoint[:255]
        live.delivery_attempts += 1
        live.delivery_response = response
        live.next_delivery_at = None
        live.last_delivery_error = None
        ctx.ledger.append(
            s,
            "referral.sent",
            actor=by,
            subject=f"case:{row.case_id}",
            data={
                "referral_id": referral_id,
                "channel": row.endpoint,
                "automatic": True,
                "attempt": live.delivery_attempts,
                "response": response[:500],
            },
        )
    return DeliveryOutcome(referral_id, "sent", response)


def _failed(
    ctx: Rempart, conf: Art18Settings, referral_id: str, error: str, by: str
) -> DeliveryOutcome:
    """Record a failed attempt and schedule the next (or give up at the cap)."""
    now = as_utc(ctx.clock())
    with ctx.db.session() as s:
        row = _referral(s, referral_id)
        row.delivery_attempts += 1
        n = row.delivery_attempts
        gave_up = n >= conf.delivery_max_attempts
        row.last_delivery_error = (
            f"gave up after {n} attempts: send it by other means and mark it sent ({error})"
            if gave_up
            else error
        )[:4000]
        wait = min(conf.delivery_max_backoff_s, conf.delivery_base_s * 2 ** (n - 1))
        row.next_delivery_at = None if gave_up else now + timedelta(seconds=wait)
        ctx.ledger.append(
            s,
            "referral.delivery_failed",
            actor=by,
            subject=f"case:{row.case_id}",
            data={"referral_id": referral_id, "attempt": n, "error": error[:500]},
        )
    return DeliveryOutcome(referral_id, "gave_up" if gave_up else "retry", error)


def deliver_due(ctx: Rempart, conf: Art18Settings | None = None) -> list[DeliveryOutcome]:
    """Every referral with an endpoint, not sent, whose next attempt is due (periodic job)."""
    conf = conf or Art18Settings()
    now = ctx.clock()
    with ctx.db.session() as s:
        due = list(
            s.scalars(
                select(LawEnforcementReferral.referral_id)
                .where(
                    LawEnforcementReferral.sent_at.is_(None),
                    LawEnforcementReferral.endpoint.is_not(None),
                    LawEnforcementReferral.delivery_attempts < conf.delivery_max_attempts,
                    or_(
                        LawEnforcementReferral.next_delivery_at.is_(None),
                        LawEnforcementReferral.next_delivery_at <= now,
                    ),
                )
                .order_by(LawEnforcementReferral.id)
                .limit(50)
            )
        )
    out = []
    for referral_id in due:
        try:
            out.append(deliver(ctx, referral_id, conf=conf))
        except Conflict:
            continue  # another process took it, or a person marked it sent meanwhile
    return out


def delivered(ctx: Rempart, referral_id: str) -> ReferralOut:
    """The referral as recorded now (after an attempt)."""
    with ctx.db.session() as s:
        row = _referral(s, referral_id)
        return ReferralOut.model_validate(row)


def _referral(s: Session, referral_id: str) -> LawEnforcementReferral:
    """The referral row by its id, or NotFound."""
    row = s.scalars(
        select(LawEnforcementReferral).where(LawEnforcementReferral.referral_id == referral_id)
    ).first()
    if row is None:
        raise NotFound(f"no referral {referral_id}")
    return row
