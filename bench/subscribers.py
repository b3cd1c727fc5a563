"""Publish-to-subscriber latency over graphql-transport-ws, one socket per subscriber.

Every subscriber follows the same persona. Each measured publish is preceded by an
untimed rename (a publish needs a draft change); its clock starts just before the
publish request is sent and stops, per subscriber, when that subscriber reads the event.
A first, unmeasured publish proves every subscription is live before any is timed.
"""

import asyncio
import contextlib
import json
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from bench import load, scenarios
from bench.load import RowError, percentile

SUBSCRIPTION = (
    "subscription($id: ID!) { personaPublished(personaId: $id)"
    " { eventId version { version publishedAt } } }"
)
CONNECTING_AT_ONCE = 25
DELIVERY_TIMEOUT = 30.0


@dataclass
class Result:
    subscribers: int
    publishes: int
    latencies_ms: list[float] = field(default_factory=list)
    missing: int = 0  # deliveries that did not arrive within DELIVERY_TIMEOUT
    seconds: float = 0.0

    @property
    def p50_ms(self) -> float:
        return percentile(sorted(self.latencies_ms), 0.50)

    @property
    def p99_ms(self) -> float:
        return percentile(sorted(self.latencies_ms), 0.99)

    @property
    def deliveries_per_second(self) -> float:
        return len(self.latencies_ms) / self.seconds if self.seconds else 0.0


class Arrivals:
    """When each subscriber read each version's event."""

    def __init__(self, subscribers: int) -> None:
        self.subscribers = subscribers
        self.times: dict[int, list[float]] = defaultdict(list)
        self.complete: dict[int, asyncio.Event] = defaultdict(asyncio.Event)
        self.failures: list[str] = []

    def arrived(self, version: int, at: float) -> None:
        self.times[version].append(at)
        if len(self.times[version]) >= self.subscribers:
            self.complete[version].set()

    async def wait(self, version: int) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.complete[version].wait(), DELIVERY_TIMEOUT)


async def _open(ws_url: str, key: str, persona: str) -> ClientConnection:
    socket = await connect(
        ws_url,
        subprotocols=[Subprotocol("graphql-transport-ws")],
        compression=None,
        proxy=None,
        open_timeout=60,
        ping_interval=None,
        max_queue=None,
    )
    await socket.send(
        json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {key}"}})
    )
    reply = json.loads(await asyncio.wait_for(socket.recv(), 60))
    if reply.get("type") != "connection_ack":
        await socket.close()
        raise RowError(f"subscription refused: {json.dumps(reply)[:200]}")
    message = {"query": SUBSCRIPTION, "variables": {"id": persona}}
    await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": message}))
    return socket


async def _listen(socket: ClientConnection, arrivals: Arrivals) -> None:
    try:
        async for raw in socket:
            at = time.perf_counter()
            message: dict[str, Any] = json.loads(raw)
            kind = message.get("type")
            if kind == "next":
                payload = message["payload"]
                if payload.get("errors"):
                    arrivals.failures.append(json.dumps(payload["errors"])[:200])
                    return
                arrivals.arrived(payload["data"]["personaPublished"]["version"]["version"], at)
            elif kind == "ping":
                await socket.send(json.dumps({"type": "pong"}))
            elif kind in {"error", "complete"}:
                arrivals.failures.append(json.dumps(message)[:200])
                return
    except ConnectionClosed as exc:
        arrivals.failures.append(f"socket closed: {exc}")


async def _publish(http: httpx.AsyncClient, editor: scenarios.Publisher) -> tuple[float, int]:
    """Rename, then publish; (when the publish was sent, the version it made)."""
    renamed = await editor.rename(http)
    if renamed.error is not None:
        raise RowError(renamed.error)
    sent = time.perf_counter()
    data = await scenarios.post(
        http, scenarios.PUBLISH, input={"personaId": editor.id, "expectedRevision": editor.revision}
    )
    version = scenarios.payload(data, "publishPersona")["version"]["version"]
    return sent, int(version)


async def _measure(
    base_url: str, key: str, object_id: str, subscribers: int, publishes: int
) -> Result:
    editor = scenarios.Publisher(object_id)
    arrivals = Arrivals(subscribers)
    ws_url = base_url.replace("http", "ws", 1) + "/graphql"
    gate = asyncio.Semaphore(CONNECTING_AT_ONCE)

    async def opened() -> ClientConnection:
        async with gate:
            return await _open(ws_url, key, editor.id)

    sockets: list[ClientConnection] = []
    listeners: list[asyncio.Task[None]] = []
    result = Result(subscribers, publishes)
    try:
        opening = await asyncio.gather(
            *(opened() for _ in range(subscribers)), return_exceptions=True
        )
        sockets = [s for s in opening if isinstance(s, ClientConnection)]
        failed = [e for e in opening if isinstance(e, BaseException)]
        if failed:
            raise RowError(f"{len(failed)} of {subscribers} subscriptions failed: {failed[0]!r}")
        listeners = [asyncio.create_task(_listen(s, arrivals)) for s in sockets]
        async with load.client(base_url, {"Authorization": f"Bearer {key}"}, 1) as http:
            await editor.prepare(http)
            _, warm = await _publish(http, editor)
            await arrivals.wait(warm)
            if len(arrivals.times[warm]) < subscribers:
                reasons = "; ".join(arrivals.failures[:2]) or "no error reported"
                raise RowError(
                    f"only {len(arrivals.times[warm])} of {subscribers} subscribers got the"
                    f" first event within {DELIVERY_TIMEOUT:g}s ({reasons})"
                )
            start = time.perf_counter()
            for _ in range(publishes):
                sent, version = await _publish(http, editor)
                await arrivals.wait(version)
                got = arrivals.times[version]
                result.latencies_ms += [(at - sent) * 1000 for at in got]
                result.missing += subscribers - len(got)
            result.seconds = time.perf_counter() - start
    finally:
        for listener in listeners:
            listener.cancel()
        await asyncio.gather(*(s.close() for s in sockets), return_exceptions=True)
    return result


def measure(base_url: str, key: str, object_id: str, subscribers: int, publishes: int) -> Result:
    """`subscribers` sockets on one persona's publishes; `publishes` of them are timed."""
    return asyncio.run(_measure(base_url, key, object_id, subscribers, publishes))
