"""What only the operator knows: provider type, staff, recipients, and the qualitative text.

The operator writes these in a YAML or JSON file (``--profile``); anything left out is reported
blank, never guessed. Unknown keys are refused so a typo cannot silently drop a figure.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from rempart.compliance.transparency.templates import LANGUAGES, MEMBER_STATES
from rempart.errors import Invalid

Tier = Literal["intermediary", "hosting", "online_platform", "vlop", "vlose"]
Restriction = Literal[
    "visibility",
    "monetary",
    "provision",
    "account",
    "visibility_removal",
    "visibility_disable",
    "visibility_demoted",
    "visibility_age_restricted",
    "visibility_interaction_restricted",
    "visibility_labelled",
    "visibility_other",
    "monetary_suspension",
    "monetary_termination",
    "monetary_other",
    "provision_suspension",
    "provision_termination",
    "account_suspension",
    "account_termination",
]
Text = Field(None, max_length=5000)  # Annex II: values limited to 5000 characters


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HumanResources(_Strict):
    """Part 9 (VLOPs): moderators, in full-time equivalents, and per official language."""

    internal_moderators: int | None = Field(None, ge=0)
    external_moderators: int | None = Field(None, ge=0)
    linguistic_total: int | None = Field(None, ge=0)
    linguistic: dict[str, int] | None = Field(
        None, description="language code (bg ... sv) → moderators with CEFR B2 or better"
    )

    @field_validator("linguistic")
    @classmethod
    def _languages(cls, value: dict[str, int] | None) -> dict[str, int] | None:
        if value is None:
            return None
        out = {}
        for code, n in value.items():
            lang = code.strip().lower()
            if lang not in LANGUAGES:
                known = ", ".join(LANGUAGES)
                raise ValueError(f"{code!r} is not an official EU language ({known})")
            if n < 0:
                raise ValueError(f"moderators for {code!r} must not be negative")
            out[lang] = n
        return out


class Amar(_Strict):
    """Part 10 (VLOPs, VLOSEs): average monthly active recipients, total and per Member State."""

    total: int | None = Field(None, ge=0)
    member_states: dict[str, int] | None = None

    @field_validator("member_states")
    @classmethod
    def _states(cls, value: dict[str, int] | None) -> dict[str, int] | None:
        if value is None:
            return None
        out = {}
        for code, n in value.items():
            state = code.strip().upper()
            state = "EL" if state == "GR" else state
            if state not in MEMBER_STATES:
                known = ", ".join(MEMBER_STATES)
                raise ValueError(f"{code!r} is not a Member State code ({known})")
            if n < 0:
                raise ValueError(f"recipients for {code!r} must not be negative")
            out[state] = n
        return out


class Qualitative(_Strict):
    """Part 11: the free-text answers, in the template's row order."""

    own_initiative_summary: str | None = Text
    own_initiative_information: str | None = Text
    automated_means_description: str | None = Text
    automated_means_accuracy: str | None = Text
    automated_means_purposes: str | None = Text
    automated_means_safeguards: str | None = Text
    governance: str | None = Text
    hr_qualifications: str | None = Text
    hr_training: str | None = Text
    hr_support: str | None = Text
    hr_methodology: str | None = Text


class ReportProfile(_Strict):
    """Operator-supplied values of a transparency report; blank where not provided."""

    provider_type: Tier = Field(
        "online_platform", description="decides which rows apply (the Applicability column)"
    )
    provider_name: str | None = Field(None, description="overrides settings.provider_name")
    service_name: str | None = Field(None, description="overrides settings.platform_name")
    publication_date: date | None = Field(None, description="default: the day it is written")
    previous_report_date: date | None = None
    restrictions_not_applied: list[Restriction] = Field(
        default_factory=list,
        description="restrictions the service can never impose: reported blank, not 0",
    )
    category_context: dict[str, str] = Field(
        default_factory=dict,
        description="Part 2 contextual information by category label, e.g. 'Category 3b'",
    )
    human_resources: HumanResources = Field(default_factory=HumanResources)
    amar: Amar = Field(default_factory=Amar)
    qualitative: Qualitative = Field(default_factory=Qualitative)

    def blank_restrictions(self) -> frozenset[str]:
        """The Part 5/6 restriction columns to leave blank (groups expanded)."""
        out: set[str] = set()
        for key in self.restrictions_not_applied:
            out.add(key)
            if "_" not in key:
                out.update(k for k in RESTRICTION_COLUMNS if k.startswith(key + "_"))
        return frozenset(k for k in out if "_" in k)


RESTRICTION_COLUMNS: tuple[str, ...] = (
    "visibility_removal",
    "visibility_disable",
    "visibility_demoted",
    "visibility_age_restricted",
    "visibility_interaction_restricted",
    "visibility_labelled",
    "visibility_other",
    "monetary_suspension",
    "monetary_termination",
    "monetary_other",
    "provision_suspension",
    "provision_termination",
    "account_suspension",
    "account_termination",
)


def parse_profile(raw: Any) -> ReportProfile:
    """Validate an already-parsed profile mapping, with a clear error naming the bad key."""
    if raw is None:
        return ReportProfile()
    if not isinstance(raw, dict):
        raise Invalid("a report profile must be a mapping of keys to values")
    try:
        return ReportProfile.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise Invalid(f"report profile {loc}: {first['msg']}") from None


def load_profile(path: Path) -> ReportProfile:
    """Read a profile from a YAML or JSON file (by its suffix; YAML otherwise)."""
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise Invalid(f"cannot read report profile {path}: {exc}") from None
    try:
        raw = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        kind = "JSON" if path.suffix.lower() == ".json" else "YAML"
        raise Invalid(f"report profile {path} is not valid {kind}: {exc}") from None
    return parse_profile(raw)
