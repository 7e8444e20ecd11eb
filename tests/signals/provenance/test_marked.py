"""Every marked file is found while its marking survives; no clean photo is ever called AI."""

from __future__ import annotations

import json

import pytest

from rempart.signals.provenance import ProvenanceService
from tests import provtools as pt


@pytest.mark.parametrize("name", pt.CLEAN_PHOTOS)
@pytest.mark.parametrize(
    ("fmt", "software"),
    [
        ("JPEG", "GIMP 2.10.36"),
        ("PNG", "Adobe Photoshop 25.0 (Windows)"),
        ("JPEG", "Adobe Lightroom Classic 13.2"),
        ("WEBP", "Capture One 23"),
    ],
)
def test_clean_photos_are_unknown_never_yes_or_no(
    trusting: ProvenanceService, name: str, fmt: str, software: str
) -> None:
    report = trusting.check(pt.clean_photo(name, fmt, software=software))
    assert report.ai_generated == "unknown"
    assert report.generator is None
    assert report.facts()["ai_generated"] is False
    assert report.facts()["c2pa_state"] == "none"
    assert any("proves nothing" in n for n in report.notes)


def test_all_shipped_photos_and_graphics_are_never_ai(trusting: ProvenanceService) -> None:
    from tests.photos import graphics, real_photos

    for name, img in real_photos() + graphics():
        for fmt in ("PNG", "JPEG"):
            report = trusting.check(pt.encode(img, fmt))
            assert report.ai_generated == "unknown", (name, fmt, report.evidence)


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (pt.png_with_a1111_parameters, "Stable Diffusion (AUTOMATIC1111-style)"),
        (pt.png_with_comfyui, "ComfyUI"),
        (pt.png_with_invokeai, "InvokeAI"),
        (pt.png_with_novelai, "NovelAI"),
        (pt.jpeg_with_a1111_usercomment, "Stable Diffusion (AUTOMATIC1111-style)"),
    ],
)
def test_generator_metadata_is_found(
    untrusting: ProvenanceService, make: object, expected: str
) -> None:
    report = untrusting.check(make())  # type: ignore[operator]
    assert report.ai_generated == "yes"
    assert report.generator == expected
    assert report.facts()["generator"] == expected
    assert set(report.facts()["evidence"]) <= {"png_text", "exif"}  # type: ignore[arg-type]


def test_a1111_details_name_the_model(untrusting: ProvenanceService) -> None:
    report = untrusting.check(pt.png_with_a1111_parameters())
    detail = next(e.detail for e in report.evidence if e.kind == "png_text")
    assert "20 steps" in detail and "v1-5-pruned-emaonly" in detail


def test_compressed_text_chunks_are_read(untrusting: ProvenanceService) -> None:
    for kind in ("zTXt", "iTXt"):
        data = pt.png_with_chunks([pt.text_chunk("parameters", pt.A1111, kind)])
        assert untrusting.check(data).ai_generated == "yes", kind


def test_comfyui_checkpoint_is_reported(untrusting: ProvenanceService) -> None:
    report = untrusting.check(pt.png_with_comfyui())
    assert "sd_xl_base_1.0" in report.evidence[-1].detail or any(
        "sd_xl_base_1.0" in e.detail for e in report.evidence
    )


def test_prompt_chunk_that_is_not_comfyui_is_ignored(untrusting: ProvenanceService) -> None:
    data = pt.png_with_chunks(
        [
            pt.text_chunk("prompt", json.dumps({"a": 1})),
            pt.text_chunk("parameters", "holiday photo, Steps: many"),
        ]
    )
    assert untrusting.check(data).ai_generated == "unknown"


AI_TERMS = [
    "trainedAlgorithmicMedia",
    "compositeWithTrainedAlgorithmicMedia",
    "algorithmicMedia",
    "compositeSynthetic",
]


@pytest.mark.parametrize("term", AI_TERMS)
@pytest.mark.parametrize("make", [pt.jpeg_with_xmp_dst, pt.png_with_xmp_dst, pt.webp_with_xmp_dst])
def test_xmp_digital_source_type_ai_terms(
    untrusting: ProvenanceService, term: str, make: object
) -> None:
    report = untrusting.check(make(term))  # type: ignore[operator]
    assert report.ai_generated == "yes"
    assert report.facts()["digital_source_type"] == term
    assert report.facts()["evidence"] == ["iptc"]


def test_xmp_element_form_and_short_term(untrusting: ProvenanceService) -> None:
    assert (
        untrusting.check(pt.jpeg_with_xmp_dst("trainedAlgorithmicMedia", element=True)).ai_generated
        == "yes"
    )
    packet = pt.xmp_packet().replace(
        b'rdf:about=""', b'rdf:about="" Iptc4xmpExt:DigitalSourceType="trainedAlgorithmicMedia"'
    )
    assert untrusting.check(pt.jpeg_with_xmp(packet)).ai_generated == "yes"


@pytest.mark.parametrize("term", ["digitalCapture", "computationalCapture", "digitalCreation"])
def test_xmp_capture_or_human_terms_never_prove_not_ai(
    trusting: ProvenanceService, term: str
) -> None:
    report = trusting.check(pt.jpeg_with_xmp_dst(term))
    assert report.ai_generated == "unknown"  # anyone can write XMP
    assert report.evidence and report.evidence[0].indicates_ai is None


def test_xmp_ai_system_used_and_creator_tool(untrusting: ProvenanceService) -> None:
    extra = "<Iptc4xmpExt:AISystemUsed>Midjourney</Iptc4xmpExt:AISystemUsed>"
    report = untrusting.check(pt.jpeg_with_xmp(pt.xmp_packet(extra=extra)))
    assert report.ai_generated == "yes" and report.generator == "Midjourney"
    tool = "<xmp:CreatorTool>Adobe Firefly</xmp:CreatorTool>"
    assert (
        untrusting.check(pt.jpeg_with_xmp(pt.xmp_packet(extra=tool))).generator == "Adobe Firefly"
    )
    tool = "<xmp:CreatorTool>Adobe Photoshop 25.0 (Macintosh)</xmp:CreatorTool>"
    assert untrusting.check(pt.jpeg_with_xmp(pt.xmp_packet(extra=tool))).ai_generated == "unknown"


@pytest.mark.parametrize(
    ("software", "generator"),
    [
        ("Midjourney", "Midjourney"),
        ("DALL-E 3", "DALL-E"),
        ("Adobe Firefly", "Adobe Firefly"),
        ("ComfyUI", "ComfyUI"),
        ("NovelAI", "NovelAI"),
        ("Stable Diffusion XL", "Stable Diffusion"),
        ("FLUX.1 [dev]", "FLUX"),
        ("Ideogram 2.0", "Ideogram"),
        ("Leonardo.Ai", "Leonardo.Ai"),
        ("Google Imagen 3", "Google Imagen"),
    ],
)
def test_exif_software_naming_generators(
    untrusting: ProvenanceService, software: str, generator: str
) -> None:
    report = untrusting.check(pt.jpeg_with_exif(t0131=software))
    assert report.ai_generated == "yes"
    assert report.generator == generator


@pytest.mark.parametrize(
    "software",
    [
        "Adobe Photoshop 25.0 (Windows)",
        "GIMP 2.10.36",
        "Adobe Lightroom 7.0",
        "Picasa",
        "Editor de imagen 2.1",
        "f.lux",
        "Flux Photo Studio",
        "Leonardo photo editor",
        "Canon EOS 5D Mark IV",
        "iPhone 15 Pro",
        "Snapseed 2.0",
        "Darktable 4.6",
        "Firmware Ver.1.2",
    ],
)
def test_ordinary_software_is_not_a_generator(untrusting: ProvenanceService, software: str) -> None:
    report = untrusting.check(pt.jpeg_with_exif(t0131=software, t010f="Canon", t0110=software))
    assert report.ai_generated == "unknown", report.evidence


def test_watermarks_are_found(untrusting: ProvenanceService) -> None:
    for kind in ("sd1", "sdxl"):
        for name in ("astronaut", "camera"):
            report = untrusting.check(pt.watermarked_png(name, kind))
            assert report.ai_generated == "yes", (kind, name)
            assert report.facts()["watermark"] is True
            assert report.facts()["evidence"] == ["watermark"]


def test_watermark_survives_lossless_and_444_jpeg(untrusting: ProvenanceService) -> None:
    marked = pt.watermarked_png()
    import io

    from PIL import Image

    img = Image.open(io.BytesIO(marked))
    for data in (
        pt.encode(img, "WEBP", lossless=True),
        pt.encode(img, "JPEG", quality=95, subsampling=0),
    ):
        assert untrusting.check(data).facts()["watermark"] is True


def test_ordinary_jpeg_reencode_erases_the_watermark(untrusting: ProvenanceService) -> None:
    """Documented limitation: a 4:2:0 JPEG (what every upload pipeline writes) loses the mark."""
    report = untrusting.check(pt.reencode_jpeg(pt.watermarked_png(), quality=95))
    assert report.ai_generated == "unknown"
    assert report.facts()["watermark"] is False


def test_png_text_is_stripped_by_reencode(untrusting: ProvenanceService) -> None:
    """Documented limitation: metadata does not survive a re-encode."""
    for data in (
        pt.png_with_a1111_parameters(),
        pt.png_with_comfyui(),
        pt.jpeg_with_xmp_dst("trainedAlgorithmicMedia"),
    ):
        assert untrusting.check(pt.reencode_jpeg(data)).ai_generated == "unknown"
