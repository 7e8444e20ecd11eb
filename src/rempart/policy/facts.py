"""``Facts``: everything a policy may look at, as one typed, JSON-storable record.

The rest of Rempart fills it (scan results, classifiers, provenance, notices, the account) and
the engine reads nothing else, which is what makes a stored evaluation replayable.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from rempart.banks.schemas import BankOut
from rempart.policy.dsa import check_codes
from rempart.scan.service import ScanResult
from rempart.signals.types import PHOTO, VIDEO

NoticeSource = Literal["article_16", "trusted_flagger", "authority_order", "other"]
Scalar = str | int | float | bool
CONTENT_TYPES = {
    PHOTO: "CONTENT_TYPE_IMAGE",
    VIDEO: "CONTENT_TYPE_VIDEO",
    "text": "CONTENT_TYPE_TEXT",
}
SYNTHETIC = "CONTENT_TYPE_SYNTHETIC_MEDIA"
Text = Annotated[str, Field(max_length=500)]


def _flat(value: object) -> object:
    """Provenance values are scalars or lists of scalars, finite numbers only (JSON-safe)."""
    items = value if isinstance(value, list) else [value]
    for x in items:
        if isinstance(x, float) and not math.isfinite(x):
            raise ValueError("numbers must be finite")
        if not isinstance(x, str | int | float | bool):
            raise ValueError("expected a string, number or boolean, or a list of them")
    return value


Provenance = dict[
    Annotated[str, Field(max_length=200)],
    Annotated[Scalar | list[Scalar], BeforeValidator(_flat)],
]


class FactModel(BaseModel):
    """Base: unknown keys are errors, numbers finite (facts are stored as JSON)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class MatchFact(FactModel):
    """One bank match: the bank's metadata, the entry and the distance."""

    bank: Text
    source: Text = "internal"
    dsa_category: Text | None = None
    specifications: list[Text] = Field(default_factory=list)
    labels: list[Text] = Field(default_factory=list)
    signal_type: Text
    distance: int = Field(0, ge=0)
    content_id: int | None = None
    signal_id: int | None = None
    external_id: Text | None = None
    query_match_pct: float | None = None
    orientation: Text = Field(
        "original",
        description="the query that matched: the file's own hash, a rotation or mirror, or a "
        "derived query (trimmed borders, the photo inside a screenshot, an uncrop guess...)",
    )
    suppressed: bool = Field(False, description="a negative bank suppressed this match")


class ClassifierFact(FactModel):
    """One classifier's score and the model that produced it."""

    score: float
    model: Text = ""
    version: Text = ""
    flagged: bool | None = Field(
        None, description="score at or above the model's own threshold (None: not given)"
    )


class NoticeFact(FactModel):
    """The notice (Art. 16, trusted flagger, authority order) the item is evaluated for."""

    source_type: NoticeSource
    category: Text | None = None
    specifications: list[Text] = Field(default_factory=list)
    threat_to_life: bool = False
    trusted_flagger_id: Text | None = None

    @field_validator("category")
    @classmethod
    def _category(cls, v: str | None) -> str | None:
        return v if v is None else check_codes("STATEMENT_CATEGORIES", [v], "category")[0]

    @field_validator("specifications")
    @classmethod
    def _specs(cls, v: list[str]) -> list[str]:
        return check_codes("KEYWORDS", v, "specifications")


class AccountFact(FactModel):
    """The account that posted the item: its active strike weight and DSA account type."""

    id: Text | None = None
    strikes: float = Field(0.0, ge=0)
    account_type: Literal["ACCOUNT_TYPE_BUSINESS", "ACCOUNT_TYPE_PRIVATE"] | None = None


class ItemFact(FactModel):
    """The item itself: DSA content types, territory and language (ISO codes, uppercase)."""

    content_type: list[Text] = Field(default_factory=list)
    territory: Text | None = Field(None, pattern=r"^[A-Z]{2}$")
    language: Text | None = Field(None, pattern=r"^[A-Z]{2}$")

    @field_validator("content_type")
    @classmethod
    def _types(cls, v: list[str]) -> list[str]:
        return check_codes("CONTENT_TYPES", v, "content_type")


class Facts(FactModel):
    """Everything one evaluation may use."""

    matches: list[MatchFact] = Field(default_factory=list, max_length=10_000)
    classifiers: dict[Annotated[str, Field(max_length=64)], ClassifierFact] = Field(
        default_factory=dict
    )
    provenance: Provenance = Field(default_factory=dict)
    notice: NoticeFact | None = None
    account: AccountFact | None = None
    item: ItemFact = Field(default_factory=ItemFact)

    @classmethod
    def from_scan(
        cls,
        scan: ScanResult,
        banks_by_name: Mapping[str, BankOut] | None = None,
        **rest: object,
    ) -> Facts:
        """Facts from a scan: its matches (and suppressed ones, flagged) plus ``rest``.

        Bank metadata comes from ``banks_by_name`` when given (the bank as it is now), else
        from what the match carries (the bank as it was at lookup). Negative-bank hits are
        not matches: they only explain why others were suppressed.
        """
        banks = banks_by_name or {}
        matches = []
        for suppressed, found in ((False, scan.matches), (True, scan.suppressed)):
            for m in found:
                bank = banks.get(m.bank)
                matches.append(
                    MatchFact(
                        bank=m.bank,
                        source=bank.source if bank else m.source,
                        dsa_category=bank.dsa_category if bank else m.dsa_category,
                        specifications=list(bank.specifications if bank else m.specifications),
                        labels=list(bank.labels if bank else m.labels),
                        signal_type=m.signal_type,
                        distance=m.distance,
                        content_id=m.content_id,
                        signal_id=m.signal_id,
                        external_id=m.external_id,
                        query_match_pct=m.query_match_pct,
                        orientation=m.orientation,
                        suppressed=suppressed,
                    )
                )
        data: dict[str, object] = {"matches": matches}
        if scan.classifiers is not None:
            data["classifiers"] = scan.classifiers.facts()
        if scan.provenance is not None:
            data["provenance"] = scan.provenance.facts()
        if scan.text is not None:
            report = scan.text
            data["classifiers"] = {
                f"text_{c}": ClassifierFact(
                    score=score,
                    model=report.model,
                    version=report.version,
                    flagged=c in report.flagged,
                )
                for c, score in report.scores.items()
            }
        data |= rest
        if "item" not in rest and scan.content_type in CONTENT_TYPES:
            types = [CONTENT_TYPES[scan.content_type]]
            if scan.provenance is not None and scan.provenance.ai_generated == "yes":
                types.append(SYNTHETIC)  # its provenance says AI made it (DSA content type)
            language = scan.text.language.upper() if scan.text is not None else None
            known = language if language and len(language) == 2 else None  # "und": unknown
            data["item"] = ItemFact(content_type=types, language=known)
        return cls.model_validate(data)
