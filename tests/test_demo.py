"""The demo banks generated images and finds every transformed copy, and nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest

from rempart.config import Settings
from rempart.context import Rempart
from rempart.demo import BANK, NEGATIVE, prepare


def test_demo_matches_transformed_copies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ctx = Rempart.open(Settings(home=tmp_path), load_index=False)
    try:
        files = prepare(ctx, tmp_path / "scan")
        ctx.matcher.load()
        for path, what in files:
            res = ctx.scanner.scan(path.read_bytes())
            if what.startswith("known"):
                assert [m.bank for m in res.matches] == [BANK], what
            elif what.startswith("in both"):
                assert res.matches == [] and res.negative_hits[0].bank == NEGATIVE
            elif what.startswith("Stable Diffusion"):
                assert res.provenance is not None and res.provenance.ai_generated == "yes"
                assert res.provenance.generator and not res.matches
            else:
                assert not res.matches and not res.suppressed, what
    finally:
        ctx.close()
