"""Transparency reports under Implementing Regulation (EU) 2024/2835: the 11 CSV parts.

``collect`` reads a period from the database into a ``ReportData``; ``write_report`` (or
``render_report``) lays it out in the official templates with the operator's ``ReportProfile``.
"""

from rempart.compliance.transparency.data import ReportData
from rempart.compliance.transparency.profile import ReportProfile, load_profile
from rempart.compliance.transparency.writer import (
    RenderedPart,
    render_report,
    write_report,
    zip_report,
)

__all__ = [
    "RenderedPart",
    "ReportData",
    "ReportProfile",
    "load_profile",
    "render_report",
    "write_report",
    "zip_report",
]
