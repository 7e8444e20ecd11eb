"""Bad report input gets a clear error naming what is wrong, never a wrong figure."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from rempart.compliance.transparency.data import (
    Complaint,
    DetectorMisses,
    Dispute,
    Measure,
    Notice,
    NoticeAction,
    Order,
    ReportData,
)
from rempart.compliance.transparency.profile import ReportProfile, load_profile, parse_profile
from rempart.compliance.transparency.writer import render_report
from rempart.errors import Invalid

T = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
HATE = "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Notice(T, "STATEMENT_CATEGORY_NOT_A_THING"), "is not a category of part_4"),
        (lambda: Notice(T, "STATEMENT_CATEGORY_NOT_SPECIFIED_ORDER"), "not a category"),
        (lambda: Notice(T, HATE, "KEYWORD_PHISHING"), "not a sub-category of"),
        (lambda: Notice(T.replace(tzinfo=None), HATE), "timezone-aware"),
        (lambda: Notice(T, HATE, items=-1), "non-negative"),
        (
            lambda: Notice(T, HATE, actions=(NoticeAction("law", T - timedelta(hours=1)),)),
            "before receipt",
        ),
        (lambda: Order("act", "US", HATE, T), "not an EU Member State"),
        (lambda: Order("other", "FR", HATE, T), "act or info"),  # type: ignore[arg-type]
        (lambda: Order("act", "FR", HATE, T, effect_given_at=T - timedelta(1)), "before"),
        (
            lambda: Measure("illegal", "STATEMENT_CATEGORY_OTHER_VIOLATION_TC", T),
            "not a category of part_5",
        ),
        (lambda: Measure("terms", HATE, T, visibility=("REMOVED",)), "unknown visibility"),
        (lambda: Measure("terms", HATE, T, account="BANNED"), "unknown restriction"),
        (lambda: Complaint("upheld", T), "unknown complaint type"),  # type: ignore[arg-type]
        (lambda: Complaint("suspend_account", T, "reversed"), "needs decided_at"),
        (lambda: Complaint("suspend_account", T, None, T), "no outcome"),
        (lambda: Dispute(T, "won", T), "unknown dispute outcome"),  # type: ignore[arg-type]
        (lambda: Dispute(T, "upheld", T - timedelta(1)), "before submission"),
        (lambda: DetectorMisses("bank", "B", -2), "non-negative"),
        (
            lambda: ReportData(
                "P", "S", misses=(DetectorMisses("bank", "B", 1), DetectorMisses("bank", "B", 2))
            ),
            "two DetectorMisses",
        ),
    ],
)
def test_records_refuse_bad_values(make: Any, message: str) -> None:
    with pytest.raises(Invalid, match=message):
        make()


def test_greece_is_el() -> None:
    assert Order("info", "gr", HATE, T).member_state == "EL"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"provider_typ": "vlop"}, "provider_typ"),
        ({"provider_type": "giant"}, "provider_type"),
        ({"restrictions_not_applied": ["money"]}, "restrictions_not_applied"),
        ({"human_resources": {"linguistic": {"xx": 3}}}, "official EU language"),
        ({"amar": {"member_states": {"US": 3}}}, "Member State"),
        ({"amar": {"total": -1}}, "amar.total"),
        ({"qualitative": {"governance": "x" * 5001}}, "qualitative.governance"),
        ([1, 2], "mapping"),
    ],
)
def test_profile_refuses_bad_values(raw: Any, message: str) -> None:
    with pytest.raises(Invalid, match=message):
        parse_profile(raw)


def test_profile_files(tmp_path: Path) -> None:
    good = tmp_path / "p.yaml"
    good.write_text("provider_type: hosting\nrestrictions_not_applied: [monetary]\n")
    profile = load_profile(good)
    assert profile.provider_type == "hosting"
    assert profile.blank_restrictions() == {
        "monetary_suspension",
        "monetary_termination",
        "monetary_other",
    }
    as_json = tmp_path / "p.json"
    as_json.write_text(json.dumps({"previous_report_date": "2025-02-16"}))
    assert load_profile(as_json).previous_report_date == date(2025, 2, 16)
    broken = tmp_path / "b.json"
    broken.write_text("{not json")
    with pytest.raises(Invalid, match="not valid JSON"):
        load_profile(broken)
    with pytest.raises(Invalid, match="cannot read"):
        load_profile(tmp_path / "missing.yaml")
    assert parse_profile(None) == ReportProfile()


def test_unknown_category_label_in_profile() -> None:
    profile = ReportProfile(category_context={"Category 99": "x"})
    with pytest.raises(Invalid, match="Category 99"):
        render_report(ReportData("P", "S"), profile, date(2026, 1, 1), date(2026, 1, 31))
