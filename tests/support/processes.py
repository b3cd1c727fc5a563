"""Real `persona-api serve` processes for the tests that need a whole server."""

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

CLI = [str(Path(sys.executable).parent / "persona-api")]
KEY = re.compile(r"^\s+(pa_[0-9a-f]{8}_[A-Za-z0-9_-]+)$")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"MONGODB_URI", "CORS_ORIGINS"}}
    return {**env, **extra}


@dataclass
class Server:
    """A running `serve`: its URL, its output so far, and the key its first start made.

    The key is read from `initial-admin-key` in its data directory; a test whose server
    shares another's database hands it that key as an output line ("    pa_...").
    """

    url: str
    lines: list[str] = field(default_factory=list)
    process: subprocess.Popen[str] | None = None  # a test may kill it, as a crash would
    pid: int = 0
    data_dir: Path | None = None

    @property
    def key(self) -> str:
        keys = [match[1] for line in self.lines if (match := KEY.match(line))]
        if keys:
            return keys[0]
        assert self.data_dir is not None, "this server has no data directory"
        key_file = self.data_dir / "initial-admin-key"
        assert key_file.exists(), "this server made no first-start key"
        return key_file.read_text().strip()

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


def _wait_ready(server: Server, process: subprocess.Popen[str], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"serve exited early with {process.returncode}"
        try:
            if httpx.get(f"{server.url}/readyz", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{server.url} did not become ready")


def _collect(process: subprocess.Popen[str], lines: list[str]) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line.rstrip("\n"))


@contextmanager
def serving(data_dir: Path, *, args: Sequence[str] = (), **env: str) -> Iterator[Server]:
    """Run `persona-api serve` until the block ends, then stop it with SIGTERM.

    On a shared MONGODB_URI each server gets a database of its own unless one is named.
    `args` are added to the command line.
    """
    if "MONGODB_URI" in env:
        env.setdefault("MONGODB_DATABASE", f"serve_{uuid.uuid4().hex[:8]}")
    port = free_port()
    process = subprocess.Popen(
        [*CLI, "serve", "--port", str(port), "--data-dir", str(data_dir), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=environment(**env),
    )
    server = Server(f"http://127.0.0.1:{port}", process=process, pid=process.pid, data_dir=data_dir)
    assert process.stdout is not None
    reader = threading.Thread(target=_collect, args=(process, server.lines))
    reader.start()
    try:
        _wait_ready(server, process)
        yield server
    finally:
        killed = process.poll() == -signal.SIGKILL
        if not killed:
            process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        reader.join(timeout=10)
        process.stdout.close()
    assert killed or process.returncode == 0, "\n".join(server.lines)


@contextmanager
def serving_two(data_dir: Path, mongodb_uri: str) -> Iterator[tuple[Server, Server]]:
    """Two `serve` processes on one fresh database of `mongodb_uri`, both holding its key."""
    shared = {"MONGODB_URI": mongodb_uri, "MONGODB_DATABASE": f"two_{uuid.uuid4().hex[:8]}"}
    with serving(data_dir / "a", **shared) as first, serving(data_dir / "b", **shared) as second:
        second.lines.append(f"    {first.key}")  # one database, so one workspace and its key
        yield first, second


def graphql(server: Server, query: str, **variables: Any) -> dict[str, Any]:
    response = httpx.post(
        f"{server.url}/graphql",
        json={"query": query, "variables": variables},
        headers=server.headers,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


async def graphql_async(server: Server, query: str, **variables: Any) -> dict[str, Any]:
    """`graphql`, for async tests: the data of a request that must have no errors."""
    async with httpx.AsyncClient(timeout=30, headers=server.headers) as http:
        response = await http.post(
            f"{server.url}/graphql", json={"query": query, "variables": variables}
        )
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data
