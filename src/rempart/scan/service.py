"""``scan(content) -> ScanResult``: the single entry point the API, the CLI and workers call."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol

from pydantic import BaseModel, Field

from rempart.banks.lookup import LookupResult, LookupService, Match, Query, merge_results
from rempart.classify.image.schemas import ClassificationReport
from rempart.classify.text.service import TextReport
from rempart.config import MediaLimits, Settings
from rempart.scan.variants import LABELS as VARIANT_LABELS
from rempart.scan.variants import Derived, derive
from rempart.signals.hashing import PhotoSignals, VideoSignals, hash_content
from rempart.signals.pdq import DIHEDRAL_ORDER
from rempart.signals.provenance.schemas import ProvenanceReport
from rempart.signals.types import MD5, PDQ, SHA256, VIDEO_MD5, VPDQ
from rempart.signals.vpdq import serialize_vpdq

if TYPE_CHECKING:
    from rempart.classify.text.service import TextClassifier

TEXT_CONTENT = "text"
DIHEDRAL_LABELS = DIHEDRAL_ORDER[1:]  # labels of PhotoSignals.pdq_dihedral, in order


class ScanResult(BaseModel):
    """What a scan found: the signals, the matches with bank, entry and distance, and timings."""

    content_type: str
    format: str
    size_bytes: int
    width: int | None = None
    height: int | None = None
    duration_s: float | None = None
    signals: dict[str, str] = Field(default_factory=dict)
    pdq_quality: int | None = None
    pdq_scale: int | None = Field(
        None, description="1: PDQ of the full decode; 2, 4, 8: of a reduced JPEG decode"
    )
    notes: list[str] = Field(default_factory=list)
    matched: bool = False
    matches: list[Match] = Field(default_factory=list)
    suppressed: list[Match] = Field(default_factory=list)
    negative_hits: list[Match] = Field(default_factory=list)
    timings_ms: dict[str, float] = Field(default_factory=dict)
    provenance: ProvenanceReport | None = Field(
        None, description="C2PA, IPTC/XMP, generator metadata, watermark (None: not checked)"
    )
    classifiers: ClassificationReport | None = Field(
        None, description="image classifier scores (None: not run)"
    )
    text: TextReport | None = Field(None, description="the text policy's scores (text only)")


class Analysers(Protocol):
    """What a scan may run beyond hashing: provenance and the image classifiers."""

    def check(self, data: bytes, mime: str | None = None) -> ProvenanceReport:
        """Provenance of the bytes."""
        ...  # pragma: no cover


class Classifiers(Protocol):
    """The image classifiers as the scan sees them."""

    def classify(self, data: bytes, mime: str | None = None) -> ClassificationReport:
        """Scores of the bytes."""
        ...  # pragma: no cover


class ScanService:
    """Hashes content with the media limits in force and matches it with ``LookupService``."""

    def __init__(self, lookup: LookupService, settings: Settings, limits: MediaLimits) -> None:
        self.lookup = lookup
        self.settings = settings
        self.limits = limits
        # wired by the context (they load models lazily); None: hashing and matching only
        self.provenance: Analysers | None = None
        self.classifiers: Classifiers | None = None
        self.text_classifier: Callable[[], TextClassifier] | None = None
        # derived query hashes of photos (borders trimmed, embedded photo, inverted): see
        # ``rempart.scan.variants``; False: the file's own PDQ and its orientations only
        self.query_variants = settings.scan_derived_queries

    def scan_text(
        self, text: str, lang: str | None = None, *, banks: Sequence[str] | None = None
    ) -> ScanResult:
        """A post or chatbot answer against the text banks and the text policy.

        The same result as a media scan (``content_type`` "text"), so the policy and the
        moderation path treat both alike; ``signals`` holds the text's SHA-256 only.
        """
        from rempart.scan.text import scan_text

        if self.text_classifier is None:
            raise RuntimeError("no text classifier wired")  # pragma: no cover
        found = scan_text(self.lookup, self.text_classifier(), text, lang, banks)
        raw = text.encode("utf-8", "surrogatepass")
        return ScanResult(
            content_type=TEXT_CONTENT,
            format="text",
            size_bytes=len(raw),
            signals={SHA256: hashlib.sha256(raw).hexdigest()},
            notes=list(found.notes),
            matched=found.matched,
            matches=found.matches,
            suppressed=found.suppressed,
            negative_hits=found.negative_hits,
            timings_ms=dict(found.timings_ms),
            text=found.classifier,
        )

    def hash(
        self, data: bytes, content_type: str | None = None, *, fast: bool = False
    ) -> PhotoSignals | VideoSignals:
        """Signals of untrusted bytes (raises ``MediaError`` on bad input).

        By default the exact PDQ, equal to HMA's, because hashes may be banked or shared;
        ``fast`` allows the reduced-JPEG path (a few bits off), which is for matching only.
        """
        return hash_content(
            data,
            content_type,
            self.limits,
            fast=fast and self.settings.pdq_fast,
            min_quality=self.settings.pdq_min_quality,
        )

    def scan(
        self,
        data: bytes,
        content_type: str | None = None,
        *,
        banks: Sequence[str] | None = None,
        bypass_coinflip: bool = False,
        analyse: bool = True,
    ) -> ScanResult:
        """Hash ``data`` and match all its signals; bad media raises ``MediaError``.

        With ``analyse`` (the default) provenance and the image classifiers run too, when the
        context wired them and the settings enable them; without it a scan is hashing and
        matching only (milliseconds, as HMA's lookups).
        """
        t0 = time.perf_counter()
        sig = self.hash(data, content_type, fast=True)
        derived: list[Derived] = []
        if self.query_variants and isinstance(sig, PhotoSignals):
            derived = derive(data, self.limits, sig.pdq, min_quality=self.settings.pdq_min_quality)
        tv = time.perf_counter()
        result = self.match_signals(
            sig, banks=banks, bypass_coinflip=bypass_coinflip, derived=derived
        )
        t2 = time.perf_counter()
        result.size_bytes = len(data)
        result.timings_ms = {
            "hash": round((tv - t0) * 1000, 3),  # the file's hashes and the derived queries
            "match": round((t2 - tv) * 1000, 3),
        }
        if analyse:
            self.analyse(data, result)
        result.timings_ms["total"] = round((time.perf_counter() - t0) * 1000, 3)
        return result

    def analyse(self, data: bytes, result: ScanResult) -> None:
        """Add provenance and classifier results to a scan of ``data`` (in place)."""
        mime = None  # both sniff the bytes again themselves (cheap, and never trusts a label)
        if self.provenance is not None and self.settings.provenance_enabled:
            t = time.perf_counter()
            result.provenance = self.provenance.check(data, mime)
            result.timings_ms["provenance"] = round((time.perf_counter() - t) * 1000, 3)
        if self.classifiers is not None and self.settings.classifiers_enabled:
            t = time.perf_counter()
            result.classifiers = self.classifiers.classify(data, mime)
            result.timings_ms["classify"] = round((time.perf_counter() - t) * 1000, 3)

    def describe(self, sig: PhotoSignals | VideoSignals) -> ScanResult:
        """The signals of hashed content as a result with no matching done."""
        if isinstance(sig, PhotoSignals):
            out = ScanResult(
                content_type="photo",
                format=sig.format,
                size_bytes=0,
                width=sig.width,
                height=sig.height,
            )
            out.signals = {SHA256: sig.sha256, MD5: sig.md5}
            if sig.pdq is not None:
                out.signals[PDQ] = sig.pdq.hex
                out.pdq_quality = sig.pdq.quality
                out.pdq_scale = sig.pdq_scale
            if sig.pdq_note:
                out.notes.append(sig.pdq_note)
            return out
        out = ScanResult(
            content_type="video",
            format=sig.format,
            size_bytes=0,
            width=sig.width,
            height=sig.height,
            duration_s=sig.duration_s,
        )
        out.signals = {SHA256: sig.sha256, VIDEO_MD5: sig.video_md5}
        if sig.vpdq:
            out.signals[VPDQ] = serialize_vpdq(sig.vpdq)
        else:
            out.notes.append("no frame of usable quality: vPDQ is not used for matching")
        return out

    def match_signals(
        self,
        sig: PhotoSignals | VideoSignals,
        *,
        banks: Sequence[str] | None = None,
        bypass_coinflip: bool = False,
        derived: Sequence[Derived] = (),
    ) -> ScanResult:
        """Match already computed signals of one piece of content.

        ``derived`` are extra PDQ queries of a photo (``rempart.scan.variants``); a match
        through one has that query's label as its ``orientation``, and a note says so.
        """
        out = self.describe(sig)
        look = self.lookup

        def exact(signal_type: str, value: str) -> LookupResult:
            return look.lookup(
                signal_type, [Query(value)], bank_names=banks, bypass_coinflip=bypass_coinflip
            )

        results: list[LookupResult] = [exact(SHA256, sig.sha256)]
        if isinstance(sig, PhotoSignals):
            results.append(exact(MD5, sig.md5))
            queries: list[Query] = []
            if sig.pdq is not None and sig.pdq.quality >= self.settings.pdq_min_quality:
                queries = [Query(sig.pdq.hex)]
                queries += [
                    Query(h, label)
                    for h, label in zip(sig.pdq_dihedral, DIHEDRAL_LABELS, strict=False)
                ]
            queries += [Query(d.pdq.hex, d.label) for d in derived]
            if queries:
                results.append(
                    look.lookup(
                        PDQ,
                        queries,
                        bank_names=banks,
                        bypass_coinflip=bypass_coinflip,
                        rollout_key=queries[0].value,
                    )
                )
        else:
            results.append(exact(VIDEO_MD5, sig.video_md5))
            if sig.vpdq:
                results.append(
                    look.lookup_vpdq(
                        sig.vpdq,
                        query_value=sig.sha256,
                        bank_names=banks,
                        bypass_coinflip=bypass_coinflip,
                    )
                )
        merged = merge_results(results)
        out.matches = merged.matches
        out.suppressed = merged.suppressed
        out.negative_hits = merged.negative_hits
        out.matched = bool(merged.matches)
        boxes = {d.label: d.box for d in derived}
        for label in sorted({m.orientation for m in merged.matches} & set(boxes)):
            what = VARIANT_LABELS.get(label.split("+")[0].split(":")[0], "")
            where = f", the rectangle {boxes[label]} of the image" if boxes[label] else ""
            out.notes.append(f"matched through the derived PDQ query '{label}' ({what}{where})")
        return out
