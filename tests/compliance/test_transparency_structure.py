"""Each written file against its official template: bytes, header, rows, codes, blanks.

The expected layout is rebuilt here from the raw template files with the ``csv`` module and
Annex II's rules for the placeholders (one row per Member State or language), not from the
writer's helpers. An empty period checks where Annex II wants 0 (the row applies, nothing
happened) and where it wants a blank (the row does not apply to this kind of provider).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path

import pytest

from rempart.compliance.transparency.data import ReportData
from rempart.compliance.transparency.profile import ReportProfile
from rempart.compliance.transparency.writer import RenderedPart, render_report, write_report
from tests.compliance.test_transparency_figures import END, PERIOD, PROFILE, START, scenario

REFERENCE = (
    Path(__file__).resolve().parents[3] / "shared/reference/dsa/transparency-report-templates"
)
PARTS = [
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
]
# Eurostat codes, by English name (Austria ... Sweden; Bulgarian ... Swedish)
STATES = [
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "EL", "HU", "IE",
    "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
]  # fmt: skip
LANGS = [
    "bg", "hr", "cs", "da", "nl", "en", "et", "fi", "fr", "de", "el", "hu", "ga", "it",
    "lv", "lt", "mt", "pl", "pt", "ro", "sk", "sl", "es", "sv",
]  # fmt: skip
LANG_PLACEHOLDERS = {"bg", "[...]", "sv"}
# fixed (template-owned) columns per part; the rest are filled in
FIXED = {
    "part_1_summary": (0, 2),
    "part_2_categories_names": (0, 1, 2),
    "part_3_member_states_orders": (0, 3, 5),
    "part_4_notices": (0, 3),
    "part_5_own_initiative_illegal": (0, 3),
    "part_6_own_initiative_TC": (0, 3),
    "part_7_appeals_and_recidivism": (0, 3, 4, 5),
    "part_8_automated_means": (0, 3, 4, 5),
    "part_9_human_resources": (0, 3, 4, 5),
    "part_10_AMAR": (0, 3, 4, 5),
    "part_11_qualitative": (0, 3),
}


def raw_template(part: str) -> bytes:
    return resources.files("rempart.data").joinpath(f"transparency/{part}.csv").read_bytes()


def parse(raw: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(raw.decode("utf-8"), newline=""), strict=True))


def expected_skeleton(part: str, states: Sequence[str]) -> list[tuple[str, ...]]:
    """The template's fixed cells, with Annex II's placeholders expanded."""
    rows = parse(raw_template(part))[1:]
    cols = FIXED[part]
    out: list[tuple[str, ...]] = []
    if part == "part_3_member_states_orders":
        total = [r for r in rows if r[5] == "TOTAL"]
        for scope in ["TOTAL", *states]:
            out += [(r[0], r[3], scope) for r in total]
        return out
    seen: set[str] = set()
    for r in rows:
        scope = r[5] if len(r) > 5 else ""
        if part == "part_10_AMAR" and scope in {"AT", "[...]", "SE"}:
            if "ms" not in seen:
                seen.add("ms")
                out += [(r[0], r[3], r[4], s) for s in STATES]
            continue
        if part in ("part_8_automated_means", "part_9_human_resources") and (
            scope in LANG_PLACEHOLDERS
        ):
            if r[4] not in seen:
                seen.add(r[4])
                out += [(r[0], r[3], r[4], lang) for lang in LANGS]
            continue
        out.append(tuple(r[c] for c in cols))
    if part == "part_8_automated_means":  # the template repeats its language indicators
        head = [row for row in out if row[3] not in LANGS]
        langs = [row for row in out if row[3] in LANGS]
        order = [
            "Number of measures solely taken by automated means ",
            "Number of measures not taken by automated means",
            "Accuracy of the automated means - Accuracy",
            "Accuracy of the automated means - Precision",
            "Accuracy of the automated means - Recall",
        ]
        out = head + sorted(langs, key=lambda r: (order.index(r[2]), LANGS.index(r[3])))
    return out


def collapse(part: str, rows: Sequence[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """Fixed cells of the written rows, folding the rows Annex II lets providers repeat:
    extra KEYWORD_OTHER rows (parts 3-6) and per-detector accuracy rows (part 8)."""
    out: list[tuple[str, ...]] = []
    for r in rows:
        fixed = tuple(r[c] for c in FIXED[part])
        repeatable = (
            part.startswith(("part_3", "part_4", "part_5", "part_6")) and r[3] == "KEYWORD_OTHER"
        ) or (
            part == "part_8_automated_means"
            and r[4].startswith("Accuracy of")
            and r[5] not in LANGS
        )
        if repeatable and out and out[-1] == fixed:
            continue
        out.append(fixed)
    return out


def check_bytes(part: str, raw: bytes) -> list[list[str]]:
    """RFC 4180 as the templates write it: UTF-8, no BOM, CRLF, minimal quoting."""
    assert not raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8")
    assert raw.endswith(b"\r\n")
    assert b"\r" not in raw.replace(b"\r\n", b"") and b"\n" not in raw.replace(b"\r\n", b"")
    template_header = raw_template(part).split(b"\n", 1)[0]
    assert raw.split(b"\r\n", 1)[0] == template_header
    rows = parse(raw)
    assert all(len(r) == len(rows[0]) for r in rows), part
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    assert buf.getvalue() == text  # quoted exactly when a cell needs it
    return rows


def rendered(data: ReportData, profile: ReportProfile) -> dict[str, RenderedPart]:
    return {p.part: p for p in render_report(data, profile, START, END)}


# --- the shipped templates ------------------------------------------------------------------


@pytest.mark.parametrize("part", PARTS)
def test_shipped_template_is_the_official_file(part: str) -> None:
    ref = REFERENCE / f"{part}.csv"
    if not ref.exists():
        pytest.skip("reference templates not available")
    assert raw_template(part) == ref.read_bytes()


@pytest.mark.parametrize("part", PARTS)
def test_serializer_reproduces_the_template_bytes(part: str) -> None:
    raw = raw_template(part)
    rows = parse(raw)
    again = RenderedPart(part, tuple(rows[0]), tuple(tuple(r) for r in rows[1:])).to_csv()
    assert again.replace(b"\r\n", b"\n") == raw


# --- the written files ----------------------------------------------------------------------


def test_write_report_writes_eleven_files(tmp_path: Path) -> None:
    paths = write_report(scenario(), PROFILE, START, END, tmp_path / "out")
    assert [p.name for p in paths] == [f"{p}.csv" for p in PARTS]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(p.name for p in paths)


@pytest.mark.parametrize("part", PARTS)
def test_scenario_files_follow_their_templates(part: str, tmp_path: Path) -> None:
    path = next(
        p for p in write_report(scenario(), PROFILE, START, END, tmp_path) if p.stem == part
    )
    rows = check_bytes(part, path.read_bytes())[1:]
    assert collapse(part, [tuple(r) for r in rows]) == expected_skeleton(part, ["FR", "DE", "EL"])
    if part != "part_2_categories_names":
        assert {r[1] for r in rows} == {"Example, the service"}
    if part not in ("part_1_summary", "part_2_categories_names"):
        assert {r[2] for r in rows} == {PERIOD}
    if part.startswith(("part_3", "part_4", "part_5", "part_6")):
        _check_other_rows(part, rows)


def _check_other_rows(part: str, rows: Sequence[Sequence[str]]) -> None:
    """Descriptions only on KEYWORD_OTHER rows, never twice in one category and scope."""
    seen: set[tuple[str, str, str]] = set()
    category = ""
    for r in rows:
        scope = r[5] if part.startswith("part_3") else ""
        if r[3].startswith("STATEMENT_CATEGORY_"):
            category = r[3]
        if r[3] != "KEYWORD_OTHER":
            assert r[4] == ""
            continue
        key = (scope, category, r[4])
        assert key not in seen, key
        seen.add(key)


@pytest.mark.parametrize("tier", ["intermediary", "hosting", "online_platform", "vlop"])
@pytest.mark.parametrize("part", PARTS)
def test_empty_period_layout(part: str, tier: str) -> None:
    profile = ReportProfile(provider_type=tier, publication_date=date(2026, 7, 1))
    out = rendered(ReportData("P", "S"), profile)[part]
    rows = check_bytes(part, out.to_csv())[1:]
    assert collapse(part, [tuple(r) for r in rows]) == expected_skeleton(part, [])


# --- zeros and blanks -----------------------------------------------------------------------

APPLIES = {
    "All": {"intermediary", "hosting", "online_platform", "vlop"},
    "Only for providers of hosting services, including online platforms": {
        "hosting",
        "online_platform",
        "vlop",
    },
    "Only for providers of online platforms": {"online_platform", "vlop"},
    "Only for VLOPs": {"vlop"},
    "Only for VLOPs and VLOSEs": {"vlop"},
}


@pytest.mark.parametrize("tier", ["intermediary", "hosting", "online_platform", "vlop"])
def test_empty_period_zeros_and_blanks(tier: str) -> None:
    profile = ReportProfile(provider_type=tier, publication_date=date(2026, 7, 1))
    parts = rendered(ReportData("P", "S"), profile)
    platform = tier in ("online_platform", "vlop")
    # part 3 (all providers): counts 0, medians blank (no order: no median)
    for r in parts["part_3_member_states_orders"].rows:
        assert (r[6], r[7], r[10]) == ("0", "0", "0")
        assert (r[8], r[9], r[11], r[12]) == ("", "", "", "")
    # part 4: hosting services and up; trusted-flagger columns only for online platforms
    for r in parts["part_4_notices"].rows:
        if tier == "intermediary":
            assert set(r[5:]) == {""}
            continue
        assert (r[5], r[7], r[11], r[13]) == ("0", "0", "0", "0")
        tf = "0" if platform else ""
        assert (r[6], r[8], r[12], r[14]) == (tf, tf, tf, tf)
        assert (r[9], r[10]) == ("", "")
    # parts 5, 6 (all providers): every count 0
    for part in ("part_5_own_initiative_illegal", "part_6_own_initiative_TC"):
        for r in parts[part].rows:
            assert set(r[5:21]) == {"0"} and set(r[21:]) == {""}
    # part 7: first row for all; the rest for online platforms; medians and shares blank
    for r in parts["part_7_appeals_and_recidivism"].rows:
        applies = tier in APPLIES[r[0]]
        if not applies:
            assert (r[6], r[7]) == ("", "")
        elif r[5] in ("Median time", "Percentage of outcomes implemented"):
            assert r[6] == ""
        else:
            assert r[6] == "0"
    # part 8: counts 0 where the row applies; accuracy figures blank (nothing reviewed)
    for r in parts["part_8_automated_means"].rows:
        applies = tier in APPLIES[r[0]]
        if not applies or r[4].startswith("Accuracy of"):
            assert r[6] == ""
            if applies and r[5].strip() not in LANGS:
                assert r[7] == "No automated detection in this scope in the reporting period"
        else:
            assert r[6] == "0"
    # parts 9-11: operator-supplied; nothing supplied means blank
    for part, col in (
        ("part_9_human_resources", 6),
        ("part_10_AMAR", 6),
        ("part_11_qualitative", 4),
    ):
        assert {r[col] for r in parts[part].rows} == {""}
    summary = {r[2]: r[3] for r in parts["part_1_summary"].rows}
    assert summary["Date of the publication of the latest previous report"] == ""
    assert summary["Date of the publication of the report"] == "2026-07-01"
    assert summary["Name of the service provider"] == "P"


def test_vlop_rows_blank_for_others_even_when_supplied() -> None:
    profile = PROFILE.model_copy(update={"provider_type": "online_platform"})
    parts = rendered(scenario(), profile)
    assert {r[6] for r in parts["part_9_human_resources"].rows} == {""}
    assert {r[6] for r in parts["part_10_AMAR"].rows} == {""}
    quali = parts["part_11_qualitative"].rows
    assert quali[0][4] != "" and all(r[4] == "" for r in quali if r[0] == "Only for VLOPs")
    vlop8 = [r for r in parts["part_8_automated_means"].rows if r[0] == "Only for VLOPs"]
    assert len(vlop8) == 5 * 24 and {r[6] for r in vlop8} == {""}


def test_publication_date_defaults_to_the_clock() -> None:
    clock = lambda: datetime(2026, 8, 31, 23, 0, tzinfo=UTC)  # noqa: E731
    parts = render_report(ReportData("P", "S"), ReportProfile(), START, END, clock=clock)
    assert parts[0].rows[1][3] == "2026-08-31"
