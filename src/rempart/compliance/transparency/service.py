"""One call from the database to the filled-in report, for the API and the CLI."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from rempart.clock import Clock, utcnow
from rempart.compliance.transparency.collect import collect
from rempart.compliance.transparency.profile import ReportProfile, load_profile
from rempart.compliance.transparency.writer import RenderedPart, render_report
from rempart.config import Settings
from rempart.store.db import Database

# Where the API looks for the operator's profile (the CLI takes --profile).
PROFILE_NAMES = (
    "transparency-profile.yaml",
    "transparency-profile.yml",
    "transparency-profile.json",
)


def default_profile(settings: Settings) -> ReportProfile:
    """The profile under ``REMPART_HOME`` if there is one, else an empty one (all blanks)."""
    for name in PROFILE_NAMES:
        path = settings.home / name
        if path.is_file():
            return load_profile(path)
    return ReportProfile()


def transparency_report(
    db: Database,
    settings: Settings,
    start: date,
    end: date,
    *,
    profile: ReportProfile | None = None,
    profile_path: Path | None = None,
    clock: Clock = utcnow,
) -> list[RenderedPart]:
    """The 11 parts for ``start``..``end`` (inclusive), from the recorded data."""
    if profile is None:
        profile = load_profile(profile_path) if profile_path else default_profile(settings)
    data = collect(db, settings, start, end)
    return render_report(data, profile, start, end, clock=clock)
