"""The real `persona-api` command, run as a subprocess."""

import stat
import subprocess
import time
from pathlib import Path

import httpx

from tests.support.client import CREATE
from tests.support.processes import CLI, environment, free_port, graphql, serving


def test_data_survives_a_restart_of_serve(tmp_path: Path) -> None:
    with serving(tmp_path) as first:
        created = graphql(first, CREATE, input={"name": "Kept across restarts"})
        persona = created["createPersona"]["persona"]
    with serving(tmp_path) as second:
        assert second.key == first.key  # the first start's key still opens the data
        query = "query($id: ID!) { persona(id: $id) { draft { name } revision } }"
        found = graphql(second, query, id=persona["id"])
    lines = second.lines
    assert found == {"persona": {"draft": {"name": "Kept across restarts"}, "revision": 1}}
    assert any("embedded database at mongodb://127.0.0.1:" in line for line in lines)
    assert any(f"(data in {tmp_path.resolve()})" in line for line in lines)
    assert any(f"GraphQL playground at {second.url}/graphql" in line for line in lines)
    assert not any("First start" in line for line in lines)
    assert not any("Traceback" in line for line in lines)
    api_done = next(i for i, line in enumerate(lines) if "Application shutdown complete" in line)
    database_done = next(i for i, line in enumerate(lines) if "embedded database stopped" in line)
    assert api_done < database_done
    assert "(exit code 0)" in lines[database_done]


def test_first_start_writes_an_admin_key_to_an_owner_only_file(tmp_path: Path) -> None:
    with serving(tmp_path) as server:
        key_file = tmp_path / "initial-admin-key"
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        key = key_file.read_text().strip()
        assert key.startswith("pa_")
        assert graphql(server, "{ apiKeys { name role } }") == {
            "apiKeys": [{"name": "bootstrap admin", "role": "ADMIN"}]
        }
        anonymous = httpx.post(f"{server.url}/graphql", json={"query": "{ voices { key } }"})
        assert anonymous.status_code == 401
    announced = [line for line in server.lines if "First start" in line]
    assert len(announced) == 1
    assert f"written to {key_file.resolve()}" in announced[0]
    # Only the path: the key itself, or its secret part, is in no line of the output.
    assert not any(key.split("_", 2)[2] in line for line in server.lines)


def _keys(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, "keys", *args, "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        env=environment(),
        timeout=60,
    )


def test_keys_from_the_cli_while_serve_runs(tmp_path: Path) -> None:
    with serving(tmp_path) as server:
        made = _keys(
            tmp_path, "create", "--workspace", "default", "--role", "VIEWER", "--name", "ro"
        )
        assert made.returncode == 0, made.stderr
        viewer = made.stdout.strip().splitlines()[-1]
        assert viewer.startswith("pa_")
        assert len(viewer) > 40
        headers = {"Authorization": f"Bearer {viewer}"}
        read = httpx.post(
            f"{server.url}/graphql", json={"query": "{ personas { totalCount } }"}, headers=headers
        )
        assert read.json() == {"data": {"personas": {"totalCount": 0}}}

        listed = _keys(tmp_path, "list")
        assert listed.returncode == 0, listed.stderr
        assert "VIEWER" in listed.stdout
        assert "ro" in listed.stdout
        assert viewer not in listed.stdout
        prefix = viewer.split("_")[1]

        revoked = _keys(tmp_path, "revoke", f"pa_{prefix}")
        assert revoked.returncode == 0, revoked.stderr
        # Another process revoked it: the server's cached principal lasts up to a second.
        deadline = time.monotonic() + 3
        while True:
            again = httpx.post(
                f"{server.url}/graphql", json={"query": "{ voices { key } }"}, headers=headers
            )
            if again.status_code != 200 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert again.status_code == 401


def test_keys_from_the_cli_without_a_server(tmp_path: Path) -> None:
    made = _keys(
        tmp_path, "create", "--workspace", "partners", "--create-workspace",
        "--role", "EDITOR", "--name", "ci",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert "workspace 'partners'" in made.stdout
    unknown = _keys(tmp_path, "revoke", "pa_00000000")
    assert unknown.returncode == 1
    assert unknown.stderr.strip() == "persona-api: no key with id or prefix 'pa_00000000'"
    bad_role = _keys(tmp_path, "create", "--workspace", "w", "--role", "OWNER", "--name", "x")
    assert bad_role.returncode == 2
    assert "invalid choice" in bad_role.stderr


def test_a_second_server_on_a_locked_data_dir_exits_cleanly(tmp_path: Path) -> None:
    with serving(tmp_path):
        second = subprocess.run(
            [*CLI, "serve", "--port", str(free_port()), "--data-dir", str(tmp_path)],
            capture_output=True,
            text=True,
            env=environment(),
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
        env=environment(MONGODB_URI="http://not-mongo"),
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
