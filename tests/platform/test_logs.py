"""Logs a collector can read: UTC ISO 8601 times, LOG_LEVEL, and request ids a browser sees."""

import io
import json
import logging
import re
import time
from datetime import UTC, datetime

import pytest

from app.platform import logs
from app.platform.settings import SettingsError, load_settings
from tests.support.client import GraphQLClient
from tests.support.logs import written

SPA_ORIGIN = "https://spa.example.com"  # the origin tests/conftest.py's settings allow
ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def _logged(capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    return [json.loads(line) for line in written(capsys).splitlines()]


def test_the_time_is_iso_8601_in_utc_with_milliseconds(
    root_logger_restored: None, capsys: pytest.CaptureFixture[str]
) -> None:
    logs.configure()
    before = datetime.now(UTC).replace(microsecond=0)
    logging.getLogger("tests.logs").info("now")
    (line,) = _logged(capsys)
    stamp = line["time"]
    assert isinstance(stamp, str)
    assert ISO_UTC.match(stamp), stamp
    assert datetime.fromisoformat(stamp) >= before


def test_a_level_by_name_drops_what_is_below_it(
    root_logger_restored: None, capsys: pytest.CaptureFixture[str]
) -> None:
    logs.configure("WARNING")
    logger = logging.getLogger("tests.logs")
    logger.info("dropped")
    logger.warning("kept")
    assert [line["message"] for line in _logged(capsys)] == ["kept"]


def test_log_level_is_a_setting_read_in_any_case(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().log_level == "INFO"
    monkeypatch.setenv("LOG_LEVEL", "debug")
    assert load_settings().log_level == "DEBUG"
    monkeypatch.setenv("LOG_LEVEL", "loud")
    with pytest.raises(SettingsError, match="invalid setting LOG_LEVEL"):
        load_settings()


async def test_a_browser_may_send_and_read_the_request_id(api: GraphQLClient) -> None:
    preflight = await api.http.options(
        "/graphql",
        headers={
            "Origin": SPA_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Content-Type, X-Request-ID",
        },
    )
    assert preflight.status_code == 200
    assert "x-request-id" in preflight.headers["access-control-allow-headers"].lower()
    answered = await api.http.post(
        "/graphql",
        json={"query": "{ __typename }"},
        headers={"Origin": SPA_ORIGIN, "X-Request-ID": "spa-42"},
    )
    assert answered.headers["x-request-id"] == "spa-42"
    assert "x-request-id" in answered.headers["access-control-expose-headers"].lower()


def _line(name: str, message: str) -> logging.LogRecord:
    return logging.makeLogRecord({"name": name, "msg": message, "levelno": logging.INFO})


def _batched(stream: io.StringIO) -> logs.BatchedLines:
    handler = logs.BatchedLines(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(message)s"))
    return handler


def test_request_lines_wait_for_the_next_other_line_and_keep_their_order() -> None:
    stream = io.StringIO()
    handler = _batched(stream)
    try:
        for n in range(3):
            handler.handle(_line(logs.BATCHED, f"request {n}"))
        handler.handle(_line("uvicorn.error", "Shutting down"))
        assert stream.getvalue().splitlines() == [
            "app.requests request 0",
            "app.requests request 1",
            "app.requests request 2",
            "uvicorn.error Shutting down",
        ]
    finally:
        handler.close()


def test_a_request_line_alone_is_written_soon_and_at_close() -> None:
    stream, closing = io.StringIO(), io.StringIO()
    handler, closed = _batched(stream), _batched(closing)
    record = _line(logs.BATCHED, "request")
    handler.handle(record)
    closed.handle(record)
    closed.close()
    assert closing.getvalue() == "app.requests request\n"
    try:
        deadline = time.monotonic() + 10
        while not stream.getvalue() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert stream.getvalue() == "app.requests request\n"
    finally:
        handler.close()
