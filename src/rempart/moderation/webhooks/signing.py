"""Webhook signatures: how Rempart signs each delivery and how a platform checks it.

Every delivery carries one header, in the style of Stripe's::

    Rempart-Signature: t=1767225600,v1=5257a869e7ec...8d8bd   (hex, 64 digits)
    Rempart-Signature: t=1767225600,ed25519=q4Vt...Dw==   (base64, 64 bytes)

``t`` is the Unix time of signing; the signed message is ``"<t>." + raw body`` (the exact bytes
received, before any JSON parsing). ``v1`` is the hex HMAC-SHA256 with the endpoint's secret;
``ed25519`` is a base64 Ed25519 signature checked with the endpoint's public key
(``GET /v1/webhooks/endpoints/{name}/public-key``). A receiver refuses a timestamp further
than ``tolerance_s`` from its clock, so a captured request cannot be replayed later; within
that window, de-duplicate by the ``Idempotency-Key`` header.

On the platform's side::

    from rempart.moderation.webhooks.signing import SignatureError, verify

    try:
        verify(request.headers, raw_body, secret="whsec_...")  # or public_key=PEM
    except SignatureError as exc:
        return 401, exc.detail
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Mapping
from datetime import datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from rempart.errors import RempartError

HEADER = "Rempart-Signature"
HMAC_SHA256 = "hmac-sha256"
ED25519 = "ed25519"
SCHEMES = (HMAC_SHA256, ED25519)
DEFAULT_TOLERANCE_S = 300


class SignatureError(RempartError):
    """A delivery's signature is missing, malformed, wrong, or too old (a possible replay)."""

    status = 401
    code = "bad_signature"


def _message(timestamp: int, body: bytes) -> bytes:
    return f"{timestamp}.".encode() + body


def hmac_hex(secret: str, timestamp: int, body: bytes) -> str:
    """The ``v1`` value: hex HMAC-SHA256 of ``"<t>.<body>"`` keyed with the secret's UTF-8."""
    return hmac.new(secret.encode(), _message(timestamp, body), hashlib.sha256).hexdigest()


def sign(
    body: bytes,
    *,
    timestamp: int,
    secret: str | None = None,
    private_key: Ed25519PrivateKey | None = None,
) -> str:
    """The ``Rempart-Signature`` header value for ``body``: give ``secret`` or ``private_key``."""
    if (secret is None) == (private_key is None):
        raise ValueError("sign with exactly one of secret (HMAC) or private_key (Ed25519)")
    if secret is not None:
        return f"t={timestamp},v1={hmac_hex(secret, timestamp, body)}"
    assert private_key is not None
    sig = base64.b64encode(private_key.sign(_message(timestamp, body))).decode()
    return f"t={timestamp},{ED25519}={sig}"


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is not None:
        return value
    wanted = name.lower()
    for key, val in headers.items():
        if key.lower() == wanted:
            return val
    return None


def parse_header(value: str) -> tuple[int, dict[str, list[str]]]:
    """Split a header into its timestamp and its signatures by scheme (``v1``, ``ed25519``)."""
    stamp: int | None = None
    sigs: dict[str, list[str]] = {}
    for part in value.split(","):
        key, sep, val = part.strip().partition("=")
        if not sep or not key or not val:
            raise SignatureError(
                f"malformed {HEADER} header: expected t=<unix time>,v1=<hex> or "
                "t=<unix time>,ed25519=<base64>",
                code="signature_malformed",
            )
        if key == "t":
            if not val.isdigit() or stamp is not None:
                raise SignatureError(
                    f"malformed {HEADER} header: t must appear once, as a Unix time in seconds",
                    code="signature_malformed",
                )
            stamp = int(val)
        else:
            sigs.setdefault(key, []).append(val)
    if stamp is None or not sigs:
        raise SignatureError(
            f"malformed {HEADER} header: it needs a timestamp t= and a signature",
            code="signature_malformed",
        )
    return stamp, sigs


def load_public_key(key: str | bytes | Ed25519PublicKey) -> Ed25519PublicKey:
    """An Ed25519 public key from PEM, base64 of the raw 32 bytes, or a key object."""
    if isinstance(key, Ed25519PublicKey):
        return key
    data = key.encode() if isinstance(key, str) else key
    if data.lstrip().startswith(b"-----BEGIN"):
        loaded = load_pem_public_key(data)
        if not isinstance(loaded, Ed25519PublicKey):
            raise ValueError("the PEM public key is not an Ed25519 key")
        return loaded
    try:
        raw = base64.b64decode(data, validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except (binascii.Error, ValueError):
        raise ValueError("public_key must be PEM or base64 of a raw 32-byte Ed25519 key") from None


def _now_s(now: datetime | float | None) -> float:
    if now is None:
        return time.time()
    if isinstance(now, datetime):
        return now.timestamp()
    return float(now)


def verify(
    headers: Mapping[str, str],
    body: bytes,
    *,
    secret: str | None = None,
    public_key: str | bytes | Ed25519PublicKey | None = None,
    now: datetime | float | None = None,
    tolerance_s: float = DEFAULT_TOLERANCE_S,
) -> None:
    """Check a delivery's ``Rempart-Signature``; raise ``SignatureError`` unless it is valid.

    Give ``secret`` for an HMAC-SHA256 endpoint or ``public_key`` for an Ed25519 one. ``body``
    must be the raw bytes received. ``now`` (a datetime or Unix seconds) defaults to the
    current time; the signature's timestamp must be within ``tolerance_s`` of it.
    """
    if (secret is None) == (public_key is None):
        raise ValueError("verify with exactly one of secret (HMAC) or public_key (Ed25519)")
    value = _header(headers, HEADER)
    if not value:
        raise SignatureError(f"no {HEADER} header", code="signature_missing")
    stamp, sigs = parse_header(value)
    if abs(_now_s(now) - stamp) > tolerance_s:
        raise SignatureError(
            f"the signature's timestamp {stamp} is more than {tolerance_s:g}s from now: "
            "refused as a possible replay (check the receiver's clock)",
            code="signature_expired",
        )
    if secret is not None:
        expected = hmac_hex(secret, stamp, body)
        # compare every candidate (secret rotation may send several) in constant time
        ok = False
        for candidate in sigs.get("v1", []):
            ok |= hmac.compare_digest(expected, candidate)
        if not sigs.get("v1"):
            raise SignatureError(
                f"{HEADER} has no v1= (HMAC-SHA256) signature", code="signature_malformed"
            )
    else:
        assert public_key is not None
        key = load_public_key(public_key)
        if not sigs.get(ED25519):
            raise SignatureError(f"{HEADER} has no ed25519= signature", code="signature_malformed")
        ok = False
        for candidate in sigs[ED25519]:
            try:
                key.verify(base64.b64decode(candidate, validate=True), _message(stamp, body))
                ok = True
            except (InvalidSignature, binascii.Error, ValueError):
                continue
    if not ok:
        raise SignatureError(
            "the signature does not match the body: wrong secret or key, or the body was "
            "altered (verify the raw bytes, before parsing the JSON)",
            code="signature_mismatch",
        )
