"""What every phase shares: the settings, measuring a row, and keeping rows by slot.

A row that fails shows its error; a server that fails fails only its phase's rows.
"""

import dataclasses
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench import load, seed, servers, wrk
from bench.load import Measurement, RowError, Session, Target
from bench.report import Row
from bench.seed import Seeded
from bench.servers import Running

# A row whose single request takes longer than its duration / SLOW_REQUESTS runs on one
# connection instead: wrk counts only requests that finish inside its window.
SLOW_REQUESTS = 20


@dataclass(frozen=True)
class Config:
    personas: int
    large: int
    seconds: float
    connections: int
    workers: int
    subscribers: tuple[int, ...]
    publishes: int
    tool: str  # "wrk" or "python"
    memory_large: int = 0  # conversations for the large memory row; 0 skips it
    retrieval: str = "on"  # "on", "off" or "only": the retrieval rows (bench/retrieval.py)
    knowledge_characters: int = 5_000_000  # in the retrieval rows' knowledge base


def count(n: int) -> str:
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1000 and n % 1000 == 0:
        return f"{n // 1000}k"
    return f"{n / 1000:.1f}k" if n >= 1000 else str(n)


def progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Raw:
    """A raw-driver baseline for read rows: what to call it, and the requests to send."""

    label: str
    target: Target


def _rate(rps: float) -> str:
    return f"{rps:,.0f}" if rps >= 100 else f"{rps:.2g}"


def _reason(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, RowError | servers.ServerFailed) else repr(exc)


class Bench:
    def __init__(self, config: Config, uri: str, database: str, workdir: Path) -> None:
        self.config = config
        self.uri = uri
        self.database = database
        self.workdir = workdir
        self.rows: dict[str, Row] = {}
        self.planned: dict[str, tuple[str, str]] = {}
        self.baselines: dict[tuple[str, str], Measurement | str] = {}

    # -- measuring -------------------------------------------------------------------------

    def pace(self, target: Target) -> float | None:
        """The latency of a first request if too slow for wrk's fixed window, else None.

        A wrong query or id fails the row here, before it is timed.
        """
        latency = load.check(target)
        return latency if latency * SLOW_REQUESTS > self.config.seconds else None

    def read(self, target: Target) -> Measurement:
        """A read row; a slow one is measured on one connection, waiting for its last request."""
        c = self.config
        slow = self.pace(target)
        if slow is not None:
            measured = load.rotate(target, 1, c.seconds, warm_up=False)
            note = f"slow: a request took {slow:.1f} s, so measured on 1 connection"
            return dataclasses.replace(measured, note=note)
        if c.tool == "wrk":
            measured = wrk.run(target, c.connections, c.seconds, self.workdir)
        else:
            measured = load.rotate(target, c.connections, c.seconds)
        if measured.requests == 0:
            raise RowError(f"no request completed within {c.seconds:g} s")
        return measured

    def raw(self, raw: Raw) -> Measurement | str:
        """A raw-driver read figure, measured once per baseline server."""
        key = (raw.target.base_url, raw.label)
        if key not in self.baselines:
            self.baselines[key] = self.baseline(raw.label, lambda: self.read(raw.target))
        return self.baselines[key]

    def write(self, server: Running, key: str | None, sessions: Sequence[Session]) -> Measurement:
        headers = {} if key is None else {"Authorization": f"Bearer {key}"}
        return load.drive(server.url, headers, sessions, self.config.seconds)

    def baseline(self, label: str, measure: Callable[[], Measurement]) -> Measurement | str:
        """A raw-driver figure, or why there is none (the rows using it say so)."""
        progress(f"measuring baseline {label}")
        try:
            return measure()
        except Exception as exc:
            return _reason(exc)

    def plan(self, planned: dict[str, tuple[str, str]]) -> list[str]:
        """Name the rows a phase will measure: slot -> (scenario, target)."""
        self.planned.update(planned)
        return list(planned)

    def row(self, slot: str, make: Callable[[], Row]) -> Row:
        """Measure one row; any failure becomes the row's error instead of ending the run."""
        scenario, target = self.planned[slot]
        progress(f"measuring {scenario}")
        try:
            row = make()
        except Exception as exc:
            row = Row(scenario, error=_reason(exc))
        row.scenario, row.target = scenario, target
        self.rows[slot] = row
        return row

    def rps(self, slot: str) -> float | None:
        """A measured row's req/s, to compare a later row with."""
        row = self.rows.get(slot)
        return None if row is None or row.error is not None else row.rps

    def compare(
        self,
        slot: str,
        server: Running,
        measure: Callable[[], Measurement],
        baseline: Measurement | str,
        minimum: float | None,
    ) -> None:
        """A row against a raw-driver figure measured in the same phase."""
        self.row(slot, lambda: self.compared(measure(), baseline, minimum))
        self.alive(server)

    @staticmethod
    def compared(
        measurement: Measurement, baseline: Measurement | str, minimum: float | None
    ) -> Row:
        row = Row.measured("", measurement)
        if isinstance(baseline, str):
            row.add_note(f"baseline failed: {baseline}")
            return row
        if baseline.note:
            row.add_note(f"baseline {baseline.note}")
        row.baseline_rps = baseline.rps
        return row.against(baseline.rps, minimum)

    def compare_read(
        self, slot: str, server: Running, target: Target, raw: Raw, minimum: float | None
    ) -> None:
        """A read row against its raw-driver baseline, each measured at its own pace."""

        def make() -> Row:
            measured = self.read(target)
            return self.compared(measured, self.raw(raw), minimum)

        self.row(slot, make)
        self.alive(server)

    def relative(
        self,
        slot: str,
        server: Running,
        target: Target,
        reference: str,
        minimum: float,
        raw: Raw | None = None,
    ) -> None:
        """A read row against an earlier row, whose req/s goes in the baseline column."""

        def make() -> Row:
            row = Row.measured("", self.read(target))
            before = self.rps(reference)
            if before is None:
                row.add_note(f"no {self.planned[reference][0]} figure to compare with")
            row.baseline_rps = before
            row.against(before, minimum)
            if raw is None:
                return row
            baseline = self.raw(raw)
            if isinstance(baseline, Measurement):
                slow = " (slow: 1 connection)" if baseline.note else ""
                row.add_note(f"raw driver here: {_rate(baseline.rps)} req/s{slow}")
            else:
                row.add_note(f"baseline failed: {baseline}")
            return row

        self.row(slot, make)
        self.alive(server)

    def fail(self, slots: list[str], exc: BaseException) -> None:
        """A phase broke off: its rows not yet measured show why."""
        for slot in slots:
            if slot not in self.rows:
                scenario, target = self.planned[slot]
                self.rows[slot] = Row(scenario, target=target, error=_reason(exc))

    def skip(self, slots: list[str], why: str) -> None:
        for slot in slots:
            scenario, target = self.planned[slot]
            self.rows[slot] = Row(scenario, target=target, note=f"not run: {why}")

    def seed(self, workspace: str, first_index: int, n: int) -> Seeded:
        progress(f"seeding {n} personas into workspace {workspace!r}")
        started = time.perf_counter()
        seeded = seed.seed(self.uri, self.database, workspace, first_index, n)
        progress(f"seeded {n} personas in {time.perf_counter() - started:.1f}s")
        return seeded

    @staticmethod
    def alive(server: Running) -> None:
        if (code := server.process.poll()) is not None:
            raise servers.ServerFailed(f"{server.name} exited with code {code}: {server.tail()}")
