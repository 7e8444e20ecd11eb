"""Structured logs on stderr (JSON by default), so command output on stdout stays parseable."""

from __future__ import annotations

import logging
import sys

import structlog


def _stderr_logger(*_args: object) -> structlog.PrintLogger:
    """A logger on whatever ``sys.stderr`` is now (test runners swap it per command)."""
    return structlog.PrintLogger(sys.stderr)


def configure_logging(json_logs: bool = True, level: int = logging.INFO) -> None:
    """Send structlog events to stderr: JSON lines, or readable text when ``json_logs`` is off."""
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer() if json_logs else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=_stderr_logger,
        cache_logger_on_first_use=False,
    )
