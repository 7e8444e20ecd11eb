"""Settings and request/response shapes for CyberTipline reports."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from rempart.compliance.ncmec.xml import (
    FILE_ANNOTATIONS,
    FILE_RELEVANCE,
    INCIDENT_TYPES,
    INDUSTRY_CLASSIFICATIONS,
    REPORT_ANNOTATIONS,
)

IncidentType = Literal[INCIDENT_TYPES]  # type: ignore[valid-type]
ReportAnnotation = Literal[REPORT_ANNOTATIONS]  # type: ignore[valid-type]
FileAnnotation = Literal[FILE_ANNOTATIONS]  # type: ignore[valid-type]
FileRelevance = Literal[FILE_RELEVANCE]  # type: ignore[valid-type]
IndustryClassification = Literal[INDUSTRY_CLASSIFICATIONS]  # type: ignore[valid-type]


class NcmecSettings(BaseSettings):
    """CyberTipline credentials and the reporter block (``REMPART_NCMEC_*``)."""

    model_config = SettingsConfigDict(env_prefix="REMPART_NCMEC_", extra="ignore")

    base_url: str = Field(
        "https://exttest.cybertip.org/ispws",
        description="ISP Web Services base; production is https://report.cybertip.org/ispws.",
    )
    username: str = ""
    password: SecretStr = SecretStr("")
    reporter_email: str = ""
    company: str | None = None
    legal_url: str | None = None
    terms_of_service: str | None = None
    platform: str | None = None
    timeout_s: float = 30.0


class FileIn(BaseModel):
    """How to report one preserved file; files not named are reported with these defaults."""

    vault_object_id: int
    file_name: str | None = Field(None, min_length=1, max_length=500)
    industry_classification: IndustryClassification | None = None
    annotations: list[FileAnnotation] = Field(default_factory=list)
    file_relevance: FileRelevance = "Reported"
    publicly_available: bool | None = None
    exif_viewed_by_esp: bool = False
    uploaded_to_esp_at: datetime | None = None


class DraftIn(BaseModel):
    """A draft report for one suspect account (``POST /v1/ncmec/reports``)."""

    account_ref: str = Field(min_length=1, max_length=255)
    incident_type: IncidentType
    incident_at: datetime | None = None
    annotations: list[ReportAnnotation] = Field(default_factory=list)
    files: list[FileIn] = Field(default_factory=list)
    additional_info: str | None = None


class FileOut(BaseModel):
    """A report file as stored."""

    id: int
    vault_object_id: int | None
    item_ref: str | None
    file_name: str
    sha256: str | None
    md5: str | None
    ncmec_file_id: str | None
    file_viewed_by_esp: bool
    exif_viewed_by_esp: bool
    publicly_available: bool | None
    file_relevance: str
    industry_classification: str | None
    annotations: list[str]
    state: str


class ReportOut(BaseModel):
    """A report as stored (the submitted XML is kept but not returned here)."""

    id: int
    account_ref: str
    case_ids: list[int]
    status: str
    incident_type: str
    annotations: list[str]
    ncmec_report_id: str | None
    attempts: int
    last_response_code: int | None
    last_error: str | None
    created_at: datetime
    submitted_at: datetime | None
    finished_at: datetime | None
    files: list[FileOut]
