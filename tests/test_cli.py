"""The real `persona-api` command, run as a subprocess."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.graphql import CREATE

CLI = [str(Path(sys.executable).parent / "persona-api")]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"MONGODB_URI", "CORS_ORIGINS"}}
    return {**env, **extra}


def _wait_ready(url: str, process: subprocess.Popen[str], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"serve exited early with {process.returncode}"
        try:
            if httpx.get(f"{url}/readyz", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} did not become ready")


@contextmanager
def serving(data_dir: Path) -> Iterator[tuple[str, list[str]]]:
    """Run `persona-api serve` until the block ends, then stop it with SIGTERM."""
    port = _free_port()
    process = subprocess.Popen(
        [*CLI, "serve", "--port", str(port), "--data-dir", str(data_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=_environment(),
    )
    lines: list[str] = []
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_ready(url, process)
        yield url, lines
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
        lines.extend(output.splitlines())
    assert process.returncode == 0, output


def _graphql(url: str, query: str, **variables: object) -> dict[str, object]:
    response = httpx.post(f"{url}/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    assert "errors" not in body, body
    return body


def test_data_survives_a_restart_of_serve(tmp_path: Path) -> None:
    with serving(tmp_path) as (url, _):
        created = _graphql(url, CREATE, input={"name": "Kept across restarts"})
        persona = created["data"]["createPersona"]["persona"]  # type: ignore[index]
    with serving(tmp_path) as (url, lines):
        query = "query($id: ID!) { persona(id: $id) { draft { name } revision } }"
        found = _graphql(url, query, id=persona["id"])
    assert found["data"] == {"persona": {"draft": {"name": "Kept across restarts"}, "revision": 1}}
    expected_log = f"(data in {tmp_path.resolve()})"
    assert any("embedded database at mongodb://127.0.0.1:" in line for line in lines)
    assert any(expected_log in line for line in lines)
    assert any(f"GraphQL playground at {url}/graphql" in line for line in lines)
    assert not any("Traceback" in line for line in lines)


def test_a_second_server_on_a_locked_data_dir_exits_cleanly(tmp_path: Path) -> None:
    with serving(tmp_path):
        second = subprocess.run(
            [*CLI, "serve", "--port", str(_free_port()), "--data-dir", str(tmp_path)],
            capture_output=True,
            text=True,
            env=_environment(),
            timeout=60,
        )
    assert second.returncode == 1
    assert "in use by another running server" in second.stderr
    assert "Traceback" not in second.stderr


def test_invalid_settings_stop_start_up_with_one_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [*CLI, "serve", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        env=_environment(MONGODB_URI="http://not-mongo"),
        timeout=30,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "persona-api: invalid setting MONGODB_URI: "
        "Value error, must start with mongodb:// or mongodb+srv://"
    ]
    assert not (tmp_path / "db").exists()


def test_export_schema_writes_the_served_schema(tmp_path: Path) -> None:
    from graphql_schema.schema import printed_schema

    output = tmp_path / "schema.graphql"
    result = subprocess.run(
        [*CLI, "export-schema", "--output", str(output)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert output.read_text() == printed_schema()
