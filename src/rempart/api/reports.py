"""Report routes: the DSA transparency report (Implementing Regulation (EU) 2024/2835)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from rempart.access.roles import Role
from rempart.access.services import Principal
from rempart.api.auth import ctx, require
from rempart.compliance.transparency.service import transparency_report
from rempart.compliance.transparency.writer import zip_report
from rempart.errors import Invalid

router = APIRouter(prefix="/v1/reports", tags=["reports"])

LegalRecords = Depends(require(Role.LEGAL, Role.AUDITOR))
FromDate = Annotated[date, Query(alias="from", description="first day of the period, YYYY-MM-DD")]
ToDate = Annotated[date, Query(alias="to", description="last day of the period, YYYY-MM-DD")]


@router.get(
    "/transparency",
    response_class=Response,
    responses={200: {"content": {"application/zip": {}}, "description": "the 11 CSV parts"}},
)
def transparency(
    request: Request, from_: FromDate, to: ToDate, _: Principal = LegalRecords
) -> Response:
    """The 11 CSV parts of the transparency report for a period (inclusive), as one zip."""
    if from_ > to:
        raise Invalid(f"from ({from_}) is after to ({to})")
    rempart = ctx(request)
    parts = transparency_report(rempart.db, rempart.settings, from_, to, clock=rempart.clock)
    name = f"transparency-report_{from_.isoformat()}_{to.isoformat()}.zip"
    return Response(
        zip_report(parts),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
