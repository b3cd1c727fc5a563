"""What every resolver may see of the request it serves."""

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.types import Info as StrawberryInfo


@dataclass
class Context:
    request: Request | WebSocket
    response: Response | WebSocket | None
    actor: str = "anonymous"


Info = StrawberryInfo[Context, None]
