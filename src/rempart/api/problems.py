"""RFC 9457 problem details for every error the API returns."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from rempart.errors import RempartError
from rempart.media.errors import MediaError

PROBLEM = "application/problem+json"
TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    410: "Gone",
    413: "Content too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    500: "Internal server error",
    503: "Service unavailable",
}


def problem(status: int, detail: str, code: str | None = None, **extra: Any) -> JSONResponse:
    """A problem-detail response; ``type`` names a stable code clients can switch on."""
    slug = code or TITLES.get(status, "error").lower().replace(" ", "-")
    body: dict[str, Any] = {
        "type": f"https://rempart.dev/problems/{slug}",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "message": detail,  # HMA clients read {"message": ...}; kept on every error
    }
    if code:
        body["code"] = code
    body.update(extra)
    # Basic too: urllib and browsers send URL credentials (http://user:KEY@host/) only when
    # challenged, which is how an unchanged HMA client passes its key.
    challenge = 'ApiKey header="X-API-Key", Basic realm="rempart", charset="UTF-8"'
    headers = {"WWW-Authenticate": challenge} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


class ProblemError(Exception):
    """Raised by routes to answer with a problem detail."""

    def __init__(self, status: int, detail: str, code: str | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.code = code


def install(app: FastAPI) -> None:
    """Register handlers so no error leaves the API as anything but a problem detail."""

    @app.exception_handler(ProblemError)
    async def _problem(_: Request, exc: ProblemError) -> JSONResponse:
        return problem(exc.status, exc.detail, exc.code)

    @app.exception_handler(RempartError)
    async def _domain(_: Request, exc: RempartError) -> JSONResponse:
        return problem(exc.status, exc.detail, exc.code)

    @app.exception_handler(MediaError)
    async def _media(_: Request, exc: MediaError) -> JSONResponse:
        return problem(exc.status, exc.detail, exc.code)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))}
            for e in exc.errors()
        ]
        first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
        detail = f"{'.'.join(first['loc'])}: {first['msg']}" if first["loc"] else first["msg"]
        return problem(422, str(detail), "validation", errors=errors)

    @app.exception_handler(ValidationError)
    async def _model(_: Request, exc: ValidationError) -> JSONResponse:
        """A value a route passed on to a model was invalid (e.g. a query parameter)."""
        errors = [
            {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))}
            for e in exc.errors()
        ]
        first = errors[0] if errors else {"loc": [], "msg": "invalid value"}
        detail = f"{'.'.join(first['loc'])}: {first['msg']}" if first["loc"] else first["msg"]
        return problem(422, str(detail), "validation", errors=errors)

    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    async def _out_of_range(_: Request, exc: Exception) -> JSONResponse:
        """A number past what the database column holds (an id of 2**70): the client's error.

        Caught here once rather than bounding every id field: SQLite raises OverflowError and
        PostgreSQL a DataError, both before anything is written (the session rolls back).
        """
        return problem(422, "a number in the request is out of range", "out_of_range")

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem(exc.status_code, str(exc.detail))

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:  # pragma: no cover
        import structlog

        structlog.get_logger(__name__).exception("api.unexpected", error=repr(exc))
        return problem(500, "unexpected error; it has been logged", "internal")
