"""The provenance report: a yes/no/unknown answer, each piece of evidence, and policy facts."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from rempart.signals.provenance.sourcetype import short_term

EvidenceKind = Literal["c2pa", "iptc", "xmp", "png_text", "exif", "watermark"]
AiStatus = Literal["yes", "no", "unknown"]
C2paState = Literal["Trusted", "Valid", "Invalid"]
FactValue = str | int | float | bool | list[str]


class C2paInfo(BaseModel):
    """What the C2PA manifest store says, and whether its signatures and hashes hold.

    ``Valid``: signatures and content hashes check out, but the signer is not in the configured
    trust anchors. ``Trusted``: valid and signed under a configured anchor. ``Invalid``: a hash
    or signature fails, i.e. the file was changed after signing (or the manifest is damaged).
    """

    state: C2paState
    active_manifest: str | None = None
    claim_generator: str | None = None
    title: str | None = None
    signer: str | None = Field(None, description="Common name of the signing certificate.")
    issuer: str | None = Field(None, description="Organisation of the signing certificate.")
    signed_at: str | None = None
    manifests: int = 0
    digital_source_types: list[str] = Field(default_factory=list)
    actions: list[str] = Field(default_factory=list)
    software_agents: list[str] = Field(default_factory=list)
    failures: list[str] = Field(
        default_factory=list,
        description="Validation failure codes, e.g. assertion.dataHash.mismatch.",
    )


class ProvenanceEvidence(BaseModel):
    """One clue. ``indicates_ai``: True (AI), False (a trusted capture claim), None (neither)."""

    kind: EvidenceKind
    indicates_ai: bool | None
    detail: str
    generator: str | None = None
    digital_source_type: str | None = Field(None, description="The IPTC term this clue states.")


class ProvenanceReport(BaseModel):
    """Whether the media is AI-generated as far as its provenance shows, and why.

    "no" only when a valid and trusted C2PA manifest declares a capture and nothing points to
    AI; a file without provenance is "unknown", never "no", because metadata is easily removed.
    """

    ai_generated: AiStatus
    generator: str | None = None
    digital_source_type: str | None = None
    c2pa: C2paInfo | None = None
    evidence: list[ProvenanceEvidence] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    elapsed_ms: float = 0.0

    @property
    def watermark(self) -> bool:
        """Whether an invisible generator watermark was decoded."""
        return any(e.kind == "watermark" and e.indicates_ai for e in self.evidence)

    def facts(self) -> dict[str, FactValue]:
        """Flat values for the policy engine (``provenance: {ai_generated: true}`` etc.)."""
        out: dict[str, FactValue] = {
            "ai_generated": self.ai_generated == "yes",
            "ai_status": self.ai_generated,
            "c2pa_state": self.c2pa.state if self.c2pa else "none",
            "evidence": sorted({e.kind for e in self.evidence if e.indicates_ai}),
            "watermark": self.watermark,
        }
        if self.generator:
            out["generator"] = self.generator
        term = short_term(self.digital_source_type) if self.digital_source_type else None
        if term:
            out["digital_source_type"] = term
        return out
