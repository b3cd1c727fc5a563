import logging
import os
from pathlib import Path
from typing import Any

import pytest
from pymongo import MongoClient
from pymongo.errors import ServerSelectionTimeoutError

from app.platform import embedded
from app.platform.embedded import DataDirLocked, EmbeddedDatabase


def connect(uri: str, timeout_ms: int = 2000) -> MongoClient[dict[str, Any]]:
    return MongoClient(uri, serverSelectionTimeoutMS=timeout_ms)


def server_pid(database: EmbeddedDatabase) -> int:
    with connect(database.uri) as client:
        return int(client.admin.command("serverStatus")["pid"])


def test_serves_a_replica_set_primary_on_loopback(mongo_server: EmbeddedDatabase) -> None:
    assert mongo_server.uri.startswith("mongodb://127.0.0.1:")
    with connect(mongo_server.uri) as client:
        assert client.admin.command("ping")["ok"] == 1
        collection = client.test_embedded.items
        with client.start_session() as session, session.start_transaction():
            collection.insert_one({"name": "in a transaction"}, session=session)
        assert collection.count_documents({"name": "in a transaction"}) == 1
        client.drop_database("test_embedded")


def test_data_survives_a_restart(tmp_path: Path) -> None:
    with EmbeddedDatabase(tmp_path) as database, connect(database.uri) as client:
        client.test.items.insert_one({"_id": 1, "name": "kept"})
    with EmbeddedDatabase(tmp_path) as database, connect(database.uri) as client:
        assert client.test.items.find_one({"_id": 1}) == {"_id": 1, "name": "kept"}
    assert (tmp_path / "db").is_dir()
    assert (tmp_path / "secantusd.log").is_file()


def test_a_second_server_on_the_same_directory_is_refused(mongo_server: EmbeddedDatabase) -> None:
    with pytest.raises(DataDirLocked) as excinfo:
        EmbeddedDatabase(mongo_server.data_dir).start()
    assert str(excinfo.value) == (
        f"data directory {mongo_server.data_dir} is in use by another running server"
    )


def test_stop_ends_the_process_and_can_be_repeated(tmp_path: Path) -> None:
    database = EmbeddedDatabase(tmp_path)
    database.start()
    pid = server_pid(database)
    uri = database.uri
    database.stop()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    with connect(uri, timeout_ms=200) as client, pytest.raises(ServerSelectionTimeoutError):
        client.admin.command("ping")
    database.stop()


def test_retries_when_another_server_takes_the_port(
    mongo_server: EmbeddedDatabase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken = iter([int(mongo_server.uri.rsplit(":", 1)[1])])
    free_port = embedded._free_port
    monkeypatch.setattr(embedded, "_free_port", lambda host: next(taken, None) or free_port(host))
    with EmbeddedDatabase(tmp_path) as database:
        assert database.uri != mongo_server.uri
        assert server_pid(database) != server_pid(mongo_server)


def test_logs_where_it_runs(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="app.platform.embedded")
    data_dir = tmp_path / "data"
    with EmbeddedDatabase(data_dir) as database:
        uri = database.uri
    assert caplog.messages == [
        f"embedded database at {uri} (data in {data_dir.resolve()})",
        "embedded database stopped (exit code 0)",
    ]
