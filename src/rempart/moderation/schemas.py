"""Request and response shapes of moderation: items, notices, orders, decisions, appeals.

Codes are the EU Transparency Database's (``rempart.taxonomy``); validators reject anything
else here, at the edge, so a stored decision can always become a valid statement of reasons.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from rempart import taxonomy
from rempart.compliance.tdb.rules import DATE_MAX, blank, valid_url
from rempart.compliance.tdb.schema import ALL_LANGUAGES
from rempart.policy.dsa import check_codes

NotifierType = Literal["individual", "entity", "trusted_flagger", "authority", "other"]
ComplaintType = Literal[
    "restrict_visibility",
    "suspend_service",
    "suspend_account",
    "restrict_monetisation",
    "no_action_on_notice",
    "no_action_on_tf_notice",
]
AppealOutcome = Literal["upheld", "partially_reversed", "reversed", "omitted"]
Email = Annotated[str, Field(max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
Ref = Field(min_length=1, max_length=255, pattern=r"^[^\x00-\x1f]+$")
# Directive 2011/93/EU Arts 3-7 offences: notices about them may be anonymous (Art. 16(2)(c))
CHILD_ABUSE_KEYWORDS = frozenset(
    {
        "KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL",
        "KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL_DEEPFAKE",
        "KEYWORD_GROOMING_SEXUAL_ENTICEMENT_MINORS",
    }
)


def _one_of(enum: str, value: str, what: str) -> str:
    return check_codes(enum, [value], what)[0]


def _all_of(enum: str, values: list[str], what: str) -> list[str]:
    return list(dict.fromkeys(check_codes(enum, values, what)))


class Strict(BaseModel):
    """Refuses unknown fields, so a typo is an error and not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class AccountIn(Strict):
    """The owner of an item, by the platform's id."""

    ref: str = Ref
    account_type: Literal["ACCOUNT_TYPE_BUSINESS", "ACCOUNT_TYPE_PRIVATE"] | None = None
    contact_known: bool = True


class ItemIn(Strict):
    """An item as the platform describes it: the facts a statement of reasons needs."""

    ref: str = Ref
    account: AccountIn | None = None
    url: str | None = Field(None, max_length=2000)
    content_types: list[str] = Field(default_factory=list, max_length=8)
    content_type_other: str | None = Field(None, max_length=500)
    language: str | None = Field(None, pattern=r"^[A-Za-z]{2}$")
    territories: list[str] = Field(default_factory=list, max_length=30)
    content_date: date | None = None

    @field_validator("content_types")
    @classmethod
    def _types(cls, v: list[str]) -> list[str]:
        return _all_of("CONTENT_TYPES", v, "content type")

    @field_validator("language")
    @classmethod
    def _lang(cls, v: str | None) -> str | None:
        if not v:
            return v
        if v.upper() not in ALL_LANGUAGES:
            raise ValueError(f"unknown language {v!r} (an ISO 639-1 code such as fr)")
        return v.upper()

    @field_validator("territories")
    @classmethod
    def _territories(cls, v: list[str]) -> list[str]:
        out = [t.upper() for t in v]
        for t in out:
            if t not in EEA:
                raise ValueError(f"unknown territory {t!r} (EU/EEA codes, Greece is GR)")
        return out


class ItemOut(BaseModel):
    """An item as stored."""

    id: int
    ref: str
    account_ref: str | None
    url: str | None
    content_types: list[str]
    language: str | None
    territories: list[str]
    content_date: date | None
    status: str


class NoticeItemIn(Strict):
    """One item named in a notice: the platform's id, or its exact URL (Art. 16(2)(b))."""

    ref: str | None = Field(None, min_length=1, max_length=255)
    url: str | None = Field(None, max_length=2000)
    locator: str | None = Field(None, max_length=2000)

    @model_validator(mode="after")
    def _located(self) -> NoticeItemIn:
        if not self.ref and not self.url:
            raise ValueError("give each item's ref or its exact url")
        return self


class NoticeIn(Strict):
    """An Art. 16 notice: every element of requirements.md §1.2."""

    explanation: str = Field(min_length=1, max_length=20_000)
    items: list[NoticeItemIn] = Field(min_length=1, max_length=1000)
    category: str = "STATEMENT_CATEGORY_NOT_SPECIFIED_NOTICE"
    specifications: list[str] = Field(default_factory=list, max_length=20)
    legal_ground: str | None = Field(None, max_length=500)
    member_state: str | None = Field(None, pattern=r"^[A-Z]{2}$")
    notifier_type: NotifierType = "individual"
    notifier_name: str | None = Field(None, max_length=255)
    notifier_email: Email | None = None
    bona_fide: bool = False
    threat_to_life: bool = False
    channel: Literal["api", "web_form", "email"] = "api"

    @field_validator("category")
    @classmethod
    def _category(cls, v: str) -> str:
        return _one_of("STATEMENT_CATEGORIES", v, "category")

    @field_validator("specifications")
    @classmethod
    def _specs(cls, v: list[str]) -> list[str]:
        return _all_of("KEYWORDS", v, "specification")

    @property
    def child_abuse(self) -> bool:
        """Whether the notice alleges a Directive 2011/93/EU offence (anonymity allowed)."""
        return bool(CHILD_ABUSE_KEYWORDS & set(self.specifications))

    @model_validator(mode="after")
    def _identified(self) -> NoticeIn:
        if not self.child_abuse and not (self.notifier_name and self.notifier_email):
            raise ValueError(
                "give notifier_name and notifier_email (only notices about child sexual "
                "abuse may be anonymous, Art. 16(2)(c))"
            )
        if not self.bona_fide:
            raise ValueError("confirm bona_fide: the notice is accurate and complete (16(2)(d))")
        return self


class NoticeReceipt(BaseModel):
    """What the notifier gets back at once (Art. 16(4))."""

    notice_id: str
    received_at: datetime
    items: int
    case_ids: list[int]
    receipt_sent: bool
    trusted_flagger: str | None
    priority_queue: str | None


class TrustedFlaggerIn(Strict):
    """A trusted flagger as awarded by a Digital Services Coordinator (Art. 22(2))."""

    name: str = Field(min_length=1, max_length=255)
    awarding_dsc: str = Field(pattern=r"^[A-Z]{2}$")
    expertise: list[str] = Field(min_length=1)
    contact_email: Email | None = None
    valid_until: datetime | None = None

    @field_validator("expertise")
    @classmethod
    def _expertise(cls, v: list[str]) -> list[str]:
        return _all_of("STATEMENT_CATEGORIES", v, "category")


class TrustedFlaggerOut(BaseModel):
    """A trusted flagger with its measured record (Art. 22(6) reporting)."""

    id: int
    name: str
    awarding_dsc: str
    expertise: list[str]
    status: str
    notices: int
    decided: int
    actioned: int
    action_share: float | None


class OrderIn(Strict):
    """An order from an authority: to act against content (Art. 9) or to inform (Art. 10)."""

    kind: Literal["act", "info"]
    regime: Literal["dsa", "tco", "csam"] = "dsa"
    issuing_member_state: str = Field(pattern=r"^[A-Z]{2}$")
    issuing_authority: str = Field(min_length=1, max_length=255)
    reference: str | None = Field(None, max_length=255)
    legal_basis: str = Field(min_length=1, max_length=500)
    category: str = "STATEMENT_CATEGORY_NOT_SPECIFIED_ORDER"
    specifications: list[str] = Field(default_factory=list)
    items: list[NoticeItemIn] = Field(min_length=1, max_length=1000)
    received_at: datetime | None = None
    effective_at: datetime | None = None

    @field_validator("category")
    @classmethod
    def _category(cls, v: str) -> str:
        if v == "STATEMENT_CATEGORY_NOT_SPECIFIED_ORDER":
            return v
        return _one_of("STATEMENT_CATEGORIES", v, "category")

    @field_validator("specifications")
    @classmethod
    def _specs(cls, v: list[str]) -> list[str]:
        return _all_of("KEYWORDS", v, "specification")


class OrderOut(BaseModel):
    """An order as stored, with its deadline."""

    id: int
    kind: str
    regime: str
    issuing_member_state: str
    issuing_authority: str
    category: str
    item_ids: list[int]
    received_at: datetime
    effective_at: datetime
    deadline_at: datetime | None
    receipt_confirmed_at: datetime | None
    effect_given_at: datetime | None


class Restriction(Strict):
    """The restriction part of a decision (Art. 17(3)(a)); empty for a decision not to act."""

    decision_visibility: list[str] = Field(default_factory=list)
    decision_visibility_other: str | None = Field(None, max_length=500)
    decision_monetary: str | None = None
    decision_monetary_other: str | None = Field(None, max_length=500)
    decision_provision: str | None = None
    decision_account: str | None = None
    end_date_visibility_restriction: date | None = None
    end_date_monetary_restriction: date | None = None
    end_date_service_restriction: date | None = None
    end_date_account_restriction: date | None = None

    @field_validator("decision_visibility")
    @classmethod
    def _vis(cls, v: list[str]) -> list[str]:
        return _all_of("DECISION_VISIBILITIES", v, "decision_visibility")

    @field_validator("decision_monetary")
    @classmethod
    def _mon(cls, v: str | None) -> str | None:
        return v and _one_of("DECISION_MONETARIES", v, "decision_monetary")

    @field_validator("decision_provision")
    @classmethod
    def _prov(cls, v: str | None) -> str | None:
        return v and _one_of("DECISION_PROVISIONS", v, "decision_provision")

    @field_validator("decision_account")
    @classmethod
    def _acc(cls, v: str | None) -> str | None:
        return v and _one_of("DECISION_ACCOUNTS", v, "decision_account")

    @property
    def restricts(self) -> bool:
        """Whether anything is restricted at all."""
        return bool(
            self.decision_visibility
            or self.decision_monetary
            or self.decision_provision
            or self.decision_account
        )

    @model_validator(mode="after")
    def _others(self) -> Restriction:
        if "DECISION_VISIBILITY_OTHER" in self.decision_visibility and blank(
            self.decision_visibility_other
        ):
            raise ValueError("describe decision_visibility_other")
        if self.decision_monetary == "DECISION_MONETARY_OTHER" and blank(
            self.decision_monetary_other
        ):
            raise ValueError("describe decision_monetary_other")
        for name in (
            "end_date_visibility_restriction",
            "end_date_monetary_restriction",
            "end_date_service_restriction",
            "end_date_account_restriction",
        ):
            end = getattr(self, name)
            if end is not None and end > DATE_MAX:
                raise ValueError(f"{name} must be on or before {DATE_MAX} (the TDB's limit)")
        return self


class DecisionIn(Restriction):
    """A decision as a reviewer or a policy rule takes it: every Art. 17(3) element."""

    action: bool = True
    decision_ground: (
        Literal["DECISION_GROUND_ILLEGAL_CONTENT", "DECISION_GROUND_INCOMPATIBLE_CONTENT"] | None
    ) = None
    decision_ground_reference_url: str | None = Field(None, max_length=500)
    illegal_content_legal_ground: str | None = Field(None, max_length=500)
    illegal_content_explanation: str | None = Field(None, max_length=2000)
    incompatible_content_ground: str | None = Field(None, max_length=500)
    incompatible_content_explanation: str | None = Field(None, max_length=2000)
    incompatible_content_illegal: bool | None = None
    category: str | None = None
    category_addition: list[str] = Field(default_factory=list)
    category_specification: list[str] = Field(default_factory=list)
    category_specification_other: str | None = Field(None, max_length=500)
    territorial_scope: list[str] | None = None
    decision_facts: str = Field("", max_length=5000)
    strike_weight: float | None = Field(None, ge=0, le=100)
    notice_unfounded: bool = False  # the notices were manifestly unfounded (Art. 23(2))

    @field_validator("category")
    @classmethod
    def _category(cls, v: str | None) -> str | None:
        return v and _one_of("STATEMENT_CATEGORIES", v, "category")

    @field_validator("category_addition")
    @classmethod
    def _addition(cls, v: list[str]) -> list[str]:
        return _all_of("STATEMENT_CATEGORIES", v, "category")

    @field_validator("category_specification")
    @classmethod
    def _spec(cls, v: list[str]) -> list[str]:
        return _all_of("KEYWORDS", v, "specification")

    @field_validator("decision_ground_reference_url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        if v is not None and not blank(v) and not valid_url(v):
            raise ValueError("decision_ground_reference_url must be a public http(s) URL")
        return v

    @field_validator("territorial_scope")
    @classmethod
    def _scope(cls, v: list[str] | None) -> list[str] | None:
        if v is None:
            return v
        out = [t.upper() for t in v]
        bad = [t for t in out if t not in EEA]
        if bad:
            raise ValueError(f"unknown territorial_scope codes {bad} (EU/EEA, Greece is GR)")
        return out

    @model_validator(mode="after")
    def _grounds(self) -> DecisionIn:
        if not self.action:
            if self.restricts:
                raise ValueError("a decision not to act cannot restrict anything")
            return self
        if not self.restricts:
            raise ValueError(
                "a decision to act needs decision_visibility, decision_monetary, "
                "decision_provision or decision_account"
            )
        if self.decision_ground is None:
            raise ValueError("a decision to act needs decision_ground")
        if self.decision_ground == "DECISION_GROUND_ILLEGAL_CONTENT" and (
            blank(self.illegal_content_legal_ground) or blank(self.illegal_content_explanation)
        ):
            raise ValueError(
                "illegal content: give illegal_content_legal_ground and its explanation"
            )
        if self.decision_ground == "DECISION_GROUND_INCOMPATIBLE_CONTENT" and (
            blank(self.incompatible_content_ground) or blank(self.incompatible_content_explanation)
        ):
            raise ValueError(
                "terms and conditions: give incompatible_content_ground and its explanation"
            )
        if blank(self.decision_facts):
            raise ValueError("give decision_facts: the facts and circumstances relied on")
        return self


class DecisionOut(BaseModel):
    """A stored decision."""

    id: int
    uuid: str
    case_id: int | None
    item_ref: str | None
    action: bool
    status: str
    reverses_id: int | None
    category: str
    source_type: str
    automated_detection: bool
    automated_decision: str
    decided_by: str
    policy_version: str | None
    created_at: datetime
    user_notified_at: datetime | None
    tdb: dict[str, object] | None = None


class AppealIn(Strict):
    """An internal complaint (Art. 20): free, electronic, within six months."""

    complainant_role: Literal["affected", "notifier"]
    complainant_ref: str = Field(min_length=1, max_length=320)
    complaint_type: ComplaintType | None = None
    text: str = Field(min_length=1, max_length=20_000)


class AppealDecisionIn(Strict):
    """A person's decision on an appeal.

    ``new_decision`` is what replaces the appealed decision: required for a partial reversal
    (the restriction that remains, with its ground) and for reversing a decision not to act
    (the action now taken); a full reversal of an action defaults to "no restriction".
    """

    outcome: AppealOutcome
    reasoned_text: str = Field(min_length=1, max_length=5000)
    new_decision: DecisionIn | None = None
    manifestly_unfounded: bool = False


class AppealOut(BaseModel):
    """An appeal as stored."""

    id: int
    decision_id: int
    complainant_role: str
    complaint_type: str
    status: str
    outcome: str | None
    submitted_at: datetime
    decided_at: datetime | None
    decided_by: str | None
    new_decision_id: int | None


class DisputeIn(Strict):
    """A dispute brought before a certified out-of-court settlement body (Art. 21)."""

    body_name: str = Field(min_length=1, max_length=255)
    received_at: datetime | None = None


class DisputeOutcomeIn(Strict):
    """The body's outcome, and whether the platform implemented it."""

    outcome: AppealOutcome
    decided_at: datetime | None = None
    implemented: bool | None = None
    fees_paid: bool = False


class DisputeOut(BaseModel):
    """A dispute as stored."""

    id: int
    decision_id: int
    body_name: str
    received_at: datetime
    outcome: str | None
    decided_at: datetime | None
    implemented: bool | None


EEA = taxonomy.EEA_COUNTRIES
