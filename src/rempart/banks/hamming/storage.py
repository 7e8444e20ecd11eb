"""Saving and loading segments as plain ``.npy`` files (no pickles), atomically.

A saved index is a directory holding version folders and a ``CURRENT`` file naming the live one.
A save writes a new version folder, fsyncs it, then replaces ``CURRENT`` with ``os.replace``: a
crash at any point leaves either the old or the new version readable, never a mix.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Any, Literal

import numpy as np

from rempart.banks.hamming.bits import I64
from rempart.banks.hamming.layout import Layout
from rempart.banks.hamming.segment import Segment

FORMAT = 1
_ARRAYS = ("codes", "ids", "bank_codes", "bank_values", "offsets", "postings")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def save(directory: Path, segments: list[tuple[Segment, I64]], meta: dict[str, Any]) -> Path:
    """Write ``segments`` with their dead rows as a new version of ``directory``; return it."""
    directory.mkdir(parents=True, exist_ok=True)
    name = f"v-{uuid.uuid4().hex}"
    tmp = directory / f"{name}.tmp"
    tmp.mkdir()
    described = []
    for i, (seg, dead) in enumerate(segments):
        arrays = dict(zip(_ARRAYS, (getattr(seg, a) for a in _ARRAYS), strict=True))
        arrays["dead"] = dead
        for key, value in arrays.items():
            path = tmp / f"s{i}.{key}.npy"
            np.save(path, np.ascontiguousarray(value), allow_pickle=False)
            _fsync(path)
        layout = seg.layout
        described.append(
            {
                "rows": len(seg),
                "tables": layout.tables if layout else 0,
                "bits": layout.bits if layout else 0,
                "build_seconds": seg.build_seconds,
            }
        )
    (tmp / "meta.json").write_text(
        json.dumps({"format": FORMAT, "segments": described, "meta": meta}), encoding="utf-8"
    )
    _fsync(tmp / "meta.json")
    tmp.rename(directory / name)
    pointer = directory / f"CURRENT.{name}.tmp"
    pointer.write_text(name, encoding="utf-8")
    _fsync(pointer)
    os.replace(pointer, directory / "CURRENT")
    _fsync(directory)
    for old in directory.iterdir():
        if old.is_dir() and old.name.startswith("v-") and old.name != name:
            shutil.rmtree(old, ignore_errors=True)
    return directory / name


def load(directory: Path, mmap: bool) -> tuple[list[tuple[Segment, I64]], dict[str, Any]]:
    """Read the current version of ``directory`` (memory-mapped read-only when ``mmap``)."""
    try:
        name = (directory / "CURRENT").read_text(encoding="utf-8").strip()
        version = directory / name
        info = json.loads((version / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"{directory} does not hold a saved Hamming index: {exc}") from exc
    if info.get("format") != FORMAT:
        raise ValueError(f"{version}: unsupported index format {info.get('format')!r}")
    mode: Literal["r"] | None = "r" if mmap else None
    segments: list[tuple[Segment, I64]] = []
    for i, desc in enumerate(info["segments"]):
        arrays = {
            key: np.load(version / f"s{i}.{key}.npy", mmap_mode=mode, allow_pickle=False)
            for key in (*_ARRAYS, "dead")
        }
        layout = Layout(desc["tables"], desc["bits"]) if desc["tables"] else None
        seg = Segment(
            arrays["codes"],
            arrays["ids"],
            arrays["bank_codes"],
            arrays["bank_values"],
            layout,
            arrays["offsets"],
            arrays["postings"],
            float(desc["build_seconds"]),
        )
        _check(seg, desc["rows"], version)
        segments.append((seg, arrays["dead"]))
    return segments, dict(info.get("meta") or {})


def _check(seg: Segment, rows: int, version: Path) -> None:
    """Reject files that do not fit together (truncated or mixed-up saves)."""
    ok = seg.codes.shape == (rows, 4) and seg.codes.dtype == np.uint64
    ok = ok and seg.ids.shape == (rows,) and seg.bank_codes.shape == (rows,)
    if seg.layout is not None:
        ok = ok and seg.postings.shape == (seg.layout.tables * rows,)
        ok = ok and seg.offsets.shape == (seg.layout.tables * seg.layout.buckets + 1,)
    if not ok:
        raise ValueError(f"{version}: index files are inconsistent; rebuild the index")
