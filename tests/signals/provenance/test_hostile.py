"""Hostile input: every bad file ends in a report or a documented media error, quickly."""

from __future__ import annotations

import json
import struct
import time
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rempart.media import MediaError
from rempart.signals.provenance import ProvenanceService
from tests import provtools as pt

BOMB = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol%s;" % (i - 1 if i > 1 else "")) * 10}">' for i in range(1, 10)
    )
    + ']><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    '<rdf:Description xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
    'Iptc4xmpExt:DigitalSourceType="http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia">'
    "<dc:title>&lol9;</dc:title></rdf:Description></rdf:RDF></x:xmpmeta>"
)


def _fast(service: ProvenanceService, data: bytes, limit_s: float = 2.0) -> object:
    started = time.perf_counter()
    try:
        result: object = service.check(data)
    except MediaError as exc:
        result = exc
    assert time.perf_counter() - started < limit_s
    return result


def test_xml_bomb_is_never_expanded(untrusting: ProvenanceService) -> None:
    report = _fast(untrusting, pt.jpeg_with_xmp(BOMB.encode()))
    assert not isinstance(report, MediaError)
    assert report.ai_generated == "yes"  # type: ignore[attr-defined]  # read by patterns
    assert any("DTD" in n for n in report.notes)  # type: ignore[attr-defined]


def test_external_entity_is_never_fetched(untrusting: ProvenanceService) -> None:
    xxe = (
        '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><t>&e;</t></x:xmpmeta>'
    )
    data = pt.png_with_chunks([pt.text_chunk("XML:com.adobe.xmp", xxe, "iTXt")])
    report = _fast(untrusting, data)
    assert "root:" not in report.model_dump_json()  # type: ignore[attr-defined]


def test_huge_xmp_and_text_chunks(untrusting: ProvenanceService) -> None:
    filler = "<rdf:li>" + "A" * 8_000_000 + "</rdf:li>"
    huge = pt.png_with_chunks(
        [
            pt.text_chunk(
                "XML:com.adobe.xmp",
                pt.xmp_packet("trainedAlgorithmicMedia", extra=filler).decode(),
                "iTXt",
            )
        ]
    )
    report = _fast(untrusting, huge, 5.0)
    assert not isinstance(report, MediaError)
    assert any("read only in part" in n for n in report.notes)  # type: ignore[attr-defined]
    many = [pt.text_chunk(f"k{i}", "x" * 1000) for i in range(2000)]
    assert not isinstance(_fast(untrusting, pt.png_with_chunks(many)), MediaError)
    # 3.5 MB of repeated property names in one packet (regex path via a DTD)
    noisy = "<!DOCTYPE x>" + ":DigitalSourceType " * 200_000
    assert not isinstance(_fast(untrusting, pt.jpeg_with_xmp(noisy.encode()[:65000])), MediaError)


def test_ztxt_bomb_is_capped(untrusting: ProvenanceService) -> None:
    payload = zlib.compress(b"\x00" * 100_000_000, 1)  # 100 MB inflated
    data = pt.png_with_chunks([(b"zTXt", b"parameters\x00\x00" + payload)])
    report = _fast(untrusting, data, 5.0)
    assert not isinstance(report, MediaError)


def test_deep_json_does_not_crash(untrusting: ProvenanceService) -> None:
    deep = "[" * 200_000 + "]" * 200_000
    data = pt.png_with_chunks(
        [
            pt.text_chunk("prompt", deep),
            pt.text_chunk("workflow", deep),
            pt.text_chunk("invokeai_metadata", deep),
        ]
    )
    report = _fast(untrusting, data)
    assert report.ai_generated == "unknown"  # type: ignore[attr-defined]


def test_truncated_files(untrusting: ProvenanceService, identity: tuple) -> None:
    chain, key, _ = identity
    samples = [
        pt.c2pa_signed(pt.encode(pt.photo(), "JPEG"), "image/jpeg", chain, key),
        pt.c2pa_signed(pt.encode(pt.photo(), "PNG"), "image/png", chain, key),
        pt.png_with_comfyui(),
        pt.jpeg_with_xmp_dst("trainedAlgorithmicMedia"),
        pt.webp_with_xmp_dst("trainedAlgorithmicMedia"),
        pt.watermarked_png(),
    ]
    for data in samples:
        for cut in (20, 200, 2_000, len(data) // 2, len(data) - 10):
            _fast(untrusting, data[:cut])


def test_broken_exif_and_iim(untrusting: ProvenanceService) -> None:
    exif = (
        b"Exif\x00\x00MM\x00*\x00\x00\x00\x08"
        + struct.pack(">H", 60000)
        + b"\x01\x31\x00\x02\xff\xff\xff\xff\x00\x00\x00\x10"
    )
    jpeg = pt.encode(pt.photo(), "JPEG")
    data = jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(exif) + 2) + exif + jpeg[2:]
    assert _fast(untrusting, data).ai_generated == "unknown"  # type: ignore[attr-defined]
    iim = b"Photoshop 3.0\x008BIM\x04\x04\x00\x00\xff\xff\xff\xff\x1c\x02\x41\x00\x0aMidjourney"
    data = jpeg[:2] + b"\xff\xed" + struct.pack(">H", len(iim) + 2) + iim + jpeg[2:]
    _fast(untrusting, data)


def test_iim_originating_program(untrusting: ProvenanceService) -> None:
    record = b"\x1c\x02\x41" + struct.pack(">H", 10) + b"Midjourney"
    iim = b"Photoshop 3.0\x008BIM\x04\x04\x00\x00" + struct.pack(">I", len(record)) + record
    jpeg = pt.encode(pt.photo(), "JPEG")
    data = jpeg[:2] + b"\xff\xed" + struct.pack(">H", len(iim) + 2) + iim + jpeg[2:]
    report = untrusting.check(data)
    assert report.ai_generated == "yes" and report.facts()["evidence"] == ["iptc"]


def test_not_media_raises_documented_errors(untrusting: ProvenanceService) -> None:
    for data in (b"", b"hello world", json.dumps({"a": 1}).encode()):
        with pytest.raises(MediaError):
            untrusting.check(data)


HEADS = [
    b"\xff\xd8\xff\xe1",
    b"\x89PNG\r\n\x1a\n",
    b"RIFF\x00\x01\x00\x00WEBPVP8X",
    b"II*\x00",
    b"GIF89a",
]


@settings(
    max_examples=150, deadline=2000, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(head=st.sampled_from(HEADS), body=st.binary(max_size=4096))
def test_random_bytes_never_raise_anything_else(
    untrusting: ProvenanceService, head: bytes, body: bytes
) -> None:
    _fast(untrusting, head + body)


@settings(
    max_examples=40, deadline=3000, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(at=st.integers(min_value=0, max_value=10_000), junk=st.binary(min_size=1, max_size=64))
def test_corrupted_metadata_segments(untrusting: ProvenanceService, at: int, junk: bytes) -> None:
    base = (
        pt.png_with_a1111_parameters("camera")
        if at % 2
        else pt.jpeg_with_xmp_dst("trainedAlgorithmicMedia", "camera")
    )
    pos = min(at, len(base) - 1)
    _fast(untrusting, base[:pos] + junk + base[pos + len(junk) :])
