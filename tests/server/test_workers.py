"""`persona-api serve --workers N`: worker processes on one port, sharing one embedded database."""

import asyncio
import re
import subprocess
import time
from contextlib import AsyncExitStack
from pathlib import Path

import httpx
import pytest

from app.platform.embedded import EmbeddedDatabase
from tests.support.client import CREATE, voice_input
from tests.support.processes import CLI, KEY, Server, environment, graphql_async, serving
from tests.support.ws import GraphQLWebSocket, graphql_ws

SUBSCRIPTION = "subscription($id: ID) { personaPublished(personaId: $id) { version { version } } }"
PUBLISH = "mutation($i: PublishPersonaInput!) { publishPersona(input: $i) { userErrors { code } } }"
MAX_SOCKETS = 24
ESTABLISHED = "01"


def _logged_pids(server: Server, message: str) -> list[int]:
    pattern = re.compile(re.escape(message) + r" \[(\d+)\]")
    return [int(match[1]) for line in server.lines if (match := pattern.search(line))]


def _wait_for_line(server: Server, text: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not any(text in line for line in server.lines):
        assert time.monotonic() < deadline, f"no {text!r} in:\n" + "\n".join(server.lines)
        time.sleep(0.1)


def _children(parent: int) -> dict[int, str]:
    """The live child processes of `parent`, with their command lines."""
    found: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            # The command name in field 2 may hold spaces; the fields after its ")" do not.
            state, ppid = (entry / "stat").read_text().rsplit(")", 1)[1].split()[:2]
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue  # ended while we looked
        if int(ppid) == parent and state != "Z":
            found[int(entry.name)] = command
    return found


def _is_running(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _connection_holders(pids: list[int], port: int) -> dict[int, int]:
    """How many established connections to `port` each of `pids` holds, from /proc."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with Path(table).open() as rows:
            next(rows)
            for row in rows:
                fields = row.split()
                local_port = int(fields[1].rsplit(":", 1)[1], 16)
                if local_port == port and fields[3] == ESTABLISHED:
                    inodes.add(fields[9])
    held: dict[int, int] = {}
    for pid in pids:
        links = [fd.readlink().name for fd in Path(f"/proc/{pid}/fd").iterdir()]
        held[pid] = sum(link.startswith("socket:[") and link[8:-1] in inodes for link in links)
    return held


async def test_two_workers_share_the_port_the_database_and_the_publishes(tmp_path: Path) -> None:
    with serving(tmp_path, args=["--workers", "2"]) as server:
        playground = f"GraphQL playground at {server.url}/graphql"
        _wait_for_line(server, playground)  # every worker has started: the key is printed
        [parent] = _logged_pids(server, "Started parent process")
        workers = _logged_pids(server, "Started server process")
        children = _children(parent)
        assert len(workers) == 2
        assert {pid for pid, command in children.items() if "multiprocessing.spawn" in command} == (
            set(workers)
        )
        [database] = [pid for pid, command in children.items() if "secantusd" in command]

        # Requests on fresh connections, so that the workers share them out.
        async with httpx.AsyncClient(
            headers=server.headers, limits=httpx.Limits(max_keepalive_connections=0), timeout=30
        ) as http:
            responses = await asyncio.gather(
                *(
                    http.post(
                        f"{server.url}/graphql",
                        json={"query": CREATE, "variables": {"input": {"name": f"W{index}"}}},
                    )
                    for index in range(20)
                )
            )
        assert [response.status_code for response in responses] == [200] * 20
        assert all("errors" not in response.json() for response in responses)
        counted = await graphql_async(server, "{ personas(first: 1) { totalCount } }")
        assert counted == {"personas": {"totalCount": 20}}

        created = await graphql_async(
            server, CREATE, input={"name": "Published", "voiceConfigurations": [voice_input()]}
        )
        persona = created["createPersona"]["persona"]
        port = int(server.url.rsplit(":", 1)[1])
        async with AsyncExitStack() as stack:
            # Subscribers until each worker holds at least one of the sockets.
            sockets: list[GraphQLWebSocket] = []
            held = dict.fromkeys(workers, 0)
            while len(sockets) < MAX_SOCKETS and (len(sockets) < 4 or 0 in held.values()):
                socket = await stack.enter_async_context(
                    graphql_ws(f"{server.url}/graphql", server.key)
                )
                await socket.subscribe("1", SUBSCRIPTION, id=persona["id"])
                sockets.append(socket)
                held = _connection_holders(workers, port)
            assert 0 not in held.values(), held
            assert sum(held.values()) == len(sockets)
            await asyncio.sleep(0.5)  # a subscription is registered once its resolver runs

            published = await graphql_async(
                server, PUBLISH, i={"personaId": persona["id"], "expectedRevision": 1}
            )
            assert published == {"publishPersona": {"userErrors": []}}
            for socket in sockets:
                message = await asyncio.wait_for(socket.receive(), timeout=10)
                assert message["type"] == "next", message
                assert message["payload"]["data"] == {
                    "personaPublished": {"version": {"version": 1}}
                }

    # `serving` has sent SIGTERM and seen exit code 0; nothing it started is left.
    lines = server.lines
    assert not any(_is_running(pid) for pid in [*workers, database])
    assert sum(playground in line for line in lines) == 1
    assert sum("First start" in line for line in lines) == 1
    assert not any(KEY.match(line) for line in lines)  # the key is in its file only
    assert not any("Traceback" in line for line in lines)
    api_done = [i for i, line in enumerate(lines) if "Application shutdown complete" in line]
    database_done = next(i for i, line in enumerate(lines) if "embedded database stopped" in line)
    assert len(api_done) == 2
    assert max(api_done) < database_done
    assert "(exit code 0)" in lines[database_done]


def test_one_worker_serves_in_process(tmp_path: Path, mongo_server: EmbeddedDatabase) -> None:
    with serving(tmp_path, args=["--workers", "1"], MONGODB_URI=mongo_server.uri) as server:
        playground = f"GraphQL playground at {server.url}/graphql"
        _wait_for_line(server, playground)  # the output is read by another thread
        [process] = _logged_pids(server, "Started server process")
        assert _children(process) == {}  # no worker processes (and no embedded database)
    assert sum(playground in line for line in server.lines) == 1
    assert not any("Started parent process" in line for line in server.lines)


@pytest.mark.parametrize("workers", ["0", "-1", "two", "1.5", ""])
def test_a_bad_worker_count_stops_start_up_with_one_line(tmp_path: Path, workers: str) -> None:
    result = subprocess.run(
        [*CLI, "serve", "--data-dir", str(tmp_path), "--workers", workers],
        capture_output=True,
        text=True,
        env=environment(),
        timeout=30,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"persona-api: invalid option --workers: must be a whole number >= 1, not {workers!r}"
    ]
    assert not (tmp_path / "db").exists()
