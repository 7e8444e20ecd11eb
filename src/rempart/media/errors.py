"""Errors for media that cannot be accepted; each carries an HTTP status, a code and advice.

Status rule:

* 413 ``TooLarge``: the media exceeds a configured size bound that the user can fix by making it
  smaller: bytes (``too_large``) or video duration (``too_long``).
* 415 ``UnsupportedMedia``: not an allowed format, empty, mislabelled (the declared kind
  contradicts the bytes), or a polyglot (``Polyglot``: also readable as another format).
* 422 ``CorruptMedia``: bytes of an allowed format that cannot be decoded safely: truncated or
  corrupt (``corrupt``), or a decompression bomb, i.e. a header claiming more pixels than
  ``max_pixels`` / ``max_video_pixels`` (``too_many_pixels``), whoever detects it (we or Pillow).
"""

from __future__ import annotations

from rempart.errors import RempartError


class MediaError(RempartError):
    """Base of every media rejection: ``status``, machine ``code`` and a ``detail`` for the user."""

    status = 422
    code = "media_error"


class TooLarge(MediaError):
    """The media is bigger than the configured limits allow (bytes or duration)."""

    status = 413
    code = "too_large"


class UnsupportedMedia(MediaError):
    """Not an accepted format, empty, or mislabelled."""

    status = 415
    code = "unsupported_type"


class Polyglot(UnsupportedMedia):
    """The bytes are valid media and also another format (archive, executable, markup)."""

    code = "polyglot"


class CorruptMedia(MediaError):
    """An accepted format that cannot be decoded: truncated, corrupt, or a decompression bomb."""

    status = 422
    code = "corrupt"
