"""A minimal graphql-transport-ws client over a real websocket."""

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

PROTOCOL = "graphql-transport-ws"


class GraphQLWebSocket:
    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection

    async def send(self, message: dict[str, Any]) -> None:
        await self.connection.send(json.dumps(message))

    async def receive(self) -> dict[str, Any]:
        """The next message that is not a keep-alive ping (pings are answered)."""
        while True:
            message: dict[str, Any] = json.loads(await self.connection.recv())
            if message["type"] == "ping":
                await self.send({"type": "pong"})
                continue
            return message

    async def subscribe(self, operation_id: str, query: str, **variables: Any) -> None:
        payload = {"query": query, "variables": variables}
        await self.send({"id": operation_id, "type": "subscribe", "payload": payload})


@asynccontextmanager
async def graphql_ws(
    url: str, key: str | None = None, init: bool = True
) -> AsyncIterator[GraphQLWebSocket]:
    """Open the socket and, with `init`, send connection_init with the key and expect the ack."""
    async with connect(url.replace("http", "ws", 1), subprotocols=[PROTOCOL]) as connection:  # type: ignore[list-item]
        socket = GraphQLWebSocket(connection)
        if init:
            payload = {"authorization": f"Bearer {key}"} if key else {}
            await socket.send({"type": "connection_init", "payload": payload})
            assert (await socket.receive())["type"] == "connection_ack"
        yield socket
