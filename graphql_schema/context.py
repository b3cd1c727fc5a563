"""What every resolver may see of the request it serves."""

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from beanie import PydanticObjectId
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.dataloader import DataLoader
from strawberry.types import Info as StrawberryInfo

from app.access.principal import Principal
from app.access.sockets import SocketSlot
from app.library.knowledge.documents import KnowledgeBase
from app.library.knowledge.fetching import PageFetcher
from app.library.knowledge.store import get_knowledge_bases
from app.library.tools.documents import Tool
from app.library.tools.store import get_tools
from app.personas.documents import PersonaVersion
from app.personas.knowledge import source_texts
from app.personas.reads import VersionWindow, versions_in
from app.release.audit import PersonaKey, VersionKey, deployments_in, versions_numbered
from app.release.documents import Deployment
from app.release.events import EventHub
from app.release.livecache import ServedCache

LibraryKey = tuple[PydanticObjectId, PydanticObjectId]  # (workspace, tool or knowledge base)
D = TypeVar("D")
Fetch = Callable[[PydanticObjectId, list[PydanticObjectId]], Awaitable[dict[PydanticObjectId, D]]]


def _library_loader(fetch: Fetch[D]) -> DataLoader[LibraryKey, D | None]:
    async def load(keys: list[LibraryKey]) -> list[D | None]:
        by_workspace: dict[PydanticObjectId, list[PydanticObjectId]] = {}
        for workspace_id, object_id in keys:
            by_workspace.setdefault(workspace_id, []).append(object_id)
        found = {
            workspace_id: await fetch(workspace_id, object_ids)
            for workspace_id, object_ids in by_workspace.items()
        }
        return [found[workspace_id].get(object_id) for workspace_id, object_id in keys]

    # Uncached: a subscription's context lives as long as its socket, and the library changes.
    return DataLoader(load_fn=load, cache=False)


@dataclass
class Context:
    request: Request | WebSocket | None
    response: Response | WebSocket | None
    events: EventHub | None = None
    # Set from the API key: by the HTTP middleware, or by a websocket's connection_init.
    principal: Principal | None = None
    connection_params: dict[str, object] | None = None
    # A websocket's place in its key's and workspace's socket caps, while it is open.
    socket_slot: SocketSlot | None = None
    # Set when this process hears every publish (change streams): then call starts read it.
    productions: ServedCache | None = None
    # Set by a resolver that answered from memory while news could not reach it (an outage).
    stale_since: datetime | None = None
    # The app's, with its settings' address policy; None: the strict default.
    page_fetcher: PageFetcher | None = None

    # The loaders are made on first use: most requests need none of them.
    @functools.cached_property
    def versions(self) -> DataLoader[VersionWindow, list[PersonaVersion]]:
        # One query for the versions of every persona a response lists, not one per persona.
        return DataLoader(load_fn=versions_in, cache=False)

    @functools.cached_property
    def tools(self) -> DataLoader[LibraryKey, Tool | None]:
        return _library_loader(get_tools)

    @functools.cached_property
    def knowledge_bases(self) -> DataLoader[LibraryKey, KnowledgeBase | None]:
        return _library_loader(get_knowledge_bases)

    @functools.cached_property
    def texts(self) -> DataLoader[str, str | None]:
        # One query for the texts of every source a response shows. Texts never change, but a
        # websocket's context lives long: nothing is kept past the batch.
        return DataLoader(load_fn=source_texts, cache=False)

    # One query for the deployments of every persona a response shows, and one for the
    # versions they serve; uncached, as the versions loader.
    @functools.cached_property
    def deployments(self) -> DataLoader[PersonaKey, list[Deployment]]:
        return DataLoader(load_fn=deployments_in, cache=False)

    @functools.cached_property
    def numbered_versions(self) -> DataLoader[VersionKey, PersonaVersion | None]:
        return DataLoader(load_fn=versions_numbered, cache=False)

    @property
    def actor(self) -> Principal:
        if self.principal is None:
            raise GraphQLError("Not authenticated.")
        return self.principal


Info = StrawberryInfo[Context, None]
