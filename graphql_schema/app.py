"""The Strawberry ASGI app, serving HTTP and graphql-transport-ws at one path."""

from datetime import timedelta
from pathlib import Path
from typing import Any, cast

from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketState
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.types import QueryParams
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    Message,
)
from strawberry.types.unset import UNSET, UnsetType

from app.access.auth import principal_from
from app.access.principals import KeyWatch
from app.platform.requestlog import current_request
from graphql_schema import bodies
from graphql_schema.context import Context
from graphql_schema.schema import build_schema, schema

CDN = "https://unpkg.com/"
GRAPHIQL_ASSETS = Path(__file__).parent / "static" / "graphiql"
GRAPHIQL_ASSETS_PATH = "/graphiql-assets"
MAX_SUBSCRIPTIONS = 20
CONNECTION_INIT_TIMEOUT = timedelta(seconds=10)
REVOKED = (4403, "API key revoked")


def _authorization(context: Context) -> object:
    params = context.connection_params or {}
    # "authorization" is the documented spelling; many clients copy the header's capital A.
    given = {str(name).lower(): value for name, value in params.items()}
    return given.get("authorization")


class KeyWatchedHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """graphql-transport-ws, whose socket closes with 4403 once its API key is revoked."""

    revoked = False

    @property
    def authorization(self) -> str:
        return str(_authorization(self.context))

    @property
    def _watch(self) -> KeyWatch | None:
        request = self.context.request
        return None if request is None else getattr(request.app.state, "key_watch", None)

    async def handle(self) -> None:
        try:
            await super().handle()
        finally:
            if (watch := self._watch) is not None:
                watch.unwatch(self)

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        await super().handle_connection_init(message)
        if self.connection_acknowledged and (watch := self._watch) is not None:
            watch.watch(self)

    async def handle_message(self, message: Message) -> None:
        if not self.revoked:  # what the client sent before it saw the close goes unanswered
            await super().handle_message(message)

    async def revoke(self) -> None:
        """End the socket's operations, then close it."""
        self.revoked = True
        for operation_id in list(self.operations):
            await self.cleanup_operation(operation_id)
        socket = self.context.request
        if isinstance(socket, WebSocket) and socket.application_state == WebSocketState.CONNECTED:
            await self.websocket.close(*REVOKED)


class GraphQLApp(GraphQL[Context, None]):
    graphql_transport_ws_handler_class = KeyWatchedHandler

    def __init__(self, introspection: bool = True, playground: bool = True) -> None:
        super().__init__(
            schema if introspection else build_schema(introspection=False),
            graphql_ide="graphiql" if playground else None,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            keep_alive=True,
            keep_alive_interval=15,
            max_subscriptions_per_connection=MAX_SUBSCRIPTIONS,
            connection_init_wait_timeout=CONNECTION_INIT_TIMEOUT,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        # As Strawberry's own, but a refused request is answered in JSON, not plain text.
        try:
            response = await self.run(Request(scope, receive=receive))
        except HTTPException as error:
            response = bodies.error_response(error)
        await response(scope, receive, send)

    def parse_json(self, data: str | bytes) -> Any:
        # Only HTTP bodies come here; websocket messages go to decode_json.
        return bodies.operation_body(data)

    def parse_query_params(self, params: QueryParams) -> dict[str, Any]:
        return bodies.operation_params(params)

    async def render_graphql_ide(self, request: Request) -> Response:
        # The page's scripts come from this server, so the playground works without internet;
        # Strawberry's integrity hashes still check they are the exact upstream files.
        return HTMLResponse(self.graphql_ide_html.replace(CDN, GRAPHIQL_ASSETS_PATH + "/"))

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        return Context(
            request=request,
            response=response,
            events=getattr(request.app.state, "events", None),
            productions=getattr(request.app.state, "productions", None),
            principal=request.scope.get("state", {}).get("principal"),
        )

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        context.principal = await principal_from(_authorization(context))
        if context.principal is None:
            raise ConnectionRejectionError()
        if (info := current_request.get()) is not None:
            info.workspace = str(context.principal.workspace_id)
        return cast(UnsetType, UNSET)
