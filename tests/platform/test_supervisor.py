"""The embedded database under supervision: restarted on its port after a crash, with backoff."""

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pymongo import MongoClient

from app.platform.embedded import EmbeddedDatabase
from app.platform.supervisor import DatabaseSupervisor
from tests.support.outages import daemon_pid, eventually, kill_database, restarted


@pytest.fixture
def supervised(tmp_path: Path) -> Iterator[DatabaseSupervisor]:
    supervisor = DatabaseSupervisor(EmbeddedDatabase(tmp_path), first_delay=0.2, max_delay=0.4)
    supervisor.start()
    try:
        yield supervisor
    finally:
        supervisor.stop()


def _client(uri: str) -> "MongoClient[dict[str, Any]]":
    return MongoClient(uri, serverSelectionTimeoutMS=10_000)


def test_a_killed_database_is_restarted_on_its_port_with_its_data(
    supervised: DatabaseSupervisor, caplog: pytest.LogCaptureFixture
) -> None:
    uri = supervised.database.uri
    with _client(uri) as client:
        client.app.things.insert_one({"_id": 1, "kept": True})
    with caplog.at_level(logging.INFO, logger="app.platform"):
        old = kill_database(uri)
        restarted(uri, old)
        eventually(lambda: supervised.restarts == 1, what="the restart being counted")
    assert supervised.database.uri == uri
    assert (supervised.database.data_dir / "secantusd.uri").read_text() == uri
    with _client(uri) as client:
        assert client.app.things.find_one({"_id": 1}) == {"_id": 1, "kept": True}
    messages = [record.getMessage() for record in caplog.records]
    assert any("exited with code -9; restarting it in 0s" in line for line in messages)
    assert any(f"restarted the embedded database at {uri}" in line for line in messages)


def test_a_database_that_keeps_dying_is_restarted_ever_more_slowly(
    supervised: DatabaseSupervisor, caplog: pytest.LogCaptureFixture
) -> None:
    uri = supervised.database.uri
    with caplog.at_level(logging.INFO, logger="app.platform"):
        pid = 0
        for restarts in range(1, 5):
            pid = restarted(uri, kill_database(uri))
            eventually(lambda n=restarts: supervised.restarts == n, what="the restart counted")  # type: ignore[misc]
    delays = [
        record.getMessage().rpartition(" in ")[2]
        for record in caplog.records
        if "restarting it in" in record.getMessage()
    ]
    # At once after the first crash; then doubling, up to the maximum.
    assert delays == ["0s", "0.2s", "0.4s", "0.4s"]
    assert daemon_pid(uri) == pid


def test_stop_stops_the_restarted_database_and_removes_its_address(
    supervised: DatabaseSupervisor,
) -> None:
    uri = supervised.database.uri
    new = restarted(uri, kill_database(uri))
    supervised.stop()
    eventually(lambda: daemon_pid(uri) is None, what="the database stopping")
    assert not (supervised.database.data_dir / "secantusd.uri").exists()
    assert supervised.database.process is None
    assert new > 0
