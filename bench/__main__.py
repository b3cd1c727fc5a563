"""`python -m bench`: the API side by side with a raw-driver baseline on the same data.

Seeds a fresh embedded database, runs `persona-api serve` and bench/baseline.py as real
processes, drives them over HTTP (wrk when installed, else Python), and prints one
markdown table. See BENCH.md.
"""

import argparse
import shutil
import signal
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from app.platform.embedded import EmbeddedDatabase
from bench import memory_rows, phases, report, wrk
from bench.report import TIMES
from bench.runner import Config, count, progress


@dataclass(frozen=True)
class Defaults:
    seconds: float
    large: int
    subscribers: str
    publishes: int
    memory_large: int


QUICK = Defaults(seconds=2.0, large=10_000, subscribers="1,50", publishes=5, memory_large=10_000)
FULL = Defaults(
    seconds=10.0, large=100_000, subscribers="1,50,500", publishes=20, memory_large=1_000_000
)
QUICK_KNOWLEDGE, FULL_KNOWLEDGE = 1_000_000, 5_000_000  # the retrieval rows' characters


def _subscribers(text: str) -> tuple[int, ...]:
    try:
        counts = tuple(sorted({int(part) for part in text.split(",") if part.strip()}))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of numbers: {text!r}") from None
    if any(n < 1 for n in counts):
        raise argparse.ArgumentTypeError("subscriber counts must be at least 1")
    return counts


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    add = parser.add_argument
    add("--personas", type=int, default=1000, help="personas in the bench workspace (1000)")
    add("--large", type=int, help="personas for the 100k rows; 0 skips them (100000)")
    add("--seconds", type=float, help="duration of each load row (10)")
    add("--connections", type=int, default=16, help="concurrent connections per row (16)")
    add("--workers", type=int, default=1, help="also measure serve --workers N (off: 1)")
    add("--subscribers", help="subscriber counts, comma-separated (1,50,500)")
    add("--publishes", type=int, help="timed publishes per subscriber run (20)")
    add(
        "--memory-large",
        type=int,
        help="conversations stored for the large memory row; 0 skips it (1000000)",
    )
    add("--tool", choices=("auto", "wrk", "python"), default="auto", help="read-row load tool")
    add(
        "--quick",
        action="store_true",
        help="smoke test: 2 s rows, --large and --memory-large 10000, 1,50 subs",
    )
    add("--retrieval", choices=("on", "off", "only"), default="on", help="the retrieval rows")
    add("--knowledge-characters", type=int, help="in the retrieval rows' 100 sources (5000000)")
    add("--markdown", type=Path, help="also write the table to this file")
    return parser


def _config(args: argparse.Namespace, parser: argparse.ArgumentParser) -> Config:
    defaults = QUICK if args.quick else FULL
    tool = args.tool
    if tool == "auto":
        tool = "wrk" if wrk.available() else "python"
    elif tool == "wrk" and not wrk.available():
        parser.error("wrk is not installed (apt-get install wrk)")
    config = Config(
        personas=args.personas,
        large=defaults.large if args.large is None else args.large,
        seconds=defaults.seconds if args.seconds is None else args.seconds,
        connections=args.connections,
        workers=args.workers,
        subscribers=_subscribers(args.subscribers or defaults.subscribers),
        publishes=defaults.publishes if args.publishes is None else args.publishes,
        tool=tool,
        memory_large=defaults.memory_large if args.memory_large is None else args.memory_large,
        retrieval=args.retrieval,
        knowledge_characters=args.knowledge_characters
        or (QUICK_KNOWLEDGE if args.quick else FULL_KNOWLEDGE),
    )
    if config.connections < 1 or config.workers < 1 or config.publishes < 1:
        parser.error("--connections, --workers and --publishes must be at least 1")
    if config.personas < 3 * config.connections + 1:
        parser.error(
            f"--personas must be at least {3 * config.connections + 1}: each write row gives"
            " every connection a persona of its own"
        )
    if not 100 <= config.knowledge_characters <= 20_000_000:
        parser.error("--knowledge-characters must be 100 to 20000000 (200,000 per source)")
    if config.large < 0 or config.seconds <= 0:
        parser.error("--large must be 0 or more and --seconds above 0")
    if config.memory_large != 0 and config.memory_large <= memory_rows.SMALL:
        parser.error(f"--memory-large must be 0 or above {memory_rows.SMALL}")
    return config


def _settings(config: Config) -> str:
    knowledge = f" knowledge base: 100 sources, {config.knowledge_characters:,} characters."
    if config.retrieval == "only":
        rows = f"{config.connections} connections, {config.seconds:g} s per row"
        return f"Settings: the retrieval rows only; {rows};{knowledge}"
    return _persona_settings(config) + (knowledge if config.retrieval == "on" else "")


def _persona_settings(config: Config) -> str:
    large = (
        f", +{count(config.large)} in another workspace, then {count(config.large)} in it"
        if config.large
        else ""
    )
    subs = "/".join(map(str, config.subscribers)) or "none"
    memory = f"{count(memory_rows.SMALL)}" + (
        f" then {count(config.memory_large)}" if config.memory_large else ""
    )
    return (
        f"Settings: {count(config.personas)} personas in the workspace{large};"
        f" {memory} conversations stored;"
        f" {config.connections} connections, {config.seconds:g} s per row;"
        f" subscribers {subs} {TIMES} {config.publishes} publishes."
    )


def _exit(signum: int, frame: object) -> None:
    sys.exit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    config = _config(args, parser)
    tools = (
        f"{wrk.version()} (reads), Python httpx (writes)"
        if config.tool == "wrk"
        else ("Python httpx (all rows; apt-get install wrk for the read rows)")
    )
    # SIGTERM unwinds like Ctrl-C, so the servers are stopped and the work files go.
    signal.signal(signal.SIGTERM, _exit)
    workdir = Path(tempfile.mkdtemp(prefix="persona-bench-"))
    try:
        with EmbeddedDatabase(workdir / "db") as database:
            progress(f"embedded database at {database.uri}; work files in {workdir}")
            rows = phases.run(config, database.uri, workdir)
    except Exception as exc:  # the first seeding, or the database itself: no table to print
        print(f"python -m bench: {exc!r}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    table = report.render(rows, report.machine(tools), _settings(config))
    print(table, end="")
    if args.markdown is not None:
        args.markdown.write_text(table, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
