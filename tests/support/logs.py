"""Reading what app.platform.logs.configure() writes to a captured stdout."""

import contextlib
import logging
from collections.abc import Iterator

import pytest


@contextlib.contextmanager
def root_logger_kept() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        yield
    finally:
        for handler in root.handlers:
            if handler not in handlers:
                handler.close()
        root.handlers[:] = handlers
        root.setLevel(level)


def written(capsys: pytest.CaptureFixture[str]) -> str:
    """What was logged so far: lines wait up to FLUSH_SECONDS to be written, unless flushed."""
    for handler in logging.getLogger().handlers:
        handler.flush()
    return capsys.readouterr().out
