"""The 11 official CSV templates of Implementing Regulation (EU) 2024/2835, shipped as data.

Rows, codes, indicators and scopes are read from the Commission's files (copied byte for byte
under ``rempart/data/transparency/``), never retyped: the templates carry trailing spaces and
non-breaking spaces in some labels, and a report must repeat them exactly.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources

PARTS: tuple[str, ...] = (
    "part_1_summary",
    "part_2_categories_names",
    "part_3_member_states_orders",
    "part_4_notices",
    "part_5_own_initiative_illegal",
    "part_6_own_initiative_TC",
    "part_7_appeals_and_recidivism",
    "part_8_automated_means",
    "part_9_human_resources",
    "part_10_AMAR",
    "part_11_qualitative",
)

# Member States as Annex II wants them (Eurostat codes, capitals: Greece is EL), in the order
# the templates' "AT [..] SE" implies: alphabetical by English country name.
MEMBER_STATES: tuple[str, ...] = (
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "EL", "HU", "IE",
    "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
)  # fmt: skip

# The 24 official languages (Eurostat two-letter codes, small letters), in the same order as
# the Member States (alphabetical by English name), which gives the templates' "bg [..] sv".
LANGUAGES: tuple[str, ...] = (
    "bg", "hr", "cs", "da", "nl", "en", "et", "fi", "fr", "de", "el", "hu", "ga", "it",
    "lv", "lt", "mt", "pl", "pt", "ro", "sk", "sl", "es", "sv",
)  # fmt: skip

# Placeholders in the templates that Annex II tells providers to replace by one row per value.
MEMBER_STATE_PLACEHOLDERS = frozenset({"AT", "[...]", "SE", "AT, […], SE"})
LANGUAGE_PLACEHOLDERS = frozenset({"bg", "[...]", "sv"})

TIERS: tuple[str, ...] = ("intermediary", "hosting", "online_platform", "vlop", "vlose")
APPLICABILITY: dict[str, frozenset[str]] = {
    "All": frozenset(TIERS),
    "Only for providers of hosting services, including online platforms": frozenset(
        {"hosting", "online_platform", "vlop"}
    ),
    "Only for providers of online platforms": frozenset({"online_platform", "vlop"}),
    "Only for VLOPs": frozenset({"vlop"}),
    "Only for VLOPs and VLOSEs": frozenset({"vlop", "vlose"}),
}

TOTAL = "TOTAL"
KEYWORD_OTHER = "KEYWORD_OTHER"
NOT_SPECIFIED_ORDER = "STATEMENT_CATEGORY_NOT_SPECIFIED_ORDER"
NOT_SPECIFIED_NOTICE = "STATEMENT_CATEGORY_NOT_SPECIFIED_NOTICE"
OTHER_VIOLATION_TC = "STATEMENT_CATEGORY_OTHER_VIOLATION_TC"


@dataclass(frozen=True)
class Template:
    """One official template: its header and its rows, cell for cell."""

    part: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    @property
    def filename(self) -> str:
        """The file name the report uses for this part (the template's own)."""
        return f"{self.part}.csv"

    def column(self, name: str) -> int:
        """Index of a header cell, compared without surrounding spaces."""
        for i, cell in enumerate(self.header):
            if cell.strip() == name:
                return i
        raise KeyError(f"{self.part} has no column {name!r}")


def raw_bytes(part: str) -> bytes:
    """The shipped template file exactly as the Commission publishes it."""
    if part not in PARTS:
        raise KeyError(f"unknown transparency report part {part!r}")
    ref = resources.files("rempart.data").joinpath("transparency", f"{part}.csv")
    return ref.read_bytes()


@cache
def template(part: str) -> Template:
    """The parsed template of one part (RFC 4180, UTF-8)."""
    text = raw_bytes(part).decode("utf-8")
    rows = [tuple(r) for r in csv.reader(io.StringIO(text, newline=""))]
    return Template(part=part, header=rows[0], rows=tuple(rows[1:]))


@cache
def category_structure(part: str) -> dict[str, tuple[str, ...]]:
    """Category code → its sub-category (keyword) codes, in template order, for parts 3-6.

    Read from the rows whose scope is TOTAL (part 3) or from every row (parts 4-6); the
    ``TOTAL`` row itself is left out. ``KEYWORD_OTHER`` appears once per category that has it.
    """
    tpl = template(part)
    code_col = 3
    scope_col = tpl.column("Scope") if part == "part_3_member_states_orders" else None
    out: dict[str, list[str]] = {}
    current: str | None = None
    for row in tpl.rows:
        if scope_col is not None and row[scope_col] != TOTAL:
            continue
        code = row[code_col].strip()
        if code == TOTAL:
            continue
        if code.startswith("STATEMENT_CATEGORY_"):
            current = code
            out[code] = []
        elif code.startswith("KEYWORD_") and current is not None:
            out[current].append(code)
        else:  # pragma: no cover - the shipped templates have no other rows
            raise ValueError(f"{part}: unexpected category code {code!r}")
    return {cat: tuple(kws) for cat, kws in out.items()}


def applies(applicability: str, tier: str) -> bool:
    """Whether a template row's Applicability covers a provider of this tier."""
    return tier in APPLICABILITY[applicability.strip()]
