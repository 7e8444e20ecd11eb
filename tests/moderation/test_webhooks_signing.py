"""The signature scheme platforms rely on: both schemes verify, tampering and replays do not."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from rempart.moderation.webhooks.events import check_subscription, subscribed
from rempart.moderation.webhooks.service import JITTER, MAX_BACKOFF_S, backoff_s, canonical_json
from rempart.moderation.webhooks.signing import SignatureError, sign, verify

BODY = b'{"data":{"decision_id":42},"event":"decision.enforce"}'
T = 1_767_225_600
SECRET = "whsec_test"


def headers(value: str) -> dict[str, str]:
    return {"Rempart-Signature": value}


def test_hmac_header_is_documented_format() -> None:
    value = sign(BODY, timestamp=T, secret=SECRET)
    expected = hmac.new(SECRET.encode(), f"{T}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert value == f"t={T},v1={expected}"
    verify(headers(value), BODY, secret=SECRET, now=T + 10)


def test_ed25519_verifies_with_pem_raw_or_object() -> None:
    key = Ed25519PrivateKey.generate()
    value = sign(BODY, timestamp=T, private_key=key)
    assert value.startswith(f"t={T},ed25519=")
    pub = key.public_key()
    pem = pub.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
    raw = base64.b64encode(pub.public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()
    for form in (pem, pem.encode(), raw, pub):
        verify(headers(value), BODY, public_key=form, now=T)


def test_header_lookup_ignores_case() -> None:
    value = sign(BODY, timestamp=T, secret=SECRET)
    verify({"rempart-signature": value}, BODY, secret=SECRET, now=T)


@pytest.mark.parametrize("scheme", ["hmac", "ed25519"])
def test_tampered_body_is_refused(scheme: str) -> None:
    key = Ed25519PrivateKey.generate()
    value = (
        sign(BODY, timestamp=T, secret=SECRET)
        if scheme == "hmac"
        else sign(BODY, timestamp=T, private_key=key)
    )
    tampered = BODY.replace(b"42", b"43")
    with pytest.raises(SignatureError) as exc:
        if scheme == "hmac":
            verify(headers(value), tampered, secret=SECRET, now=T)
        else:
            verify(headers(value), tampered, public_key=key.public_key(), now=T)
    assert exc.value.code == "signature_mismatch"


def test_wrong_secret_or_key_is_refused() -> None:
    value = sign(BODY, timestamp=T, secret=SECRET)
    with pytest.raises(SignatureError, match="does not match"):
        verify(headers(value), BODY, secret="whsec_other", now=T)
    value = sign(BODY, timestamp=T, private_key=Ed25519PrivateKey.generate())
    with pytest.raises(SignatureError, match="does not match"):
        verify(headers(value), BODY, public_key=Ed25519PrivateKey.generate().public_key(), now=T)


@pytest.mark.parametrize("offset", [301, -301, 86_400])
def test_stale_or_future_timestamp_is_refused_as_replay(offset: int) -> None:
    value = sign(BODY, timestamp=T, secret=SECRET)
    with pytest.raises(SignatureError) as exc:
        verify(headers(value), BODY, secret=SECRET, now=T + offset, tolerance_s=300)
    assert exc.value.code == "signature_expired"
    assert "replay" in exc.value.detail


def test_now_may_be_a_datetime_and_tolerance_is_inclusive() -> None:
    value = sign(BODY, timestamp=T, secret=SECRET)
    verify(headers(value), BODY, secret=SECRET, now=datetime.fromtimestamp(T + 300, UTC))


def test_a_rotated_secret_may_send_several_signatures() -> None:
    old = sign(BODY, timestamp=T, secret="whsec_old").split(",")[1]
    value = sign(BODY, timestamp=T, secret=SECRET) + "," + old
    verify(headers(value), BODY, secret="whsec_old", now=T)
    verify(headers(value), BODY, secret=SECRET, now=T)


def test_the_signed_timestamp_cannot_be_swapped() -> None:
    value = sign(BODY, timestamp=T, secret=SECRET)
    moved = value.replace(f"t={T}", f"t={T + 1000}")
    with pytest.raises(SignatureError, match="does not match"):
        verify(headers(moved), BODY, secret=SECRET, now=T + 1000)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (None, "signature_missing"),
        ("", "signature_missing"),
        ("v1=abc", "signature_malformed"),
        ("t=now,v1=abc", "signature_malformed"),
        ("t=1,t=2,v1=abc", "signature_malformed"),
        (f"t={T}", "signature_malformed"),
        (f"t={T},garbage", "signature_malformed"),
        (f"t={T},ed25519=abc", "signature_malformed"),  # HMAC expected, no v1
    ],
)
def test_missing_or_malformed_header_is_a_clear_error(value: str | None, code: str) -> None:
    hdrs = {} if value is None else headers(value)
    with pytest.raises(SignatureError) as exc:
        verify(hdrs, BODY, secret=SECRET, now=T)
    assert exc.value.code == code
    assert exc.value.detail


def test_ed25519_without_signature_or_with_garbage_is_refused() -> None:
    pub = Ed25519PrivateKey.generate().public_key()
    with pytest.raises(SignatureError) as exc:
        verify(headers(f"t={T},v1=00"), BODY, public_key=pub, now=T)
    assert exc.value.code == "signature_malformed"
    with pytest.raises(SignatureError) as exc:
        verify(headers(f"t={T},ed25519=!!notbase64"), BODY, public_key=pub, now=T)
    assert exc.value.code == "signature_mismatch"


def test_caller_must_give_exactly_one_key() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        verify(headers("t=1,v1=0"), BODY, now=T)
    with pytest.raises(ValueError, match="exactly one"):
        sign(BODY, timestamp=T)
    with pytest.raises(ValueError, match="PEM or base64"):
        verify(headers(f"t={T},ed25519=0"), BODY, public_key="not a key", now=T)


def test_canonical_json_is_deterministic() -> None:
    a = canonical_json({"b": 1, "a": {"d": [1, 2], "c": "é"}})
    b = canonical_json({"a": {"c": "é", "d": [1, 2]}, "b": 1})
    assert a == b == '{"a":{"c":"é","d":[1,2]},"b":1}'.encode()
    with pytest.raises(ValueError):
        canonical_json({"x": float("nan")})


def test_backoff_doubles_with_bounded_jitter_and_a_cap() -> None:
    assert backoff_s(2.0, 1, rand=0.0) == 2.0
    assert backoff_s(2.0, 2, rand=0.0) == 4.0
    assert backoff_s(2.0, 3, rand=1.0) == 8.0 * (1 + JITTER)
    assert backoff_s(2.0, 40, rand=0.5) == MAX_BACKOFF_S
    for n in range(1, 8):
        assert 2.0 * 2 ** (n - 1) <= backoff_s(2.0, n) <= 2.0 * 2 ** (n - 1) * (1 + JITTER)


def test_subscriptions() -> None:
    assert subscribed(["*"], "account.warn")
    assert subscribed(["decision.*"], "decision.reverse")
    assert not subscribed(["decision.*"], "account.warn")
    assert subscribed(["account.warn"], "account.warn")
    assert not subscribed(["account.warn"], "account.suspend")
    assert check_subscription("notification.*") == "notification.*"
    with pytest.raises(ValueError, match="unknown event"):
        check_subscription("decision.enforced")
    with pytest.raises(ValueError, match="unknown event"):
        check_subscription("bogus.*")
