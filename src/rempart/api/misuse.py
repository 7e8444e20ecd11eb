"""Routes for Art. 23 misuse measures: a subject's record, strikes, revoking, lifting."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request

from rempart.access.roles import Role
from rempart.access.services import Principal
from rempart.api.auth import ctx, require
from rempart.moderation.misuse_schemas import (
    MisuseActionOut,
    MisuseRecord,
    ReasonIn,
    StrikeIn,
    StrikeOut,
    StrikeResult,
)

router = APIRouter(prefix="/v1/misuse", tags=["misuse"])

Readers = require(Role.MODERATOR, Role.SENIOR_MODERATOR, Role.LEGAL, Role.AUDITOR)
Seniors = require(Role.SENIOR_MODERATOR)
Lifters = require(Role.SENIOR_MODERATOR, Role.LEGAL)
Id = Annotated[int, Path(ge=1, le=2**63 - 1)]  # 64-bit ids: larger is a 422, not an overflow


@router.get("/{subject_type}/{subject_ref}", dependencies=[Depends(Readers)])
def record(request: Request, subject_type: str, subject_ref: str) -> MisuseRecord:
    """A subject's active weight, strikes, warnings and suspensions, and any suspension now."""
    return ctx(request).misuse.history(subject_type, subject_ref)


@router.post("/strikes", status_code=201)
def add_strike(
    request: Request, body: StrikeIn, who: Annotated[Principal, Depends(Seniors)]
) -> StrikeResult:
    """Record a strike and take the next step it makes due (a warning, or a suspension)."""
    misuse = ctx(request).misuse
    with misuse.db.session() as s:
        strike = misuse.add_strike(
            s,
            subject_type=body.subject_type,
            subject_ref=body.subject_ref,
            weight=body.weight,
            reason=body.reason,
            decision_id=body.decision_id,
            expires_days=body.expires_days,
        )
        action = misuse.assess(s, body.subject_type, body.subject_ref, by=who.name)
    return StrikeResult(strike=strike, action=action)


@router.post("/strikes/{strike_id}/revoke")
def revoke_strike(
    request: Request, strike_id: Id, body: ReasonIn, who: Annotated[Principal, Depends(Seniors)]
) -> StrikeOut:
    """Stop a strike counting (e.g. the decision that gave it was reversed on appeal)."""
    return ctx(request).misuse.revoke_strike(strike_id, who.name, body.reason)


@router.post("/actions/{action_id}/lift")
def lift(
    request: Request, action_id: Id, body: ReasonIn, who: Annotated[Principal, Depends(Lifters)]
) -> MisuseActionOut:
    """End a suspension in force now; the reason and the planned end are recorded."""
    return ctx(request).misuse.lift(action_id, who.name, body.reason)
