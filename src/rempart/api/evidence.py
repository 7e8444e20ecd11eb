"""``/v1/evidence``: the vault's objects, their originals and derivatives, holds, destruction.

Originals go only to the roles cleared for the object's category (never ``admin``); every
view is a ledger event naming the caller, the case and the purpose.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from rempart.access.roles import Role
from rempart.access.services import Principal
from rempart.api.auth import ctx, require
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
