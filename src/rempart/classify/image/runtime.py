"""Shared plumbing of the image models: lazy thread-safe loading and ONNX Runtime sessions.

Models load on first use, once per process, under a lock, so that importing Rempart or
building the context costs nothing and concurrent scans never load a model twice. Sessions
run on the CPU with a small, fixed thread count: a server scans many items at once, and one
item grabbing every core only slows the others down.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from importlib import import_module
from pathlib import Path
from typing import Any, Generic, TypeVar

T = TypeVar("T")
DEFAULT_THREADS = 1  # intra-op threads per model session (see ImageClassifiers(threads=...))


class Lazy(Generic[T]):
    """A value built by ``factory`` on first ``get()``, exactly once, whatever the threads."""

    def __init__(self, factory: Callable[[], T]) -> None:
        self._factory = factory
        self._value: T | None = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        """Whether the value was built already."""
        return self._value is not None

    def get(self) -> T:
        """The value, built now if this is the first call (double-checked under the lock)."""
        value = self._value
        if value is None:
            with self._lock:
                value = self._value
                if value is None:
                    value = self._value = self._factory()
        return value


def onnx_session(path: Path, threads: int) -> Any:
    """A CPU ONNX Runtime session on ``path`` with ``threads`` intra-op threads.

    ``InferenceSession.run`` is thread-safe, so one session serves every scan.
    """
    ort: Any = import_module("onnxruntime")
    options = ort.SessionOptions()
    options.intra_op_num_threads = max(1, threads)
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])
