"""Any valid ``ReportData`` gives valid CSV files whose sub-category rows add up.

Annex II: the sub-categories of a category sum to it, and the categories to TOTAL; in part 3
the Member State blocks sum to the TOTAL block. Free text (descriptions) is arbitrary Unicode
with commas, quotes and line breaks, so quoting and line endings are exercised too.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rempart.compliance.transparency.data import (
    ACCOUNT,
    COMPLAINT_TYPES,
    MONETARY,
    OUTCOMES,
    PROVISION,
    VISIBILITY,
    AutomatedFlag,
    Complaint,
    DetectorMisses,
    Dispute,
    Measure,
    Notice,
    NoticeAction,
    Order,
    ReportData,
    Suspension,
)
from rempart.compliance.transparency.profile import ReportProfile
from rempart.compliance.transparency.templates import MEMBER_STATES, category_structure
from rempart.compliance.transparency.writer import render_report

START, END = date(2026, 1, 1), date(2026, 12, 31)
moments = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.just(UTC)
)
delays = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=90))
texts = st.text(max_size=12)
languages = st.sampled_from([None, "de", "fr", "en", "xx"])


@st.composite
def placed(draw: st.DrawFn, part: str) -> tuple[str, str | None, str | None]:
    tree = category_structure(part)
    category = draw(st.sampled_from(sorted(tree)))
    spec = draw(st.none() | st.sampled_from(tree[category])) if tree[category] else None
    other = draw(st.none() | texts) if spec == "KEYWORD_OTHER" else None
    return category, spec, other


@st.composite
def notices(draw: st.DrawFn) -> Notice:
    cat, spec, other = draw(placed("part_4_notices"))
    received = draw(moments)
    actions = draw(
        st.lists(
            st.builds(
                NoticeAction,
                ground=st.sampled_from(["law", "terms"]),
                implemented_at=delays.map(lambda d: received + d),
                solely_automated=st.booleans(),
            ),
            max_size=3,
        )
    )
    return Notice(
        received_at=received,
        category=cat,
        specification=spec,
        other_description=other,
        items=draw(st.integers(0, 50)),
        trusted_flagger=draw(st.booleans()),
        automated=draw(st.booleans()),
        actions=tuple(actions),
        language=draw(languages),
    )


@st.composite
def orders(draw: st.DrawFn) -> Order:
    cat, spec, other = draw(placed("part_3_member_states_orders"))
    received = draw(moments)
    later = st.none() | delays.map(lambda d: received + d)
    return Order(
        kind=draw(st.sampled_from(["act", "info"])),
        member_state=draw(st.sampled_from([*MEMBER_STATES, "GR", "fr"])),
        category=cat,
        specification=spec,
        other_description=other,
        received_at=received,
        items=draw(st.integers(0, 20)),
        receipt_confirmed_at=draw(later),
        effect_given_at=draw(later),
        automated_receipt=draw(st.booleans()),
    )


@st.composite
def measures(draw: st.DrawFn) -> Measure:
    ground = draw(st.sampled_from(["illegal", "terms"]))
    part = "part_5_own_initiative_illegal" if ground == "illegal" else "part_6_own_initiative_TC"
    cat, spec, other = draw(placed(part))
    return Measure(
        ground=ground,  # type: ignore[arg-type]
        category=cat,
        specification=spec,
        other_description=other,
        decided_at=draw(moments),
        visibility=tuple(draw(st.lists(st.sampled_from(VISIBILITY), unique=True, max_size=3))),
        monetary=draw(st.none() | st.sampled_from(MONETARY)),
        provision=draw(st.none() | st.sampled_from(PROVISION)),
        account=draw(st.none() | st.sampled_from(ACCOUNT)),
        solely_automated=draw(st.booleans()),
        language=draw(languages),
    )


@st.composite
def decided(draw: st.DrawFn) -> tuple[datetime, str | None, datetime | None]:
    submitted = draw(moments)
    outcome = draw(st.none() | st.sampled_from(OUTCOMES))
    when = None
    if outcome is not None and (outcome != "omitted" or draw(st.booleans())):
        when = submitted + draw(delays)
    return submitted, outcome, when


@st.composite
def complaints(draw: st.DrawFn) -> Complaint:
    submitted, outcome, when = draw(decided())
    return Complaint(
        type=draw(st.sampled_from(COMPLAINT_TYPES)),
        submitted_at=submitted,
        outcome=outcome,  # type: ignore[arg-type]
        decided_at=when,
        new_restriction_imposed=draw(st.booleans()),
    )


@st.composite
def disputes(draw: st.DrawFn) -> Dispute:
    submitted, outcome, when = draw(decided())
    return Dispute(submitted, outcome, when, draw(st.none() | st.booleans()))  # type: ignore[arg-type]


detectors = st.sampled_from([("bank", "B1"), ("bank", "B2"), ("classifier", 'C, "1"')])
flags = st.builds(
    lambda det, when, review, scope, lang: AutomatedFlag(det[0], det[1], when, review, scope, lang),
    detectors,
    moments,
    st.sampled_from([None, "confirmed", "overturned"]),
    st.sampled_from(["own_initiative", "notice", "trusted_flagger_notice"]),
    languages,
)


@st.composite
def report_data(draw: st.DrawFn) -> ReportData:
    misses = {}
    for det in draw(st.lists(detectors, unique=True, max_size=3)):
        tn = draw(st.none() | st.integers(0, 100))
        misses[det] = DetectorMisses(det[0], det[1], draw(st.integers(0, 30)), tn)  # type: ignore[arg-type]
    return ReportData(
        provider_name=draw(texts),
        service_name=draw(texts),
        notices=tuple(draw(st.lists(notices(), max_size=25))),
        orders=tuple(draw(st.lists(orders(), max_size=15))),
        measures=tuple(draw(st.lists(measures(), max_size=25))),
        complaints=tuple(draw(st.lists(complaints(), max_size=15))),
        disputes=tuple(draw(st.lists(disputes(), max_size=8))),
        suspensions=tuple(
            draw(
                st.lists(
                    st.builds(
                        Suspension,
                        st.sampled_from(
                            ["illegal_content", "unfounded_notices", "unfounded_complaints"]
                        ),
                        moments,
                    ),
                    max_size=5,
                )
            )
        ),
        flags=tuple(draw(st.lists(flags, max_size=20))),
        misses=tuple(misses.values()),
    )


COUNT_COLUMNS = {
    "part_3_member_states_orders": (6, 7, 10),
    "part_4_notices": (5, 6, 7, 8, 11, 12, 13, 14),
    "part_5_own_initiative_illegal": tuple(range(5, 21)),
    "part_6_own_initiative_TC": tuple(range(5, 21)),
}
HOUR_COLUMNS = {
    "part_3_member_states_orders": (8, 9, 11, 12),
    "part_4_notices": (9, 10),
}


def _sums(rows: Sequence[Sequence[str]], cols: Sequence[int]) -> None:
    """Within one block: categories sum to TOTAL, sub-categories to their category."""
    total: list[str] | None = None
    cats: dict[str, list[int]] = {}
    subs: dict[str, list[int]] = defaultdict(lambda: [0] * len(cols))
    current = ""
    for r in rows:
        values = [r[c] for c in cols]
        if r[3] == "TOTAL":
            total = values
            continue
        nums = [int(v) if v else 0 for v in values]
        if r[3].startswith("STATEMENT_CATEGORY_"):
            current = r[3]
            cats[current] = nums
        else:
            subs[current] = [a + b for a, b in zip(subs[current], nums, strict=True)]
    assert total is not None
    for cat, nums in cats.items():
        if cat in subs:
            assert subs[cat] == nums, cat
    sums = [sum(n[i] for n in cats.values()) for i in range(len(cols))]
    assert [int(v) if v else 0 for v in total] == sums


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=report_data(),
    tier=st.sampled_from(["intermediary", "hosting", "online_platform", "vlop", "vlose"]),
)
def test_any_data_gives_valid_files_whose_rows_add_up(data: ReportData, tier: str) -> None:
    profile = ReportProfile.model_validate(
        {"provider_type": tier, "publication_date": date(2027, 1, 15)}
    )
    for part in render_report(data, profile, START, END):
        raw = part.to_csv()
        assert b"\r" not in raw.replace(b"\r\n", b"") and b"\n" not in raw.replace(b"\r\n", b"")
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8"), newline=""), strict=True))
        assert tuple(rows[0]) == part.header
        body = rows[1:]
        assert all(len(r) == len(part.header) for r in body)
        assert body == [list(r) for r in part.rows]
        for r in body:
            for c in COUNT_COLUMNS.get(part.part, ()):
                assert re.fullmatch(r"\d*", r[c]), (part.part, c, r[c])
            for c in HOUR_COLUMNS.get(part.part, ()):
                assert re.fullmatch(r"(\d+\.\d{1,2})?", r[c]), (part.part, c, r[c])
            if part.part == "part_8_automated_means" and r[4].startswith("Accuracy of") and r[6]:
                assert 0.0 <= float(r[6]) <= 1.0
        if part.part not in COUNT_COLUMNS:
            continue
        cols = COUNT_COLUMNS[part.part]
        if part.part != "part_3_member_states_orders":
            _sums(body, cols)
            continue
        blocks: dict[str, list[list[str]]] = defaultdict(list)
        for r in body:
            blocks[r[5]].append(r)
        for block in blocks.values():
            _sums(block, cols)
        # the Member State blocks add up to the TOTAL block, category by category
        per_state: dict[str, list[int]] = {}
        for scope, block in blocks.items():
            if scope == "TOTAL":
                continue
            for r in block:
                if r[3] == "TOTAL" or r[3].startswith("STATEMENT_CATEGORY_"):
                    nums = [int(r[c]) for c in cols]
                    before = per_state.get(r[3], [0] * len(cols))
                    per_state[r[3]] = [a + b for a, b in zip(before, nums, strict=True)]
        if len(blocks) > 1:
            for r in blocks["TOTAL"]:
                if r[3] in per_state:
                    assert [int(r[c]) for c in cols] == per_state[r[3]], r[3]
        assert {o.member_state for o in data.orders} == set(blocks) - {"TOTAL"}
