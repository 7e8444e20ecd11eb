"""Provenance of uploaded media: is it AI-generated, as far as its own records show?

``check`` gathers every clue the file carries (C2PA manifest, IPTC/XMP digital source type,
generator metadata in PNG text and EXIF, the Stable Diffusion watermark) and answers:

* "yes" when any clue indicates generative AI: a synthetic digital source type in a valid or
  trusted C2PA manifest or in XMP/IPTC, generator metadata, or a decoded generator watermark;
* "no" only when a valid C2PA manifest signed under a configured trust anchor declares a capture
  (``digitalCapture`` and similar) and no clue indicates AI;
* "unknown" otherwise. Missing provenance proves nothing: metadata is stripped by most
  uploads and re-encodes, and plain metadata can be forged either way.

An Invalid C2PA manifest (hash or signature mismatch) means the file changed after signing: it
is reported as tampering (``c2pa_state`` Invalid), and neither its AI nor its capture claims
are believed. ``sign`` embeds a C2PA manifest declaring a generated image (AI Act Art. 50).
"""

from __future__ import annotations

import logging
import time
from functools import cached_property

import numpy as np

from rempart.config import MediaLimits, Settings
from rempart.media import MediaError, detect, load_image
from rempart.media.detect import MediaInfo
from rempart.signals.provenance import containers, generators, watermark
from rempart.signals.provenance.manifest import (
    SIGNABLE,
    C2pa,
    ProvenanceError,
    build_manifest,
    load_signer,
)
from rempart.signals.provenance.schemas import (
    AiStatus,
    C2paInfo,
    ProvenanceEvidence,
    ProvenanceReport,
)
from rempart.signals.provenance.sourcetype import classify, explain, short_term
from rempart.signals.provenance.xmp import read_xmp

log = logging.getLogger(__name__)

WATERMARK_FORMATS = frozenset({"png", "webp", "jpeg"})
NOTE_NOTHING = (
    "No provenance signal was found. This proves nothing: most uploads and re-encodes strip "
    "metadata, and most cameras, phones and generators write none."
)
NOTE_NO_C2PA = (
    "No C2PA manifest: this proves nothing (any re-encode or upload pipeline removes it)."
)
_PRIORITY = {"c2pa": 0, "png_text": 1, "exif": 2, "iptc": 3, "xmp": 4, "watermark": 5}


class ProvenanceService:
    """Reads provenance from media bytes and signs generated images with C2PA."""

    def __init__(self, settings: Settings, limits: MediaLimits | None = None) -> None:
        self.settings = settings
        self.limits = limits or MediaLimits()
        self._anchor_problem: str | None = None

    @cached_property
    def _c2pa(self) -> C2pa:
        try:
            return C2pa(self.settings.c2pa_trust_anchors)
        except ProvenanceError as exc:
            # A broken anchors file must not stop scans: read untrusted, and say so.
            log.warning("c2pa trust anchors not loaded: %s", exc.detail)
            self._anchor_problem = exc.detail
            return C2pa(None)

    # ---- check -------------------------------------------------------------------------

    def check(self, data: bytes, mime: str | None = None) -> ProvenanceReport:
        """The provenance report of photo or video bytes.

        Raises only rempart.media errors for bytes that are not accepted media (empty, too
        large, unknown format, polyglot); damaged metadata or pixels are noted, never raised.
        """
        started = time.perf_counter()
        info = detect(data, mime, self.limits)
        if not self.settings.provenance_enabled:
            return ProvenanceReport(
                ai_generated="unknown", notes=["Provenance checks are disabled on this server."]
            )
        evidence: list[ProvenanceEvidence] = []
        notes: list[str] = []
        meta = containers.read_metadata(data, info.format)
        c2pa_info = self._c2pa.read(data, info.mime)
        if self._anchor_problem:
            notes.append(f"C2PA trust anchors not loaded ({self._anchor_problem}).")
        if c2pa_info is None:
            notes.append(NOTE_NO_C2PA)
        else:
            evidence.extend(_c2pa_evidence(c2pa_info, self._c2pa.trusting))
        evidence.extend(_xmp_evidence(meta, notes))
        evidence.extend(_iim_evidence(meta))
        evidence.extend(_exif_evidence(meta))
        evidence.extend(
            ProvenanceEvidence(kind="png_text", indicates_ai=True, generator=f.generator,
                               detail=f"{f.source}: {f.detail}")
            for f in generators.png_text(meta.png_text)
        )  # fmt: skip
        if info.kind == "photo":
            evidence.extend(self._watermark(data, info, meta, notes))
        notes.extend(meta.problems)
        report = _verdict(evidence, c2pa_info, notes)
        report.elapsed_ms = round((time.perf_counter() - started) * 1000, 2)
        return report

    def _watermark(
        self, data: bytes, info: MediaInfo, meta: containers.Metadata, notes: list[str]
    ) -> list[ProvenanceEvidence]:
        """Decode the SD watermark where it could have survived, within a bounded cost."""
        if info.format not in WATERMARK_FORMATS or meta.size is None:
            return []
        width, height = meta.size
        area = width * height
        if area < watermark.MIN_PIXELS or area > min(watermark.MAX_PIXELS, self.limits.max_pixels):
            return []
        if meta.chroma_subsampled:
            notes.append(
                "Watermark not checked: this JPEG's subsampled chroma (4:2:0/4:2:2) destroys "
                "the Stable Diffusion watermark."
            )
            return []
        if meta.exif.get(containers.TAG_ORIENTATION, "1") != "1":
            return []  # shown rotated: the decoded pixels no longer sit on the embedding grid
        try:
            loaded = load_image(data, self.limits, info=info)
        except MediaError as exc:
            notes.append(f"Watermark not checked: the pixels could not be decoded ({exc.detail})")
            return []
        hit = watermark.decode(np.asarray(loaded.image, dtype=np.uint8))
        if hit is None:
            return []
        return [
            ProvenanceEvidence(
                kind="watermark",
                indicates_ai=True,
                generator="Stable Diffusion",
                detail=f"invisible watermark of {hit.name} decoded ({hit.order} order, "
                f"{hit.errors}/{hit.bits} bit errors)",
            )
        ]

    # ---- sign --------------------------------------------------------------------------

    def sign(
        self,
        data: bytes,
        mime: str,
        *,
        digital_source_type: str = "trainedAlgorithmicMedia",
        title: str | None = None,
        generator: str | None = None,
    ) -> bytes:
        """The image with an embedded, signed C2PA manifest declaring how it was made.

        The manifest holds one ``c2pa.created`` action with the IPTC digital source type
        (trainedAlgorithmicMedia by default) and ``generator`` as its software agent; the claim
        generator is Rempart. Raises ProvenanceError when signing is not configured, the
        credentials are refused, the type is unknown or the format cannot carry a manifest.
        """
        if short_term(digital_source_type) is None:
            raise ProvenanceError(
                f"{digital_source_type!r} is not an IPTC digital source type; use e.g. "
                "trainedAlgorithmicMedia or compositeWithTrainedAlgorithmicMedia.",
                code="invalid_source_type",
                status=422,
            )
        info = detect(data, mime, self.limits)
        if info.format not in SIGNABLE:
            raise ProvenanceError(
                f"{info.format.upper()} cannot carry a C2PA manifest here; send "
                f"{', '.join(sorted(SIGNABLE)).upper()}.",
                code="unsupported_type",
                status=415,
            )
        s = self.settings
        signer = load_signer(s.c2pa_sign_alg, s.c2pa_sign_cert, s.c2pa_sign_key, s.c2pa_tsa_url)
        manifest = build_manifest(digital_source_type, title, generator)
        try:
            return self._c2pa.sign(data, info.format, manifest, signer)
        finally:
            signer.close()


# ---- evidence -----------------------------------------------------------------------------


def _c2pa_evidence(c2pa_info: C2paInfo, trusting: bool) -> list[ProvenanceEvidence]:
    """Evidence from a manifest store: its digital source types and generator, if believable."""
    who = c2pa_info.signer or "an unnamed signer"
    if c2pa_info.issuer:
        who += f" ({c2pa_info.issuer})"
    claimed = c2pa_info.claim_generator
    own = claimed is not None and claimed.startswith("Rempart/")  # Rempart signs, never generates
    generator = next(iter(c2pa_info.software_agents), None) or (None if own else claimed)
    terms = [short_term(t) or t for t in c2pa_info.digital_source_types]
    if c2pa_info.state == "Invalid":
        failures = ", ".join(c2pa_info.failures[:5]) or "unverifiable"
        declared = f"; it declared {', '.join(terms)}" if terms else ""
        return [
            ProvenanceEvidence(
                kind="c2pa",
                indicates_ai=None,
                detail=f"C2PA manifest signed by {who} is INVALID ({failures}): the file was "
                f"changed after signing or the manifest is damaged, so its claims cannot be "
                f"relied on{declared}. This is evidence of tampering, not of AI generation.",
            )
        ]
    trusted = c2pa_info.state == "Trusted"
    standing = (
        "trusted"
        if trusted
        else "valid but its signer is not in the trust anchors"
        if trusting
        else "valid (no trust anchors configured)"
    )
    out: list[ProvenanceEvidence] = []
    for term in terms:
        kind = classify(term)
        if kind == "synthetic":
            out.append(
                ProvenanceEvidence(
                    kind="c2pa",
                    indicates_ai=True,
                    generator=generator,
                    digital_source_type=term,
                    detail=f"C2PA manifest ({standing}, signed by {who}) declares digital "
                    f"source type {term}: {explain(term)}",
                )
            )
        elif kind == "capture":
            out.append(
                ProvenanceEvidence(
                    kind="c2pa",
                    indicates_ai=False if trusted else None,
                    digital_source_type=term if trusted else None,
                    detail=f"C2PA manifest ({standing}, signed by {who}) declares digital "
                    f"source type {term}: {explain(term)}"
                    + ("" if trusted else "; an untrusted signer's capture claim proves nothing"),
                )
            )
        else:
            out.append(
                ProvenanceEvidence(
                    kind="c2pa",
                    indicates_ai=None,
                    detail=f"C2PA manifest ({standing}) declares digital source type {term}: "
                    f"{explain(term) if kind else 'not in the IPTC vocabulary'}",
                )
            )
    named = generators.name_generator(generator) if generator else None
    if named and not any(e.indicates_ai for e in out):
        out.append(
            ProvenanceEvidence(
                kind="c2pa",
                indicates_ai=True,
                generator=named,
                detail=f"C2PA manifest ({standing}, signed by {who}) names the generator "
                f"{generator}",
            )
        )
    if not out:
        out.append(
            ProvenanceEvidence(
                kind="c2pa",
                indicates_ai=None,
                detail=f"C2PA manifest ({standing}, signed by {who}, claim generator "
                f"{c2pa_info.claim_generator or 'unnamed'}) declares no digital source type",
            )
        )
    return out


def _xmp_evidence(meta: containers.Metadata, notes: list[str]) -> list[ProvenanceEvidence]:
    props = read_xmp(meta.xmp)
    if props.unsafe:
        notes.append(
            "An XMP packet declared a DTD; it was read with bounded patterns only "
            "(XML entities are never expanded)."
        )
    out: list[ProvenanceEvidence] = []
    for value in props.values.get("DigitalSourceType", []):
        term = short_term(value)
        kind = classify(value)
        if kind == "synthetic" and term:
            out.append(
                ProvenanceEvidence(
                    kind="iptc",
                    indicates_ai=True,
                    digital_source_type=term,
                    detail=f"XMP Iptc4xmpExt:DigitalSourceType is {term}: {explain(term)}",
                )
            )
        else:
            what = (
                f"{term}: {explain(term)}" if term else f"{value[:100]!r} (not in the vocabulary)"
            )
            tail = "; unsigned metadata proves nothing" if kind == "capture" else ""
            out.append(
                ProvenanceEvidence(
                    kind="iptc",
                    indicates_ai=None,
                    detail=f"XMP Iptc4xmpExt:DigitalSourceType is {what}{tail}",
                )
            )
    for value in props.values.get("AISystemUsed", [])[:3]:
        out.append(
            ProvenanceEvidence(
                kind="iptc",
                indicates_ai=True,
                generator=generators.name_generator(value) or value[:120],
                detail=f"XMP Iptc4xmpExt:AISystemUsed is {value[:120]!r}",
            )
        )
    for prop in ("CreatorTool", "Software", "Credit"):
        for value in props.values.get(prop, [])[:5]:
            if name := generators.name_generator(value):
                out.append(
                    ProvenanceEvidence(
                        kind="xmp",
                        indicates_ai=True,
                        generator=name,
                        detail=f"XMP {prop} names a generator: {value[:120]!r}",
                    )
                )
    return out


def _iim_evidence(meta: containers.Metadata) -> list[ProvenanceEvidence]:
    out: list[ProvenanceEvidence] = []
    fields = {65: "Originating Program", 110: "Credit"}
    for block in meta.iim[:4]:
        for record, dataset, value in containers.iim_records(block):
            if record != 2 or dataset not in fields:
                continue
            text = value.decode("utf-8", "replace")
            if name := generators.name_generator(text):
                out.append(
                    ProvenanceEvidence(
                        kind="iptc",
                        indicates_ai=True,
                        generator=name,
                        detail=f"IPTC IIM {fields[dataset]} names a generator: {text[:120]!r}",
                    )
                )
    return out


def _exif_evidence(meta: containers.Metadata) -> list[ProvenanceEvidence]:
    out: list[ProvenanceEvidence] = []
    names = {
        containers.TAG_SOFTWARE: "Software",
        containers.TAG_PROCESSING_SOFTWARE: "ProcessingSoftware",
        containers.TAG_MAKE: "Make",
        containers.TAG_MODEL: "Model",
        containers.TAG_ARTIST: "Artist",
    }
    for tag, label in names.items():
        value = meta.exif.get(tag)
        if isinstance(value, str) and (name := generators.name_generator(value)):
            out.append(
                ProvenanceEvidence(
                    kind="exif",
                    indicates_ai=True,
                    generator=name,
                    detail=f"EXIF {label} names a generator: {value[:120]!r}",
                )
            )
    texts: list[tuple[str, str]] = []
    comment = meta.exif.get(containers.TAG_USER_COMMENT)
    if isinstance(comment, bytes):
        texts.append(("EXIF UserComment", containers.user_comment(comment)))
    description = meta.exif.get(containers.TAG_IMAGE_DESCRIPTION)
    if isinstance(description, str):
        texts.append(("EXIF ImageDescription", description))
    for source, text in texts:
        for found in generators.text_fields(source, text):
            out.append(
                ProvenanceEvidence(
                    kind="exif",
                    indicates_ai=True,
                    generator=found.generator,
                    detail=f"{found.source}: {found.detail}",
                )
            )
    return out


def _verdict(
    evidence: list[ProvenanceEvidence], c2pa_info: C2paInfo | None, notes: list[str]
) -> ProvenanceReport:
    """Combine the evidence: any AI clue wins; "no" needs a trusted capture claim."""
    ai = sorted((e for e in evidence if e.indicates_ai), key=lambda e: _PRIORITY[e.kind])
    status: AiStatus
    source_type: str | None = None
    generator: str | None = None
    if ai:
        status = "yes"
        generator = next((e.generator for e in ai if e.generator), None)
        source_type = next((e.digital_source_type for e in ai if e.digital_source_type), None)
    elif any(e.indicates_ai is False for e in evidence):
        status = "no"
        source_type = next(
            (e.digital_source_type for e in evidence if e.indicates_ai is False), None
        )
        notes.append(
            "A trusted, valid C2PA manifest declares a capture and nothing indicates AI. It "
            "certifies the signer's claim, not the scene."
        )
    else:
        status = "unknown"
        if not evidence:
            notes.append(NOTE_NOTHING)
        else:
            notes.append(
                "Nothing indicates AI generation, but nothing trusted rules it out either; "
                "missing or unsigned provenance proves nothing."
            )
    return ProvenanceReport(
        ai_generated=status,
        generator=generator,
        digital_source_type=source_type,
        c2pa=c2pa_info,
        evidence=evidence,
        notes=notes,
    )
