"""``/v1/evidence``: the vault's objects, their originals and derivatives, holds, destruction.

Originals go only to the roles cleared for the object's category (never ``admin``); every
view is a ledger event naming the caller, the case and the purpose.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from rempart.access.roles import Role
from rempart.access.services import Principal
from rempart.api.auth import ctx, require
from rempart.api.problems import ProblemError
from rempart.evidence.vault.schemas import (
    DestroyIn,
    ExtendIn,
    HoldIn,
    HoldOut,
    ReleaseIn,
    SweepOut,
    VaultObjectDetail,
    VaultObjectOut,
)
from rempart.evidence.vault.service import cleared_for_original

router = APIRouter(prefix="/v1/evidence", tags=["evidence"])

Records = Depends(require(Role.CHILD_SAFETY, Role.LEGAL, Role.AUDITOR))
Originals = Depends(require(Role.CHILD_SAFETY, Role.LEGAL, admin=False))
Derivatives = Depends(require(Role.MODERATOR, Role.SENIOR_MODERATOR, Role.LEGAL, Role.CHILD_SAFETY))
Legal = Depends(require(Role.LEGAL))
LegalOnly = Depends(require(Role.LEGAL, admin=False))
Deleters = Depends(require(Role.LEGAL))  # admin passes too
Admin = Depends(require(Role.ADMIN))

ObjectId = Annotated[int, Path(ge=1, le=2**31 - 1, description="the vault object's id")]
HoldId = Annotated[int, Path(ge=1, le=2**31 - 1, description="the hold's id")]
CaseRef = Annotated[
    str, Query(min_length=1, max_length=255, description="the case this view is for")
]
Purpose = Annotated[str, Query(min_length=1, max_length=255, description="why it is viewed")]


CaseId = Annotated[int, Path(ge=1, le=2**31 - 1, description="the case the evidence is for")]


@router.post("/cases/{case_id}", status_code=201)
async def upload(
    request: Request,
    case_id: CaseId,
    category: Annotated[
        str, Query(min_length=1, max_length=128, description="a DSA category code, or csam")
    ],
    metadata: Annotated[
        str | None,
        Header(alias="X-Evidence-Metadata", description="a JSON object kept sealed with it"),
    ] = None,
    who: Principal = Originals,
) -> VaultObjectOut:
    """Preserve the request body (raw bytes, its Content-Type) in the vault for a case.

    Only a role cleared to view originals of the category may store it (CSAM: child safety
    only); every store, a duplicate too, is an ``evidence.stored`` ledger event.
    """
    rempart = ctx(request)
    if not cleared_for_original(category, list(who.roles)):
        raise ProblemError(403, f"your roles may not handle {category} originals", "forbidden")
    meta: Any = None
    if metadata is not None:
        try:
            meta = json.loads(metadata)
        except ValueError:
            raise ProblemError(422, "X-Evidence-Metadata is not valid JSON", "validation") from None
        if not isinstance(meta, dict):
            raise ProblemError(422, "X-Evidence-Metadata must be a JSON object", "validation")
    limit = rempart.limits.max_bytes
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ProblemError(413, f"the upload is over {limit:,} bytes", "too_large")
        chunks.append(chunk)
    if size == 0:
        raise ProblemError(422, "the body is empty: send the content to preserve", "empty")
    media_type = (request.headers.get("content-type") or "application/octet-stream")[:128]
    return await run_in_threadpool(
        rempart.vault.store,
        None,
        b"".join(chunks),
        category=category,
        actor=who.name,
        case_id=case_id,
        media_type=media_type.split(";")[0].strip() or "application/octet-stream",
        metadata=meta,
    )


@router.get("/{object_id}")
def show(
    request: Request,
    object_id: ObjectId,
    case: Annotated[str | None, Query(max_length=255)] = None,
    who: Principal = Records,
) -> VaultObjectDetail:
    """An object's state and holds; with ``case``, its metadata for cleared roles (logged)."""
    return ctx(request).vault.describe(
        object_id, principal_roles=who.roles, actor=who.name, case_ref=case
    )


@router.get("/{object_id}/content")
def content(
    request: Request,
    object_id: ObjectId,
    case: CaseRef,
    purpose: Purpose,
    who: Principal = Originals,
) -> Response:
    """The original bytes, for the roles cleared for the object's category; 403 otherwise."""
    vault = ctx(request).vault
    data = vault.read(
        object_id, principal_roles=who.roles, actor=who.name, case_ref=case, purpose=purpose
    )
    media_type = vault.describe(object_id).media_type
    return Response(data, media_type=media_type, headers={"Cache-Control": "no-store"})


@router.get("/{object_id}/derivative")
def derivative(
    request: Request,
    object_id: ObjectId,
    case: CaseRef,
    purpose: Annotated[str, Query(max_length=255)] = "review",
    who: Principal = Derivatives,
) -> Response:
    """A blurred greyscale JPEG of an image; never for CSAM (403)."""
    data = ctx(request).vault.derivative(
        object_id, principal_roles=who.roles, actor=who.name, case_ref=case, purpose=purpose
    )
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": "no-store"})


@router.post("/{object_id}/holds", status_code=201)
def place_hold(
    request: Request, object_id: ObjectId, body: HoldIn, who: Principal = Legal
) -> HoldOut:
    """Place a preservation hold (until released, or until ``expires_at``)."""
    return ctx(request).vault.place_hold(
        object_id, body.legal_basis, body.reason, who.name, body.expires_at
    )


@router.post("/holds/{hold_id}/release")
def release_hold(
    request: Request, hold_id: HoldId, body: ReleaseIn | None = None, who: Principal = LegalOnly
) -> HoldOut:
    """Release a hold (a 2258A(h) hold runs its year; see destroy)."""
    return ctx(request).vault.release_hold(hold_id, who.name, body.reason if body else "")


@router.post("/holds/{hold_id}/extend")
def extend_hold(
    request: Request, hold_id: HoldId, body: ExtendIn, who: Principal = Legal
) -> HoldOut:
    """Move a hold's end later (``expires_at: null``: until released)."""
    return ctx(request).vault.extend_hold(hold_id, who.name, body.reason, body.expires_at)


@router.post("/{object_id}/destroy")
def destroy(
    request: Request, object_id: ObjectId, body: DestroyIn, who: Principal = LegalOnly
) -> VaultObjectOut:
    """Destroy on a law-enforcement request (18 U.S.C. 2258B(c)(2)); 409 under a court hold."""
    return ctx(request).vault.destroy_on_le_request(object_id, body.request_ref, who.name)


@router.delete("/{object_id}")
def delete(request: Request, object_id: ObjectId, who: Principal = Deleters) -> VaultObjectOut:
    """Crypto-shred an object; refused (409) for every role while a hold is active."""
    return ctx(request).vault.delete(object_id, who.name, who.roles)


@router.post("/sweep")
def sweep(request: Request, who: Principal = Admin) -> SweepOut:
    """Destroy every object past its retention that no active hold covers."""
    return ctx(request).vault.sweep(actor=who.name)
