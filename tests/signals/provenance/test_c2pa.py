"""C2PA: manifests made with a throwaway CA, validation states, trust, tampering, signing."""

from __future__ import annotations

from pathlib import Path

import pytest

from rempart.config import Settings
from rempart.media import UnsupportedMedia
from rempart.signals.provenance import ProvenanceError, ProvenanceService
from tests import provtools as pt

ID = tuple[Path, Path, Path]


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_sign_round_trip(
    untrusting: ProvenanceService, trusting: ProvenanceService, fmt: str
) -> None:
    original = pt.encode(pt.photo("coffee"), fmt)
    signed = untrusting.sign(original, pt.MIME[fmt], title="cat.png", generator="ExampleGen 2")
    assert signed != original
    valid = untrusting.check(signed)
    assert valid.ai_generated == "yes"
    assert valid.c2pa is not None and valid.c2pa.state == "Valid"
    assert valid.c2pa.claim_generator == "Rempart/0.1.0"
    assert valid.c2pa.title == "cat.png"
    assert valid.generator == "ExampleGen 2"
    assert valid.c2pa.signer == "Rempart test signer"
    assert valid.facts()["digital_source_type"] == "trainedAlgorithmicMedia"
    assert valid.digital_source_type == "trainedAlgorithmicMedia"
    trusted = trusting.check(signed)
    assert trusted.c2pa is not None and trusted.c2pa.state == "Trusted"
    assert trusted.facts()["c2pa_state"] == "Trusted"
    assert trusted.facts()["evidence"] == ["c2pa"]


def test_sign_composite_type(untrusting: ProvenanceService) -> None:
    signed = untrusting.sign(
        pt.encode(pt.photo(), "PNG"),
        "image/png",
        digital_source_type="compositeWithTrainedAlgorithmicMedia",
    )
    assert untrusting.check(signed).facts()["digital_source_type"] == (
        "compositeWithTrainedAlgorithmicMedia"
    )


def test_other_tools_manifests_are_read(trusting: ProvenanceService, identity: ID) -> None:
    chain, key, _ = identity
    data = pt.c2pa_signed(
        pt.encode(pt.photo(), "JPEG"),
        "image/jpeg",
        chain,
        key,
        claim_generator="Adobe Firefly",
        source_type="trainedAlgorithmicMedia",
    )
    report = trusting.check(data)
    assert report.ai_generated == "yes" and report.generator == "Adobe Firefly/1.0"
    assert "c2pa.created" in (report.c2pa.actions if report.c2pa else [])


def test_trusted_capture_is_the_only_no(
    trusting: ProvenanceService, untrusting: ProvenanceService, identity: ID
) -> None:
    chain, key, _ = identity
    data = pt.c2pa_signed(
        pt.encode(pt.photo("chelsea"), "JPEG"),
        "image/jpeg",
        chain,
        key,
        source_type="digitalCapture",
        claim_generator="TestCam",
    )
    trusted = trusting.check(data)
    assert trusted.ai_generated == "no"
    assert trusted.facts()["digital_source_type"] == "digitalCapture"
    assert trusted.facts()["ai_generated"] is False
    untrusted = untrusting.check(data)
    assert untrusted.ai_generated == "unknown"  # a capture claim by an unknown signer
    assert untrusted.c2pa is not None and untrusted.c2pa.state == "Valid"


def test_trusted_capture_with_generator_metadata_is_yes(
    trusting: ProvenanceService, identity: ID
) -> None:
    chain, key, _ = identity
    data = pt.c2pa_signed(
        pt.png_with_a1111_parameters(), "image/png", chain, key, source_type="digitalCapture"
    )
    assert trusting.check(data).ai_generated == "yes"


def test_anchors_of_another_ca_do_not_trust(identity: ID, tmp_path: Path) -> None:
    chain, key, _ = identity
    _, _, other_ca = pt.make_signing_identity(tmp_path / "other")
    service = ProvenanceService(Settings(c2pa_trust_anchors=other_ca))
    data = pt.c2pa_signed(
        pt.encode(pt.photo(), "JPEG"), "image/jpeg", chain, key, source_type="digitalCapture"
    )
    report = service.check(data)
    assert report.c2pa is not None and report.c2pa.state == "Valid"
    assert report.ai_generated == "unknown"
    assert "signingCredential.untrusted" in report.c2pa.failures


@pytest.mark.parametrize("source_type", ["digitalCapture", "trainedAlgorithmicMedia"])
@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_tampered_pixels_are_invalid_never_no(
    trusting: ProvenanceService, identity: ID, source_type: str, fmt: str
) -> None:
    chain, key, _ = identity
    data = pt.c2pa_signed(
        pt.encode(pt.photo("rocket"), fmt), pt.MIME[fmt], chain, key, source_type=source_type
    )
    report = trusting.check(pt.tamper_pixels(data))
    assert report.c2pa is not None and report.c2pa.state == "Invalid"
    assert report.facts()["c2pa_state"] == "Invalid"
    assert report.ai_generated == "unknown"
    assert any("tampering, not of AI" in e.detail for e in report.evidence)
    assert any("mismatch" in f for f in report.c2pa.failures)


def test_jpeg_reencode_removes_the_manifest(trusting: ProvenanceService) -> None:
    """Documented limitation: re-encoding strips C2PA; the result is unknown, not no."""
    signed = trusting.sign(pt.encode(pt.photo(), "JPEG", quality=92), "image/jpeg")
    assert trusting.check(signed).ai_generated == "yes"
    report = trusting.check(pt.reencode_jpeg(signed))
    assert report.c2pa is None and report.ai_generated == "unknown"
    assert report.facts()["c2pa_state"] == "none"
    assert any("No C2PA manifest" in n for n in report.notes)


def test_sign_unconfigured_is_a_clear_error() -> None:
    with pytest.raises(ProvenanceError) as err:
        ProvenanceService(Settings()).sign(pt.encode(pt.photo(), "PNG"), "image/png")
    assert err.value.code == "c2pa_signing_unconfigured"
    assert "REMPART_C2PA_SIGN_CERT" in err.value.detail


def test_sign_with_bad_keys(identity: ID, tmp_path: Path) -> None:
    chain, key, ca = identity
    _, other_key, _ = pt.make_signing_identity(tmp_path / "other")
    png = pt.encode(pt.photo(), "PNG")
    cases = [(chain, other_key), (ca, tmp_path / "missing.key"), (key, key)]
    for cert_path, key_path in cases:
        service = ProvenanceService(Settings(c2pa_sign_cert=cert_path, c2pa_sign_key=key_path))
        with pytest.raises(ProvenanceError) as err:
            service.sign(png, "image/png")
        assert err.value.code == "c2pa_signing_credentials", (cert_path, key_path)
        assert err.value.status == 503


def test_sign_refuses_unknown_type_and_non_images(untrusting: ProvenanceService) -> None:
    with pytest.raises(ProvenanceError) as err:
        untrusting.sign(pt.encode(pt.photo(), "PNG"), "image/png", digital_source_type="madeUp")
    assert err.value.status == 422
    with pytest.raises(UnsupportedMedia):
        untrusting.sign(b"plain text, not an image", "image/png")
    with pytest.raises(ProvenanceError) as err:
        untrusting.sign(pt.encode(pt.photo(), "BMP"), "image/bmp")
    assert err.value.status == 415


def test_broken_trust_anchors_do_not_stop_checks(tmp_path: Path, identity: ID) -> None:
    bad = tmp_path / "anchors.pem"
    bad.write_text("not a certificate")
    service = ProvenanceService(Settings(c2pa_trust_anchors=bad))
    chain, key, _ = identity
    data = pt.c2pa_signed(
        pt.encode(pt.photo(), "JPEG"), "image/jpeg", chain, key, source_type="digitalCapture"
    )
    report = service.check(data)
    assert report.c2pa is not None and report.c2pa.state == "Valid"
    assert report.ai_generated == "unknown"
    assert any("trust anchors not loaded" in n for n in report.notes)


def test_videos_are_read_too(trusting: ProvenanceService, identity: ID) -> None:
    from tests.media.media_factory import make_video

    chain, key, _ = identity
    video = make_video(n=10)
    assert trusting.check(video, "video/mp4").ai_generated == "unknown"
    signed = pt.c2pa_signed(video, "video/mp4", chain, key)
    report = trusting.check(signed, "video/mp4")
    assert report.ai_generated == "yes"
    assert report.c2pa is not None and report.c2pa.state == "Trusted"
