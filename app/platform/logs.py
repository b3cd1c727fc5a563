"""Structured logs: one JSON object per line on stdout."""

import logging
import sys
import threading
from datetime import UTC, datetime
from typing import TextIO

from pythonjsonlogger.json import JsonFormatter

from app.platform import requestlog
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
    _second = -1.0
    _stamp = ""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        # ISO 8601 in UTC with milliseconds, the form log collectors parse without being told.
        # The part up to the second is made once a second: most lines share it.
        second, fraction = divmod(record.created, 1)
        if second != self._second:
            moment = datetime.fromtimestamp(second, UTC)
            self._second, self._stamp = second, moment.strftime("%Y-%m-%dT%H:%M:%S.")
        return f"{self._stamp}{int(fraction * 1000):03d}Z"


# How long a request's INFO line may wait to be written with others. Every other line is
# written at once, with whatever waits: a process that ends by a re-raised signal (uvicorn's
# workers do) then loses nothing it logged about starting or stopping.
FLUSH_SECONDS = 0.1
BATCHED = requestlog.logger.name
_BATCH = 256  # lines written together at most


class BatchedLines(logging.StreamHandler[TextIO]):
    """Writes lines in batches: one write and flush per request line cost a few percent of a
    small request's time (a system call each), and a busy server logs a line per request."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__(stream)
        self._waiting: list[str] = []
        self._stopped = threading.Event()
        threading.Thread(target=self._keep_flushed, name="log-lines", daemon=True).start()

    def emit(self, record: logging.LogRecord) -> None:  # called with the handler's lock held
        try:
            self._waiting.append(self.format(record) + self.terminator)
        except Exception:
            self.handleError(record)
            return
        if record.name != BATCHED or record.levelno > logging.INFO or len(self._waiting) >= _BATCH:
            self._write()

    def flush(self) -> None:
        self.acquire()
        try:
            self._write()
        finally:
            self.release()

    def close(self) -> None:
        self._stopped.set()
        self.flush()
        super().close()

    def _write(self) -> None:
        if not self._waiting:
            return
        text = "".join(self._waiting)
        self._waiting.clear()
        try:
            self.stream.write(text)
            self.stream.flush()
        except Exception:
            pass  # a closed or broken stdout: nothing better to do with a log line

    def _keep_flushed(self) -> None:
        while not self._stopped.wait(FLUSH_SECONDS):
            self.flush()


def quiet_driver(level: int) -> None:
    """Keep the driver above DEBUG, where it logs whole commands: prompts, summaries, facts."""
    logging.getLogger("pymongo").setLevel(max(level, logging.INFO))


def configure(level: int | str = logging.INFO) -> None:
    """JSON lines on stdout at `level` (a number or a name such as "WARNING")."""
    if isinstance(level, str):
        level = logging.getLevelNamesMapping()[level]
    handler = BatchedLines(sys.stdout)
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
    for replaced in root.handlers:
        if isinstance(replaced, BatchedLines):
            replaced.close()
    root.handlers[:] = [handler]
    root.setLevel(level)
    quiet_driver(level)
