"""What the vault returns and accepts: objects, holds, sweeps and key rotations."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

LegalBasis = Literal[
    "USC_2258A_H",  # 18 U.S.C. 2258A(h): preserve one year after an NCMEC report
    "DSA_ART18",  # DSA Art. 18: referral of a threat to life or safety
    "LE_REQUEST_2703F",  # 18 U.S.C. 2703(f): a governmental preservation request
    "COURT_ORDER",
    "VOLUNTARY_2258A_H5",  # 2258A(h)(5): voluntary preservation beyond the year
]
LEGAL_BASES: tuple[str, ...] = LegalBasis.__args__  # type: ignore[attr-defined]


class VaultObjectOut(BaseModel):
    """A preserved object as listed: its address and state, never its content."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    sha256: str
    category: str
    case_id: int | None
    media_type: str
    size: int
    created_at: datetime
    created_by: str
    destroyed_at: datetime | None
    destroyed_reason: str | None


class HoldOut(BaseModel):
    """A preservation hold; ``active`` says whether it protects the object now."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    object_id: int
    legal_basis: str
    reason: str
    placed_by: str
    starts_at: datetime
    expires_at: datetime | None
    extended_reason: str | None
    released_at: datetime | None
    released_by: str | None
    active: bool = False


class VaultObjectDetail(VaultObjectOut):
    """An object with its holds, when retention ends, and (for cleared roles) its metadata."""

    holds: list[HoldOut]
    held: bool
    retain_until: datetime | None
    metadata: dict[str, Any] | None = None


class HoldIn(BaseModel):
    """A hold to place; without ``expires_at`` it lasts until released (2258A(h): one year)."""

    model_config = ConfigDict(extra="forbid")

    legal_basis: LegalBasis
    reason: str = Field(min_length=1, max_length=4000)
    expires_at: datetime | None = None


class ExtendIn(BaseModel):
    """A later end for a hold (``null``: until released), and why."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=4000)
    expires_at: datetime | None = None


class ReleaseIn(BaseModel):
    """Why a hold is released."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field("", max_length=4000)


class DestroyIn(BaseModel):
    """A law-enforcement request to destroy an object (18 U.S.C. 2258B(c)(2))."""

    model_config = ConfigDict(extra="forbid")

    request_ref: str = Field(min_length=1, max_length=255)


class SweepOut(BaseModel):
    """Objects a retention sweep looked at and the ones it destroyed."""

    checked: int
    destroyed: list[int]


class RotationOut(BaseModel):
    """The KEK now in use, how many DEKs were re-wrapped, which old KEKs were removed."""

    kek_id: str
    rewrapped: int
    removed: list[str]
