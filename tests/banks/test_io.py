"""Import and export in CSV, JSON lines and the threatexchange file format."""

from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rempart.banks import io as bank_io
from rempart.banks.schemas import BankCreate
from rempart.context import Rempart
from rempart.errors import Invalid

RNG = np.random.default_rng(3)


def pdqs(n: int) -> list[str]:
    return [RNG.integers(0, 256, 32, dtype=np.uint8).tobytes().hex() for _ in range(n)]


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "te"])
def test_round_trip(rempart: Rempart, fmt: str) -> None:
    rempart.banks.create_bank(BankCreate(name="SRC"))
    rempart.banks.create_bank(BankCreate(name="DST"))
    values = pdqs(20)
    lines = "signal_type,signal_value,note,provenance\n" + "".join(
        f"pdq,{v},note {i},list-2026\n" for i, v in enumerate(values)
    )
    report = bank_io.import_items(rempart.banks, "SRC", io.StringIO(lines), "csv")
    assert (report.read, report.imported, report.skipped) == (20, 20, 0)
    text = bank_io.export_text(rempart.banks, "SRC", fmt)
    back = bank_io.import_items(rempart.banks, "DST", io.StringIO(text), fmt)
    assert back.imported == 20
    exported = {r["signal_value"]: r for r in bank_io.export_rows(rempart.banks, "DST")}
    assert set(exported) == set(values)
    if fmt != "te":  # the threatexchange format carries only the signal
        assert exported[values[0]]["note"] == "note 0"
        assert exported[values[0]]["provenance"] == "list-2026"


def test_threatexchange_file_lines(rempart: Rempart) -> None:
    rempart.banks.create_bank(BankCreate(name="TE"))
    v = pdqs(2)
    text = f"pdq {v[0]}\n\npdq {v[1]}\nmd5 d41d8cd98f00b204e9800998ecf8427e\n"
    report = bank_io.import_items(rempart.banks, "TE", io.StringIO(text), "te")
    assert report.imported == 3
    only = bank_io.import_items(
        rempart.banks, "TE", io.StringIO(v[0] + "\n"), "te", signal_type="pdq"
    )
    assert only.imported == 1


def test_bad_rows_all_or_nothing(rempart: Rempart) -> None:
    rempart.banks.create_bank(BankCreate(name="B"))
    good = pdqs(1)[0]
    text = f"signal_type,signal_value\npdq,{good}\npdq,zz\nnope,{good}\n"
    with pytest.raises(Invalid, match="line 3") as info:
        bank_io.import_items(rempart.banks, "B", io.StringIO(text), "csv")
    assert "2 invalid" in info.value.detail
    assert rempart.banks.content_count("B") == 0
    report = bank_io.import_items(rempart.banks, "B", io.StringIO(text), "csv", skip_invalid=True)
    assert (report.imported, report.skipped) == (1, 2)
    with pytest.raises(Invalid, match="header"):
        bank_io.import_items(rempart.banks, "B", io.StringIO("a,b\n1,2\n"), "csv")
    with pytest.raises(Invalid, match="format"):
        bank_io.import_items(rempart.banks, "B", io.StringIO(""), "xml")


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=300), st.sampled_from(["csv", "jsonl", "te"]))
def test_parser_fuzz_only_clear_errors(text: str, fmt: str) -> None:
    """Any text yields items or per-line messages (or Invalid for a bad header), never a crash."""
    try:
        for _line, item in bank_io.parse(io.StringIO(text), fmt):
            assert isinstance(item, (str, bank_io.Record))
    except Invalid:
        pass
