"""The table: one markdown row per scenario, a machine line, and what the columns mean."""

import math
import os
import platform
from dataclasses import dataclass

from bench.load import Measurement

TIMES = "\N{MULTIPLICATION SIGN}"
COLUMNS = ("scenario", "req/s", "p50 ms", "p99 ms", "baseline req/s", "ratio", "target")


@dataclass
class Row:
    scenario: str
    rps: float | None = None
    p50_ms: float | None = None
    p99_ms: float | None = None
    baseline_rps: float | None = None
    ratio: float | None = None  # the figure the target is checked against
    shown: str | None = None  # the ratio cell's text when it holds something else (MiB)
    target: str = ""
    met: bool | None = None
    error: str | None = None
    note: str | None = None  # e.g. failed requests, appended to the scenario

    @classmethod
    def measured(cls, scenario: str, measurement: Measurement, target: str = "") -> "Row":
        row = cls(scenario, measurement.rps, measurement.p50_ms, measurement.p99_ms, target=target)
        if measurement.note:
            row.add_note(measurement.note)
        if measurement.errors:
            sample = measurement.sample_error or "?"
            row.add_note(f"{measurement.errors} of {measurement.requests} failed: {sample}")
        return row

    def add_note(self, note: str) -> None:
        self.note = f"{self.note}; {note}" if self.note else note

    def against(self, reference: float | None, minimum: float | None) -> "Row":
        """Set the ratio of this row's req/s to `reference`, and whether it meets `minimum`."""
        if self.rps is not None and reference:
            self.ratio = self.rps / reference
            if minimum is not None:
                self.met = self.ratio >= minimum
        return self


def _number(value: float | None, digits: int = 1) -> str:
    if value is None or math.isnan(value):
        return "—"
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def _cell(text: str, limit: int = 240) -> str:
    text = " ".join(text.split()).replace("|", "\\|")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _target(row: Row) -> str:
    if not row.target:
        return "—"
    if row.met is None:
        return row.target
    return f"{row.target} {'✓' if row.met else '✗'}"


def _line(row: Row) -> str:
    scenario = row.scenario + (f" ({row.note})" if row.note else "")
    if row.error is not None:
        cells = [scenario, "error: " + row.error, "", "", "", "", _target(row)]
    else:
        ratio = (
            row.shown
            if row.shown is not None
            else ("—" if row.ratio is None else f"{row.ratio:.2f}{TIMES}")
        )
        cells = [
            scenario,
            _number(row.rps),
            _number(row.p50_ms),
            _number(row.p99_ms),
            _number(row.baseline_rps),
            ratio,
            _target(row),
        ]
    return "| " + " | ".join(_cell(cell) for cell in cells) + " |"


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def machine(tools: str) -> str:
    return (
        f"Machine: {os.cpu_count()} cores, {cpu_model()}, Python {platform.python_version()},"
        f" load: {tools}"
    )


def render(rows: list[Row], machine_line: str, settings: str) -> str:
    lines = [
        f"| {' | '.join(COLUMNS)} |",
        "|" + "|".join("---" if i == 0 else "---:" for i in range(len(COLUMNS) - 1)) + "|---|",
        *(_line(row) for row in rows),
        "",
        machine_line,
        settings,
    ]
    return "\n".join(lines) + "\n"
