"""Structured logs: one JSON object per line on stdout."""

import logging
import sys
from datetime import UTC, datetime

from pythonjsonlogger.json import JsonFormatter

from app.platform.requestlog import RequestIdFilter


def _drop_terminal_colours(record: logging.LogRecord) -> bool:
    record.__dict__.pop("color_message", None)  # uvicorn's ANSI copy of the message
    return True


def _drop_query_strings(record: logging.LogRecord) -> bool:
    # uvicorn's websocket (and access) lines print the path with its query string, where a
    # client may have put its key: only the part before "?" is logged.
    if record.name.startswith("uvicorn") and isinstance(record.args, tuple):
        record.args = tuple(
            arg.partition("?")[0] if isinstance(arg, str) and arg.startswith("/") else arg
            for arg in record.args
        )
    return True


class _JsonLines(JsonFormatter):
    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        # ISO 8601 in UTC with milliseconds, the form log collectors parse without being told.
        moment = datetime.fromtimestamp(record.created, UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def quiet_driver(level: int) -> None:
    """Keep the driver above DEBUG, where it logs whole commands: prompts, summaries, facts."""
    logging.getLogger("pymongo").setLevel(max(level, logging.INFO))


def configure(level: int | str = logging.INFO) -> None:
    """JSON lines on stdout at `level` (a number or a name such as "WARNING")."""
    if isinstance(level, str):
        level = logging.getLevelNamesMapping()[level]
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        _JsonLines(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
    )
    handler.addFilter(RequestIdFilter())
    handler.addFilter(_drop_terminal_colours)
    handler.addFilter(_drop_query_strings)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    quiet_driver(level)
