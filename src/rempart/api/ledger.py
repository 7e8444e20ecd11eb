"""``/v1/ledger``: signed tree heads, events, RFC 9162 proofs and the public key.

Auditors and legal read; only admin signs a head on demand or rotates the signing key. The
public keys (current and retired) are open to anyone, so a head or proof received from Rempart
can be checked without trusting Rempart.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel

from rempart.access.roles import Role
from rempart.access.services import Principal
from rempart.api.auth import Public, ctx, require
from rempart.errors import NotFound
from rempart.evidence.ledger.keys import RotateKeyIn, SigningKeyOut
from rempart.evidence.ledger.schemas import ConsistencyProof, EventOut, InclusionProof, TreeHead

router = APIRouter(prefix="/v1/ledger", tags=["ledger"])

Readers = Depends(require(Role.AUDITOR, Role.LEGAL))
Admin = Depends(require(Role.ADMIN))
Size = Annotated[int, Query(ge=0, le=2**62, description="a tree size (number of events)")]


class PublicKeyOut(BaseModel):
    """The key that verifies the ledger's tree heads."""

    algorithm: str = "Ed25519"
    key_id: str
    public_key_pem: str


@router.get("/head", dependencies=[Readers])
def head(request: Request) -> TreeHead:
    """The most recently signed tree head (404 before the first)."""
    latest = ctx(request).ledger.latest_head()
    if latest is None:
        raise NotFound("no tree head has been signed yet")
    return latest


@router.post("/head", status_code=201, dependencies=[Admin])
def sign_head(request: Request) -> TreeHead:
    """Sign and store a head over every event logged so far."""
    return ctx(request).ledger.sign_head()


@router.get("/events", dependencies=[Readers])
def events(
    request: Request,
    subject: Annotated[str | None, Query(max_length=255, description="e.g. case:12")] = None,
    kind: Annotated[str | None, Query(max_length=64, description="e.g. evidence_view")] = None,
    actor: Annotated[str | None, Query(max_length=255)] = None,
    since: Annotated[datetime | None, Query(description="at or after (ISO 8601)")] = None,
    until: Annotated[datetime | None, Query(description="before (ISO 8601)")] = None,
    after_seq: Annotated[int | None, Query(ge=-1, le=2**62, description="page after this")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[EventOut]:
    """Events in seq order, filtered; a subject's events are its chain of custody."""
    return ctx(request).ledger.events(
        subject, kind, actor=actor, since=since, until=until, after_seq=after_seq, limit=limit
    )


@router.get("/proofs/inclusion/{seq}", dependencies=[Readers])
def inclusion(
    request: Request,
    seq: Annotated[int, Path(ge=0, le=2**62, description="the event's seq (leaf index)")],
    tree_size: Annotated[int | None, Query(ge=1, le=2**62, description="default: all")] = None,
) -> InclusionProof:
    """The RFC 9162 audit path showing event ``seq`` is in the tree of ``tree_size`` events."""
    return ctx(request).ledger.inclusion_proof(seq, tree_size)


@router.get("/proofs/consistency", dependencies=[Readers])
def consistency(request: Request, first: Size, second: Size) -> ConsistencyProof:
    """The RFC 9162 proof that the log of ``second`` events extends the log of ``first``."""
    return ctx(request).ledger.consistency_proof(first, second)


@router.get("/public-key", dependencies=[Public])
def public_key(request: Request) -> PublicKeyOut:
    """The Ed25519 public key (PEM) that verifies every tree head: anyone may check."""
    ledger = ctx(request).ledger
    return PublicKeyOut(key_id=ledger.key_id(), public_key_pem=ledger.public_key_pem())


@router.get("/keys", dependencies=[Public])
def keys(request: Request) -> list[SigningKeyOut]:
    """Every signing key the ledger used, oldest first, with validity and endorsement."""
    return ctx(request).ledger.key_history()


@router.post("/keys/rotate", status_code=201)
def rotate_key(request: Request, body: RotateKeyIn, who: Principal = Admin) -> SigningKeyOut:
    """Replace the signing key (logged; old heads stay verifiable with the retired key)."""
    return ctx(request).ledger.rotate_key(actor=who.name, reason=body.reason)
