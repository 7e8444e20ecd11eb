"""Routes for the EU Transparency Database: check a statement, list and send submissions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request
from pydantic import BaseModel

from rempart.access.roles import Role
from rempart.api.auth import ctx, require
from rempart.compliance.tdb.rules import validate_statement
from rempart.compliance.tdb.schema import SCHEMA_VERSION
from rempart.compliance.tdb.service import SubmitSummary, TdbSubmissionOut

router = APIRouter(prefix="/v1/tdb", tags=["tdb"])

CanValidate = Depends(require(Role.MODERATOR, Role.SENIOR_MODERATOR, Role.LEGAL))
CanRead = Depends(require(Role.LEGAL, Role.AUDITOR))
CanSubmit = Depends(require(Role.LEGAL))


class ValidationOut(BaseModel):
    """Whether the TDB would accept a statement, and if not, what to fix per field."""

    valid: bool
    errors: dict[str, list[str]]
    schema_version: str = SCHEMA_VERSION


@router.post("/validate", dependencies=[CanValidate])
def validate(
    statement: Annotated[dict[str, Any], Body(description="one statement of reasons")],
) -> ValidationOut:
    """Check one statement against the TDB's rules without storing or sending anything."""
    errors = validate_statement(statement)
    return ValidationOut(valid=not errors, errors=errors)


@router.get("/submissions", dependencies=[CanRead])
def submissions(
    request: Request,
    status: Annotated[str | None, Query(description="pending, sent, rejected or failed")] = None,
    decision_id: Annotated[
        int | None, Query(ge=1, le=2**63 - 1, description="only this decision's")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=2**62)] = 0,
) -> list[TdbSubmissionOut]:
    """Statements queued for or sent to the TDB, newest first."""
    return ctx(request).tdb.list(status, decision_id, limit=limit, offset=offset)


@router.post("/submit", dependencies=[CanSubmit])
def submit(request: Request, limit: Annotated[int, Query(ge=1, le=10_000)] = 1000) -> SubmitSummary:
    """Send the due statements now, in batches of 100 (409 when the TDB is not configured)."""
    return ctx(request).tdb.submit_due(limit)
