"""``/v1/policies``: load, list, show and activate policy versions; evaluate and replay."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from rempart.access.roles import Role
from rempart.api.auth import ctx, require
from rempart.api.problems import ProblemError, problem
from rempart.errors import Invalid
from rempart.policy.facts import Facts
from rempart.policy.loader import Format, PolicyFileError
from rempart.policy.service import (
    EvaluationOut,
    LoadedPolicy,
    PolicyVersionDetail,
    PolicyVersionOut,
    RecordedVerdict,
    Replay,
)
from rempart.policy.verdict import Verdict

router = APIRouter(prefix="/v1/policies", tags=["policy"])

READERS = Depends(require(Role.MODERATOR, Role.SENIOR_MODERATOR, Role.LEGAL, Role.AUDITOR))
EVALUATORS = Depends(require(Role.MODERATOR, Role.SENIOR_MODERATOR))
REPLAYERS = Depends(require(Role.SENIOR_MODERATOR, Role.LEGAL, Role.AUDITOR))
ADMIN = Depends(require(Role.ADMIN))
MAX_BODY = 1_000_000
VersionPath = Annotated[int, Path(ge=1, le=2**31 - 1, description="policy version")]
EvaluationPath = Annotated[int, Path(ge=1, le=2**63 - 1, description="evaluation id")]
TEXT_TYPES: dict[str, Format | None] = {
    "text/yaml": "yaml",
    "application/yaml": "yaml",
    "application/x-yaml": "yaml",
    "text/x-yaml": "yaml",
    "application/toml": "toml",
    "text/toml": "toml",
    "text/plain": None,
}
LOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "text/yaml": {"schema": {"type": "string"}},
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["text"],
                    "properties": {"text": {"type": "string"}},
                }
            },
        },
    }
}


class EvaluateRequest(BaseModel):
    """A dry run: facts, and optionally which version to use and whether to record it."""

    facts: Facts
    name: str | None = Field(None, max_length=64, description="a stored policy; else the active")
    version: int | None = Field(None, ge=1, le=2**31 - 1, description="with name: that version")
    record: bool = Field(False, description="record the evaluation (active policy only)")
    subject_type: str = Field("dry_run", min_length=1, max_length=32, pattern=r"^[a-z0-9_.-]+$")
    subject_ref: str = Field("dry_run", min_length=1, max_length=255, pattern=r"^[ -~]+$")


def _invalid(exc: PolicyFileError) -> JSONResponse:
    errors = [p.model_dump() | {"detail": str(p)} for p in exc.problems]
    return problem(422, exc.detail, exc.code, errors=errors)


async def _policy_text(request: Request) -> tuple[str, Format | None]:
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise ProblemError(413, f"policy files are at most {MAX_BODY} bytes", "too_large")
    mime = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        body = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise PolicyFileError.single("the policy file is not UTF-8 text") from None
    if mime == "application/json":
        try:
            data: Any = json.loads(body)
        except ValueError:
            raise PolicyFileError.single('send JSON {"text": "<the policy file>"}') from None
        if not isinstance(data, dict) or not isinstance(data.get("text"), str):
            raise PolicyFileError.single('send JSON {"text": "<the policy file>"}')
        return data["text"], None
    return body, TEXT_TYPES.get(mime)


@router.get("", dependencies=[READERS])
def list_versions(request: Request, name: str | None = None) -> list[PolicyVersionOut]:
    """Every loaded policy version; the active one has ``active: true``."""
    return ctx(request).policies.versions(name)


@router.post(
    "",
    dependencies=[ADMIN],
    status_code=201,
    openapi_extra=LOAD_BODY,
    response_model=LoadedPolicy,
    responses={200: {"description": "this exact version was already loaded"}},
)
async def load(
    request: Request,
    response: Response,
    activate: Annotated[bool, Query(description="activate it if it is new")] = True,
) -> LoadedPolicy | JSONResponse:
    """Load a policy file: YAML (``text/yaml``), TOML (``application/toml``) or JSON
    ``{"text": ...}``. 201 when new, 200 when this exact version was loaded; 422 lists every
    problem with its location and rule."""
    rempart = ctx(request)
    try:
        text, fmt = await _policy_text(request)
        principal = getattr(request.state, "principal", None)
        by = f"api-key:{principal.name}" if principal is not None else "api"
        out = rempart.policies.load_text(text, source="api", by=by, activate=activate, fmt=fmt)
    except PolicyFileError as exc:
        return _invalid(exc)
    if not out.created:
        response.status_code = 200
    return out


@router.post("/evaluate", dependencies=[EVALUATORS])
def dry_run(request: Request, body: EvaluateRequest) -> Verdict | RecordedVerdict:
    """Evaluate facts; recorded only with ``record: true`` (then under the active policy)."""
    policies = ctx(request).policies
    if body.record:
        if body.name is not None:
            raise Invalid("record evaluates under the active policy: leave name out")
        return policies.evaluate(
            body.facts, subject_type=body.subject_type, subject_ref=body.subject_ref
        )
    return policies.dry_run(body.facts, name=body.name, version=body.version)


@router.get("/evaluations", dependencies=[REPLAYERS])
def evaluations(
    request: Request,
    subject_ref: str | None = None,
    subject_type: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[EvaluationOut]:
    """Recorded evaluations, newest first."""
    return ctx(request).policies.evaluations(subject_ref, subject_type=subject_type, limit=limit)


@router.get("/evaluations/{evaluation_id}/replay", dependencies=[REPLAYERS])
def replay(request: Request, evaluation_id: EvaluationPath) -> Replay:
    """Re-run a recorded evaluation under its own policy version; ``agrees`` says if it holds."""
    return ctx(request).policies.replay(evaluation_id)


@router.get("/{name}/versions/{version}", dependencies=[READERS])
def show(request: Request, name: str, version: VersionPath) -> PolicyVersionDetail:
    """One policy version with its text."""
    return ctx(request).policies.get(name, version)


@router.post("/{name}/versions/{version}/activate", dependencies=[ADMIN])
def activate(request: Request, name: str, version: VersionPath) -> PolicyVersionOut:
    """Make a stored version the active policy (roll forward or back)."""
    return ctx(request).policies.activate(name, version)
