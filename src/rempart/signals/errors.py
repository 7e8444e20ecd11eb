"""The error raised for malformed signal strings (kept apart to avoid import cycles)."""

from __future__ import annotations


class SignalError(ValueError):
    """A signal value is malformed; the message says what a valid one looks like."""
