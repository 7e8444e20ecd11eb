"""Signal types, named as in HMA / python-threatexchange, with validation and thresholds.

A signal is a string that identifies content: an exact digest (md5, sha256, video_md5) or a
perceptual hash compared by Hamming distance (pdq, vpdq). ``normalize`` is the single gate every
signal string passes before it is stored or compared.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from rempart.signals.errors import SignalError

PDQ = "pdq"
VPDQ = "vpdq"
VIDEO_MD5 = "video_md5"
MD5 = "md5"  # bytes MD5 of a photo (ours; HMA only has video_md5)
SHA256 = "sha256"
PHOTO = "photo"
VIDEO = "video"
TEXT = "text"  # normalized text, compared by embedding distance (rempart.banks.text)
MAX_TEXT_SIGNAL = 4000  # characters; text banks hold phrases and posts, not documents

__all__ = [
    "MD5", "PDQ", "PHOTO", "SHA256", "SIGNAL_TYPES", "TEXT", "VIDEO", "VIDEO_MD5", "VPDQ",
    "SignalError", "SignalTypeInfo", "content_types",
]  # fmt: skip


@dataclass(frozen=True)
class SignalTypeInfo:
    """One signal type: which content it applies to, its match rule, and its normalizer."""

    name: str
    content_types: tuple[str, ...]
    default_threshold: int  # max Hamming distance for a match; 0 for exact types
    exact: bool
    normalize: Callable[[str], str]  # validate and canonicalize, raising SignalError


def _hex_normalizer(label: str, length: int) -> Callable[[str], str]:
    pattern = re.compile(f"[0-9a-f]{{{length}}}")

    def normalize(value: str) -> str:
        """Lowercase hex of the exact length, surrounding blanks removed."""
        if not isinstance(value, str):
            raise SignalError(f"{label} must be a string of {length} hex characters")
        text = value.strip().lower()
        if not pattern.fullmatch(text):
            raise SignalError(
                f"{label} must be exactly {length} hexadecimal characters (0-9, a-f); "
                f"got {len(text)} characters{'' if len(text) > 80 else f': {text!r}'}"
            )
        return text

    return normalize


def _normalize_vpdq(value: str) -> str:
    """Canonical python-threatexchange vPDQ serialization; at least one frame."""
    from rempart.signals.vpdq import parse_vpdq, serialize_vpdq

    frames = parse_vpdq(value)
    if not frames:
        raise SignalError("vPDQ signal has no frames; expected a JSON list of 'hex,quality,time'")
    return serialize_vpdq(frames)


_BLANKS = re.compile(r"\s+")


def normalize_text(value: str) -> str:
    """NFKC, casefolded, whitespace collapsed: the same phrase banks and matches one way."""
    if not isinstance(value, str):
        raise SignalError("text signal must be a string")
    text = _BLANKS.sub(" ", unicodedata.normalize("NFKC", value).casefold()).strip()
    if not text:
        raise SignalError("text signal is empty (only whitespace)")
    if len(text) > MAX_TEXT_SIGNAL:
        raise SignalError(
            f"text signal is {len(text)} characters long; at most {MAX_TEXT_SIGNAL} are allowed"
        )
    return text


SIGNAL_TYPES: dict[str, SignalTypeInfo] = {
    PDQ: SignalTypeInfo(PDQ, (PHOTO,), 31, False, _hex_normalizer("PDQ hash", 64)),
    VPDQ: SignalTypeInfo(VPDQ, (VIDEO,), 31, False, _normalize_vpdq),
    VIDEO_MD5: SignalTypeInfo(VIDEO_MD5, (VIDEO,), 0, True, _hex_normalizer("video MD5", 32)),
    MD5: SignalTypeInfo(MD5, (PHOTO,), 0, True, _hex_normalizer("MD5", 32)),
    SHA256: SignalTypeInfo(SHA256, (PHOTO, VIDEO), 0, True, _hex_normalizer("SHA-256", 64)),
    # distance = round(1000 * (1 - cosine)) of multilingual-e5-small embeddings; see banks.text
    TEXT: SignalTypeInfo(TEXT, (TEXT,), 80, False, normalize_text),
}


def content_types() -> list[str]:
    """Content types signals apply to, named as in HMA: ["photo", "video"]."""
    return [PHOTO, VIDEO]
