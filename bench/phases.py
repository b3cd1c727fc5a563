"""The phases: seed once, start the servers, measure that phase's rows, stop the servers.

A: N personas in the bench workspace: reads, writes, subscribers; then N workers.
B: + `large` personas in another workspace of the same collection: persona(id) again.
C: the bench workspace itself grown to `large` personas: personas(first: 50) again.
R: a knowledge base of 100 sources: retrieveKnowledge, index build, RSS (bench/retrieval.py).
"""

import contextlib
from collections.abc import Iterator
from pathlib import Path

from bench import memory_rows, retrieval, retrieval_corpus, scenarios, servers, subscribers
from bench.load import RowError
from bench.memory_seed import Memory
from bench.report import TIMES, Row
from bench.runner import Bench, Config, Raw, count
from bench.seed import BENCH_WORKSPACE, OTHER_WORKSPACE, Seeded

READS = 100  # personas the read rows rotate over
SUBSCRIBER_P99_MS = 100.0
RSS_LIMIT_MIB = 250.0


def _phase_a(bench: Bench, ws: Seeded, memory: Memory) -> None:
    c, n = bench.config, count(bench.config.personas)
    largest = max(c.subscribers, default=0)
    slots = bench.plan(
        {
            "persona": (f"persona(id), {n} personas", f"≥0.3{TIMES} of baseline"),
            "live": ("liveConfiguration(VOICE, en-US)", f"≥0.5{TIMES} of baseline /persona"),
            "page": (f"personas(first: 50), {n} in workspace", "—"),
            "update": ("updatePersona, own persona per connection", f"≥0.25{TIMES} of baseline"),
            "publish": (
                "publishPersona: rename+publish pairs/s, latency of the publish alone",
                "— (baseline: /update)",
            ),
            **{
                f"subscribers-{s}": (
                    f"subscriber latency, {s} subscriber{'s' if s > 1 else ''}"
                    f" {TIMES} {c.publishes} publishes",
                    f"p99 ≤{SUBSCRIBER_P99_MS:g} ms" if s == 500 else "—",
                )
                for s in c.subscribers
            },
            "rss": (f"server RSS peak, {largest} subscribers", f"≤{RSS_LIMIT_MIB:g} MB at 500"),
        }
    ) + memory_rows.plan(bench)
    ids, connections = ws.persona_ids, c.connections
    reads, published = ids[:READS], ws.published_ids[:READS]
    editors = ids[-1 - connections : -1]
    publishers = ids[-1 - 2 * connections : -1 - connections]
    raw_editors = ids[-1 - 3 * connections : -1 - 2 * connections]
    try:
        with (
            servers.baseline(bench.uri, bench.database, ws.workspace_id, bench.workdir) as base,
            servers.api(bench.uri, bench.database, 1, bench.workdir) as api,
        ):
            by_id = Raw("/persona", scenarios.baseline_reads(base.url, reads))
            persona = scenarios.persona_reads(api.url, ws.key, reads)
            bench.compare_read("persona", api, persona, by_id, 0.3)
            live = scenarios.live_reads(api.url, ws.key, published)
            bench.compare_read("live", api, live, by_id, 0.5)
            page = Raw("/page", scenarios.baseline_page(base.url))
            bench.compare_read("page", api, scenarios.page_reads(api.url, ws.key), page, None)
            # Last of the reads: a slow call start's backlog then delays no other read row.
            memory_rows.measure(bench, api, by_id, memory)
            updated = bench.baseline(
                "/update",
                lambda: bench.write(
                    base, None, [scenarios.BaselineUpdater(i) for i in raw_editors]
                ),
            )
            bench.compare(
                "update",
                api,
                lambda: bench.write(api, ws.key, [scenarios.Editor(i) for i in editors]),
                updated,
                0.25,
            )
            bench.compare(
                "publish",
                api,
                lambda: bench.write(api, ws.key, [scenarios.Publisher(i) for i in publishers]),
                updated,
                None,
            )
            _subscribers(bench, api, ws.key, ids[-1])
    except Exception as exc:
        bench.fail(slots, exc)


def _subscribers(bench: Bench, api: servers.Running, key: str, followed: str) -> None:
    c = bench.config
    largest = max(c.subscribers, default=0)
    sampler = servers.RssSampler(api.process.pid)
    for s in sorted(c.subscribers):

        def make(s: int = s) -> Row:
            watch = sampler if s == largest else contextlib.nullcontext()
            with watch:
                result = subscribers.measure(api.url, key, followed, s, c.publishes)
            row = Row("", p50_ms=result.p50_ms, p99_ms=result.p99_ms)
            if s == 500:
                row.met = result.p99_ms <= SUBSCRIBER_P99_MS and not result.missing
            if result.missing:
                expected = s * c.publishes
                row.add_note(f"{result.missing} of {expected} deliveries missing")
            return row

        bench.row(f"subscribers-{s}", make)
        bench.alive(api)

    def rss() -> Row:
        if not sampler.peak:
            raise RowError("no sample: the largest subscriber run did not start")
        mib = sampler.peak_mb
        return Row("", shown=f"{mib:,.0f} MB", met=_rss_met(largest, mib))

    if c.subscribers:
        bench.row("rss", rss)


def _rss_met(subscribers: int, mib: float) -> bool | None:
    return mib <= RSS_LIMIT_MIB if subscribers >= 500 else None


def _workers(bench: Bench, ws: Seeded) -> None:
    """N workers against one worker measured just before, on the database as it is now."""
    workers = bench.config.workers
    slots = bench.plan(
        {
            "workers-one": ("persona(id), 1 worker, just before the next row", "—"),
            "workers": (f"persona(id), {max(workers, 2)} workers", f"≥1.5{TIMES} of 1 worker"),
        }
    )
    if workers == 1:
        bench.skip(slots, "pass --workers 2")
        return
    reads = ws.persona_ids[:READS]
    try:
        with servers.api(bench.uri, bench.database, 1, bench.workdir) as one:
            target = scenarios.persona_reads(one.url, ws.key, reads)
            bench.row("workers-one", lambda: Row.measured("", bench.read(target)))
        with servers.api(bench.uri, bench.database, workers, bench.workdir) as api:
            persona = scenarios.persona_reads(api.url, ws.key, reads)
            bench.relative("workers", api, persona, "workers-one", 1.5)
    except Exception as exc:
        bench.fail(slots, exc)
        return
    bench.rows["workers"].add_note(_raw_scaling(bench, ws, workers))


def _raw_scaling(bench: Bench, ws: Seeded, workers: int) -> str:
    """What this machine gives a second worker: the raw baseline itself, 1 then N workers."""
    figures = []
    try:
        for processes in (1, workers):
            with servers.baseline(
                bench.uri, bench.database, ws.workspace_id, bench.workdir, processes
            ) as base:
                reads = scenarios.baseline_reads(base.url, ws.persona_ids[:READS])
                figures.append(bench.raw(Raw(f"/persona on {processes} worker(s)", reads)))
    except Exception as exc:
        figures.append(repr(exc))
    failed = [figure for figure in figures if isinstance(figure, str)]
    if failed or len(figures) != 2:
        return f"raw baseline's own scaling not measured: {failed[0] if failed else '?'}"
    one, many = (figure for figure in figures if not isinstance(figure, str))
    return (
        f"raw baseline alone: {one.rps:,.0f} req/s with 1 worker, {many.rps:,.0f} with"
        f" {workers} ({many.rps / one.rps:.2f}{TIMES})"
    )


@contextlib.contextmanager
def _serving(bench: Bench, ws: Seeded) -> Iterator[tuple[servers.Running, servers.Running]]:
    """The baseline and a one-worker `serve`, both on the seeded database."""
    with (
        servers.baseline(bench.uri, bench.database, ws.workspace_id, bench.workdir) as base,
        servers.api(bench.uri, bench.database, 1, bench.workdir) as api,
    ):
        yield base, api


def _other_workspace(bench: Bench, ws: Seeded, slots: list[str]) -> None:
    """B: `large` personas in another workspace; persona(id) should not notice them."""
    c = bench.config
    reads = ws.persona_ids[:READS]
    try:
        bench.seed(OTHER_WORKSPACE, c.personas, c.large)
        with _serving(bench, ws) as (base, api):
            raw = Raw("/persona", scenarios.baseline_reads(base.url, reads))
            persona = scenarios.persona_reads(api.url, ws.key, reads)
            bench.relative("persona-large", api, persona, "persona", 0.8, raw)
    except Exception as exc:
        bench.fail(slots, exc)


def _big_workspace(bench: Bench, ws: Seeded, slots: list[str]) -> None:
    """C: the bench workspace grown to `large` personas; a page should cost about the same."""
    c = bench.config
    try:
        bench.seed(BENCH_WORKSPACE, c.personas + c.large, c.large - c.personas)
        with _serving(bench, ws) as (base, api):
            raw = Raw("/page", scenarios.baseline_page(base.url))
            page = scenarios.page_reads(api.url, ws.key)
            bench.relative("page-large", api, page, "page", 0.7, raw)
    except Exception as exc:
        bench.fail(slots, exc)


def run(config: Config, uri: str, workdir: Path) -> list[Row]:
    """Every phase in turn, on the database at `uri`; the rows in table order."""
    bench = Bench(config, uri, "bench", workdir)
    if config.retrieval == "only":
        return _retrieval(bench)
    ws = bench.seed(BENCH_WORKSPACE, 0, config.personas)
    memory = memory_rows.seed(bench, ws)
    _phase_a(bench, ws, memory)
    _workers(bench, ws)
    remembered = memory_rows.plan_large(bench)
    if config.memory_large == 0:
        bench.skip(remembered, "--memory-large 0")
    else:
        memory_rows.large(bench, ws, memory, remembered)
    large, small = (
        count(config.large) if config.large else "N",
        f"of the {count(config.personas)} row",
    )
    other = bench.plan(
        {"persona-large": (f"persona(id), +{large} in another workspace", f"≥0.8{TIMES} {small}")}
    )
    grown = bench.plan(
        {"page-large": (f"personas(first: 50), {large} in workspace", f"≥0.7{TIMES} {small}")}
    )
    if config.large == 0:
        bench.skip(other + grown, "--large 0")
    else:
        _other_workspace(bench, ws, other)
        if config.large > config.personas:
            _big_workspace(bench, ws, grown)
        else:
            bench.skip(grown, f"--large must exceed --personas ({config.personas})")
    order = ["persona", "persona-large", "workers-one", "workers", "live", "memory"]
    order += ["memory-large", "page", "page-large"]
    order += ["update", "publish", *(f"subscribers-{s}" for s in sorted(config.subscribers))]
    order.append("rss")
    rows = [bench.rows[slot] for slot in order if slot in bench.rows]
    return rows + (_retrieval(bench) if config.retrieval == "on" else [])


def _retrieval(bench: Bench) -> list[Row]:
    """R: the retrieval rows (bench/retrieval.py), on a workspace of their own."""
    sources = retrieval_corpus.SOURCES
    retrieval.run(bench, sources, bench.config.knowledge_characters)
    return [bench.rows[slot] for slot in retrieval.SLOTS if slot in bench.rows]
