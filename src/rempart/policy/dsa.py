"""The DSA statement-of-reasons fields a rule fixes, checked against the official taxonomy.

A rule that acts must say, before it ever runs, everything Art. 17(3) and the Transparency
Database need from the policy: the restriction, the ground, the category. Checking it when the
file is loaded means an automated removal can never produce a statement of reasons the
Transparency Database would refuse.
"""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from rempart import taxonomy

ILLEGAL = "DECISION_GROUND_ILLEGAL_CONTENT"
INCOMPATIBLE = "DECISION_GROUND_INCOMPATIBLE_CONTENT"
KEYWORD_OTHER = "KEYWORD_OTHER"
EU_ONLY_OUT = ("IS", "LI", "NO")  # EEA members outside the EU


@lru_cache(maxsize=1)
def _shipped() -> dict[str, Any]:
    raw = resources.files("rempart.policy").joinpath("dsa_taxonomy.yaml").read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(raw)
    return data


def category_keywords() -> dict[str, frozenset[str]]:
    """Each STATEMENT_CATEGORY_* code → the KEYWORD_* codes that specify it (plus OTHER)."""
    return {
        cat: frozenset([*(keys or []), KEYWORD_OTHER])
        for cat, keys in _shipped()["categories"].items()
    }


def territories() -> tuple[str, ...]:
    """The EU/EEA country codes the Transparency Database accepts as territorial scope."""
    return tuple(sorted(taxonomy.EEA_COUNTRIES))


def check_codes(enum: str, values: list[str], field: str) -> list[str]:
    """Refuse any value that is not a code of ``enum`` (a Transparency Database enumeration)."""
    known = taxonomy.codes(enum)
    bad = [v for v in values if v not in known]
    if bad:
        sample = ", ".join(list(known)[:4])
        raise ValueError(
            f"unknown {field} code{'s' if len(bad) > 1 else ''} {', '.join(map(repr, bad))}; "
            f"use {enum} codes such as {sample}"
        )
    return values


def _yes_no(value: Any) -> Any:
    if value is True:
        return "Yes"
    if value is False:
        return "No"
    return value


class Decision(BaseModel):
    """The statement-of-reasons fields of an automated action (DSA Art. 17(3), TDB names).

    Durations (``*_duration``, ISO 8601 such as ``P30D``) become end dates when the action is
    applied; absent means indefinite. ``decision_facts`` is generated from what matched unless
    the rule gives a fixed text.
    """

    model_config = ConfigDict(extra="forbid")

    decision_visibility: list[str] = Field(default_factory=list)
    decision_visibility_other: str | None = Field(None, max_length=500)
    decision_monetary: str | None = None
    decision_monetary_other: str | None = Field(None, max_length=500)
    decision_provision: str | None = None
    decision_account: str | None = None
    decision_ground: str
    decision_ground_reference_url: str | None = Field(
        None, max_length=500, pattern=r"^https?://\S+$"
    )
    illegal_content_legal_ground: str | None = Field(None, min_length=1, max_length=500)
    illegal_content_explanation: str | None = Field(None, min_length=1, max_length=2000)
    incompatible_content_ground: str | None = Field(None, min_length=1, max_length=500)
    incompatible_content_explanation: str | None = Field(None, min_length=1, max_length=2000)
    incompatible_content_illegal: Literal["Yes", "No"] | None = None
    category: str
    category_addition: list[str] = Field(default_factory=list)
    category_specification: list[str] = Field(default_factory=list)
    category_specification_other: str | None = Field(None, max_length=500)
    territorial_scope: list[str] = Field(min_length=1)
    automated_detection: Literal["Yes", "No"] = "Yes"
    automated_decision: str = "AUTOMATED_DECISION_FULLY"
    decision_facts: str | None = Field(None, min_length=1, max_length=5000)
    visibility_duration: timedelta | None = None
    monetary_duration: timedelta | None = None
    provision_duration: timedelta | None = None
    account_duration: timedelta | None = None

    @field_validator("automated_detection", "incompatible_content_illegal", mode="before")
    @classmethod
    def _booleans(cls, v: Any) -> Any:
        return _yes_no(v)

    @field_validator("decision_visibility")
    @classmethod
    def _visibility(cls, v: list[str]) -> list[str]:
        return check_codes("DECISION_VISIBILITIES", v, "decision_visibility")

    @field_validator("decision_monetary")
    @classmethod
    def _monetary(cls, v: str | None) -> str | None:
        return v if v is None else check_codes("DECISION_MONETARIES", [v], "decision_monetary")[0]

    @field_validator("decision_provision")
    @classmethod
    def _provision(cls, v: str | None) -> str | None:
        return v if v is None else check_codes("DECISION_PROVISIONS", [v], "decision_provision")[0]

    @field_validator("decision_account")
    @classmethod
    def _account(cls, v: str | None) -> str | None:
        return v if v is None else check_codes("DECISION_ACCOUNTS", [v], "decision_account")[0]

    @field_validator("decision_ground")
    @classmethod
    def _ground(cls, v: str) -> str:
        return check_codes("DECISION_GROUNDS", [v], "decision_ground")[0]

    @field_validator("category")
    @classmethod
    def _category(cls, v: str) -> str:
        return check_codes("STATEMENT_CATEGORIES", [v], "category")[0]

    @field_validator("category_addition")
    @classmethod
    def _addition(cls, v: list[str]) -> list[str]:
        return check_codes("STATEMENT_CATEGORIES", v, "category_addition")

    @field_validator("category_specification")
    @classmethod
    def _specification(cls, v: list[str]) -> list[str]:
        return check_codes("KEYWORDS", v, "category_specification")

    @field_validator("automated_decision")
    @classmethod
    def _automated(cls, v: str) -> str:
        return check_codes("AUTOMATED_DECISIONS", [v], "automated_decision")[0]

    @field_validator("territorial_scope", mode="before")
    @classmethod
    def _scope_shorthand(cls, v: Any) -> Any:
        """``EEA`` and ``EU`` expand to their member states, in the TDB's order."""
        if isinstance(v, str):
            v = [v]
        if isinstance(v, list) and v in (["EEA"], ["EU"]):
            return [c for c in territories() if v == ["EEA"] or c not in EU_ONLY_OUT]
        return v

    @field_validator("territorial_scope")
    @classmethod
    def _scope(cls, v: list[str]) -> list[str]:
        bad = [c for c in v if c not in territories()]
        if bad:
            raise ValueError(
                f"unknown territorial_scope codes {bad}; use EU/EEA ISO 3166 alpha-2 codes "
                "(Greece is GR), or EEA or EU for all of them"
            )
        return v

    @model_validator(mode="after")
    def _consistent(self) -> Decision:
        self._check_restrictions()
        self._check_ground()
        self._check_category()
        return self

    def _check_restrictions(self) -> None:
        if not (
            self.decision_visibility
            or self.decision_monetary
            or self.decision_provision
            or self.decision_account
        ):
            raise ValueError(
                "an act decision needs at least one restriction: decision_visibility, "
                "decision_monetary, decision_provision or decision_account"
            )
        other_vis = "DECISION_VISIBILITY_OTHER" in self.decision_visibility
        if other_vis != bool(self.decision_visibility_other):
            raise ValueError(
                "decision_visibility_other is required with DECISION_VISIBILITY_OTHER "
                "and allowed only with it"
            )
        other_mon = self.decision_monetary == "DECISION_MONETARY_OTHER"
        if other_mon != bool(self.decision_monetary_other):
            raise ValueError(
                "decision_monetary_other is required with DECISION_MONETARY_OTHER "
                "and allowed only with it"
            )
        pairs: list[tuple[str, object, timedelta | None]] = [
            ("visibility", self.decision_visibility, self.visibility_duration),
            ("monetary", self.decision_monetary, self.monetary_duration),
            ("provision", self.decision_provision, self.provision_duration),
            ("account", self.decision_account, self.account_duration),
        ]
        for name, restriction, duration in pairs:
            if duration is None:
                continue
            if not restriction:
                raise ValueError(f"{name}_duration is given but there is no decision_{name}")
            if duration <= timedelta(0):
                raise ValueError(f"{name}_duration must be positive (leave it out: indefinite)")

    def _check_ground(self) -> None:
        illegal = (self.illegal_content_legal_ground, self.illegal_content_explanation)
        incompatible = (self.incompatible_content_ground, self.incompatible_content_explanation)
        if self.decision_ground == ILLEGAL:
            if not all(illegal):
                raise ValueError(
                    "DECISION_GROUND_ILLEGAL_CONTENT needs illegal_content_legal_ground "
                    "(the law relied on) and illegal_content_explanation"
                )
            if any(incompatible) or self.incompatible_content_illegal:
                raise ValueError(
                    "incompatible_content_* fields belong to DECISION_GROUND_INCOMPATIBLE_CONTENT"
                )
        else:
            if not all(incompatible):
                raise ValueError(
                    "DECISION_GROUND_INCOMPATIBLE_CONTENT needs incompatible_content_ground "
                    "(the terms relied on) and incompatible_content_explanation"
                )
            if any(illegal):
                raise ValueError(
                    "illegal_content_* fields belong to DECISION_GROUND_ILLEGAL_CONTENT"
                )

    def _check_category(self) -> None:
        table = category_keywords()
        allowed: set[str] = set(table.get(self.category, frozenset({KEYWORD_OTHER})))
        for extra in self.category_addition:
            allowed |= table.get(extra, frozenset())
        stray = [k for k in self.category_specification if k not in allowed]
        if stray:
            raise ValueError(
                f"category_specification {stray} does not belong to category {self.category}"
                f"{' or its category_addition' if self.category_addition else ''}; "
                f"it allows {sorted(allowed)}"
            )
        has_other = KEYWORD_OTHER in self.category_specification
        if self.category_specification_other and not has_other:
            raise ValueError(
                "category_specification_other needs KEYWORD_OTHER in the specification"
            )
