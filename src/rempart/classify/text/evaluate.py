"""Precision, recall and F1 of the text policy on the held-out test split, per category and
language: what ``rempart text eval``, ``make bench`` and the transparency report show."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rempart.classify.text.dataset import Example, counts
from rempart.classify.text.service import TextClassifier
from rempart.classify.text.train import NEGATIVES_FROM


def default_metrics_path() -> Path:
    """Where the metrics the transparency report reads are kept, next to the data."""
    from rempart.classify.text.dataset import default_data_dir

    return default_data_dir() / "metrics.json"


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4)}


def evaluate(clf: TextClassifier, examples: Sequence[Example], batch: int = 64) -> dict[str, Any]:
    """Metrics over each category file's test split, plus hard-negative false positives."""
    test = [e for e in examples if e.split == "test" and e.category in clf.categories]
    start = time.perf_counter()
    flagged: list[set[str]] = []
    for i in range(0, len(test), batch):
        flagged += [
            set(r.flagged) for r in clf.classify_many([e.text for e in test[i : i + batch]])
        ]
    ms = (time.perf_counter() - start) * 1000 / max(len(test), 1)
    cells: dict[tuple[str, str], list[int]] = {}  # (lang, cat) -> tp, fp, fn, tn, hn, hn_fp
    for e, f in zip(test, flagged, strict=True):
        for key in ((e.lang, e.category), ("all", e.category)):
            c = cells.setdefault(key, [0, 0, 0, 0, 0, 0])
            hit = e.category in f
            c[0 if hit and e.label else 1 if hit else 2 if e.label else 3] += 1
            if e.kind == "hard_negative":
                c[4] += 1
                c[5] += int(hit)
    # other categories' positives wrongly flagged (e.g. a hateful post called denial)
    cross: dict[tuple[str, str], list[int]] = {}  # (lang, category) -> [seen, flagged]
    for e, f in zip(test, flagged, strict=True):
        if e.label != 1:
            continue
        for cat, sources in NEGATIVES_FROM.items():
            if e.category in sources and cat in clf.categories:
                for key in ((e.lang, cat), ("all", cat)):
                    c2 = cross.setdefault(key, [0, 0])
                    c2[0] += 1
                    c2[1] += int(cat in f)
    results: dict[str, dict[str, Any]] = {}
    for (lang, cat), (tp, fp, fn, tn, hn, hn_fp) in sorted(cells.items()):
        results.setdefault(lang, {})[cat] = _prf(tp, fp, fn) | {
            "test": tp + fp + fn + tn,
            "positive": tp + fn,
            "tp": tp,
            "fp": fp,
            "fn": fn,
            "tn": tn,
            "hard_negative": hn,
            "hard_negative_flagged": hn_fp,
            "other_positive": cross.get((lang, cat), [0, 0])[0],
            "other_positive_flagged": cross.get((lang, cat), [0, 0])[1],
        }
    return {
        "model": clf.model,
        "version": clf.version,
        "thresholds": clf.thresholds,
        "split": "test",
        "ms_per_text": round(ms, 2),
        "results": results,
        "data": counts(list(examples)),
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def write_metrics(metrics: dict[str, Any], path: Path | None = None) -> Path:
    """Write metrics.json (read by the transparency report's automated-means section)."""
    target = path or default_metrics_path()
    target.write_text(json.dumps(metrics, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return target
