"""Provenance: C2PA, IPTC/XMP digital source type, generator metadata, invisible watermarks."""

from rempart.signals.provenance.manifest import ProvenanceError
from rempart.signals.provenance.schemas import C2paInfo, ProvenanceEvidence, ProvenanceReport
from rempart.signals.provenance.service import ProvenanceService

__all__ = [
    "C2paInfo",
    "ProvenanceError",
    "ProvenanceEvidence",
    "ProvenanceReport",
    "ProvenanceService",
]
