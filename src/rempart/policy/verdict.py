"""What an evaluation answers: the outcome, why, and all enforcement needs to carry it out."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from rempart.policy.dsa import Decision

OutcomeKind = Literal["act", "review", "allow"]


class ResolvedDecision(Decision):
    """A rule's decision completed from the facts: where it came from and what it is about."""

    source_type: Literal[
        "SOURCE_ARTICLE_16",
        "SOURCE_TRUSTED_FLAGGER",
        "SOURCE_TYPE_OTHER_NOTIFICATION",
        "SOURCE_VOLUNTARY",
    ]
    source_identity: str | None = Field(None, max_length=500)
    content_type: list[str] = Field(default_factory=list)
    account_type: str | None = None


class ReviewRequest(BaseModel):
    """Put the item in a queue: highest priority first, with the queue's SLA."""

    queue: str
    priority: int
    sla_hours: float
    restricted_to_role: str | None = None
    rule_id: str
    suspected_category: str | None = None
    suspected_specifications: list[str] = Field(default_factory=list)


class CaseRequest(BaseModel):
    """Open a case (child safety, ...) that only ``closable_by`` may close."""

    queue: str
    closable_by: str
    restricted_to_role: str | None = None
    rule_id: str


class StrikeRequest(BaseModel):
    """Add a strike to the account."""

    weight: float
    expires_days: int | None = None
    rule_id: str


class RuleHit(BaseModel):
    """A rule whose condition held, live or shadow, with each leaf that made it hold."""

    rule_id: str
    mode: Literal["live", "shadow"]
    outcome: OutcomeKind
    queue: str | None = None
    priority: int | None = None
    explanations: list[str]


class Verdict(BaseModel):
    """The result of evaluating facts under one policy version; equal inputs, equal verdicts."""

    policy: str
    policy_version: int
    outcome: OutcomeKind
    reason: str
    deciding_rule: str | None = None
    rule_ids: list[str] = Field(default_factory=list, description="live rules that matched")
    shadow_rule_ids: list[str] = Field(
        default_factory=list, description="shadow rules that matched"
    )
    decision: ResolvedDecision | None = None
    preserve: bool = False
    open_case: CaseRequest | None = None
    strike: StrikeRequest | None = None
    notify_authorities: list[str] = Field(default_factory=list)
    reviews: list[ReviewRequest] = Field(default_factory=list)
    hits: list[RuleHit] = Field(default_factory=list)
