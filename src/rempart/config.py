"""Runtime settings, read from ``REMPART_*`` environment variables.

One object holds every knob so the API, the CLI and the workers agree on limits and paths.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class MediaLimits(BaseSettings):
    """Bounds on untrusted media; every decoder checks them before doing work."""

    model_config = SettingsConfigDict(env_prefix="REMPART_MEDIA_", extra="ignore")

    max_bytes: int = Field(64 * 1024 * 1024, description="Largest upload accepted, in bytes.")
    max_pixels: int = Field(80_000_000, description="Largest image area (decompression bombs).")
    max_frames: int = Field(20_000, description="Most video frames decoded per file.")
    max_duration_s: float = Field(3600.0, description="Longest video accepted, in seconds.")
    max_video_pixels: int = Field(8_294_400, description="Largest video frame area (4K).")


class Settings(BaseSettings):
    """Process-wide settings. ``REMPART_HOME`` holds the SQLite file, index snapshots and media."""

    model_config = SettingsConfigDict(env_prefix="REMPART_", extra="ignore")

    home: Path = Field(Path("./var"), description="Data folder for the embedded default.")
    database_url: str | None = Field(
        None, description="SQLAlchemy URL; SQLite under home if unset."
    )
    pdq_threshold: int = Field(31, description="Default PDQ match distance (HMA's value).")
    pdq_min_quality: int = Field(50, description="PDQ hashes below this quality never match.")
    bank_augment: bool = Field(
        True,
        description="Photos banked from their bytes also store PDQs of their crops and small "
        "rotations (derived signals: matched, never exported).",
    )
    pdq_fast: bool = Field(
        True, description="Scans of large JPEGs hash a reduced decode (5-20x faster)."
    )
    vpdq_frame_threshold: int = Field(31, description="vPDQ per-frame match distance.")
    vpdq_query_match_pct: float = Field(80.0, description="vPDQ share of query frames matched.")
    vpdq_index_match_pct: float = Field(0.0, description="vPDQ share of banked frames matched.")
    index_sync_interval_s: float = Field(0.5, description="How often lookups pick up bank changes.")
    allow_hash_url: bool = Field(False, description="Enable GET /h/hash?url= (server-side fetch).")
    hash_url_allowed_hosts: list[str] = Field(
        default_factory=list, description="Hosts GET /h/hash?url= may fetch from when enabled."
    )
    scan_derived_queries: bool = Field(
        True,
        description="Add derived PDQ queries to photo scans (borders trimmed, embedded photo, "
        "collage halves, uncrop guesses, inverted) so edited re-posts still match.",
    )
    hash_url_allow_private: bool = Field(
        False,
        description="Let URL fetches reach listed hosts on private or loopback addresses "
        "(an internal file store); off, a listed host that resolves privately is refused.",
    )
    hma_keyless_roles: list[str] = Field(
        default_factory=list,
        description="Roles (hasher, matcher, curator) that HMA routes grant to a request "
        "without credentials from REMPART_HMA_KEYLESS_NETWORKS; off while either is empty.",
    )
    hma_keyless_networks: list[str] = Field(
        default_factory=list,
        description="Client networks (CIDR, the direct peer address) allowed key-less HMA calls.",
    )
    log_json: bool = Field(True, description="Emit structured JSON logs.")
    # --- moderation and DSA ---
    platform_name: str = Field("Rempart demo platform", description="Service named in reports.")
    provider_name: str = Field("Rempart demo provider", description="Provider named in reports.")
    secret_key: str | None = Field(
        None,
        description="Key (base64, 32 bytes) that encrypts stored webhook secrets; "
        "generated under home on first use if unset.",
    )
    policy_file: Path | None = Field(
        None, description="Policy file loaded at start; the shipped default if unset."
    )
    tdb_url: str | None = Field(
        None, description="EU Transparency Database base URL (sandbox or production)."
    )
    tdb_token: str | None = Field(None, description="Transparency Database API token.")
    tdb_submit_interval_s: float = Field(
        300.0, description="How often the server sends due statements to the TDB."
    )
    puid_prefix: str = Field("rmp", description="Prefix of platform-unique ids (puid) sent to TDB.")
    ledger_sign_interval_s: float = Field(
        60.0, description="How often the server signs a new ledger tree head (when it grew)."
    )
    webhook_max_attempts: int = Field(8, description="Deliveries tried before the dead letter.")
    webhook_backoff_s: float = Field(2.0, description="First retry delay; doubles each attempt.")
    webhook_tolerance_s: int = Field(300, description="Signature age receivers should accept.")
    classifiers_enabled: bool = Field(
        True, description="Run the image classifiers (sexual, violence, faces, age) on scans."
    )
    provenance_enabled: bool = Field(
        True, description="Read provenance (C2PA, IPTC/XMP, generator metadata, watermark)."
    )
    c2pa_trust_anchors: Path | None = Field(
        None, description="PEM file of C2PA trust anchors; a manifest they sign is 'Trusted'."
    )
    c2pa_sign_cert: Path | None = Field(
        None, description="PEM certificate chain (leaf first) that signs generated images."
    )
    c2pa_sign_key: Path | None = Field(None, description="PEM private key of that certificate.")
    c2pa_sign_alg: str = Field("es256", description="C2PA signing algorithm (es256, ps256, ...).")
    c2pa_tsa_url: str | None = Field(None, description="RFC 3161 time-stamp authority, if any.")

    @property
    def db_url(self) -> str:
        """The database URL in effect: explicit, else SQLite under ``home``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'rempart.sqlite3').resolve()}"

    @property
    def index_dir(self) -> Path:
        """Where match-index snapshots are persisted for fast restarts."""
        return self.home / "index"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings from the environment, read once per process."""
    return Settings()
