"""What the guardrail answers: a request verdict and an output verdict, with their reasons."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class Reason(BaseModel):
    """One rule that refused or blocked, in words and as DSA codes."""

    code: str = Field(description="stable rule code, e.g. real_person_sexualised")
    message: str
    category: str = Field(description="DSA STATEMENT_CATEGORY_* of the decision")
    specification: list[str] = Field(default_factory=list, description="DSA KEYWORD_* codes")
    child_safety: bool = False


class TermOut(BaseModel):
    """A lexicon term the prompt matched: the cue, the term and the original words."""

    cue: str
    term: str
    lang: str
    matched: str
    start: int
    end: int
    fuzzy: bool


class ImageSignals(BaseModel):
    """What the checks found in an image: bank matches and classifier scores."""

    matches: list[dict[str, Any]] = Field(default_factory=list)
    classifiers: dict[str, dict[str, Any]] = Field(default_factory=dict)
    provenance: dict[str, Any] = Field(default_factory=dict)
    notes: list[str] = Field(default_factory=list)


class GenaiVerdict(BaseModel):
    """The answer to a generation request: allow or refuse, and why."""

    request_id: str
    decision: Literal["allow", "refuse"]
    reasons: list[Reason] = Field(default_factory=list)
    matches: list[TermOut] = Field(default_factory=list)
    categories: list[str] = Field(default_factory=list, description="cues found in the prompt")
    language: str
    normalized: str = Field(description="the prompt after normalisation (what was matched)")
    ages: list[int] = Field(default_factory=list)
    named_persons: list[str] = Field(default_factory=list)
    similarity: float | None = Field(
        None, description="cosine similarity to the nearest refused exemplar (paraphrase check)"
    )
    image: ImageSignals | None = None
    text_bank_matches: list[dict[str, Any]] = Field(default_factory=list)
    item_ref: str | None = None
    case_id: int | None = None
    decision_id: int | None = None
    policy_version: str
    timings_ms: dict[str, float] = Field(default_factory=dict)


class GenaiOutputVerdict(BaseModel):
    """The answer for a generated image: allow (signed) or block, and the signals used."""

    request_id: str
    decision: Literal["allow", "block"]
    reasons: list[Reason] = Field(default_factory=list)
    signals: ImageSignals
    prompt: GenaiVerdict | None = None
    signed: bool = False
    signing_error: str | None = Field(
        None, description="why an allowed image was not returned: signing is not configured"
    )
    mime: str | None = None
    digital_source_type: str | None = None
    image: bytes | None = Field(None, exclude=True, description="the signed image when allowed")
    item_ref: str | None = None
    case_id: int | None = None
    decision_id: int | None = None
    policy_version: str
    timings_ms: dict[str, float] = Field(default_factory=dict)
