"""A database outage as clients see it: quick 503s, honest probes, call starts served stale.

The database here is started by the test, outside the servers (MONGODB_URI), so the test
decides how long the outage lasts: kill -9 it, then restart it on its port.
"""

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.platform.embedded import EmbeddedDatabase
from tests.support.client import CREATE, PUBLISH, UPDATE, voice_input
from tests.support.outages import eventually, kill_database
from tests.support.processes import Server, graphql, serving

LIVE = """
query($id: ID!) {
  liveConfiguration(personaId: $id, channel: VOICE, locale: "en-US") { version name }
}
"""
OUTAGE_SECONDS = 1.5


@pytest.fixture
def database(tmp_path: Path) -> Iterator[EmbeddedDatabase]:
    with EmbeddedDatabase(tmp_path / "database") as database:
        yield database


@pytest.fixture
def servers(tmp_path: Path, database: EmbeddedDatabase) -> Iterator[tuple[Server, Server]]:
    """A writer and a call-start server on one database, which they hear of each other through."""
    shared = {
        "MONGODB_URI": database.uri,
        "MONGODB_DATABASE": "outage",
        "DATABASE_OUTAGE_SECONDS": str(OUTAGE_SECONDS),
    }
    with serving(tmp_path / "a", **shared) as writer, serving(tmp_path / "b", **shared) as reader:
        reader.lines.append(f"    {writer.key}")  # one database, so one workspace and its key
        yield writer, reader


def _post(server: Server, query: str, **variables: Any) -> httpx.Response:
    return httpx.post(
        f"{server.url}/graphql",
        json={"query": query, "variables": variables},
        headers={**server.headers, "X-Request-Id": "outage-probe"},
        timeout=30,
    )


def _probe(server: Server, path: str) -> int:
    return httpx.get(f"{server.url}{path}", timeout=30).status_code


def _timed(call: Any) -> tuple[Any, float]:
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


def _assert_refused(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "1"
    (error,) = response.json()["errors"]
    assert error["extensions"] == {"code": "DATABASE_UNAVAILABLE", "requestId": "outage-probe"}
    assert error["message"] == "The database is unavailable; try again shortly."


def _created(writer: Server, name: str) -> dict[str, Any]:
    created = graphql(writer, CREATE, input={"name": name, "voiceConfigurations": [voice_input()]})
    persona: dict[str, Any] = created["createPersona"]["persona"]
    return persona


def _publish_edit(writer: Server, persona: dict[str, Any], name: str) -> None:
    edit = {"id": persona["id"], "expectedRevision": persona["revision"], "name": name}
    revision = graphql(writer, UPDATE, input=edit)["updatePersona"]["persona"]["revision"]
    graphql(writer, PUBLISH, input={"personaId": persona["id"], "expectedRevision": revision})


def test_call_starts_are_served_stale_through_an_outage_and_catch_up_after(
    servers: tuple[Server, Server], database: EmbeddedDatabase
) -> None:
    writer, reader = servers
    pid = _created(writer, "Live")["id"]
    graphql(writer, PUBLISH, input={"personaId": pid, "expectedRevision": 1})
    fresh = eventually(lambda: graphql(reader, LIVE, id=pid)["liveConfiguration"])
    assert fresh == {"version": 1, "name": "Live"}

    killed_at = datetime.now(UTC)
    kill_database(database.uri)
    eventually(lambda: _probe(reader, "/readyz") == 503, what="/readyz failing")

    answer, took = _timed(lambda: _post(reader, LIVE, id=pid))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["data"] == {"liveConfiguration": {"version": 1, "name": "Live"}}
    stale_since = datetime.fromisoformat(body["extensions"]["stale"]["since"])
    assert killed_at.replace(microsecond=0) <= stale_since <= datetime.now(UTC)
    assert "errors" not in body
    # Writes, and reads that need the database, are refused at once, on both servers.
    for server in (writer, reader):
        refused, took = _timed(lambda s=server: _post(s, CREATE, input={"name": "Refused"}))
        _assert_refused(refused)
        assert took < 5.0  # about a second even on a loaded machine; the driver alone waits 5
    _assert_refused(_post(reader, "query($id: ID!) { persona(id: $id) { id } }", id=pid))
    ready, took = _timed(lambda: _probe(reader, "/readyz"))
    assert (ready, took < 5.0) == (503, True)
    eventually(lambda: _probe(reader, "/healthz") == 503, what="/healthz failing")
    # Longer than the key's cache life by now: the key it granted is honoured all the same.
    later = _post(reader, LIVE, id=pid)
    assert later.json()["data"] == {"liveConfiguration": {"version": 1, "name": "Live"}}
    assert later.json()["extensions"]["stale"]["since"] == body["extensions"]["stale"]["since"]

    database.restart()
    for server in (writer, reader):
        eventually(lambda s=server: _probe(s, "/readyz") == 200, what="/readyz passing again")  # type: ignore[misc]
        assert _probe(server, "/healthz") == 200
    current = graphql(writer, "query($id: ID!) { persona(id: $id) { revision } }", id=pid)
    _publish_edit(writer, {"id": pid, **current["persona"]}, "Live 2")

    def served_fresh() -> dict[str, Any] | None:
        response = _post(reader, LIVE, id=pid).json()
        fresh = response.get("data", {}).get("liveConfiguration") or {}
        return response if fresh.get("version") == 2 and "extensions" not in response else None

    assert eventually(served_fresh, what="version 2 reaching call starts")["data"] == {
        "liveConfiguration": {"version": 2, "name": "Live 2"}
    }
    assert not any("Traceback" in line for line in writer.lines + reader.lines)


def test_what_the_process_does_not_hold_is_refused_in_an_outage(
    servers: tuple[Server, Server], database: EmbeddedDatabase
) -> None:
    writer, reader = servers
    pid = _created(writer, "Cold")["id"]  # never published: no news of it to hold
    graphql(reader, "{ voices { key } }")  # the reader knows the key, not the persona
    kill_database(database.uri)
    eventually(lambda: _probe(reader, "/readyz") == 503, what="/readyz failing")
    _assert_refused(_post(reader, LIVE, id=pid))
    database.restart()
    eventually(lambda: _probe(reader, "/readyz") == 200, what="/readyz passing again")
    assert _post(reader, LIVE, id=pid).json() == {"data": {"liveConfiguration": None}}
