"""``/v1/text``: scan posts and chatbot output with the text policy and the text banks."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, field_validator

from rempart.api.auth import RequireMatcher, ctx
from rempart.api.metrics import SCANS
from rempart.classify.text.lang import check_lang
from rempart.scan.text import MAX_SCAN_CHARS, TextScanResult, scan_text

router = APIRouter(prefix="/v1/text", tags=["text"])


class TextScanRequest(BaseModel):
    """A text to scan: a post, a message or a chatbot's answer."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=MAX_SCAN_CHARS)
    lang: str | None = Field(None, description="language code if known (else detected)")
    banks: list[str] | None = Field(None, description="only these banks")

    @field_validator("text")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("text is empty or only whitespace")
        return v

    @field_validator("lang")
    @classmethod
    def _lang(cls, v: str | None) -> str | None:
        return check_lang(v)


@router.post("/scan", dependencies=[RequireMatcher])
def scan(request: Request, body: TextScanRequest) -> TextScanResult:
    """Match a text against the text banks and score it for denial, hate, grooming, threats."""
    rempart = ctx(request)
    result = scan_text(rempart.lookup, rempart.text_classifier, body.text, body.lang, body.banks)
    SCANS.labels("text").inc()
    return result
