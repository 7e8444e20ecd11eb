"""The IPTC NewsCodes *digital source type* vocabulary, which C2PA and XMP both use.

Each term is classed as synthetic (made by generative AI or an algorithm: evidence of AI),
capture (a recording of the real world, possibly edited by hand) or neutral (neither claim,
e.g. human digital art or a screenshot). Only a capture term in a trusted, valid C2PA manifest
may ever support "not AI-generated"; the same term in plain metadata proves nothing, because
anyone can write it.
"""

from __future__ import annotations

from typing import Literal

IPTC_BASE = "http://cv.iptc.org/newscodes/digitalsourcetype/"
C2PA_BASE = "http://c2pa.org/digitalsourcetype/"

SourceClass = Literal["synthetic", "capture", "neutral"]

# term -> (class, short explanation); the current vocabulary plus retired terms still found.
TERMS: dict[str, tuple[SourceClass, str]] = {
    "trainedAlgorithmicMedia": ("synthetic", "made by a generative AI model"),
    "compositeWithTrainedAlgorithmicMedia": (
        "synthetic",
        "a composite that includes generative-AI elements (e.g. inpainting, generative fill)",
    ),
    "algorithmicMedia": ("synthetic", "made purely by an algorithm, without a trained model"),
    "compositeSynthetic": ("synthetic", "a composite that includes synthetic elements"),
    "digitalCapture": ("capture", "recorded by a digital camera or sensor"),
    "computationalCapture": ("capture", "captured with computational photography"),
    "negativeFilm": ("capture", "scanned from a film negative"),
    "positiveFilm": ("capture", "scanned from a film positive (slide)"),
    "print": ("capture", "scanned from a print"),
    "compositeCapture": ("capture", "a composite of captured elements"),
    "humanEdits": ("capture", "a capture edited by a person with non-generative tools"),
    "minorHumanEdits": ("capture", "a capture with minor human edits"),
    "algorithmicallyEnhanced": ("neutral", "minor augmentation or correction by an algorithm"),
    "dataDrivenMedia": ("neutral", "a depiction of data (chart, visualisation)"),
    "digitalCreation": ("neutral", "made by a person with digital tools, not generative AI"),
    "digitalArt": ("neutral", "digital art made by a person (retired term)"),
    "softwareImage": ("neutral", "created by software (retired term)"),
    "screenCapture": ("neutral", "a screenshot"),
    "virtualRecording": ("neutral", "a recording of a virtual event"),
    "composite": ("neutral", "a composite of several elements"),
    "trainedAlgorithmicData": ("neutral", "data used to train a model (C2PA term)"),
    "empty": ("neutral", "no source type declared (C2PA term)"),
}
_BY_LOWER = {term.lower(): term for term in TERMS}


def short_term(value: str) -> str | None:
    """The vocabulary term of a full IPTC/C2PA URI or a bare term; None if not one we know."""
    text = value.strip().rstrip("/")
    if not text or len(text) > 300:
        return None
    last = text.rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    return _BY_LOWER.get(last.lower())


def classify(value: str) -> SourceClass | None:
    """Synthetic, capture or neutral for a URI or term; None when the value is not in the list."""
    term = short_term(value)
    return TERMS[term][0] if term else None


def explain(term: str) -> str:
    """One-line meaning of a vocabulary term, for evidence details."""
    return TERMS[term][1] if term in TERMS else "an unknown digital source type"


def uri(term: str) -> str:
    """The full URI for a term (IPTC's, or C2PA's own for its two extra terms)."""
    known = short_term(term)
    if known is None:
        raise ValueError(f"{term!r} is not an IPTC digital source type")
    base = C2PA_BASE if known in ("trainedAlgorithmicData", "empty") else IPTC_BASE
    return base + known
