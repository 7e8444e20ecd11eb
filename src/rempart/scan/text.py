"""``scan_text(...)``: a post or a chatbot answer against the text banks and the text policy."""

from __future__ import annotations

import time
from collections.abc import Sequence

from pydantic import BaseModel, Field

from rempart.banks.lookup import LookupService, Match, Query
from rempart.classify.text.embed import clean
from rempart.classify.text.service import TextClassifier, TextReport
from rempart.errors import Invalid
from rempart.signals.errors import SignalError
from rempart.signals.types import MAX_TEXT_SIGNAL, SIGNAL_TYPES, TEXT

MAX_SCAN_CHARS = 20_000  # longer input is refused, not silently cut


class TextScanResult(BaseModel):
    """Text-bank matches (bank, entry and distance) and the classifier's scores, with timings."""

    content_type: str = TEXT
    length: int = Field(description="characters in the text as received")
    language: str
    matched: bool = False
    matches: list[Match] = Field(default_factory=list)
    suppressed: list[Match] = Field(default_factory=list)
    negative_hits: list[Match] = Field(default_factory=list)
    classifier: TextReport
    notes: list[str] = Field(default_factory=list)
    timings_ms: dict[str, float] = Field(default_factory=dict)


def scan_text(
    lookup: LookupService,
    classifier: TextClassifier,
    text: str,
    lang: str | None = None,
    banks: Sequence[str] | None = None,
) -> TextScanResult:
    """Match ``text`` against the enabled text banks and score it with the text policy."""
    if not isinstance(text, str):
        raise Invalid("text must be a string")
    if len(text) > MAX_SCAN_CHARS:
        raise Invalid(f"text is {len(text)} characters long; at most {MAX_SCAN_CHARS} are scanned")
    clean(text)  # empty or whitespace only: a clear error before any work
    notes: list[str] = []
    start = time.perf_counter()
    report = classifier.classify(text, lang)
    classify_ms = (time.perf_counter() - start) * 1000
    if report.truncated:
        notes.append("text longer than the model's 512 tokens: only the start was classified")
    t1 = time.perf_counter()
    signal, cut = _bank_signal(text)
    if cut:
        notes.append(f"text banks compared the first {MAX_TEXT_SIGNAL} characters")
    result = lookup.lookup(TEXT, [Query(signal)], bank_names=banks)
    lookup_ms = (time.perf_counter() - t1) * 1000
    return TextScanResult(
        length=len(text),
        language=report.language,
        matched=bool(result.matches),
        matches=result.matches,
        suppressed=result.suppressed,
        negative_hits=result.negative_hits,
        classifier=report,
        notes=notes,
        timings_ms={
            "classify": round(classify_ms, 2),
            "banks": round(lookup_ms, 2),
            "total": round(classify_ms + lookup_ms, 2),
        },
    )


def _bank_signal(text: str) -> tuple[str, bool]:
    """The text as a bank signal, cut to the longest start the signal type accepts."""
    collapsed = " ".join(text.split())
    cut = min(len(collapsed), MAX_TEXT_SIGNAL)
    while True:
        try:
            return SIGNAL_TYPES[TEXT].normalize(collapsed[:cut]), cut < len(collapsed)
        except SignalError as exc:
            if cut <= 1 or "empty" in str(exc):
                raise Invalid(f"bad text: {exc}") from exc
            cut //= 2  # NFKC lengthened it past the limit (ligatures, wide forms)
