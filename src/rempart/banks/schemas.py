"""Pydantic shapes for banks and bank content, shared by the API, the CLI and import/export."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from rempart import taxonomy
from rempart.signals.types import SIGNAL_TYPES

MAX_LABEL = 255  # provenance and external ids: the database columns' width
BANK_NAME = re.compile(r"^[A-Z_][A-Z0-9_]{0,127}$")
SOURCES = (
    "internal",
    "ncmec",
    "stopncii",
    "iwf",
    "tech_against_terrorism",
    "gifct",
    "threatexchange",
    "other",
)


def check_bank_name(name: str) -> str:
    """Bank names are UPPER_SNAKE_CASE, as HMA requires, so they are safe in URLs and logs."""
    if not BANK_NAME.match(name):
        raise ValueError(
            "bank name must be UPPER_SNAKE_CASE: capital letters, digits and underscores, "
            "starting with a letter or underscore, at most 128 characters"
        )
    return name


class BankSettings(BaseModel):
    """Editable bank fields; every field optional so the same model serves create and update."""

    model_config = ConfigDict(extra="forbid")

    description: str | None = None
    dsa_category: str | None = None
    specifications: list[str] | None = None
    source: str | None = None
    labels: list[str] | None = None
    enabled: bool | None = None
    enabled_ratio: float | None = Field(None, ge=0.0, le=1.0)
    negative: bool | None = None
    match_dihedral: bool | None = None
    thresholds: dict[str, int] | None = None

    @field_validator("dsa_category")
    @classmethod
    def _category(cls, v: str | None) -> str | None:
        if v is not None and v not in taxonomy.categories():
            raise ValueError(f"unknown DSA category {v!r}; use a STATEMENT_CATEGORY_* code")
        return v

    @field_validator("specifications")
    @classmethod
    def _specs(cls, v: list[str] | None) -> list[str] | None:
        if v is not None:
            bad = [s for s in v if s not in taxonomy.specifications()]
            if bad:
                raise ValueError(f"unknown DSA specification codes {bad}; use KEYWORD_* codes")
        return v

    @field_validator("source")
    @classmethod
    def _source(cls, v: str | None) -> str | None:
        if v is not None and v not in SOURCES:
            raise ValueError(f"unknown source {v!r}; one of {', '.join(SOURCES)}")
        return v

    @field_validator("thresholds")
    @classmethod
    def _thresholds(cls, v: dict[str, int] | None) -> dict[str, int] | None:
        if v is None:
            return v
        for st, t in v.items():
            info = SIGNAL_TYPES.get(st)
            if info is None:
                raise ValueError(f"unknown signal type {st!r} in thresholds")
            if info.exact and t != 0:
                raise ValueError(f"{st} is an exact hash: its threshold can only be 0")
            if not 0 <= t <= 128:
                raise ValueError(f"threshold for {st} must be between 0 and 128")
        return v


class BankCreate(BankSettings):
    """A new bank: a name plus any settings."""

    name: str

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return check_bank_name(v)


class BankOut(BaseModel):
    """A bank as services return it."""

    id: int
    name: str
    description: str
    dsa_category: str | None
    specifications: list[str]
    source: str
    labels: list[str]
    enabled: bool
    enabled_ratio: float
    negative: bool
    match_dihedral: bool
    thresholds: dict[str, int]
    created_at: datetime
    updated_at: datetime


def kind_of(signals: Iterable[str]) -> str:
    """The content type that signals of these types describe: video, text, else photo."""
    names = set(signals)
    if any(SIGNAL_TYPES[n].content_types == ("video",) for n in names if n in SIGNAL_TYPES):
        return "video"
    text_only = all(n in SIGNAL_TYPES and SIGNAL_TYPES[n].content_types == ("text",) for n in names)
    return "text" if names and text_only else "photo"


class ContentIn(BaseModel):
    """A banked item given by its signals (already hashed), with provenance."""

    model_config = ConfigDict(extra="forbid")

    signals: dict[str, str] = Field(description="signal type → value, e.g. {'pdq': '...'}")
    content_type: Literal["photo", "video", "text"] | None = Field(
        None, description="photo, video or text; by default taken from the signals given"
    )
    note: str = ""
    provenance: str = Field("", max_length=MAX_LABEL)
    external_id: str | None = Field(None, max_length=MAX_LABEL)
    metadata: dict[str, Any] = Field(default_factory=dict)
    enabled: bool = True
    disable_until: datetime | None = None

    def record(self) -> Record:
        """The same item as a bulk ``Record``."""
        kind = self.content_type or kind_of(self.signals)
        return Record(
            dict(self.signals), kind, self.note, self.provenance,
            self.external_id, dict(self.metadata), self.enabled, self.disable_until,
        )  # fmt: skip


@dataclass(slots=True)
class Record:
    """One item to bank in bulk: ``ContentIn``'s fields without pydantic's per-object cost.

    Imports build a million of these from text they have already checked field by field
    (``banks.io``); ``ContentIn.record()`` converts a validated API item.
    """

    signals: dict[str, str]
    content_type: str = "photo"
    note: str = ""
    provenance: str = ""
    external_id: str | None = None
    metadata: dict[str, Any] = dc_field(default_factory=dict)
    enabled: bool = True
    disable_until: datetime | None = None


class ContentUpdate(BaseModel):
    """Editable fields of a banked item."""

    model_config = ConfigDict(extra="forbid")

    note: str | None = None
    metadata: dict[str, Any] | None = None
    enabled: bool | None = None
    disable_until: datetime | None = None
    clear_disable_until: bool = False


class ContentOut(BaseModel):
    """A banked item as services return it."""

    id: int
    bank: str
    content_type: str
    signals: dict[str, str]
    note: str
    provenance: str
    external_id: str | None
    metadata: dict[str, Any]
    enabled: bool
    disable_until: datetime | None
    created_at: datetime
    updated_at: datetime
