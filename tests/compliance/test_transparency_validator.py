"""An independent validator of written reports, from Annex II of Implementing Regulation 2024/2835.

The files are read back from disk with the ``csv`` module and checked against the official
templates (the reference copy, else the shipped one) and the rules of Annex II as written
there, never against the writer's helpers or constants:

* §4 Format: RFC 4180 CSV, UTF-8; "integer numbers when dealing with counting indicators";
  "All the indicators reporting a percentage shall be reported as floating numbers in the
  [0,1] interval"; "All the indicators on median time, shall be indicated in hours".
* §1: "In case a reporting requirement does not apply to the provider, the corresponding row
  should be left blank"; a row that applies but counts nothing holds "0".
* Column C: the reporting period "as follows YYYY-MM-DD/YYYY-MM-DD"; column B the service.
* Part 3 scope: "remove AT [..] SE and add rows for each respective Member State";
  "Member States must be indicated using the two-letter country code, always written in
  capital letters, as indicated in Eurostat's Glossary" (Greece is EL); languages "two-letter
  language code, always written in small letters".
* Qualitative values "limited to maximum 5000 characters".
* Categories are exclusive (each record in one category): a TOTAL row is the sum of its
  categories, a category at least the sum of its sub-categories.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from datetime import date
from importlib import resources
from pathlib import Path

import pytest

from rempart.compliance.transparency.profile import ReportProfile
from rempart.compliance.transparency.writer import write_report
from tests.compliance.test_transparency_figures import END, PROFILE, START, scenario

REFERENCE = (
    Path(__file__).resolve().parents[3] / "shared/reference/dsa/transparency-report-templates"
)
PARTS = (
    "part_1_summary", "part_2_categories_names", "part_3_member_states_orders",
    "part_4_notices", "part_5_own_initiative_illegal", "part_6_own_initiative_TC",
    "part_7_appeals_and_recidivism", "part_8_automated_means", "part_9_human_resources",
    "part_10_AMAR", "part_11_qualitative",
)  # fmt: skip
EU27 = {
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "EL", "ES", "FI", "FR", "HR", "HU",
    "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
}  # fmt: skip
LANGUAGES24 = {
    "bg", "cs", "da", "de", "el", "en", "es", "et", "fi", "fr", "ga", "hr", "hu", "it",
    "lt", "lv", "mt", "nl", "pl", "pt", "ro", "sk", "sl", "sv",
}  # fmt: skip
# Annex II §1: the first column says which providers a row applies to
APPLIES = {
    "All": {"intermediary", "hosting", "online_platform", "vlop", "vlose"},
    "Only for providers of hosting services, including online platforms": {
        "hosting",
        "online_platform",
        "vlop",
    },
    "Only for providers of online platforms": {"online_platform", "vlop"},
    "Only for VLOPs": {"vlop"},
    "Only for VLOPs and VLOSEs": {"vlop", "vlose"},
}
PLACEHOLDERS = {"[...]", "AT, […], SE", "[..]"}
INTEGER = re.compile(r"0|[1-9][0-9]*")
DECIMAL = re.compile(r"(0|[1-9][0-9]*)(\.[0-9]+)?")
DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def template(part: str) -> list[list[str]]:
    ref = REFERENCE / f"{part}.csv"
    raw = (
        ref.read_bytes()
        if ref.exists()
        else resources.files("rempart.data").joinpath(f"transparency/{part}.csv").read_bytes()
    )
    return list(csv.reader(io.StringIO(raw.decode("utf-8"), newline=""), strict=True))


def read(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf"), f"{path.name}: byte-order mark"
    text = raw.decode("utf-8")  # UTF-8 or UnicodeDecodeError
    return list(csv.reader(io.StringIO(text, newline=""), strict=True))


def kind_of(part: str, header: str, row: dict[str, str]) -> str:
    """What a value cell must hold: count, hours, share, date, text (Annex II §4)."""
    if part == "part_1_summary":
        return "text" if row["Indicator"].strip() == "Name of the service provider" else "date"
    if part in ("part_2_categories_names", "part_11_qualitative") or "ontextual" in header:
        return "text"
    if header.startswith("Description of the sub-category"):
        return "text"
    if header != "Value":
        return "hours" if header.startswith("Median time") else "count"
    scope, indicator = row["Scope"].strip(), row["Indicator"].strip()
    if scope == "Median time":
        return "hours"
    if indicator.startswith("Accuracy of the automated means") or scope.startswith("Percentage"):
        return "share"
    return "count"


def value_columns(part: str, header: list[str]) -> list[int]:
    """Columns a provider fills in with figures or texts (not the template's labels)."""
    fixed = {"Applicability", "Service", "Reporting period", "Section", "Indicator", "Scope"}
    fixed |= {"Category label", "Category description"}
    return [
        i
        for i, h in enumerate(header)
        if h.strip() not in fixed
        and not h.startswith("Category of")
        and not h.startswith("Description of the sub-category")
    ]


def problems(out_dir: Path, tier: str, service: str, start: date, end: date) -> list[str]:
    """Everything in the written report that Annex II or the templates do not allow."""
    found: list[str] = []
    files = sorted(p.name for p in out_dir.iterdir())
    if files != sorted(f"{p}.csv" for p in PARTS):
        return [f"files: {files}"]
    period = f"{start.isoformat()}/{end.isoformat()}"
    for part in PARTS:
        rows = read(out_dir / f"{part}.csv")
        tpl = template(part)
        header = rows[0]
        if header != tpl[0]:
            found.append(f"{part}: header differs from the template")
            continue
        applicabilities = {r[0] for r in tpl[1:]}
        for n, row in enumerate(rows[1:], 2):
            where = f"{part} line {n}"
            if len(row) != len(header):
                found.append(f"{where}: {len(row)} cells, header has {len(header)}")
                continue
            cells = dict(zip(header, row, strict=True))
            if any(c.strip() in PLACEHOLDERS for c in row):
                found.append(f"{where}: a template placeholder is left")
            if "Applicability" in cells and cells["Applicability"] not in applicabilities:
                found.append(f"{where}: applicability {cells['Applicability']!r}")
                continue
            if "Service" in cells and cells["Service"] != service:
                found.append(f"{where}: service {cells['Service']!r}")
            if "Reporting period" in cells and cells["Reporting period"] != period:
                found.append(f"{where}: period {cells['Reporting period']!r}")
            scope = cells.get("Scope", "").strip()
            by_state = part in ("part_3_member_states_orders", "part_10_AMAR")
            if by_state and scope != "TOTAL" and scope not in EU27:
                found.append(f"{where}: Member State {scope!r} is not a Eurostat code")
            if part in ("part_8_automated_means", "part_9_human_resources"):
                fixed = {"Total number", "Own-initiative", "NAM Total", "NAM Trusted Flagger"}
                if scope not in fixed and scope not in LANGUAGES24:
                    found.append(f"{where}: language {scope!r} is not a Eurostat code")
            applies = "Applicability" not in cells or tier in APPLIES[cells["Applicability"]]
            for i in value_columns(part, header):
                value, kind = row[i], kind_of(part, header[i], cells)
                if not applies and value != "":
                    found.append(f"{where}: {header[i]!r} filled although the row does not apply")
                if value == "" or kind == "text":
                    if kind == "text" and part == "part_11_qualitative" and len(value) > 5000:
                        found.append(f"{where}: more than 5000 characters")
                    continue
                if kind == "count" and not INTEGER.fullmatch(value):
                    found.append(f"{where}: {header[i]!r} {value!r} is not an integer")
                elif kind == "hours" and not DECIMAL.fullmatch(value):
                    found.append(f"{where}: {header[i]!r} {value!r} is not a number of hours")
                elif kind == "share" and not (DECIMAL.fullmatch(value) and 0 <= float(value) <= 1):
                    found.append(f"{where}: {header[i]!r} {value!r} is not in [0,1]")
                elif kind == "date" and not DAY.fullmatch(value):
                    found.append(f"{where}: {value!r} is not YYYY-MM-DD")
        found += sums(part, header, rows[1:])
    return found


def _int(cell: str) -> int:
    return int(cell) if INTEGER.fullmatch(cell) else 0  # bad cells are reported elsewhere


def sums(part: str, header: list[str], rows: list[list[str]]) -> list[str]:
    """TOTAL = sum of categories; category >= sum of its sub-categories (counts only)."""
    if part not in (
        "part_3_member_states_orders",
        "part_4_notices",
        "part_5_own_initiative_illegal",
        "part_6_own_initiative_TC",
    ):
        return []
    counts = [i for i in value_columns(part, header) if kind_of(part, header[i], {}) == "count"]
    blocks: dict[str, list[list[str]]] = defaultdict(list)
    scope = header.index("Scope") if "Scope" in header else None
    for row in rows:
        blocks[row[scope] if scope is not None else ""].append(row)
    found = []
    for name, block in blocks.items():
        for i in counts:
            if all(r[i] == "" for r in block):
                continue
            num = [_int(r[i]) for r in block]
            total, cats, subs, current = 0, 0, 0, None
            for r, v in zip(block, num, strict=True):
                code = r[3].strip()
                if code == "TOTAL":
                    total = v
                elif code.startswith("STATEMENT_CATEGORY_"):
                    if current is not None and subs > current:
                        found.append(f"{part} {name}: {header[i]!r} sub-categories exceed {code}")
                    cats, current, subs = cats + v, v, 0
                else:
                    subs += v
            if current is not None and subs > current:
                found.append(f"{part} {name}: {header[i]!r} sub-categories exceed the category")
            if total != cats:
                found.append(f"{part} {name}: {header[i]!r} TOTAL {total} != categories {cats}")
    if scope is not None and "TOTAL" in blocks:
        for i in counts:
            by_code: dict[int, int] = defaultdict(int)
            for name, block in blocks.items():
                if name != "TOTAL":
                    for k, r in enumerate(block):
                        by_code[k] += _int(r[i])
            if by_code and any(_int(r[i]) != by_code[k] for k, r in enumerate(blocks["TOTAL"])):
                found.append(f"{part}: {header[i]!r} TOTAL scope is not the Member States' sum")
    return found


@pytest.mark.parametrize("tier", ["intermediary", "hosting", "online_platform", "vlop"])
def test_written_report_passes_the_annex_ii_validator(tier: str, tmp_path: Path) -> None:
    profile = ReportProfile.model_validate({**PROFILE.model_dump(), "provider_type": tier})
    data = scenario()
    write_report(data, profile, START, END, tmp_path)
    assert problems(tmp_path, tier, data.service_name, START, END) == []


def test_written_empty_report_passes_the_validator(tmp_path: Path) -> None:
    data = scenario()
    empty = type(data)(provider_name=data.provider_name, service_name=data.service_name)
    write_report(empty, PROFILE, START, END, tmp_path)
    assert problems(tmp_path, "vlop", data.service_name, START, END) == []
    rows = read(tmp_path / "part_4_notices.csv")
    assert rows[1][5] == "0"  # applies to a VLOP, nothing received: 0, not blank


def _corrupt(path: Path, line: int, column: int, value: str) -> None:
    rows = read(path)
    rows[line][column] = value
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buf.getvalue().encode("utf-8"))


@pytest.mark.parametrize(
    ("part", "line", "column", "value", "message"),
    [
        ("part_4_notices", 1, 5, "3.5", "not an integer"),
        ("part_4_notices", 1, 5, "n/a", "not an integer"),
        ("part_4_notices", 1, 9, "-2", "not a number of hours"),
        ("part_4_notices", 1, 2, "2026-01-01 to 2026-06-30", "period"),
        ("part_4_notices", 1, 1, "Other service", "service"),
        ("part_4_notices", 2, 5, "999", "TOTAL"),
        ("part_3_member_states_orders", 100, 5, "GR", "Eurostat"),
        ("part_9_human_resources", 5, 5, "DE", "Eurostat"),
        ("part_8_automated_means", 3, 6, "87", "[0,1]"),
        ("part_11_qualitative", 1, 4, "x" * 5001, "5000"),
        ("part_1_summary", 2, 3, "20/08/2026", "YYYY-MM-DD"),
        ("part_10_AMAR", 3, 5, "[...]", "placeholder"),
    ],
)
def test_the_validator_catches_what_annex_ii_forbids(
    part: str, line: int, column: int, value: str, message: str, tmp_path: Path
) -> None:
    data = scenario()
    write_report(data, PROFILE, START, END, tmp_path)
    _corrupt(tmp_path / f"{part}.csv", line, column, value)
    found = problems(tmp_path, "vlop", data.service_name, START, END)
    assert any(message in f for f in found), found


def test_the_validator_catches_figures_in_rows_that_do_not_apply(tmp_path: Path) -> None:
    data = scenario()
    profile = ReportProfile.model_validate({**PROFILE.model_dump(), "provider_type": "hosting"})
    write_report(data, profile, START, END, tmp_path)
    _corrupt(tmp_path / "part_9_human_resources.csv", 1, 6, "12")  # Only for VLOPs
    assert any("does not apply" in f for f in problems(tmp_path, "hosting", data.service_name,
                                                        START, END))  # fmt: skip
