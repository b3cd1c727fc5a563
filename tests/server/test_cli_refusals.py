"""The `persona-api` command refuses what it cannot do well: one clear line, a non-zero exit."""

import socket
import subprocess
from pathlib import Path

from tests.support.processes import CLI, environment, free_port


def _run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, env=environment(**env), timeout=120
    )


def _keys(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return _run("keys", *args, "--data-dir", str(data_dir))


def test_version_prints_the_package_version() -> None:
    from importlib.metadata import version

    result = _run("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"persona-api {version('persona-api')}"


def test_keys_create_refuses_an_unknown_workspace_unless_asked_to_make_it(tmp_path: Path) -> None:
    typo = _keys(tmp_path, "create", "--workspace", "defualt", "--role", "VIEWER", "--name", "x")
    assert typo.returncode == 1
    assert typo.stderr.strip().splitlines() == [
        "persona-api: no workspace named 'defualt' (add --create-workspace to make it)"
    ]
    assert typo.stdout == ""
    listed = _keys(tmp_path, "list", "--workspace", "defualt")
    assert listed.stderr.strip() == "persona-api: no workspace named 'defualt'"  # none was made

    made = _keys(
        tmp_path, "create", "--workspace", "partners", "--create-workspace",
        "--role", "EDITOR", "--name", "ci",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    again = _keys(tmp_path, "create", "--workspace", "partners", "--role", "VIEWER", "--name", "ro")
    assert again.returncode == 0, again.stderr
    assert "in workspace 'partners'" in again.stdout


def test_revoking_a_revoked_key_says_so(tmp_path: Path) -> None:
    made = _keys(
        tmp_path, "create", "--workspace", "w", "--create-workspace",
        "--role", "VIEWER", "--name", "once",
    )  # fmt: skip
    prefix = "_".join(made.stdout.strip().splitlines()[-1].split("_")[:2])
    first = _keys(tmp_path, "revoke", prefix)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == f"Revoked key {prefix} ('once')."
    second = _keys(tmp_path, "revoke", prefix)
    assert second.returncode == 1
    [line] = second.stderr.strip().splitlines()
    assert line.startswith(f"persona-api: key {prefix} ('once') was already revoked on 20")
    assert second.stdout == ""


def test_serve_on_a_port_in_use_exits_having_started_nothing(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _run("serve", "--port", str(port), "--data-dir", str(tmp_path))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"persona-api: cannot serve on 127.0.0.1:{port}: the port is in use"
    ]
    assert "pa_" not in result.stdout + result.stderr
    assert list(tmp_path.iterdir()) == []  # no embedded database, no key file


def test_serve_on_an_unreachable_mongodb_uri_exits_with_one_line(tmp_path: Path) -> None:
    uri = f"mongodb://127.0.0.1:{free_port()}/"  # nobody listens there
    result = _run("serve", "--port", str(free_port()), "--data-dir", str(tmp_path), MONGODB_URI=uri)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "persona-api: cannot reach the database at MONGODB_URI within 5 s"
        " (ServerSelectionTimeoutError)"
    ]
    assert result.stdout == ""
    assert list(tmp_path.iterdir()) == []
