"""``/v1/bundles``, ``/v1/referrals``, ``/v1/dsar``: law-enforcement exports and personal data.

A bundle holds originals, so it goes only to the roles cleared for them (``legal``,
``child_safety``; never ``admin``); the vault refuses CSAM to anyone but ``child_safety``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from rempart.access.roles import Role
from rempart.access.services import Principal
from rempart.api.auth import ctx, require
from rempart.evidence.bundle import make_bundle
from rempart.evidence.dsar import PersonalData
from rempart.evidence.referrals import ReferralOut, Referrals

router = APIRouter(prefix="/v1", tags=["law enforcement"])

Exporters = Depends(require(Role.LEGAL, Role.CHILD_SAFETY, admin=False))
LegalOnly = Depends(require(Role.LEGAL, admin=False))
Legal = Depends(require(Role.LEGAL))
Readers = Depends(require(Role.LEGAL, Role.AUDITOR))

Id = Annotated[int, Field(ge=1, le=2**31 - 1)]


class BundleIn(BaseModel):
    """What to export: a case (all its live evidence) or some vault objects, and why."""

    model_config = ConfigDict(extra="forbid")

    case_id: Id | None = None
    object_ids: list[Id] | None = Field(None, max_length=500)
    purpose: str = Field(min_length=1, max_length=255)


class ReferralIn(BaseModel):
    """A case to refer under Art. 18; states override the resolution from notices/territory."""

    model_config = ConfigDict(extra="forbid")

    case_id: Id
    member_states: list[Annotated[str, Field(min_length=2, max_length=2)]] | None = None
    offence_type: str | None = Field(None, max_length=255)
    own_initiative: bool = False


class SentIn(BaseModel):
    """How a referral was sent."""

    model_config = ConfigDict(extra="forbid")

    channel: str = Field(min_length=1, max_length=255)


class AckIn(BaseModel):
    """The authority's acknowledgement reference."""

    model_config = ConfigDict(extra="forbid")

    reference: str = Field(min_length=1, max_length=4000)


ReferralId = Annotated[str, Path(min_length=1, max_length=36, description="the referral's id")]


@router.post("/bundles")
def bundle(request: Request, body: BundleIn, who: Principal = Exporters) -> Response:
    """A signed ZIP bundle (evidence, custody, proofs, head); check it with verify_bundle.py."""
    out = make_bundle(
        ctx(request),
        case_id=body.case_id,
        object_ids=body.object_ids,
        actor=who.name,
        purpose=body.purpose,
        roles=who.roles,
    )
    return Response(
        out.data,
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="bundle-{out.bundle_id}.zip"',
            "Cache-Control": "no-store",
            "X-Bundle-Manifest-SHA256": out.manifest_sha256,
        },
    )


@router.post("/referrals", status_code=201)
def refer(request: Request, body: ReferralIn, who: Principal = LegalOnly) -> list[ReferralOut]:
    """Refer a threat-to-life case (Art. 18): one signed export, one referral per authority."""
    return Referrals(ctx(request)).refer(
        body.case_id,
        by=who.name,
        member_states=body.member_states,
        roles=who.roles,
        offence_type=body.offence_type,
        own_initiative=body.own_initiative,
    )


@router.get("/referrals")
def referrals(
    request: Request,
    pending: Annotated[bool, Query(description="only those not sent yet")] = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    who: Principal = Readers,
) -> list[ReferralOut]:
    """Referrals, oldest first."""
    return Referrals(ctx(request)).find(pending_only=pending, limit=limit)


@router.post("/referrals/{referral_id}/sent")
def sent(
    request: Request, referral_id: ReferralId, body: SentIn, who: Principal = Legal
) -> ReferralOut:
    """Record that a referral was sent, and through which channel."""
    return Referrals(ctx(request)).mark_sent(referral_id, body.channel, who.name)


@router.post("/referrals/{referral_id}/deliver")
def deliver(request: Request, referral_id: ReferralId, who: Principal = Legal) -> ReferralOut:
    """Deliver a referral to its authority's endpoint now; the outcome is recorded either way."""
    from rempart.evidence.referral_delivery import deliver as deliver_now
    from rempart.evidence.referral_delivery import delivered

    deliver_now(ctx(request), referral_id, by=who.name, force=True)
    return delivered(ctx(request), referral_id)


@router.post("/referrals/{referral_id}/acknowledgement")
def acknowledged(
    request: Request, referral_id: ReferralId, body: AckIn, who: Principal = Legal
) -> ReferralOut:
    """Record the authority's acknowledgement of a sent referral."""
    return Referrals(ctx(request)).acknowledge(referral_id, body.reference, who.name)


@router.get("/dsar/{account_ref}")
def dsar(
    request: Request,
    account_ref: Annotated[str, Path(min_length=1, max_length=255)],
    email: Annotated[
        list[str] | None,
        Query(max_length=320, description="an address the person used as a notifier (verified)"),
    ] = None,
    who: Principal = Legal,
) -> dict[str, Any]:
    """A data-subject access export of an account's moderation history, notifiers redacted.

    With ``email``: also the notices the person sent and the appeals they filed as a notifier.
    """
    return PersonalData(ctx(request)).subject_export(account_ref, by=who.name, emails=email or [])
