"""Moderation routes: items, notices, trusted flaggers, orders, cases, decisions, appeals.

``POST /v1/notices`` is open to anyone (Art. 16(1): easy to access, for any individual or
entity); a trusted flagger sends its API key with the notice to be recognised and prioritised.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Path, Request, UploadFile
from pydantic import BaseModel, Field

from rempart.access.roles import Role
from rempart.access.services import Principal
from rempart.api.auth import Public, _secret, api_key_header, ctx, require
from rempart.api.uploads import read_upload
from rempart.compliance.sor import stored_statement, tdb_state
from rempart.moderation.intake import IngestResult
from rempart.moderation.schemas import (
    AppealDecisionIn,
    AppealIn,
    AppealOut,
    DecisionIn,
    DecisionOut,
    DisputeIn,
    DisputeOut,
    DisputeOutcomeIn,
    ItemIn,
    ItemOut,
    NoticeIn,
    NoticeReceipt,
    OrderIn,
    OrderOut,
    TrustedFlaggerIn,
    TrustedFlaggerOut,
)

router = APIRouter(prefix="/v1", tags=["moderation"])
# ids are 64-bit: a larger number is a 422, not an overflow in the database driver
Id = Annotated[int, Path(ge=1, le=2**63 - 1)]
Ref = Annotated[str, Path(min_length=1, max_length=255)]

R = Role
Platform = Depends(require(R.PLATFORM))
Reviewer = Depends(require(R.MODERATOR, R.SENIOR_MODERATOR, R.CHILD_SAFETY))
Senior = Depends(require(R.SENIOR_MODERATOR, R.CHILD_SAFETY))
Legal = Depends(require(R.LEGAL))
Records = Depends(
    require(R.MODERATOR, R.SENIOR_MODERATOR, R.CHILD_SAFETY, R.LEGAL, R.AUDITOR, R.PLATFORM)
)
LegalRecords = Depends(require(R.LEGAL, R.AUDITOR))


class JobDecision(BaseModel):
    """A reviewer's decision on the job they hold; ``lease_token`` proves they still hold it."""

    lease_token: int = Field(ge=0)
    decision: DecisionIn


class JobReview(BaseModel):
    """A reviewer's verdict on a rule's automated action: confirm it, or overturn it."""

    lease_token: int = Field(ge=0)
    confirm: bool
    reason: str = Field(min_length=1, max_length=5000)


class FlaggerCreated(TrustedFlaggerOut):
    """A new trusted flagger and the API key it sends notices with (shown once)."""

    api_key: str


class FlaggerStatus(BaseModel):
    """A trusted flagger's new status."""

    status: str


class OrderEffect(BaseModel):
    """How an order was given effect."""

    description: str = Field(min_length=1, max_length=5000)


class CaseClose(BaseModel):
    """Why a person closes a case."""

    reason: str = Field(min_length=1, max_length=5000)


# --- items -------------------------------------------------------------------------------


@router.post("/items", status_code=201)
def put_item(request: Request, body: ItemIn, _: Principal = Platform) -> ItemOut:
    """Create or update an item (and its account) by the platform's own ids."""
    return ctx(request).moderation.put_item(body)


@router.get("/items/{item_ref}")
def get_item(request: Request, item_ref: Ref, _: Principal = Records) -> ItemOut:
    """An item as recorded."""
    return ctx(request).moderation.get_item(item_ref)


@router.post("/items/{item_ref}/scan")
def ingest(
    request: Request,
    item_ref: Ref,
    file: Annotated[UploadFile, File(description="the uploaded image or video")],
    _: Principal = Platform,
) -> IngestResult:
    """Scan an upload of an item and apply the policy: block, queue for review or allow."""
    rempart = ctx(request)
    data = read_upload(file, rempart.limits)
    return rempart.moderation.ingest(item_ref, data)


class TextIn(BaseModel):
    """The text of an item: a post, a comment, a chatbot answer."""

    text: str = Field(min_length=1, max_length=20_000)
    lang: str | None = Field(None, pattern=r"^[a-z]{2}$", description="ISO 639-1; else detected")


@router.post("/items/{item_ref}/text")
def ingest_text(
    request: Request, item_ref: Ref, body: TextIn, _: Principal = Platform
) -> IngestResult:
    """Scan an item's text (text banks and the text policy) and apply the policy."""
    return ctx(request).moderation.ingest_text(item_ref, body.text, body.lang)


# --- notices and trusted flaggers ----------------------------------------------------------


@router.post("/notices", status_code=201)
def submit_notice(
    request: Request,
    body: NoticeIn,
    header: str | None = Depends(api_key_header),
    _: None = Public,
) -> NoticeReceipt:
    """Submit a notice about illegal content (open to anyone; a trusted flagger adds its key)."""
    rempart = ctx(request)
    secret = _secret(request, header)
    principal = rempart.keys.verify(secret) if secret else None
    return rempart.notices.submit(body, principal)


@router.get("/notices/{notice_id}")
def get_notice(
    request: Request, notice_id: Annotated[str, Path(max_length=36)], _: Principal = Records
) -> dict[str, Any]:
    """A notice, its items and where it stands."""
    return ctx(request).notices.get(notice_id)


@router.post("/trusted-flaggers", status_code=201)
def add_flagger(request: Request, body: TrustedFlaggerIn, _: Principal = Legal) -> FlaggerCreated:
    """Register a trusted flagger; its API key (role trusted_flagger) is returned once."""
    rempart = ctx(request)
    key, secret = rempart.keys.create(f"trusted-flagger:{body.name}", [R.TRUSTED_FLAGGER.value])
    out = rempart.notices.add_flagger(body, key.id)
    return FlaggerCreated(**out.model_dump(), api_key=secret)


@router.get("/trusted-flaggers")
def list_flaggers(request: Request, _: Principal = LegalRecords) -> list[TrustedFlaggerOut]:
    """Trusted flaggers with the share of their notices that led to action."""
    return ctx(request).notices.flaggers()


@router.post("/trusted-flaggers/{flagger_id}/status")
def flagger_status(
    request: Request, flagger_id: Id, body: FlaggerStatus, _: Principal = Legal
) -> TrustedFlaggerOut:
    """Suspend, revoke or restore a trusted flagger."""
    return ctx(request).notices.set_flagger_status(flagger_id, body.status)


# --- authority orders -----------------------------------------------------------------------


@router.post("/orders", status_code=201)
def receive_order(
    request: Request, body: OrderIn, _: Principal = Depends(require(R.LEGAL, R.PLATFORM))
) -> OrderOut:
    """Record an authority's order; act orders are queued before their legal deadline."""
    return ctx(request).notices.receive_order(body)


@router.get("/orders")
def list_orders(request: Request, _: Principal = LegalRecords) -> list[OrderOut]:
    """Every order, newest first."""
    return ctx(request).notices.orders()


@router.post("/orders/{order_id}/effect")
def order_effect(
    request: Request, order_id: Id, body: OrderEffect, _: Principal = Legal
) -> OrderOut:
    """Record that an order was given effect."""
    return ctx(request).notices.give_effect(order_id, body.description)


# --- cases and decisions -------------------------------------------------------------------


@router.get("/cases/{case_id}")
def get_case(request: Request, case_id: Id, p: Principal = Records) -> dict[str, Any]:
    """A case with its item, notices, flags, jobs and decisions."""
    return ctx(request).moderation.case(case_id, p.roles)


@router.post("/cases/{case_id}/close")
def close_case(
    request: Request, case_id: Id, body: CaseClose, p: Principal = Reviewer
) -> dict[str, Any]:
    """A person closes a case (the only way a child-safety case is closed)."""
    return ctx(request).moderation.close_case(case_id, p, body.reason)


@router.post("/cases/{case_id}/decision", status_code=201)
def decide_case(
    request: Request, case_id: Id, body: DecisionIn, p: Principal = Senior
) -> DecisionOut:
    """Decide a case outside the queues (own initiative)."""
    return ctx(request).decisions.decide_case(case_id, body, p)


@router.post("/jobs/{job_id}/decision", status_code=201)
def decide_job(
    request: Request, job_id: Id, body: JobDecision, p: Principal = Reviewer
) -> DecisionOut:
    """Decide the case of a review job the caller holds."""
    return ctx(request).decisions.decide_job(job_id, body.decision, p, body.lease_token)


@router.post("/jobs/{job_id}/review")
def review_job(
    request: Request, job_id: Id, body: JobReview, p: Principal = Reviewer
) -> DecisionOut:
    """Confirm or overturn the automated decision on the case of a job the caller holds."""
    return ctx(request).decisions.review_job(
        job_id, confirm=body.confirm, reason=body.reason, principal=p, lease_token=body.lease_token
    )


@router.get("/decisions/{decision_id}")
def get_decision(request: Request, decision_id: Id, p: Principal = Records) -> DecisionOut:
    """A decision as recorded."""
    rempart = ctx(request)
    out = rempart.decisions.get(decision_id, p.roles)
    return out.model_copy(update={"tdb": tdb_state(rempart, decision_id)})


@router.get("/decisions/{decision_id}/statement-of-reasons")
def statement_of_reasons(
    request: Request,
    decision_id: Id,
    p: Principal = Depends(require(R.LEGAL, R.AUDITOR, R.SENIOR_MODERATOR, R.CHILD_SAFETY)),
) -> dict[str, Any]:
    """Exactly the JSON body the EU Transparency Database takes for this decision."""
    return stored_statement(ctx(request), decision_id, p.roles)


@router.get("/decisions/{decision_id}/user-statement")
def user_statement(request: Request, decision_id: Id, p: Principal = Records) -> dict[str, Any]:
    """The statement of reasons as the affected user received it, with redress options."""
    return ctx(request).decisions.user_statement(decision_id, p.roles)


# --- appeals and out-of-court disputes -------------------------------------------------------


@router.post("/decisions/{decision_id}/appeals", status_code=201)
def submit_appeal(
    request: Request, decision_id: Id, body: AppealIn, _: Principal = Platform
) -> AppealOut:
    """Lodge an internal complaint for a user or a notifier (free, within six months)."""
    return ctx(request).appeals.submit(decision_id, body)


@router.get("/appeals/{appeal_id}")
def get_appeal(request: Request, appeal_id: Id, p: Principal = Records) -> AppealOut:
    """An appeal and its outcome."""
    return ctx(request).appeals.get(appeal_id, p.roles)


@router.post("/appeals/{appeal_id}/decision")
def decide_appeal(
    request: Request, appeal_id: Id, body: AppealDecisionIn, p: Principal = Senior
) -> AppealOut:
    """Decide an appeal (by a person who did not take the decision appealed)."""
    return ctx(request).appeals.decide(appeal_id, body, p)


@router.post("/decisions/{decision_id}/disputes", status_code=201)
def add_dispute(
    request: Request, decision_id: Id, body: DisputeIn, _: Principal = Legal
) -> DisputeOut:
    """Record a dispute before an out-of-court settlement body (Art. 21)."""
    return ctx(request).appeals.add_dispute(decision_id, body)


@router.post("/disputes/{dispute_id}/outcome")
def dispute_outcome(
    request: Request, dispute_id: Id, body: DisputeOutcomeIn, _: Principal = Legal
) -> DisputeOut:
    """Record a dispute's outcome and whether it was implemented."""
    return ctx(request).appeals.dispute_outcome(dispute_id, body)


@router.get("/disputes")
def list_disputes(request: Request, _: Principal = LegalRecords) -> list[DisputeOut]:
    """Every out-of-court dispute."""
    return ctx(request).appeals.disputes()
