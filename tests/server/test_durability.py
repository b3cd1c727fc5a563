"""Acknowledged writes survive a crash: of the embedded database, or of the whole server."""

import asyncio
import os
import signal
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.support.outages import daemon_pid, database_uri, kill_database, restarted
from tests.support.processes import Server, serving

CREATE = """
mutation($input: CreatePersonaInput!) {
  createPersona(input: $input) { persona { id } userErrors { code } }
}
"""
FIND = "query($id: ID!) { persona(id: $id) { id draft { name } } }"
WRITERS = 6


@dataclass
class Writes:
    """What concurrent writers were told: every create acknowledged, and every answer's status."""

    acknowledged: dict[str, str] = field(default_factory=dict)  # id -> name
    statuses: Counter[int] = field(default_factory=Counter)
    unreachable: int = 0  # requests that found no server at all
    stop: asyncio.Event = field(default_factory=asyncio.Event)


async def _write(server: Server, writes: Writes, writer: int) -> None:
    async with httpx.AsyncClient(base_url=server.url, headers=server.headers, timeout=30) as http:
        for n in range(1_000_000):
            if writes.stop.is_set():
                return
            name = f"Writer {writer} #{n}"
            try:
                response = await http.post(
                    "/graphql", json={"query": CREATE, "variables": {"input": {"name": name}}}
                )
            except httpx.TransportError:
                writes.unreachable += 1
                await asyncio.sleep(0.05)
                continue
            writes.statuses[response.status_code] += 1
            body = response.json()
            if response.status_code == 200:
                assert "errors" not in body, body
                writes.acknowledged[body["data"]["createPersona"]["persona"]["id"]] = name
            else:
                assert response.status_code == 503, response.text
                assert body["errors"][0]["extensions"]["code"] == "DATABASE_UNAVAILABLE"
                await asyncio.sleep(0.05)


async def _until(check: Callable[[], bool], what: str) -> None:
    for _ in range(1_200):  # a minute: generous, since it is polled
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{what} did not happen within a minute")


async def _writing_through(server: Server, crash: Callable[[], None], survives: bool) -> Writes:
    """Creates from several clients; `crash` once some are acknowledged, then write on: until
    as many more are acknowledged if the server `survives`, else until no writer reaches it."""
    writes = Writes()
    writers = [asyncio.create_task(_write(server, writes, i)) for i in range(WRITERS)]
    try:
        await _until(lambda: len(writes.acknowledged) >= 30, "writes being acknowledged")
        await asyncio.to_thread(crash)
        mark = len(writes.acknowledged)
        if survives:
            await _until(lambda: len(writes.acknowledged) >= mark + 30, "writes resuming")
        else:
            await _until(lambda: writes.unreachable >= WRITERS, "writers losing the server")
    finally:
        writes.stop.set()
        await asyncio.gather(*writers)
    return writes


def _missing(server: Server, writes: Writes) -> list[str]:
    with httpx.Client(base_url=server.url, headers=server.headers, timeout=30) as http:
        return [
            persona_id
            for persona_id, name in writes.acknowledged.items()
            if http.post("/graphql", json={"query": FIND, "variables": {"id": persona_id}}).json()
            != {"data": {"persona": {"id": persona_id, "draft": {"name": name}}}}
        ]


async def test_creates_acknowledged_around_a_database_kill_are_all_kept(tmp_path: Path) -> None:
    with serving(tmp_path) as server:
        uri = database_uri(tmp_path)

        def crash() -> None:
            restarted(uri, kill_database(uri))  # the server's supervisor restarts it

        writes = await _writing_through(server, crash, survives=True)
        assert set(writes.statuses) <= {200, 503}
        assert _missing(server, writes) == []
    # Died of that kill, once, and of nothing else (kill_database kills the next daemon to
    # answer if the one it found ended on its own: that would show here).
    exits = [line.partition("exited with code ")[2] for line in server.lines]
    assert [code.partition(";")[0] for code in exits if code] == ["-9"]
    assert not any("Traceback" in line for line in server.lines)


async def test_creates_acknowledged_before_a_server_kill_are_all_kept(tmp_path: Path) -> None:
    with serving(tmp_path) as first:
        uri = database_uri(tmp_path)
        daemon = daemon_pid(uri)
        assert first.process is not None
        assert daemon is not None
        serve = first.process

        def crash() -> None:
            # As a power cut would: the server and its database at once, neither told.
            os.kill(serve.pid, signal.SIGKILL)
            os.kill(daemon, signal.SIGKILL)

        writes = await _writing_through(first, crash, survives=False)
    assert set(writes.statuses) <= {200, 503}
    with serving(tmp_path) as second:
        assert second.key == first.key  # the first start's key still opens the data
        assert _missing(second, writes) == []
