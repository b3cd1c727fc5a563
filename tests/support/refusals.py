"""Checks that a refused request was refused cleanly: coded, traceable, and quiet in the log."""

import logging
from typing import Any

import httpx
import pytest

from app.platform.database import MongoDatabase


def assert_quiet(caplog: pytest.LogCaptureFixture) -> None:
    """Nothing was logged as an error: no traceback, no "unexpected error"."""
    loud = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert loud == [], [(record.name, record.getMessage()) for record in loud]
    assert "Traceback" not in caplog.text
    assert "unexpected error" not in caplog.text.lower()


def bad_request(response: httpx.Response) -> str:
    """The message of a 400 answered in GraphQL's error shape with code BAD_REQUEST."""
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    assert list(body) == ["errors"], body
    (error,) = body["errors"]
    assert set(error) == {"message", "extensions"}, error
    request_id = response.headers["x-request-id"]
    assert error["extensions"] == {"code": "BAD_REQUEST", "requestId": request_id}
    message: str = error["message"]
    assert "Traceback" not in message
    return message


def bad_user_input(response: httpx.Response) -> str:
    """The message of the one GraphQL error, code BAD_USER_INPUT, of a query that got no data."""
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["data"] is None, body
    (error,) = body["errors"]
    request_id = response.headers["x-request-id"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "requestId": request_id}, error
    message: str = error["message"]
    assert message != "Unexpected error."
    return message


async def personas_stored(database: MongoDatabase) -> int:
    return await database["personas"].count_documents({})
