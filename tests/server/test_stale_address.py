"""`persona-api keys` after a crash: a stale secantusd.uri is seen for what it is."""

import os
import signal
import subprocess
from pathlib import Path

from app.platform.embedded import EmbeddedDatabase
from tests.support.outages import daemon_pid, database_uri, eventually
from tests.support.processes import CLI, environment, free_port, serving


def _keys_list(data_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, "keys", "list", "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        env=environment(),
        timeout=60,
    )


def test_keys_start_their_own_database_when_a_crashed_server_left_its_address(
    tmp_path: Path,
) -> None:
    with serving(tmp_path) as server:
        uri = database_uri(tmp_path)
        daemon = daemon_pid(uri)
        assert server.process is not None
        assert daemon is not None
        os.kill(server.process.pid, signal.SIGKILL)
        os.kill(daemon, signal.SIGKILL)
        eventually(lambda: daemon_pid(uri) is None, what="the database going")
    assert (tmp_path / "secantusd.uri").read_text() == uri  # what a crash leaves behind

    listed = _keys_list(tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "bootstrap admin" in listed.stdout
    assert listed.stderr == ""
    assert not (tmp_path / "secantusd.uri").exists()  # its own database came and went


def test_keys_say_in_one_line_when_the_running_database_does_not_answer(tmp_path: Path) -> None:
    with EmbeddedDatabase(tmp_path):  # holds the data directory, as a running serve would
        dead = f"mongodb://127.0.0.1:{free_port()}"
        (tmp_path / "secantusd.uri").write_text(dead)
        listed = _keys_list(tmp_path)
    assert listed.returncode == 1
    assert listed.stdout == ""
    assert listed.stderr == (
        f"persona-api: the embedded database of {tmp_path} at {dead} (from secantusd.uri)"
        " does not answer (ServerSelectionTimeoutError)\n"
    )
