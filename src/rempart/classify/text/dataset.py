"""The labelled data the text policy is trained and evaluated on (shipped with the package).

``data/<lang>/<category>.jsonl``: one JSON object a line, ``{"text", "label" (1 = belongs to
the category), "kind" (positive, hard_negative, negative), "split" (train, test)}``.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Literal

from rempart.errors import Invalid

CATEGORIES = ("denial", "hate", "grooming", "threat")
KINDS = ("positive", "hard_negative", "negative")
SPLITS = ("train", "test")
Split = Literal["train", "test"]


def default_data_dir() -> Path:
    """The package's own data folder."""
    return Path(str(files("rempart.classify.text") / "data"))


@dataclass(frozen=True)
class Example:
    """One labelled text of one category file."""

    text: str
    label: int
    kind: str
    split: str
    lang: str
    category: str


def _parse(line: str, where: str, lang: str, category: str) -> Example:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise Invalid(f"{where}: not JSON ({exc.msg})") from None
    if not isinstance(obj, dict):
        raise Invalid(f"{where}: expected a JSON object")
    text, label, kind, split = obj.get("text"), obj.get("label"), obj.get("kind"), obj.get("split")
    if not isinstance(text, str) or not text.strip():
        raise Invalid(f"{where}: 'text' must be a non-empty string")
    if label not in (0, 1) or isinstance(label, bool):
        raise Invalid(f"{where}: 'label' must be 0 or 1")
    if kind not in KINDS:
        raise Invalid(f"{where}: 'kind' must be one of {', '.join(KINDS)}")
    if split not in SPLITS:
        raise Invalid(f"{where}: 'split' must be train or test")
    if (label == 1) != (kind == "positive"):
        raise Invalid(f"{where}: label 1 goes with kind 'positive' and label 0 with the others")
    return Example(text.strip(), int(label), str(kind), str(split), lang, category)


def load(data_dir: Path | None = None) -> list[Example]:
    """Every example under ``data_dir``, validated; a test text never also trains.

    A text found in both splits of a language (a copy or the same line in two categories'
    files) is kept in the test split only, so the figures stay honest.
    """
    root = data_dir or default_data_dir()
    if not root.is_dir():
        raise Invalid(f"no data folder at {root}")
    out: list[Example] = []
    seen: set[tuple[str, str, str]] = set()
    for lang_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        for category in CATEGORIES:
            path = lang_dir / f"{category}.jsonl"
            if not path.exists():
                continue
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if not line.strip():
                    continue
                ex = _parse(line, f"{path}:{n}", lang_dir.name, category)
                key = (ex.lang, ex.category, ex.text.casefold())
                if key in seen:
                    continue  # exact duplicate within a file
                seen.add(key)
                out.append(ex)
    test_texts = {(e.lang, e.text.casefold()) for e in out if e.split == "test"}
    return [e for e in out if e.split == "test" or (e.lang, e.text.casefold()) not in test_texts]


def counts(examples: list[Example]) -> dict[str, dict[str, dict[str, int]]]:
    """``{lang: {category: {"train": n, "test": n, "positive": n, ...}}}`` for reports."""
    tally: Counter[tuple[str, str, str]] = Counter()
    for e in examples:
        tally[(e.lang, e.category, e.split)] += 1
        tally[(e.lang, e.category, e.kind)] += 1
    out: dict[str, dict[str, dict[str, int]]] = {}
    for (lang, cat, key), n in sorted(tally.items()):
        out.setdefault(lang, {}).setdefault(cat, {})[key] = n
    return out
