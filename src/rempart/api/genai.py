"""``/v1/genai``: guardrails for the platform's own generator (request and output checks).

``POST /v1/genai/check-request`` takes JSON ``{prompt, request_id?, account?, lang?}`` or a
multipart form with ``prompt`` and an optional ``image`` (the photo to edit); it answers allow
or refuse with reasons. ``POST /v1/genai/check-output`` takes a multipart ``image`` (and
optionally ``prompt``, ``request_id``, ``account``): it answers block, or allow with the image
signed with a C2PA manifest declaring ``trainedAlgorithmicMedia`` (base64 in the JSON, or the
bytes themselves with ``?format=image``). With no signing certificate configured, an allowed
output is answered in JSON without the image and ``signing_error`` says what to configure.
Both are for the platform's machine client.
"""

from __future__ import annotations

import base64
import json
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import Counter
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from rempart.access.roles import Role
from rempart.api.auth import ctx, require
from rempart.api.metrics import REGISTRY
from rempart.api.problems import ProblemError
from rempart.api.uploads import read_upload
from rempart.genai.schemas import GenaiOutputVerdict, GenaiVerdict
from rempart.genai.service import MAX_PROMPT

router = APIRouter(prefix="/v1/genai", tags=["genai"])
MAX_FORM_FIELD = MAX_PROMPT * 4  # accepted here; the service answers 413 past MAX_PROMPT
RequirePlatform = Depends(require(Role.PLATFORM))
CHECKS = Counter(
    "rempart_genai_checks_total",
    "Generation guardrail checks by kind and outcome",
    ["kind", "decision"],
    registry=REGISTRY,
)


class CheckRequestIn(BaseModel):
    """A generation request to check (JSON form; send multipart to include the image)."""

    model_config = ConfigDict(extra="forbid")

    prompt: str = Field(min_length=1, max_length=MAX_FORM_FIELD, description="the prompt")
    request_id: str | None = Field(None, min_length=1, max_length=200)
    account: str | None = Field(None, min_length=1, max_length=255)
    lang: str | None = Field(None, min_length=2, max_length=3, pattern=r"^[a-z]{2,3}$")


class OutputVerdictOut(GenaiOutputVerdict):
    """The output verdict with the signed image as base64 when allowed."""

    image_base64: str | None = None


def _text(form: Any, name: str, required: bool = False) -> str | None:
    value = form.get(name)
    if value is None or value == "":
        if required:
            raise ProblemError(422, f"send the form field {name!r}", "validation")
        return None
    if not isinstance(value, str):
        raise ProblemError(422, f"{name!r} must be a text field, not a file", "validation")
    if len(value) > MAX_FORM_FIELD:
        raise ProblemError(413, f"{name!r} is too long", "too_large")
    return value


def _image(request: Request, form: Any, name: str, required: bool) -> bytes | None:
    value = form.get(name)
    if value is None or value == "":
        if required:
            raise ProblemError(422, f"send the image as the multipart file field {name!r}", "empty")
        return None
    if not isinstance(value, UploadFile):
        raise ProblemError(422, f"{name!r} must be a file upload", "validation")
    return read_upload(value, ctx(request).limits)  # type: ignore[arg-type]


async def _form(request: Request) -> Any:
    kind = request.headers.get("content-type", "")
    if not kind.startswith("multipart/form-data"):
        raise ProblemError(
            415, "send multipart/form-data with the file field 'image'", "unsupported_type"
        )
    try:
        return await request.form(max_files=2, max_fields=10)
    except Exception as exc:  # a malformed body is the client's error
        raise ProblemError(400, f"unreadable multipart body: {exc}", "bad_request") from None


@router.post(
    "/check-request",
    dependencies=[RequirePlatform],
    response_model=GenaiVerdict,
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {"schema": CheckRequestIn.model_json_schema()},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["prompt"],
                        "properties": {
                            "prompt": {"type": "string"},
                            "image": {"type": "string", "format": "binary"},
                            "request_id": {"type": "string"},
                            "account": {"type": "string"},
                            "lang": {"type": "string"},
                        },
                    }
                },
            }
        }
    },
)
async def check_request(request: Request) -> GenaiVerdict:
    """Allow or refuse a generation request before anything is generated (with reasons)."""
    kind = request.headers.get("content-type", "")
    image: bytes | None = None
    if kind.startswith("multipart/form-data"):
        form = await _form(request)
        fields = {
            k: v
            for k in ("prompt", "request_id", "account", "lang")
            if (v := _text(form, k, required=k == "prompt")) is not None
        }
        image = _image(request, form, "image", required=False)
    elif kind.startswith("application/json") or not kind:
        raw = await request.body()
        try:
            fields = json.loads(raw or b"null")
        except ValueError:
            raise ProblemError(400, "the body is not valid JSON", "bad_json") from None
        if not isinstance(fields, dict):
            raise ProblemError(422, "send a JSON object with at least 'prompt'", "validation")
    else:
        raise ProblemError(415, "send application/json or multipart/form-data", "unsupported_type")
    try:
        body = CheckRequestIn.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        detail = f"{loc}: {first['msg']}" if loc else str(first["msg"])
        raise ProblemError(422, detail, "validation") from None
    service = ctx(request).genai
    verdict = await run_in_threadpool(
        service.check_request,
        body.prompt,
        image,
        request_id=body.request_id,
        account=body.account,
        language=body.lang,
    )
    CHECKS.labels("request", verdict.decision).inc()
    return verdict


@router.post(
    "/check-output",
    dependencies=[RequirePlatform],
    response_model=OutputVerdictOut,
    responses={200: {"content": {"image/*": {}}}},
    openapi_extra={
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["image"],
                        "properties": {
                            "image": {"type": "string", "format": "binary"},
                            "prompt": {"type": "string"},
                            "request_id": {"type": "string"},
                            "account": {"type": "string"},
                        },
                    }
                }
            }
        }
    },
)
async def check_output(
    request: Request,
    format: Literal["json", "image"] = Query(
        "json", description="json: verdict with base64 image; image: the signed bytes"
    ),
) -> Response:
    """Check a generated image; when allowed, return it C2PA-signed as AI-generated."""
    form = await _form(request)
    image = _image(request, form, "image", required=True)
    assert image is not None
    prompt = _text(form, "prompt")
    request_id = _text(form, "request_id")
    account = _text(form, "account")
    service = ctx(request).genai
    out = await run_in_threadpool(
        service.check_output, image, request_id=request_id, prompt=prompt, account=account
    )
    CHECKS.labels("output", out.decision).inc()
    if format == "image" and out.image is not None:
        return Response(
            out.image,
            media_type=out.mime or "application/octet-stream",
            headers={
                "X-Rempart-Decision": out.decision,
                "X-Rempart-Request-Id": out.request_id,
                "X-Rempart-Digital-Source-Type": out.digital_source_type or "",
            },
        )
    body = OutputVerdictOut(
        **out.model_dump(),
        image_base64=base64.b64encode(out.image).decode("ascii") if out.image else None,
    )
    # a blocked output asked for as an image gets the JSON verdict (there is no image)
    return JSONResponse(body.model_dump(mode="json"))
