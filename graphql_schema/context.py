"""What every resolver may see of the request it serves."""

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.types import Info as StrawberryInfo

from app.events import EventHub


@dataclass
class Context:
    request: Request | WebSocket | None
    response: Response | WebSocket | None
    events: EventHub | None = None
    actor: str = "anonymous"


Info = StrawberryInfo[Context, None]
