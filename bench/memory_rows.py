"""The contact-memory rows: a call start that recalls a contact, at 1k stored conversations
(in phase A, against its raw find_one) and again once the collection holds `--memory-large`.
"""

import asyncio
from collections.abc import Callable

from bench import explain, memory_seed, scenarios, servers
from bench.load import RowError, Target
from bench.memory_seed import FACTS, RECALL, Memory
from bench.report import TIMES
from bench.runner import Bench, Raw, count, progress
from bench.seed import Seeded

CONTACTS = 200  # contacts of the remembering persona, each with RECALL conversations
SMALL = CONTACTS * RECALL  # conversations stored when the first memory row runs


def plan(bench: Bench) -> list[str]:
    return bench.plan(
        {
            "memory": (
                f"liveConfiguration + memory, {CONTACTS} contacts {TIMES} {RECALL} conversations"
                f" + {len(FACTS)} facts, {count(SMALL)} stored",
                f"≥0.3{TIMES} of baseline /persona",
            )
        }
    )


def plan_large(bench: Bench) -> list[str]:
    large = count(bench.config.memory_large) if bench.config.memory_large else "N"
    return bench.plan(
        {
            "memory-large": (
                f"liveConfiguration + memory, {large} conversations stored",
                f"≥0.8{TIMES} of the {count(SMALL)} row",
            )
        }
    )


def seed(bench: Bench, ws: Seeded) -> Memory:
    progress(f"seeding a remembering persona, {CONTACTS} contacts and {SMALL} conversations")
    return memory_seed.seed_contacts(bench.uri, bench.database, ws.workspace_id, CONTACTS)


def target(api: servers.Running, memory: Memory) -> Target:
    """The row's requests, after checking a call start really recalls a contact in full."""
    recalled = scenarios.remembered(
        api.url, memory.runtime_key, memory.persona_id, memory.contact_ids[0]
    )
    if len(recalled["conversations"]) != RECALL or recalled["facts"] != FACTS:
        raise RowError(f"call start recalled {len(recalled['conversations'])} conversations")
    return scenarios.memory_reads(
        api.url, memory.runtime_key, memory.persona_id, memory.contact_ids
    )


def _plans(bench: Bench, memory: Memory) -> str:
    """How recall's queries are served now, for the row's note."""
    args = (memory.workspace_id, memory.persona_id, memory.contact_ids[0], RECALL)
    try:
        plans = asyncio.run(explain.recall_plans(bench.uri, bench.database, *args))
    except Exception as exc:
        plans = f"failed: {exc!r}"
    progress(f"explain: {plans}")
    return f"explain: {plans}"


def _measured(
    bench: Bench, slot: str, api: servers.Running, memory: Memory, run: Callable[[Target], None]
) -> None:
    """Check the call start, then `run` the row on it; a failed check is the row's error
    alone, so phase A's other rows still run."""
    try:
        checked = target(api, memory)
    except Exception as exc:
        bench.fail([slot], exc)
        return
    run(checked)


def measure(bench: Bench, api: servers.Running, raw: Raw, memory: Memory) -> None:
    plans = _plans(bench, memory)
    _measured(
        bench, "memory", api, memory, lambda t: bench.compare_read("memory", api, t, raw, 0.3)
    )
    bench.rows["memory"].add_note(plans)


def large(bench: Bench, ws: Seeded, memory: Memory, slots: list[str]) -> None:
    """The collection grown to `memory_large` conversations; the call start should not notice."""
    extra = bench.config.memory_large - SMALL
    reads = ws.persona_ids[:100]
    note = ""
    try:
        progress(f"seeding {extra} more conversations")
        seconds = memory_seed.seed_bulk(bench.uri, bench.database, ws.workspace_id, memory, extra)
        progress(f"seeded {extra} conversations in {seconds:.1f}s ({extra / seconds:,.0f}/s)")
        note = f"seeded in {seconds:.0f} s; {_plans(bench, memory)}"
        with (
            servers.baseline(bench.uri, bench.database, ws.workspace_id, bench.workdir) as base,
            servers.api(bench.uri, bench.database, 1, bench.workdir) as api,
        ):
            raw = Raw("/persona", scenarios.baseline_reads(base.url, reads))

            def run(checked: Target) -> None:
                bench.relative("memory-large", api, checked, "memory", 0.8, raw)

            _measured(bench, "memory-large", api, memory, run)
    except Exception as exc:
        bench.fail(slots, exc)
    if note:
        bench.rows["memory-large"].add_note(note)
