"""Domain errors shared by services; adapters turn them into problem details or CLI messages."""

from __future__ import annotations


class RempartError(Exception):
    """Base of expected, user-facing errors: carries an HTTP status and a stable code."""

    status: int = 400
    code: str = "bad_request"

    def __init__(self, detail: str, *, code: str | None = None, status: int | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status


class NotFound(RempartError):
    """The named thing does not exist."""

    status = 404
    code = "not_found"


class Conflict(RempartError):
    """The request clashes with existing state (e.g. a duplicate name)."""

    status = 409
    code = "conflict"


class Invalid(RempartError):
    """The request is well-formed but its values are not acceptable."""

    status = 422
    code = "invalid"
