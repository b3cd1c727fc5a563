"""What every resolver may see of the request it serves."""

from dataclasses import dataclass, field
from datetime import datetime

from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.dataloader import DataLoader
from strawberry.types import Info as StrawberryInfo

from app.access.principal import Principal
from app.access.sockets import SocketSlot
from app.personas.documents import PersonaVersion
from app.personas.reads import VersionWindow, versions_in
from app.release.events import EventHub
from app.release.livecache import ProductionCache


def _version_loader() -> DataLoader[VersionWindow, list[PersonaVersion]]:
    # One query for the versions of every persona a response lists, not one per persona.
    return DataLoader(load_fn=versions_in, cache=False)


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
    productions: ProductionCache | None = None
    # Set by a resolver that answered from memory while news could not reach it (an outage).
    stale_since: datetime | None = None
    versions: DataLoader[VersionWindow, list[PersonaVersion]] = field(
        default_factory=_version_loader
    )

    @property
    def actor(self) -> Principal:
        if self.principal is None:
            raise GraphQLError("Not authenticated.")
        return self.principal


Info = StrawberryInfo[Context, None]
