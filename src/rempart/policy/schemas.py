"""The policy file format as pydantic models: every key known, every code checked.

A policy is ``name``, ``version``, ``description``, ``queues`` and an ordered list of
``rules``; each rule has a condition tree (``when``) and one ``outcome`` (act, review or
allow). Unknown keys are refused so a typo can never silently disable a rule.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from rempart.access.roles import Role
from rempart.banks.schemas import SOURCES, check_bank_name
from rempart.policy.dsa import Decision, check_codes
from rempart.signals.types import SIGNAL_TYPES

SLUG = r"^[a-z0-9][a-z0-9_.-]{0,63}$"
NOTICE_SOURCES = ("article_16", "trusted_flagger", "authority_order", "other")
LEAVES = ("match", "classifier", "provenance", "notice", "strikes", "item")
BRANCHES = ("all", "any", "not")
Scalar = str | int | float | bool


def _listify(value: Any) -> Any:
    """Accept one string or a list of strings for fields that match any of several values."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value) and value:
        return value
    raise ValueError("expected a string or a non-empty list of strings")


Many = Annotated[list[str], BeforeValidator(_listify)]


class Strict(BaseModel):
    """Base of every file-format model: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid")


class MatchCond(Strict):
    """A bank match: true when one (non-suppressed) match satisfies every given field."""

    bank: str | None = None
    banks: list[str] | None = Field(None, min_length=1)
    category: Many | None = None
    specification: Many | None = None
    source: Many | None = None
    label: Many | None = None
    signal_type: Many | None = None
    max_distance: StrictInt | None = Field(None, ge=0, le=256)
    include_suppressed: bool = Field(
        False, description="also count matches a negative bank suppressed"
    )

    @field_validator("bank")
    @classmethod
    def _bank(cls, v: str | None) -> str | None:
        return v if v is None else check_bank_name(v)

    @field_validator("banks")
    @classmethod
    def _banks(cls, v: list[str] | None) -> list[str] | None:
        return v if v is None else [check_bank_name(b) for b in v]

    @field_validator("category")
    @classmethod
    def _category(cls, v: list[str] | None) -> list[str] | None:
        return v if v is None else check_codes("STATEMENT_CATEGORIES", v, "category")

    @field_validator("specification")
    @classmethod
    def _specification(cls, v: list[str] | None) -> list[str] | None:
        return v if v is None else check_codes("KEYWORDS", v, "specification")

    @field_validator("source")
    @classmethod
    def _source(cls, v: list[str] | None) -> list[str] | None:
        bad = [s for s in v or [] if s not in SOURCES]
        if bad:
            raise ValueError(f"unknown bank source {bad}; one of {', '.join(SOURCES)}")
        return v

    @field_validator("signal_type")
    @classmethod
    def _signal_type(cls, v: list[str] | None) -> list[str] | None:
        bad = [s for s in v or [] if s not in SIGNAL_TYPES]
        if bad:
            raise ValueError(f"unknown signal type {bad}; one of {', '.join(SIGNAL_TYPES)}")
        return v

    @model_validator(mode="after")
    def _one_bank_field(self) -> MatchCond:
        if self.bank is not None and self.banks is not None:
            raise ValueError("give bank (one name) or banks (a list), not both")
        return self

    def bank_names(self) -> list[str] | None:
        """The banks this leaf accepts, or None for any bank."""
        if self.bank is not None:
            return [self.bank]
        return self.banks


def _finite(v: float | None) -> float | None:
    if v is not None and not math.isfinite(v):
        raise ValueError("must be a finite number")
    return v


class ClassifierCond(Strict):
    """A classifier score: ``min_score <= score <= max_score`` (bounds inclusive).

    ``flagged: true`` uses the model's own calibrated threshold instead of a number written in
    the policy, so retraining a model does not leave the policy's cut-off stale.
    """

    name: str = Field(pattern=SLUG)
    min_score: float | None = None
    max_score: float | None = None
    flagged: bool | None = None

    @field_validator("min_score", "max_score")
    @classmethod
    def _bounds(cls, v: float | None) -> float | None:
        return _finite(v)

    @model_validator(mode="after")
    def _order(self) -> ClassifierCond:
        lo, hi = self.min_score, self.max_score
        if lo is not None and hi is not None and lo > hi:
            raise ValueError("min_score is above max_score: nothing could match")
        return self


def _provenance(value: Any) -> Any:
    if not isinstance(value, dict) or not value:
        raise ValueError("provenance takes a non-empty mapping of key: value or [values]")
    out: dict[str, list[Scalar]] = {}
    for key, want in value.items():
        items = want if isinstance(want, list) else [want]
        ok = bool(items) and all(
            isinstance(x, str | int | bool) or (isinstance(x, float) and math.isfinite(x))
            for x in items
        )
        if not isinstance(key, str) or not ok:
            raise ValueError(
                f"provenance {key!r}: expected a string, number or boolean, or a list of them"
            )
        out[key] = list(items)
    return out


class NoticeCond(Strict):
    """A notice about the item; with no field, true whenever there is a notice."""

    source_type: Many | None = None
    category: Many | None = None
    specification: Many | None = None
    threat_to_life: bool | None = None

    @field_validator("source_type")
    @classmethod
    def _source_type(cls, v: list[str] | None) -> list[str] | None:
        bad = [s for s in v or [] if s not in NOTICE_SOURCES]
        if bad:
            raise ValueError(
                f"unknown notice source_type {bad}; one of {', '.join(NOTICE_SOURCES)}"
            )
        return v

    @field_validator("category")
    @classmethod
    def _category(cls, v: list[str] | None) -> list[str] | None:
        return v if v is None else check_codes("STATEMENT_CATEGORIES", v, "category")

    @field_validator("specification")
    @classmethod
    def _specification(cls, v: list[str] | None) -> list[str] | None:
        return v if v is None else check_codes("KEYWORDS", v, "specification")


class StrikesCond(Strict):
    """The account's active strike weight: ``min <= strikes <= max`` (bounds inclusive)."""

    min: float | None = Field(None, ge=0)
    max: float | None = Field(None, ge=0)

    @field_validator("min", "max")
    @classmethod
    def _bounds(cls, v: float | None) -> float | None:
        return _finite(v)

    @model_validator(mode="after")
    def _given(self) -> StrikesCond:
        if self.min is None and self.max is None:
            raise ValueError("strikes needs min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("strikes min is above max: nothing could match")
        return self


class ItemCond(Strict):
    """Facts about the item itself: DSA content type, territory, language."""

    content_type: Many | None = None
    territory: Many | None = None
    language: Many | None = None

    @field_validator("content_type")
    @classmethod
    def _content_type(cls, v: list[str] | None) -> list[str] | None:
        return v if v is None else check_codes("CONTENT_TYPES", v, "content_type")

    @field_validator("territory", "language")
    @classmethod
    def _iso(cls, v: list[str] | None) -> list[str] | None:
        bad = [c for c in v or [] if not re.fullmatch(r"[A-Z]{2}", c)]
        if bad:
            raise ValueError(f"expected uppercase two-letter ISO codes, got {bad}")
        return v

    @model_validator(mode="after")
    def _given(self) -> ItemCond:
        if self.content_type is None and self.territory is None and self.language is None:
            raise ValueError("item needs content_type, territory or language")
        return self


class Condition(Strict):
    """One node of a ``when`` tree: exactly one of all/any/not or a leaf predicate."""

    all_: list[Condition] | None = Field(None, alias="all", min_length=1)
    any_: list[Condition] | None = Field(None, alias="any", min_length=1)
    not_: Condition | None = Field(None, alias="not")
    match: MatchCond | None = None
    classifier: ClassifierCond | None = None
    provenance: Annotated[dict[str, list[Scalar]], BeforeValidator(_provenance)] | None = None
    notice: NoticeCond | None = None
    strikes: StrikesCond | None = None
    item: ItemCond | None = None

    @model_validator(mode="before")
    @classmethod
    def _exactly_one(cls, data: Any) -> Any:
        known = (*BRANCHES, *LEAVES)
        if not isinstance(data, dict):
            raise PydanticCustomError(
                "condition",
                "a condition is a mapping with one key: {keys}",
                {"keys": ", ".join(known)},
            )
        present = [k for k in known if k in data]
        if len(present) > 1:
            raise PydanticCustomError(
                "condition",
                "a condition has exactly one key, this one has {keys}; "
                "combine them with all: [...] or any: [...]",
                {"keys": ", ".join(present)},
            )
        if not present and not (set(data) - set(known)):
            raise PydanticCustomError(
                "condition", "empty condition; use one of: {keys}", {"keys": ", ".join(known)}
            )
        # a bare leaf key (``notice:``) means the leaf with no constraint
        return {
            k: {} if v is None and k in LEAVES and k != "provenance" else v for k, v in data.items()
        }

    @model_validator(mode="after")
    def _has_value(self) -> Condition:
        given = [a for a in ("all_", "any_", "not_", *LEAVES) if getattr(self, a) is not None]
        if len(given) != 1:
            raise ValueError("a condition key needs a value (all/any: a list, not: a condition)")
        return self

    def kind(self) -> str:
        """Which key this node has (``all``, ``match``, ...)."""
        for key, attr in (("all", "all_"), ("any", "any_"), ("not", "not_")):
            if getattr(self, attr) is not None:
                return key
        for key in LEAVES:
            if getattr(self, key) is not None:
                return key
        raise AssertionError("validated conditions have one key")  # pragma: no cover


class Queue(Strict):
    """A named review queue: its SLA and, for restricted queues, the one role that may see it."""

    description: str = ""
    sla_hours: float = Field(gt=0, le=24 * 365)
    restricted_to_role: Role | None = None


class Suspected(Strict):
    """What the rule suspects, shown to the reviewer (who decides): DSA category and keywords."""

    category: str | None = None
    specifications: list[str] = Field(default_factory=list)

    @field_validator("category")
    @classmethod
    def _category(cls, v: str | None) -> str | None:
        return v if v is None else check_codes("STATEMENT_CATEGORIES", [v], "category")[0]

    @field_validator("specifications")
    @classmethod
    def _specs(cls, v: list[str]) -> list[str]:
        return check_codes("KEYWORDS", v, "specifications")


class ReviewSpec(Strict):
    """Send the item to a human: a declared queue, a priority (0-100, higher first)."""

    queue: str
    priority: StrictInt = Field(50, ge=0, le=100)
    sla_hours: float | None = Field(None, gt=0, le=24 * 365)
    suspected: Suspected | None = None


class OpenCase(Strict):
    """Open a case (e.g. child safety) that only a person can close."""

    queue: str
    closable_by: Literal["person"] = "person"


class StrikeSpec(Strict):
    """Add a strike to the account: its weight and how long it counts."""

    weight: float = Field(gt=0, le=1000)
    expires_days: StrictInt | None = Field(None, ge=1, le=36500)


class ActOutcome(Strict):
    """Act automatically, with every DSA decision field given."""

    decision: Decision
    preserve: bool = False
    open_case: OpenCase | None = None
    strike: StrikeSpec | None = None
    notify_authorities: list[Literal["ncmec", "law_enforcement"]] = Field(default_factory=list)
    review: ReviewSpec | None = None


class AllowOutcome(Strict):
    """Allow the item (the weakest outcome: any live act or review wins over it)."""

    reason: str = ""


class Outcome(Strict):
    """Exactly one of ``act``, ``review``, ``allow`` (``outcome: allow`` is short for allow)."""

    act: ActOutcome | None = None
    review: ReviewSpec | None = None
    allow: AllowOutcome | None = None

    @model_validator(mode="before")
    @classmethod
    def _exactly_one(cls, data: Any) -> Any:
        if data == "allow":
            return {"allow": {}}
        if not isinstance(data, dict):
            raise ValueError("outcome is one of act: {...}, review: {...} or allow")
        present = [k for k in ("act", "review", "allow") if k in data]
        if len(present) != 1 and not (set(data) - {"act", "review", "allow"}):
            raise ValueError(
                f"outcome needs exactly one of act, review, allow; got {present or 'none'}"
            )
        if "allow" in data and data["allow"] is None:
            return {**data, "allow": {}}
        return data

    @model_validator(mode="after")
    def _has_value(self) -> Outcome:
        if sum(x is not None for x in (self.act, self.review, self.allow)) != 1:
            raise ValueError(
                "the outcome needs a value: act: {decision: ...} or review: {queue: ...}"
            )
        return self

    @property
    def kind(self) -> Literal["act", "review", "allow"]:
        """``act``, ``review`` or ``allow``."""
        if self.act is not None:
            return "act"
        if self.review is not None:
            return "review"
        return "allow"


class Rule(Strict):
    """One rule: a condition, an outcome, and whether it is live or only observed (shadow)."""

    id: str = Field(pattern=SLUG)
    description: str = ""
    mode: Literal["live", "shadow"] = "live"
    when: Condition
    outcome: Outcome

    def queues(self) -> list[tuple[str, str]]:
        """(field path, queue name) of every queue this rule sends to."""
        out: list[tuple[str, str]] = []
        o = self.outcome
        if o.review is not None:
            out.append(("outcome.review.queue", o.review.queue))
        if o.act is not None:
            if o.act.review is not None:
                out.append(("outcome.act.review.queue", o.act.review.queue))
            if o.act.open_case is not None:
                out.append(("outcome.act.open_case.queue", o.act.open_case.queue))
        return out


class Policy(BaseModel):
    """A whole policy file. ``version`` only goes up; the same text always has one version."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=SLUG)
    version: StrictInt = Field(ge=1, le=2**31 - 1)
    description: str = ""
    queues: dict[str, Queue] = Field(default_factory=dict)
    rules: list[Rule] = Field(min_length=1)

    @field_validator("queues")
    @classmethod
    def _queue_names(cls, v: dict[str, Queue]) -> dict[str, Queue]:
        bad = [q for q in v if not re.fullmatch(SLUG, q)]
        if bad:
            raise ValueError(f"queue names are lowercase slugs (a-z, 0-9, _ . -): {bad}")
        return v

    @model_validator(mode="after")
    def _references(self) -> Policy:
        problems: list[tuple[list[str | int], str]] = []
        seen: dict[str, int] = {}
        for i, rule in enumerate(self.rules):
            if rule.id in seen:
                problems.append(
                    (
                        ["rules", i, "id"],
                        f"duplicate rule id {rule.id!r} (also rules[{seen[rule.id]}])",
                    )
                )
            seen.setdefault(rule.id, i)
            for path, queue in rule.queues():
                if queue not in self.queues:
                    declared = ", ".join(self.queues) or "none"
                    problems.append(
                        (
                            ["rules", i, *path.split(".")],
                            f"unknown queue {queue!r}; declared queues: {declared}",
                        )
                    )
        if problems:
            raise PydanticCustomError(
                "policy_reference", "{first}", {"first": problems[0][1], "problems": problems}
            )
        return self
