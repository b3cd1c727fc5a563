"""One real SecantusDB server for the session; a fresh database for every test."""

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient
from pymongo.monitoring import CommandListener, CommandStartedEvent
from starlette.applications import Starlette

from app.access.keys import issue_key, workspace_named
from app.access.principal import Principal, Role
from app.platform.database import MongoDatabase, connect
from app.platform.embedded import EmbeddedDatabase
from app.platform.settings import Settings
from app.server.asgi import create_app
from app.server.models import bind_all
from tests.support.client import GraphQLClient


class CommandLog(CommandListener):
    """Counts the commands the driver sends: the measure of database round trips."""

    def __init__(self) -> None:
        self.commands: list[str] = []
        # (command, collection) of each command: a command's first value names its collection.
        self.targets: list[tuple[str, str | None]] = []
        # Whole command documents, kept only while a test asks for them.
        self.documents: list[dict[str, Any]] | None = None

    def started(self, event: CommandStartedEvent) -> None:
        self.commands.append(event.command_name)
        target = event.command.get(event.command_name)
        self.targets.append((event.command_name, target if isinstance(target, str) else None))
        if self.documents is not None:
            self.documents.append(dict(event.command))

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
    await bind_all(db)
    yield db
    await mongo_client.drop_database(name)


@pytest.fixture
def settings() -> Settings:
    return Settings(cors_origins=("https://spa.example.com",))


ClientFactory = Callable[..., Awaitable[GraphQLClient]]


@pytest.fixture
def app(database: MongoDatabase, settings: Settings) -> Starlette:
    """The app under test; its lifespan does not run unless a test enters it."""
    return create_app(settings, database)


@pytest.fixture
async def client_for(app: Starlette) -> AsyncIterator[ClientFactory]:
    """Makes clients holding a fresh key of `role` in `workspace`, on one app."""
    opened: list[httpx.AsyncClient] = []

    async def make(role: Role = Role.ADMIN, workspace: str = "acme") -> GraphQLClient:
        owner = await workspace_named(workspace)
        assert owner.id is not None
        issued = await issue_key(owner.id, f"{workspace} {role.lower()}", role)
        http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://testserver",
            headers={"Authorization": f"Bearer {issued.secret}"},
        )
        opened.append(http)
        principal = Principal(owner.id, role, issued.key.name, issued.key.id)
        return GraphQLClient(http, principal, issued.secret)

    yield make
    for http in opened:
        await http.aclose()


@pytest.fixture
async def api(client_for: ClientFactory) -> GraphQLClient:
    """An ADMIN of workspace 'acme': allowed everything there."""
    return await client_for(Role.ADMIN)


@pytest.fixture
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent
