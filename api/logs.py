"""Log lines: JSON when standard error is not a terminal, each carrying its request's id.

The same configuration serves uvicorn's loggers, the service's and the
libraries', in every worker (``serve`` hands it to uvicorn) and in ``project``.
"""

from __future__ import annotations

import logging
import logging.config
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

import msgspec

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)

# What every LogRecord has; anything else on a record was passed as ``extra=``.
STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {
    "message",
    "asctime",
    "request_id",
    "color_message",  # uvicorn's, for terminals
}
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


class RequestIdFilter(logging.Filter):
    """Puts the id of the request being handled (or ``-``) on every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get() or "-"
        return True


# Control characters as escapes in text lines: a CR or LF in a path, say, would
# otherwise forge a line of its own on a terminal. (JSON lines escape them already.)
CONTROL = {c: f"\\x{c:02x}" for c in [*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x2029]}


class TextFormatter(logging.Formatter):
    """The text line of a terminal, with control characters in its message escaped."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        escaped = {**record.__dict__, "message": record.message.translate(CONTROL)}
        return super().formatMessage(logging.makeLogRecord(escaped))


class JSONFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, pid, message, request id and the extras."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "pid": record.process,  # which worker
            "message": record.getMessage(),
        }
        if (rid := getattr(record, "request_id", "-")) != "-":
            line["request_id"] = rid
        line.update((k, v) for k, v in record.__dict__.items() if k not in STANDARD)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return msgspec.json.encode(line, enc_hook=str).decode()


def logging_config(json: bool | None = None) -> dict[str, Any]:
    """The dictConfig for the process: JSON lines unless standard error is a terminal."""
    if json is None:
        json = not sys.stderr.isatty()
    formatter = {"()": JSONFormatter} if json else {"()": TextFormatter, "format": TEXT_FORMAT}
    handler = {
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stderr",
        "formatter": "clientes",
        "filters": ["request_id"],
    }
    quiet = {"handlers": [], "propagate": True}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"clientes": formatter},
        "handlers": {"stderr": handler},
        "root": {"handlers": ["stderr"], "level": "INFO"},
        # uvicorn's own loggers pass their lines to the root's handler, and its
        # access log stays off: the service writes one access line per request.
        "loggers": {
            "uvicorn": quiet,
            "uvicorn.error": quiet,
            "uvicorn.access": {**quiet, "level": "WARNING"},
        },
    }


def configure() -> None:
    logging.config.dictConfig(logging_config())
