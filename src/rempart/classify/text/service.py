"""The text policy classifier at run time: numpy only, over the shipped weights.

Scores are calibrated probabilities (0..1) per category; a category is flagged when its score
reaches the threshold chosen at training time for high precision. The model never decides on
its own: its facts feed the policy, which sends flagged text to review or acts as written.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, Field

from rempart.classify.text import embed as emb
from rempart.classify.text.dataset import CATEGORIES
from rempart.classify.text.lang import UNDETERMINED, check_lang, detect
from rempart.errors import RempartError

NAME = "text_policy"


def default_weights_path() -> Path:
    """The weights shipped with the package (written by ``rempart text train``)."""
    return Path(str(files("rempart.classify.text") / "model" / "weights.json"))


class TextModelMissing(RempartError):
    """No trained weights: the package was built without running ``rempart text train``."""

    status = 503
    code = "text_model_missing"


class TextReport(BaseModel):
    """What the text policy saw in one text: a calibrated score per category."""

    name: str = NAME
    model: str
    version: str
    language: str = Field(description="given by the caller, else detected (en/fr/es/de/und)")
    language_detected: bool
    scores: dict[str, float]
    thresholds: dict[str, float]
    flagged: list[str]
    truncated: bool = Field(False, description="longer than the model's 512 tokens: cut")
    tokens: int
    timings_ms: dict[str, float] = Field(default_factory=dict)

    def facts(self) -> dict[str, dict[str, str | float]]:
        """``{"text_<category>": {"score", "model", "version"}}`` for the policy engine."""
        return {
            f"text_{c}": {"score": s, "model": self.model, "version": self.version}
            for c, s in self.scores.items()
        }


class TextClassifier:
    """One linear model per category over multilingual-e5-small embeddings."""

    def __init__(self, weights_path: Path) -> None:
        try:
            raw = weights_path.read_bytes()
        except FileNotFoundError:
            raise TextModelMissing(
                f"no text policy weights at {weights_path}; run `rempart text train`"
            ) from None
        doc: dict[str, Any] = json.loads(raw)
        self.path = weights_path
        self.version = hashlib.sha256(raw).hexdigest()[:12]
        self.model = f"{doc['model']} ({doc['embedding']}) + logistic regression"
        self.categories = [c for c in CATEGORIES if c in doc["categories"]]
        cats = doc["categories"]
        self.w = np.array([cats[c]["weights"] for c in self.categories], dtype=np.float64).T
        self.b = np.array([cats[c]["bias"] for c in self.categories], dtype=np.float64)
        self.thresholds = {c: float(cats[c]["threshold"]) for c in self.categories}
        self.doc = doc
        emb.load()

    @classmethod
    def default(cls) -> TextClassifier:
        """The shipped model, loaded once per process."""
        return _default(default_weights_path())

    def scores(self, vecs: np.ndarray) -> np.ndarray:
        """Calibrated probabilities, one row per embedding, one column per category."""
        z = np.asarray(vecs, dtype=np.float64) @ self.w + self.b
        out: np.ndarray = 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))
        return out

    def classify(self, text: str, lang: str | None = None) -> TextReport:
        """Score one text (empty is an error; past 512 tokens it is cut, and says so)."""
        return self.classify_many([text], lang)[0]

    def classify_many(self, texts: Sequence[str], lang: str | None = None) -> list[TextReport]:
        """Score several texts in one batch (faster per text than one by one)."""
        code = check_lang(lang)
        start = time.perf_counter()
        prepared = [emb.prepare(t) for t in texts]
        vecs = emb.embed([p.text for p in prepared])
        embed_ms = (time.perf_counter() - start) * 1000 / max(len(texts), 1)
        probs = self.scores(vecs)
        out = []
        for p, row in zip(prepared, probs, strict=True):
            scores = {c: round(float(s), 4) for c, s in zip(self.categories, row, strict=True)}
            language = code or detect(p.text)
            out.append(
                TextReport(
                    model=self.model,
                    version=self.version,
                    language=language,
                    language_detected=code is None,
                    scores=scores,
                    thresholds=self.thresholds,
                    flagged=[c for c in self.categories if scores[c] >= self.thresholds[c]],
                    truncated=p.truncated,
                    tokens=p.tokens,
                    timings_ms={"embed": round(embed_ms, 2)},
                )
            )
        return out


@lru_cache(maxsize=4)
def _default(path: Path) -> TextClassifier:
    return TextClassifier(path)


__all__ = ["NAME", "UNDETERMINED", "TextClassifier", "TextModelMissing", "TextReport"]
