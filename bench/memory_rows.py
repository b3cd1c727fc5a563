"""The contact-memory rows: a call start that recalls a contact, at 1k stored conversations
(in phase A, against its raw find_one) and again once the collection holds `--memory-large`.
"""

import asyncio
from typing import Any

from beanie import PydanticObjectId

from app.memory.documents import ContactFacts, Conversation
from app.memory.spaces import Place, contact_key, own_space
from app.platform.clock import utcnow
from app.platform.database import connect
from bench import memory_seed, scenarios, servers
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


def measure(bench: Bench, api: servers.Running, raw: Raw, memory: Memory) -> None:
    bench.compare_read("memory", api, target(api, memory), raw, 0.3)


async def _plans(uri: str, database: str, memory: Memory, ws: Seeded) -> str:
    """How the embedded database serves recall's two queries: index names, or a scan."""
    client = connect(uri)
    try:
        db = client[database]
        place = Place(
            PydanticObjectId(ws.workspace_id),
            own_space(PydanticObjectId(memory.persona_id)),
            contact_key(memory.contact_ids[0]),
        )
        queries: list[tuple[str, dict[str, Any]]] = [
            (
                Conversation.Settings.name,
                {
                    "filter": {**place.query, "expires_at": {"$gt": utcnow()}},
                    "sort": {"ended_at": -1, "_id": -1},
                    "limit": RECALL,
                },
            ),
            (ContactFacts.Settings.name, {"filter": place.query, "limit": 1}),
        ]
        shown = []
        for collection, find in queries:
            explained = await db.command("explain", {"find": collection, **find})
            shown.append(f"{collection} {_describe(explained['queryPlanner']['winningPlan'])}")
        return "explain: " + ", ".join(shown)
    finally:
        await client.close()


def _describe(plan: dict[str, Any]) -> str:
    """The plan's scan: the index it walks, or COLLSCAN."""
    while plan.get("inputStage") and plan["stage"] not in ("IXSCAN", "COLLSCAN"):
        plan = plan["inputStage"]
    return f"{plan['stage']} {plan.get('indexName', '')}".strip()


def large(bench: Bench, ws: Seeded, memory: Memory, slots: list[str]) -> None:
    """The collection grown to `memory_large` conversations; the call start should not notice."""
    extra = bench.config.memory_large - SMALL
    reads = ws.persona_ids[:100]
    try:
        progress(f"seeding {extra} more conversations")
        seconds = memory_seed.seed_bulk(bench.uri, bench.database, ws.workspace_id, memory, extra)
        progress(f"seeded {extra} conversations in {seconds:.1f}s ({extra / seconds:,.0f}/s)")
        plans = asyncio.run(_plans(bench.uri, bench.database, memory, ws))
        progress(plans)
        with (
            servers.baseline(bench.uri, bench.database, ws.workspace_id, bench.workdir) as base,
            servers.api(bench.uri, bench.database, 1, bench.workdir) as api,
        ):
            raw = Raw("/persona", scenarios.baseline_reads(base.url, reads))
            bench.relative("memory-large", api, target(api, memory), "memory", 0.8, raw)
        row = bench.rows["memory-large"]
        row.add_note(f"seeded in {seconds:.0f} s; {plans}")
    except Exception as exc:
        bench.fail(slots, exc)
