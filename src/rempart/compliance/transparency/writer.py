"""Writes the 11 parts of a transparency report exactly as the official templates lay them out.

Each part keeps its template's header, rows, codes, indicators and scopes cell for cell; only
the cells a provider fills in change (Service, Reporting period, the "Other" description, the
values and contextual information). Annex II's placeholders are replaced as it directs: part 3
gets one block per Member State that sent an order, parts 8-10 one row per official language or
Member State, ``KEYWORD_OTHER`` rows one per distinct description, and part 8 one row per
detector after each accuracy indicator.

Files are RFC 4180 CSV: UTF-8 without a byte-order mark (as the templates), CRLF line endings,
fields quoted only when they hold a comma, a quote or a line break (as the templates).
A blank cell means "not applicable" (the row's Applicability excludes the provider, the
operator did not supply the figure, or a median/share of no cases); 0 means "none".
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from rempart.clock import Clock, utcnow
from rempart.compliance.transparency import figures
from rempart.compliance.transparency.automated import automated_part
from rempart.compliance.transparency.categories import (
    measures_part,
    notices_part,
    orders_part,
)
from rempart.compliance.transparency.data import Complaint, Dispute, ReportData
from rempart.compliance.transparency.profile import RESTRICTION_COLUMNS, ReportProfile
from rempart.compliance.transparency.templates import (
    LANGUAGE_PLACEHOLDERS,
    LANGUAGES,
    MEMBER_STATE_PLACEHOLDERS,
    MEMBER_STATES,
    PARTS,
    applies,
    template,
)
from rempart.errors import Invalid

# Columns holding figures (not codes or labels), per part: what the CLI summary counts.
VALUE_COLUMNS: dict[str, tuple[int, ...]] = {
    "part_1_summary": (3,),
    "part_2_categories_names": (3,),
    "part_3_member_states_orders": tuple(range(6, 13)),
    "part_4_notices": tuple(range(5, 15)),
    "part_5_own_initiative_illegal": tuple(range(5, 21)),
    "part_6_own_initiative_TC": tuple(range(5, 21)),
    "part_7_appeals_and_recidivism": (6,),
    "part_8_automated_means": (6,),
    "part_9_human_resources": (6,),
    "part_10_AMAR": (6,),
    "part_11_qualitative": (4,),
}

COMPLAINT_INDICATORS = {
    "Complaint regarding a decision to remove or disable access to or restrict visibility of "
    "information": "restrict_visibility",
    "Complaint regarding a decision to suspend or terminate the provision of the service": (
        "suspend_service"
    ),
    "Complaint regarding a decision to suspend or terminate an account": ("suspend_account"),
    "Complaint regarding a decision to restrict the ability to monetise information": (
        "restrict_monetisation"
    ),
    "Complaint regarding a decision not to take action on a notice submitted in accordance "
    "with Article 16": "no_action_on_notice",
    "Complaint regarding a decision not to take action on a notice submitted by a Trusted "
    "Flagger in accordance with Article 16": "no_action_on_tf_notice",
}
ALL_COMPLAINTS = "Number of complaints submitted to the internal-complaints mechanism"
NEW_RESTRICTIONS = "Number of restrictions newly imposed as a result of an internal complaint"
DISPUTES = "Number of disputes submitted to out-of-court dispute settlement bodies"
SUSPENSIONS = {
    "Number of suspensions enacted for the provision of manifestly illegal content": (
        "illegal_content"
    ),
    "Number of suspensions enacted for the provision of manifestly unfounded notices": (
        "unfounded_notices"
    ),
    "Number of suspensions enacted for the provision of manifestly unfounded complaints": (
        "unfounded_complaints"
    ),
}
OUTCOME_SCOPES = {
    "Decisions upheld": "upheld",
    "Decisions partially reversed": "partially_reversed",
    "Decisions reversed": "reversed",
    "Decision omitted": "omitted",
}
QUALITATIVE = {
    "Summary of the content moderation engaged in at the providers’ own initiative": (
        "own_initiative_summary"
    ),
    "Meaningful and comprehensible information regarding content moderation engaged in at the "
    "providers' own initiative": "own_initiative_information",
    "Qualitative description of the automated means": "automated_means_description",
    "Qualitative description of indicators of accuracy and possible rate of error of automated "
    "means": "automated_means_accuracy",
    "Specification of the precise purposes to apply automated means": ("automated_means_purposes"),
    "Safeguards applied to the use of automated means": "automated_means_safeguards",
    "High-level description of the content moderation governance structure": "governance",
    "Qualifications of the human resources dedicated to content moderation": ("hr_qualifications"),
    "Training given to human resources dedicated to content moderation": "hr_training",
    "Support given to human resources dedicated to content moderation": "hr_support",
    "Methodology used to compute the number of human resources dedicated to content "
    "moderation": "hr_methodology",
}
_NEWLINES = re.compile(r"\r\n|\r|\n")  # line breaks inside cells are written as CRLF too


@dataclass(frozen=True)
class RenderedPart:
    """One filled-in part: its template's header and the rows written."""

    part: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    @property
    def filename(self) -> str:
        """The part's file name (the template's)."""
        return f"{self.part}.csv"

    def filled(self) -> int:
        """How many figure cells hold a value (the rest are blank: not applicable)."""
        cols = VALUE_COLUMNS[self.part]
        return sum(1 for row in self.rows for i in cols if row[i] != "")

    def to_csv(self) -> bytes:
        """RFC 4180 bytes: UTF-8, no BOM, CRLF, minimal quoting (as the templates)."""
        buf = io.StringIO(newline="")
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow(self.header)
        writer.writerows(self.rows)
        return buf.getvalue().encode("utf-8")


@dataclass(frozen=True)
class _Context:
    data: ReportData
    profile: ReportProfile
    start: date
    end: date
    published: date

    @property
    def tier(self) -> str:
        return self.profile.provider_type

    @property
    def service(self) -> str:
        return self.profile.service_name or self.data.service_name

    @property
    def provider(self) -> str:
        return self.profile.provider_name or self.data.provider_name

    @property
    def period(self) -> str:
        return f"{self.start.isoformat()}/{self.end.isoformat()}"


def render_report(
    data: ReportData,
    profile: ReportProfile,
    period_start: date,
    period_end: date,
    *,
    clock: Clock = utcnow,
) -> list[RenderedPart]:
    """Every part of the report for a period (inclusive dates), in template order."""
    if period_start > period_end:
        raise Invalid(f"the period starts ({period_start}) after it ends ({period_end})")
    published = profile.publication_date or clock().date()
    ctx = _Context(data, profile, period_start, period_end, published)
    builders = {
        "part_1_summary": _summary,
        "part_2_categories_names": _categories_names,
        "part_3_member_states_orders": lambda c: orders_part(
            c.data.orders, c.service, c.period, c.tier
        ),
        "part_4_notices": lambda c: notices_part(c.data.notices, c.service, c.period, c.tier),
        "part_5_own_initiative_illegal": lambda c: _own_initiative(c, "illegal"),
        "part_6_own_initiative_TC": lambda c: _own_initiative(c, "terms"),
        "part_7_appeals_and_recidivism": _appeals,
        "part_8_automated_means": lambda c: automated_part(c.data, c.service, c.period, c.tier),
        "part_9_human_resources": _human_resources,
        "part_10_AMAR": _amar,
        "part_11_qualitative": _qualitative,
    }
    out = []
    for part in PARTS:
        rows = builders[part](ctx)
        header = template(part).header
        for row in rows:
            if len(row) != len(header):  # pragma: no cover - a bug, not bad input
                raise AssertionError(f"{part}: row of {len(row)} cells, header has {len(header)}")
        cells = tuple(tuple(_NEWLINES.sub("\r\n", c) for c in r) for r in rows)
        out.append(RenderedPart(part, header, cells))
    return out


def write_report(
    data: ReportData,
    profile: ReportProfile,
    period_start: date,
    period_end: date,
    out_dir: Path,
    *,
    clock: Clock = utcnow,
) -> list[Path]:
    """Write the 11 CSV files into ``out_dir`` (created if needed); returns their paths."""
    parts = render_report(data, profile, period_start, period_end, clock=clock)
    return write_parts(parts, out_dir)


def write_parts(parts: Sequence[RenderedPart], out_dir: Path) -> list[Path]:
    """Write rendered parts as CSV files into ``out_dir`` (created if needed)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for part in parts:
        path = out_dir / part.filename
        path.write_bytes(part.to_csv())
        paths.append(path)
    return paths


def zip_report(parts: Sequence[RenderedPart]) -> bytes:
    """The parts as one zip archive (fixed timestamps, so equal reports give equal bytes)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for part in parts:
            info = zipfile.ZipInfo(part.filename, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, part.to_csv())
    return buf.getvalue()


def _summary(ctx: _Context) -> list[list[str]]:
    previous = ctx.profile.previous_report_date
    values = {
        "Name of the service provider": ctx.provider,
        "Date of the publication of the report": ctx.published.isoformat(),
        "Date of the publication of the latest previous report": (
            previous.isoformat() if previous else ""
        ),
        "Starting date of reporting period": ctx.start.isoformat(),
        "Ending date of reporting period": ctx.end.isoformat(),
    }
    out = []
    for row in template("part_1_summary").rows:
        value = values[row[2].strip()] if applies(row[0], ctx.tier) else ""
        out.append([row[0], ctx.service, row[2], value])
    return out


def _categories_names(ctx: _Context) -> list[list[str]]:
    rows = template("part_2_categories_names").rows
    labels = {row[0].strip() for row in rows}
    unknown = sorted(set(ctx.profile.category_context) - labels)
    if unknown:
        raise Invalid(f"category_context names unknown category labels: {', '.join(unknown)}")
    return [[*row[:3], ctx.profile.category_context.get(row[0].strip(), "")] for row in rows]


def _own_initiative(ctx: _Context, ground: str) -> list[list[str]]:
    part = "part_5_own_initiative_illegal" if ground == "illegal" else "part_6_own_initiative_TC"
    measures = [m for m in ctx.data.measures if m.ground == ground]
    blank = ctx.profile.blank_restrictions()
    return measures_part(
        part, measures, ctx.service, ctx.period, ctx.tier, RESTRICTION_COLUMNS, blank
    )


def _outcomes(
    records: Sequence[Complaint] | Sequence[Dispute], scope: str, what: str
) -> tuple[str, str]:
    """(value, contextual information) of one outcome scope over complaints or disputes."""
    if scope == "Total number":
        return figures.count(len(records)), ""
    if scope in OUTCOME_SCOPES:
        return figures.count(sum(1 for r in records if r.outcome == OUTCOME_SCOPES[scope])), ""
    if scope == "Median time":
        median = figures.median_hours(
            r.decided_at - r.submitted_at
            for r in records
            if r.decided_at is not None and r.outcome not in (None, "omitted")
        )
        note = f"No {what} decided in the reporting period" if records and median is None else ""
        return figures.hours(median), note
    if scope == "Percentage of outcomes implemented":
        reversed_ = [r for r in records if r.outcome in ("reversed", "partially_reversed")]
        done = sum(1 for r in reversed_ if isinstance(r, Dispute) and r.implemented)
        value = figures.share(done, len(reversed_))
        note = "" if value else "No outcome reversed or partially reversed the decision"
        return value, note
    raise KeyError(scope)  # pragma: no cover - the template has no other scope


def _appeals(ctx: _Context) -> list[list[str]]:
    data = ctx.data
    out = []
    for row in template("part_7_appeals_and_recidivism").rows:
        appl, section, indicator, scope = row[0], row[3], row[4], row[5]
        head = [appl, ctx.service, ctx.period, section, indicator, scope]
        if not applies(appl, ctx.tier):
            out.append([*head, "", ""])
            continue
        ind = indicator.strip()
        value, note = "", ""
        if ind == ALL_COMPLAINTS:
            value, note = _outcomes(data.complaints, scope.strip(), "complaint")
        elif ind == NEW_RESTRICTIONS:
            value = figures.count(sum(1 for c in data.complaints if c.new_restriction_imposed))
        elif ind in COMPLAINT_INDICATORS:
            mine = [c for c in data.complaints if c.type == COMPLAINT_INDICATORS[ind]]
            value, note = _outcomes(mine, scope.strip(), "complaint")
        elif ind == DISPUTES:
            value, note = _outcomes(data.disputes, scope.strip(), "dispute")
        elif ind in SUSPENSIONS:
            value = figures.count(sum(1 for s in data.suspensions if s.kind == SUSPENSIONS[ind]))
        else:  # pragma: no cover - the template has no other indicator
            raise KeyError(ind)
        out.append([*head, value, note])
    return out


def _human_resources(ctx: _Context) -> list[list[str]]:
    hr = ctx.profile.human_resources
    totals = {
        "Number of internal moderators employed by the provider": hr.internal_moderators,
        "Number of external moderators contracted by the provider": hr.external_moderators,
        "Number of total moderators with sufficient linguistic expertise": hr.linguistic_total,
    }
    out: list[list[str]] = []
    expanded = False
    for row in template("part_9_human_resources").rows:
        appl, section, indicator, scope = row[0], row[3], row[4], row[5]
        ok = applies(appl, ctx.tier)
        if scope.strip() in LANGUAGE_PLACEHOLDERS:
            if expanded:
                continue
            expanded = True
            for lang in LANGUAGES:
                n = None if hr.linguistic is None else hr.linguistic.get(lang, 0)
                value = figures.count(n) if ok and n is not None else ""
                out.append([appl, ctx.service, ctx.period, section, indicator, lang, value, ""])
            continue
        total = totals[indicator.strip()]
        value = figures.count(total) if ok and total is not None else ""
        out.append([appl, ctx.service, ctx.period, section, indicator, scope, value, ""])
    return out


def _amar(ctx: _Context) -> list[list[str]]:
    amar = ctx.profile.amar
    out: list[list[str]] = []
    expanded = False
    for row in template("part_10_AMAR").rows:
        appl, section, indicator, scope = row[0], row[3], row[4], row[5]
        ok = applies(appl, ctx.tier)
        if scope.strip() in MEMBER_STATE_PLACEHOLDERS:
            if expanded:
                continue
            expanded = True
            for state in MEMBER_STATES:
                n = None if amar.member_states is None else amar.member_states.get(state, 0)
                value = figures.count(n) if ok and n is not None else ""
                out.append([appl, ctx.service, ctx.period, section, indicator, state, value])
            continue
        value = figures.count(amar.total) if ok and amar.total is not None else ""
        out.append([appl, ctx.service, ctx.period, section, indicator, scope, value])
    return out


def _qualitative(ctx: _Context) -> list[list[str]]:
    texts = ctx.profile.qualitative
    out = []
    for row in template("part_11_qualitative").rows:
        text = getattr(texts, QUALITATIVE[row[3].strip()]) if applies(row[0], ctx.tier) else None
        out.append([row[0], ctx.service, ctx.period, row[3], text or ""])
    return out
