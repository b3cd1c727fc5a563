"""One real SecantusDB server for the session; a fresh database for every test."""

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient
from pymongo.monitoring import CommandListener, CommandStartedEvent

from app.asgi import create_app
from app.database import MongoDatabase, bind, connect
from app.embedded import EmbeddedDatabase
from app.settings import Settings
from tests.graphql import GraphQLClient


class CommandLog(CommandListener):
    """Counts the commands the driver sends: the measure of database round trips."""

    def __init__(self) -> None:
        self.commands: list[str] = []

    def started(self, event: CommandStartedEvent) -> None:
        self.commands.append(event.command_name)

    def succeeded(self, event: Any) -> None:
        pass

    def failed(self, event: Any) -> None:
        pass


@pytest.fixture(scope="session")
def mongo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedDatabase]:
    with EmbeddedDatabase(tmp_path_factory.mktemp("secantus")) as server:
        yield server


@pytest.fixture(scope="session")
def command_log() -> CommandLog:
    return CommandLog()


@pytest.fixture(scope="session")
async def mongo_client(
    mongo_server: EmbeddedDatabase, command_log: CommandLog
) -> AsyncIterator[AsyncMongoClient[dict[str, Any]]]:
    client = connect(mongo_server.uri, event_listeners=[command_log])
    yield client
    await client.close()


@pytest.fixture
async def database(mongo_client: AsyncMongoClient[dict[str, Any]]) -> AsyncIterator[MongoDatabase]:
    name = f"test_{uuid.uuid4().hex[:12]}"
    db = mongo_client[name]
    await bind(db)
    yield db
    await mongo_client.drop_database(name)


@pytest.fixture
def settings() -> Settings:
    return Settings(cors_origins=("https://spa.example.com",))


@pytest.fixture
async def api(database: MongoDatabase, settings: Settings) -> AsyncIterator[GraphQLClient]:
    app = create_app(settings, database)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield GraphQLClient(http)


@pytest.fixture
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent
