"""Generator guardrail: accuracy and time per check-request on the evaluation and held-out sets.

Run from the repository root (``make bench``). The held-out prompts were written after the
lexicon was frozen: their figure is the honest one. ``python bench/bench_genai.py FILE...``
measures other prompt sets instead (JSONL with ``prompt``, ``expect`` and ``image``).
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, ".")
from tests.provtools import encode, photo

from rempart.config import Settings
from rempart.context import Rempart
from rempart.genai.analysis import ImageFacts, analyse


def p95(values: list[float]) -> float:
    """The 95th percentile of a non-empty list."""
    return sorted(values)[int(0.95 * (len(values) - 1))]


def main() -> None:
    """Print accuracy (lexicon alone, then the full check) and timings for both prompt sets."""
    ctx = Rempart.open(Settings(home=Path(tempfile.mkdtemp())))
    face = encode(photo("astronaut"), "PNG")
    ctx.genai.check_request("warm up her", face)  # loads the models once
    print(f"{'set':15} {'n':>4} {'lexicon':>8} {'full':>8} {'analyse ms':>11} {'check ms':>9}")
    # other prompt sets (same JSONL fields: prompt, expect, image) may be named on the command line
    paths = [Path(a) for a in sys.argv[1:]] or [
        Path("tests/genai", n) for n in ("prompts.jsonl", "heldout.jsonl")
    ]
    for path in paths:
        name = path.name
        rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        lexicon_ms: list[float] = []
        check_ms: list[float] = []
        right_lexicon = right_full = 0
        wrong: list[tuple[str, str]] = []
        for r in rows:
            with_face = r["image"] == "face"
            t = time.perf_counter()
            a = analyse(r["prompt"], ImageFacts(face=True) if with_face else None)
            lexicon_ms.append((time.perf_counter() - t) * 1000)
            right_lexicon += ("refuse" if a.refused else "allow") == r["expect"]
            t = time.perf_counter()
            v = ctx.genai.check_request(r["prompt"], face if with_face else None)
            if not with_face:
                check_ms.append((time.perf_counter() - t) * 1000)
            if v.decision == r["expect"]:
                right_full += 1
            else:
                wrong.append((r["expect"], r["prompt"]))
        n = len(rows)
        print(
            f"{name:15} {n:4d} {right_lexicon / n:8.1%} {right_full / n:8.1%} "
            f"{statistics.median(lexicon_ms):5.2f}/{p95(lexicon_ms):5.2f} "
            f"{statistics.median(check_ms):4.1f}/{p95(check_ms):4.1f}"
        )
        for expect, prompt in wrong:
            print(f"    expected {expect}: {prompt}")
    print("(ms: median/p95; check = text-only check-request incl. backstop and recording)")
    ctx.close()


if __name__ == "__main__":
    main()
