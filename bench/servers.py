"""The processes under test: `persona-api serve`, the raw-driver baseline, and their memory."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
READY_TIMEOUT = 90.0
STOP_TIMEOUT = 30.0


class ServerFailed(Exception):
    """A server did not start; the message ends with the tail of its output."""


@dataclass(frozen=True)
class Running:
    name: str
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def tail(self, lines: int = 8) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return ""
        return " / ".join(text.strip().splitlines()[-lines:])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _environment(**extra: str) -> dict[str, str]:
    drop = {"MONGODB_URI", "MONGODB_DATABASE", "CORS_ORIGINS", "PORT", "HOST"}
    return {**{k: v for k, v in os.environ.items() if k not in drop}, **extra}


def _wait_ready(server: Running) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if (code := server.process.poll()) is not None:
            raise ServerFailed(f"{server.name} exited with code {code}: {server.tail()}")
        try:
            if httpx.get(f"{server.url}/readyz", timeout=2.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise ServerFailed(f"{server.name} was not ready within {READY_TIMEOUT:g}s: {server.tail()}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then wait; SIGKILL for its whole session (workers too) if it will not stop."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    # Workers that outlived their parent would still be in its session, sharing its group id.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGTERM)


@contextlib.contextmanager
def _running(
    name: str, command: list[str], env: dict[str, str], log_dir: Path
) -> Iterator[Running]:
    log = log_dir / f"{name.replace(' ', '-')}.log"
    port = command[command.index("--port") + 1]
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=ROOT,
            start_new_session=True,
        )
    server = Running(name, f"http://127.0.0.1:{port}", process, log)
    try:
        _wait_ready(server)
        yield server
    finally:
        stop(process)


def api(
    uri: str, database: str, workers: int, log_dir: Path
) -> contextlib.AbstractContextManager[Running]:
    """`persona-api serve` on the seeded database; `--workers` is passed only when above 1."""
    command = [str(BIN / "persona-api"), "serve", "--port", str(free_port())]
    if workers != 1:
        command += ["--workers", str(workers)]
    # One key drives every subscriber row: lift the per-key and per-workspace socket caps
    # (50 and 500 by default) above the largest count, which is what the rows measure.
    env = _environment(
        MONGODB_URI=uri,
        MONGODB_DATABASE=database,
        WS_MAX_SOCKETS_PER_KEY="10000",
        WS_MAX_SOCKETS_PER_WORKSPACE="10000",
        MAX_CONNECTIONS="20000",
    )
    return _running(f"serve-{workers}w", command, env, log_dir)


def baseline(
    uri: str, database: str, workspace_id: str, log_dir: Path, workers: int = 1
) -> contextlib.AbstractContextManager[Running]:
    """bench/baseline.py under uvicorn, one worker unless asked for more."""
    command = [
        *(sys.executable, "-m", "uvicorn", "bench.baseline:app", "--app-dir", str(ROOT)),
        *("--host", "127.0.0.1", "--port", str(free_port()), "--workers", str(workers)),
        *("--no-access-log", "--log-level", "warning"),
    ]
    env = _environment(MONGODB_URI=uri, MONGODB_DATABASE=database, BENCH_WORKSPACE_ID=workspace_id)
    return _running(f"baseline-{workers}w", command, env, log_dir)


def retrieval_baseline(
    sources: int, characters: int, log_dir: Path
) -> contextlib.AbstractContextManager[Running]:
    """bench/retrieval_baseline.py under uvicorn, one worker, holding the same chunks."""
    command = [
        *(sys.executable, "-m", "uvicorn", "bench.retrieval_baseline:app", "--app-dir", str(ROOT)),
        *("--host", "127.0.0.1", "--port", str(free_port()), "--workers", "1"),
        *("--no-access-log", "--log-level", "warning"),
    ]
    env = _environment(
        BENCH_KNOWLEDGE_SOURCES=str(sources), BENCH_KNOWLEDGE_CHARACTERS=str(characters)
    )
    return _running("retrieval-baseline", command, env, log_dir)


def _children() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name, in parentheses, may hold spaces: the fields after it are fixed.
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    return children


def tree_rss_bytes(pid: int) -> int:
    """VmRSS summed over `pid` and its descendants (uvicorn's workers)."""
    children = _children()
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        pending += children.get(current, [])
        try:
            status = Path(f"/proc/{current}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) * 1024
    return total


class RssSampler:
    """Samples a process tree's RSS in a thread; the peak is read after `with` ends."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        self.pid = pid
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="rss-sampler", daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_rss_bytes(self.pid))
            self._stop.wait(self.interval)

    def __enter__(self) -> "RssSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def peak_mb(self) -> float:
        return self.peak / 1048576  # MiB, as top and ps count
