"""Settings and request/response shapes for CyberTipline reports."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field, IPvAnyAddress, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from rempart.compliance.ncmec.xml import (
    EMAIL_TYPES,
    EVENT_NAMES,
    FILE_ANNOTATIONS,
    FILE_RELEVANCE,
    INCIDENT_TYPES,
    INDUSTRY_CLASSIFICATIONS,
    PHONE_TYPES,
    REPORT_ANNOTATIONS,
)

IncidentType = Literal[INCIDENT_TYPES]  # type: ignore[valid-type]
ReportAnnotation = Literal[REPORT_ANNOTATIONS]  # type: ignore[valid-type]
FileAnnotation = Literal[FILE_ANNOTATIONS]  # type: ignore[valid-type]
FileRelevance = Literal[FILE_RELEVANCE]  # type: ignore[valid-type]
IndustryClassification = Literal[INDUSTRY_CLASSIFICATIONS]  # type: ignore[valid-type]
EmailType = Literal[EMAIL_TYPES]  # type: ignore[valid-type]
PhoneType = Literal[PHONE_TYPES]  # type: ignore[valid-type]
EventName = Literal[EVENT_NAMES]  # type: ignore[valid-type]


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


class EmailIn(BaseModel):
    """An e-mail address the platform holds for the reported user."""

    address: str = Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    type: EmailType | None = None
    verified: bool | None = None


class PhoneIn(BaseModel):
    """A phone number the platform holds for the reported user."""

    number: str = Field(min_length=3, max_length=32, pattern=r"^[0-9 +().-]+$")
    type: PhoneType | None = None
    country_calling_code: str | None = Field(None, max_length=5, pattern=r"^\+?[0-9]{1,4}$")
    verified: bool | None = None


class IpCaptureIn(BaseModel):
    """One recorded use of an IP address by the reported user (login, upload, ...)."""

    ip_address: IPvAnyAddress
    event_name: EventName | None = None
    date_time: AwareDatetime | None = None
    possible_proxy: bool | None = None
    port: int | None = Field(None, ge=0, le=65535)


class ReportedUserIn(BaseModel):
    """What the platform knows of the reported account, beyond its id; all optional.

    Sent in ``personOrUserReported`` in the XSD's order; give only what the platform really
    holds (NCMEC's ``personOrUserReportedPerson`` is the person behind the account).
    """

    first_name: str | None = Field(None, max_length=255)
    last_name: str | None = Field(None, max_length=255)
    emails: list[EmailIn] = Field(default_factory=list, max_length=20)
    phones: list[PhoneIn] = Field(default_factory=list, max_length=20)
    esp_service: str | None = Field(None, max_length=255, description="e.g. the app's name")
    screen_name: str | None = Field(None, max_length=255)
    display_names: list[str] = Field(default_factory=list, max_length=20)
    profile_urls: list[str] = Field(default_factory=list, max_length=20)
    ip_capture_events: list[IpCaptureIn] = Field(default_factory=list, max_length=200)


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
    reported: ReportedUserIn | None = Field(
        None, description="screen name, display names, e-mails, phones, IP events, if known"
    )


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
    reported: ReportedUserIn | None = None
