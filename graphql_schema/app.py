"""The Strawberry ASGI app, serving HTTP and graphql-transport-ws at one path."""

import asyncio
import logging
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

from cross_web import AsyncHTTPRequestAdapter, HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError, MissingQueryError
from strawberry.http import GraphQLRequestData
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.http.types import QueryParams
from strawberry.schema.exceptions import (
    CannotGetOperationTypeError,
    InvalidOperationTypeError,
)
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    Message,
)
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType
from strawberry.types.unset import UNSET, UnsetType

from app.access.auth import principal_from
from app.access.principals import KeyWatch
from app.access.sockets import SocketQuota, TooManySockets
from app.platform import jsonbounds
from app.platform.requestlog import current_request
from graphql_schema import bodies
from graphql_schema.context import Context
from graphql_schema.schema import MAX_COST, build_schema, schema
from graphql_schema.sockets import (
    MALFORMED,
    TOO_MANY,
    TOO_SLOW,
    BoundedWebSocketAdapter,
    SocketTooSlow,
    malformed,
)

logger = logging.getLogger(__name__)

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
    """graphql-transport-ws, whose socket closes with 4403 once its API key is revoked.

    It also holds its key's socket slot while open, closes with 4400 on any message it
    cannot act on (instead of dying without a close frame), and drops a client that does
    not read its events (4408) once too much waits for it.
    """

    ended = False
    _ending: "asyncio.Task[None] | None" = None

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
            if self.context.socket_slot is not None:
                self.context.socket_slot.release()

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        try:
            await super().handle_connection_init(message)
        except TooManySockets as refused:  # raised by on_ws_connect, before the ack
            await self.websocket.close(TOO_MANY, str(refused))
            return
        if self.connection_acknowledged and (watch := self._watch) is not None:
            watch.watch(self)

    async def handle_message(self, message: Message) -> None:
        if self.ended:  # what the client sent before it saw the close goes unanswered
            return
        if (problem := malformed(message)) is not None:
            await self.end(MALFORMED, problem)
            return
        await super().handle_message(message)

    async def send_message(self, message: Message) -> None:
        if self.ended:
            return
        try:
            await super().send_message(message)
        except WebSocketDisconnected:
            pass  # the client went: the handler's shutdown ends this socket's operations
        except SocketTooSlow as slow:
            if self.ended:
                return
            self.ended = True
            logger.warning("closing a websocket whose client is not reading: %s", slow)
            # Not awaited here: this runs in an operation task, which end() cancels.
            reason = "Too slow: too many bytes were waiting to be sent."
            self._ending = asyncio.create_task(self.end(TOO_SLOW, reason))

    async def revoke(self) -> None:
        await self.end(*REVOKED)

    async def end(self, code: int, reason: str) -> None:
        """End the socket's operations, then close it."""
        self.ended = True
        for operation_id in list(self.operations):
            await self.cleanup_operation(operation_id)
        await self.websocket.close(code, reason)  # a no-op once the socket is closed


class GraphQLApp(GraphQL[Context, None]):
    graphql_transport_ws_handler_class = KeyWatchedHandler
    websocket_adapter_class = BoundedWebSocketAdapter

    def __init__(
        self, introspection: bool = True, playground: bool = True, max_cost: int = MAX_COST
    ) -> None:
        default = introspection and max_cost == MAX_COST
        super().__init__(
            schema if default else build_schema(introspection, max_cost),
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

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        # As Strawberry's, but subscriptions are the websocket's alone: over HTTP, Strawberry
        # would run one as a query and fail in its resolver (a logged bug, "Unexpected error.").
        method = request_adapter.method
        allowed = OperationType.from_http(method) - {OperationType.SUBSCRIPTION}
        try:
            return await self.schema.execute(
                request_data.query,
                root_value=root_value,
                variable_values=request_data.variables,
                context_value=context,
                operation_name=request_data.operation_name,
                allowed_operation_types=allowed,
                operation_extensions=request_data.extensions,
            )
        except CannotGetOperationTypeError as error:
            raise HTTPException(400, error.as_http_error_reason()) from error
        except InvalidOperationTypeError as error:
            raise bodies.wrong_transport(error.operation_type, method) from error
        except MissingQueryError as error:
            raise HTTPException(400, "No GraphQL query found in the request.") from error

    def encode_json(self, data: object) -> str:
        # Text for websocket messages too: graphql-transport-ws sends text frames.
        return jsonbounds.dumps(data)

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
            page_fetcher=getattr(request.app.state, "page_fetcher", None),
        )

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        context.principal = await principal_from(_authorization(context))
        if context.principal is None:
            raise ConnectionRejectionError()
        state = None if context.request is None else context.request.app.state
        quota: SocketQuota | None = getattr(state, "socket_quota", None)
        if quota is not None:  # held until the handler ends; TooManySockets when full
            context.socket_slot = quota.admit(context.principal)
        if (info := current_request.get()) is not None:
            info.workspace = str(context.principal.workspace_id)
        return cast(UnsetType, UNSET)
