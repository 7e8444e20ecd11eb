"""Reading uploads within the byte limit, before any decoding."""

from __future__ import annotations

from fastapi import UploadFile

from rempart.api.problems import ProblemError
from rempart.config import MediaLimits


def read_upload(upload: UploadFile, limits: MediaLimits) -> bytes:
    """The upload's bytes; 413 past ``max_bytes`` and 422 when empty."""
    data = upload.file.read(limits.max_bytes + 1)
    if len(data) > limits.max_bytes:
        raise ProblemError(
            413, f"file is larger than the {limits.max_bytes}-byte limit", "too_large"
        )
    if not data:
        raise ProblemError(422, "the uploaded file is empty", "empty")
    return data
