"""Structured logs: one JSON object per line on stdout."""

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

from app.platform.requestlog import RequestIdFilter


def _drop_terminal_colours(record: logging.LogRecord) -> bool:
    record.__dict__.pop("color_message", None)  # uvicorn's ANSI copy of the message
    return True


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
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
