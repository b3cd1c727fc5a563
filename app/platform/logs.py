"""Structured logs: one JSON object per line on stdout."""

import logging
import sys

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


def quiet_driver(level: int) -> None:
    """Keep the driver above DEBUG, where it logs whole commands: prompts, summaries, facts."""
    logging.getLogger("pymongo").setLevel(max(level, logging.INFO))


def configure(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        JsonFormatter(
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
