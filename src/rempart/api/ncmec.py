"""Routes for CyberTipline reports: draft per suspect account, send, retract, read.

Reserved to child safety (reading also to legal and auditors); ``admin`` is not let in:
these records point at child sexual abuse material (least exposure, 18 U.S.C. 2258A(h)(3)).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request

from rempart.access.roles import Role
from rempart.access.services import Principal
from rempart.api.auth import ctx, require
from rempart.compliance.ncmec.schemas import DraftIn, ReportOut

router = APIRouter(prefix="/v1/ncmec", tags=["ncmec"])

ChildSafety = Annotated[Principal, Depends(require(Role.CHILD_SAFETY, admin=False))]
CanRead = Depends(require(Role.CHILD_SAFETY, Role.LEGAL, Role.AUDITOR, admin=False))
ReportId = Annotated[int, Path(ge=1, le=2**31 - 1, description="Rempart's report id")]
Status = Literal["DRAFT", "SUBMITTED", "FILES_UPLOADED", "FINISHED", "RETRACTED", "FAILED"]


@router.post("/reports", status_code=201)
def draft(request: Request, body: DraftIn, principal: ChildSafety) -> ReportOut:
    """Draft the report for one suspect account: all files of its open child-safety cases."""
    return ctx(request).ncmec.draft_for_account(
        body.account_ref,
        incident_type=body.incident_type,
        files=body.files,
        by=principal.name,
        annotations=list(body.annotations),
        incident_at=body.incident_at,
        additional_info=body.additional_info,
        reported=body.reported,
    )


@router.post("/reports/{report_id}/send")
def send(request: Request, report_id: ReportId, principal: ChildSafety) -> ReportOut:
    """Run the remaining steps (submit, upload, fileinfo, finish); safe to repeat."""
    return ctx(request).ncmec.send(report_id, by=principal.name)


@router.post("/reports/{report_id}/retract")
def retract(request: Request, report_id: ReportId, principal: ChildSafety) -> ReportOut:
    """Cancel a report that is not finished."""
    return ctx(request).ncmec.retract(report_id, by=principal.name)


@router.get("/reports/{report_id}", dependencies=[CanRead])
def get(request: Request, report_id: ReportId) -> ReportOut:
    """One report with its files and NCMEC's ids."""
    return ctx(request).ncmec.get(report_id)


@router.get("/reports", dependencies=[CanRead])
def reports(
    request: Request,
    status: Annotated[Status | None, Query(description="only reports in this state")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[ReportOut]:
    """Reports, newest first."""
    return ctx(request).ncmec.reports(status, limit)
