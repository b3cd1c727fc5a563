"""Helpers for the deployment event tests: the subscriptions, environments, and what arrives."""

import asyncio
import contextlib
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from beanie import PydanticObjectId
from pymongo import MongoClient

from app.release.documents import Deployment, Environment
from app.release.events import EventHub
from tests.support.processes import free_port
from tests.support.ws import GraphQLWebSocket

CHANGES = """
subscription($personaId: ID, $environment: String) {
  deploymentChanged(personaId: $personaId, environment: $environment) {
    eventId kind environment persona { id }
    deployment {
      environment version { version } deployedBy
      rollout { percent startedBy candidate { version } }
    }
  }
}
"""
PUBLISHES = """
subscription($personaId: ID) {
  personaPublished(personaId: $personaId) { eventId environment rollback version { version } }
}
"""
BOUND_SECONDS = 15  # what "eventually" means here; generous, for a loaded machine


async def environment_named(workspace_id: PydanticObjectId, name: str) -> Environment:
    """An environment beside production, stored as the environments service stores one."""
    return await Environment(workspace_id=workspace_id, name=name).insert()


async def remove_environment(environment: Environment) -> None:
    """Delete an environment and its deployments, as deleteEnvironment does."""
    await Environment.get_pymongo_collection().delete_one({"_id": environment.id})
    await Deployment.get_pymongo_collection().delete_many(
        {"workspace_id": environment.workspace_id, "environment": environment.name}
    )


async def eventually(condition: Callable[[], bool], what: str) -> None:
    try:
        async with asyncio.timeout(BOUND_SECONDS):
            while not condition():  # noqa: ASYNC110 - the hub has no event to wait on, by design
                await asyncio.sleep(0.01)
    except TimeoutError:
        raise AssertionError(f"never happened: {what}") from None


async def subscribed(hub: EventHub, count: int) -> None:
    """Until `count` subscriptions listen: events after this reach each of them."""
    await eventually(lambda: len(hub.subscribers) >= count, f"{count} subscribers")


async def receive(socket: GraphQLWebSocket) -> dict[str, Any]:
    return await asyncio.wait_for(socket.receive(), timeout=BOUND_SECONDS)


async def events(socket: GraphQLWebSocket, count: int) -> dict[str, list[dict[str, Any]]]:
    """The next `count` events on the socket, by subscription id, each in arrival order."""
    by_id: dict[str, list[dict[str, Any]]] = {}
    for _ in range(count):
        message = await receive(socket)
        assert message["type"] == "next", message
        (event,) = message["payload"]["data"].values()
        by_id.setdefault(message["id"], []).append(event)
    return by_id


def step(event: dict[str, Any]) -> tuple[Any, ...]:
    """What a DeploymentEvent says changed: kind, environment, version, rollout percent."""
    deployment = event["deployment"]
    rollout = deployment["rollout"]
    return (
        event["kind"],
        event["environment"],
        deployment["version"]["version"],
        None if rollout is None else (rollout["percent"], rollout["candidate"]["version"]),
    )


@contextlib.contextmanager
def standalone_database(storage: Path) -> Iterator[str]:
    """A database server that, like a standalone mongod, offers no change streams; its URI.

    (As tests/release/test_live.py starts one, for tests that run the app in-process.)
    """
    port = free_port()
    daemon = Path(sys.executable).parent / "secantusd-py"
    config = storage.parent / "empty.toml"
    config.touch()
    process = subprocess.Popen(
        [
            *(str(daemon), "--host", "127.0.0.1", "--port", str(port), "--standalone"),
            *("--storage-path", str(storage), "--config", str(config)),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    uri = f"mongodb://127.0.0.1:{port}"
    try:
        client: MongoClient[dict[str, Any]] = MongoClient(uri, serverSelectionTimeoutMS=15_000)
        with client:
            client.admin.command("ping")
        yield uri
    finally:
        process.terminate()
        process.wait(timeout=15)
