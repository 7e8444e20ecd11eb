"""Pydantic shapes for Art. 23 misuse measures: strikes, warnings, suspensions, a subject's record.

Shared by the service, the API and the CLI so all three show the same fields.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

SubjectType = Literal["account", "notifier", "complainant"]
SuspensionKind = Literal["service", "notices", "complaints"]
SUBJECT_TYPES: tuple[SubjectType, ...] = ("account", "notifier", "complainant")
SUSPENSION_KINDS: tuple[SuspensionKind, ...] = ("service", "notices", "complaints")
# Art. 23(1): accounts lose the service; 23(2): notifiers lose notice, complainants complaint,
# processing. The kind follows from who the subject is, so a caller cannot pick the wrong one.
KIND_OF: dict[str, SuspensionKind] = {
    "account": "service",
    "notifier": "notices",
    "complainant": "complaints",
}
MAX_REF = 320  # the subject_ref column's width (an e-mail address fits)
MAX_REASON = 5000


def check_ref(value: str) -> str:
    """A subject reference: the platform's account id, a notifier's or complainant's id/e-mail."""
    ref = value.strip()
    if not ref:
        raise ValueError("give the subject's reference (account id, notifier or complainant id)")
    if len(ref) > MAX_REF:
        raise ValueError(f"subject reference is longer than {MAX_REF} characters")
    return ref


def check_reason(value: str) -> str:
    """A reason a person can read later; required because Art. 23 steps must be explained."""
    text = value.strip()
    if not text:
        raise ValueError("give a reason: every misuse step is recorded with why it was taken")
    if len(text) > MAX_REASON:
        raise ValueError(f"reason is longer than {MAX_REASON} characters")
    return text


class StrikeIn(BaseModel):
    """A strike to record against a subject (API body)."""

    model_config = ConfigDict(extra="forbid")

    subject_type: SubjectType
    subject_ref: str
    weight: float = Field(1.0, gt=0, le=100, description="gravity of this misuse (23(3)(c))")
    reason: str
    decision_id: int | None = Field(None, ge=1)
    expires_days: int | None = Field(None, ge=1, le=3650)

    @field_validator("subject_ref")
    @classmethod
    def _ref(cls, v: str) -> str:
        return check_ref(v)

    @field_validator("reason")
    @classmethod
    def _reason(cls, v: str) -> str:
        return check_reason(v)


class ReasonIn(BaseModel):
    """The body of a revoke or lift: why it is done."""

    model_config = ConfigDict(extra="forbid")

    reason: str

    @field_validator("reason")
    @classmethod
    def _reason(cls, v: str) -> str:
        return check_reason(v)


class StrikeOut(BaseModel):
    """A strike as stored; ``active`` is whether it counts now (unexpired, unrevoked)."""

    id: int
    subject_type: str
    subject_ref: str
    weight: float
    reason: str
    decision_id: int | None
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    active: bool


class MisuseActionOut(BaseModel):
    """A warning or a suspension with its recorded reasons; ``lifted`` if ended early."""

    id: int
    subject_type: str
    subject_ref: str
    action: Literal["warning", "suspension"]
    suspension_type: SuspensionKind | None
    reason: str
    strike_weight: float
    starts_at: datetime
    ends_at: datetime | None
    decided_by: str
    decision_id: int | None
    created_at: datetime
    lifted: bool


class StrikeResult(BaseModel):
    """A recorded strike and the step it led to, if any."""

    strike: StrikeOut
    action: MisuseActionOut | None


class MisuseRecord(BaseModel):
    """Everything about one subject: weight now, strikes, steps, the suspension in force."""

    subject_type: SubjectType
    subject_ref: str
    weight: float
    strikes: list[StrikeOut]
    actions: list[MisuseActionOut]
    current_suspension: MisuseActionOut | None
