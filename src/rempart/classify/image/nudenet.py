"""``nudenet`` (optional extra): NudeNet 3's body-part detector, only when it is installed.

NudeNet is not a Rempart dependency: the files its wheel ships (``320n.onnx``, a YOLOv8
derivative) are under AGPL-3.0, whatever its metadata says, which obliges anyone offering a
network service with it to publish their source. An operator who accepts that installs it
(``pip install nudenet``) and the ``nudenet`` fact appears; otherwise nothing here is imported.
Score: the highest confidence among the exposed sexual body parts it detects (breasts,
genitalia, buttocks, anus). Not tested in Rempart's suite (the package is not installed there).
"""

from __future__ import annotations

import importlib.util
from importlib import import_module, metadata
from typing import Any

import numpy as np
from PIL import Image

from rempart.classify.image.runtime import Lazy

THRESHOLD = 0.5
EXPOSED = frozenset({
    "FEMALE_BREAST_EXPOSED", "FEMALE_GENITALIA_EXPOSED", "MALE_GENITALIA_EXPOSED",
    "BUTTOCKS_EXPOSED", "ANUS_EXPOSED",
})  # fmt: skip


def available() -> bool:
    """Whether the nudenet package is installed (it is never installed by Rempart)."""
    return importlib.util.find_spec("nudenet") is not None


class NudeNetClassifier:
    """Highest exposed-body-part confidence from NudeNet's detector."""

    name = "nudenet"
    model = "nudenet 320n.onnx (AGPL-3.0)"

    def __init__(self, *, threshold: float = THRESHOLD) -> None:
        self.threshold = threshold
        self._detector: Lazy[Any] = Lazy(lambda: import_module("nudenet").NudeDetector())

    @property
    def version(self) -> str:
        """The installed nudenet version."""
        return metadata.version("nudenet")

    def load(self) -> None:
        """Load the detector now."""
        self._detector.get()

    def score(self, image: Image.Image) -> tuple[float, dict[str, Any]]:
        """Top exposed-part confidence and the parts found, for an RGB image."""
        bgr = np.ascontiguousarray(np.asarray(image.convert("RGB"))[:, :, ::-1])
        found = self._detector.get().detect(bgr)
        parts = sorted({str(d["class"]) for d in found if d["class"] in EXPOSED})
        top = max((float(d["score"]) for d in found if d["class"] in EXPOSED), default=0.0)
        return top, {"parts": parts}
