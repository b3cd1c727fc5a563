"""The real `persona-api` command, run as a subprocess."""

import subprocess
from pathlib import Path

from tests.graphql import CREATE
from tests.processes import CLI, environment, free_port, graphql, serving


def test_data_survives_a_restart_of_serve(tmp_path: Path) -> None:
    with serving(tmp_path) as (url, _):
        persona = graphql(url, CREATE, input={"name": "Kept across restarts"})["createPersona"][
            "persona"
        ]
    with serving(tmp_path) as (url, lines):
        query = "query($id: ID!) { persona(id: $id) { draft { name } revision } }"
        found = graphql(url, query, id=persona["id"])
    assert found == {"persona": {"draft": {"name": "Kept across restarts"}, "revision": 1}}
    expected_log = f"(data in {tmp_path.resolve()})"
    assert any("embedded database at mongodb://127.0.0.1:" in line for line in lines)
    assert any(expected_log in line for line in lines)
    assert any(f"GraphQL playground at {url}/graphql" in line for line in lines)
    assert not any("Traceback" in line for line in lines)
    api_done = next(i for i, line in enumerate(lines) if "Application shutdown complete" in line)
    database_done = next(i for i, line in enumerate(lines) if "embedded database stopped" in line)
    assert api_done < database_done
    assert "(exit code 0)" in lines[database_done]


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
