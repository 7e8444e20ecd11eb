"""Training the text policy: embeddings (cached on disk), one logistic regression per
category, calibration and thresholds chosen by cross-validation on the train split only.

Used by ``rempart text train`` and the tests; needs scikit-learn, which inference does not.
The result is one linear model per category over the embedding (standardisation and the
Platt calibration folded into the weights), written as a small JSON file.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rempart.classify.text import embed as emb
from rempart.classify.text.dataset import CATEGORIES, Example

TARGET_PRECISION = 0.9  # thresholds: the most recall at this cross-validated precision
RECALL_SLACK = 0.02  # recall given up for a higher, safer threshold
FOLDS = 5
C = 0.1  # inverse L2 strength (standardised features); picked by cross-validation on train
FORMAT = 1
Progress = Callable[[int, int], None]  # (done, total)


class EmbeddingCache:
    """Embeddings of training texts on disk, keyed by model and text; training only."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.rows: dict[str, NDArray[np.float32]] = {}
        if path is not None and path.exists():
            try:
                with np.load(path) as z:
                    keys, vecs = z["keys"], z["vecs"]
                self.rows = {str(k): v for k, v in zip(keys, vecs, strict=True)}
            except (OSError, ValueError, KeyError):
                self.rows = {}  # unreadable: rebuilt

    @staticmethod
    def key(text: str) -> str:
        """Model version, prefix and text, hashed."""
        raw = f"{emb.model_version()}\0query: \0{text}".encode()
        return hashlib.sha256(raw).hexdigest()

    def embed(
        self, texts: Sequence[str], progress: Progress | None = None, batch: int = 32
    ) -> NDArray[np.float32]:
        """Embeddings for ``texts``, computing only the ones not cached yet."""
        prepared = [emb.prepare(t).text for t in texts]
        keys = [self.key(t) for t in prepared]
        missing = {k: t for k, t in zip(keys, prepared, strict=True) if k not in self.rows}
        todo = sorted(missing.items())
        if progress:
            progress(0, len(todo))
        for start in range(0, len(todo), batch):
            chunk = todo[start : start + batch]
            vecs = emb.embed([t for _, t in chunk])
            for (k, _), v in zip(chunk, vecs, strict=True):
                self.rows[k] = v
            if progress:
                progress(min(start + batch, len(todo)), len(todo))
        if todo:
            self.save()
        if not keys:
            return np.zeros((0, emb.DIM), np.float32)
        return np.stack([self.rows[k] for k in keys])

    def save(self) -> None:
        """Write the cache atomically."""
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        keys = sorted(self.rows)
        tmp = self.path.with_suffix(".tmp.npz")
        np.savez(tmp, keys=np.array(keys), vecs=np.stack([self.rows[k] for k in keys]))
        tmp.replace(self.path)


# Whose positives teach each category what it is *not*. Hate positives are not denial, but
# denial is often hateful, so denial positives are no hate negatives; a threat may be hateful
# and a hateful post may threaten, so those two do not teach each other either.
NEGATIVES_FROM: dict[str, tuple[str, ...]] = {
    "denial": ("hate", "grooming", "threat"),
    "hate": ("grooming",),
    "grooming": ("denial", "hate", "threat"),
    "threat": ("denial", "grooming"),
}


def training_set(examples: Sequence[Example], category: str) -> tuple[list[str], list[int]]:
    """Train-split texts for one category: its own file, every file's negatives, and the
    positives of the categories in ``NEGATIVES_FROM`` as negatives."""
    texts: list[str] = []
    labels: list[int] = []
    seen: dict[tuple[str, str], int] = {}
    borrowed = NEGATIVES_FROM.get(category, ())
    for e in examples:
        if e.split != "train":
            continue
        own = e.category == category
        if not own and e.label == 1 and e.category not in borrowed:
            continue
        label = e.label if own else 0
        key = (e.lang, e.text.casefold())
        if key in seen:
            if label:  # the same text also in this category's own file, as a positive
                labels[seen[key]] = 1
            continue
        seen[key] = len(texts)
        texts.append(e.text)
        labels.append(label)
    return texts, labels


def choose_threshold(
    y: NDArray[np.int64], p: NDArray[np.float64], target: float = TARGET_PRECISION
) -> tuple[float, dict[str, float]]:
    """The threshold for high precision with good recall, on out-of-fold scores.

    Among thresholds reaching ``target`` precision, the highest one whose recall is within
    ``RECALL_SLACK`` of the best recall there (a margin against new phrasing, for almost no
    recall); if the target is unreachable, the best F0.5. Returns the threshold with the
    precision, recall and F1 it gives.
    """
    positives = max(int(y.sum()), 1)
    rows: list[tuple[float, float, float]] = []  # (threshold, precision, recall)
    for t in np.unique(np.round(p, 4)):
        pred = p >= t
        tp = int((pred & (y == 1)).sum())
        fp = int((pred & (y == 0)).sum())
        if tp:
            rows.append((float(t), tp / (tp + fp), tp / positives))
    ok = [r for r in rows if r[1] >= target]
    if ok:
        best_recall = max(r[2] for r in ok)
        threshold = max(r[0] for r in ok if r[2] >= best_recall - RECALL_SLACK)
    elif rows:
        threshold = max(rows, key=lambda r: (1.25 * r[1] * r[2] / (0.25 * r[1] + r[2]), r[0]))[0]
    else:
        threshold = 0.5
    pred = p >= threshold
    tp = int((pred & (y == 1)).sum())
    fp = int((pred & (y == 0)).sum())
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / positives
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return threshold, {"precision": round(prec, 4), "recall": round(rec, 4), "f1": round(f1, 4)}


def fit_category(x: NDArray[np.float32], y: NDArray[np.int64], seed: int = 0) -> dict[str, Any]:
    """Logistic regression on standardised embeddings, Platt-calibrated on out-of-fold
    scores, the threshold chosen on those calibrated scores; returned folded into (w, b)."""
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]
    from sklearn.model_selection import StratifiedKFold  # type: ignore[import-untyped]

    def fit(xs: NDArray[np.float64], ys: NDArray[np.int64]) -> tuple[NDArray[np.float64], float]:
        mean, scale = xs.mean(axis=0), xs.std(axis=0) + 1e-6
        lr = LogisticRegression(C=C, max_iter=5000)
        lr.fit((xs - mean) / scale, ys)
        w = lr.coef_[0] / scale
        return w, float(lr.intercept_[0] - (w * mean).sum())

    x64 = x.astype(np.float64)
    folds = min(FOLDS, int(y.sum()), int((1 - y).sum()))
    if folds < 2:
        raise ValueError("a category needs at least two positive and two negative examples")
    oof = np.zeros(len(y))
    for tr, te in StratifiedKFold(folds, shuffle=True, random_state=seed).split(x64, y):
        w, b = fit(x64[tr], y[tr])
        oof[te] = x64[te] @ w + b
    platt = LogisticRegression(C=1e4, max_iter=5000).fit(oof.reshape(-1, 1), y)
    a, c = float(platt.coef_[0][0]), float(platt.intercept_[0])
    p_oof = 1.0 / (1.0 + np.exp(-(a * oof + c)))
    threshold, cv = choose_threshold(y, p_oof)
    w, b = fit(x64, y)
    return {
        "weights": [round(float(v), 7) for v in a * w],
        "bias": round(a * b + c, 7),
        "threshold": round(threshold, 4),
        "cv": cv | {"folds": folds, "train": len(y), "train_positive": int(y.sum())},
    }


def train(
    examples: Sequence[Example],
    cache: EmbeddingCache | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """The model document for ``examples`` (deterministic: same data, same weights)."""
    cache = cache or EmbeddingCache(None)
    train_texts = sorted({e.text for e in examples if e.split == "train"})
    vecs = cache.embed(train_texts, progress)
    row = {t: i for i, t in enumerate(train_texts)}
    cats: dict[str, Any] = {}
    for category in CATEGORIES:
        texts, labels = training_set(examples, category)
        y = np.array(labels, dtype=np.int64)
        if not texts or y.sum() < 2:
            continue
        cats[category] = fit_category(vecs[[row[t] for t in texts]], y)
    if not cats:
        raise ValueError("no category has enough training data (need positives and negatives)")
    langs = sorted({e.lang for e in examples})
    return {
        "format": FORMAT,
        "model": emb.MODEL_NAME,
        "embedding": emb.model_version(),
        "prefix": "query: ",
        "target_precision": TARGET_PRECISION,
        "languages": langs,
        "train_examples": len(train_texts),
        "categories": cats,
    }


def write_model(doc: dict[str, Any], path: Path) -> str:
    """Write the model document (stable bytes) and return its version hash."""
    data = (json.dumps(doc, sort_keys=True, separators=(",", ":")) + "\n").encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return hashlib.sha256(data).hexdigest()[:12]
