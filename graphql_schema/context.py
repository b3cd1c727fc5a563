"""What every resolver may see of the request it serves."""

from dataclasses import dataclass

from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.types import Info as StrawberryInfo

from app.access import Principal
from app.events import EventHub


@dataclass
class Context:
    request: Request | WebSocket | None
    response: Response | WebSocket | None
    events: EventHub | None = None
    # Set from the API key: by the HTTP middleware, or by a websocket's connection_init.
    principal: Principal | None = None
    connection_params: dict[str, object] | None = None

    @property
    def actor(self) -> Principal:
        if self.principal is None:
            raise GraphQLError("Not authenticated.")
        return self.principal


Info = StrawberryInfo[Context, None]
