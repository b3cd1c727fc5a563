"""The Strawberry ASGI app, serving HTTP and graphql-transport-ws at one path."""

from datetime import timedelta

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from graphql_schema.context import Context
from graphql_schema.schema import schema

MAX_SUBSCRIPTIONS = 20
CONNECTION_INIT_TIMEOUT = timedelta(seconds=10)


class GraphQLApp(GraphQL[Context, None]):
    def __init__(self) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql",
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            keep_alive=True,
            keep_alive_interval=15,
            max_subscriptions_per_connection=MAX_SUBSCRIPTIONS,
            connection_init_wait_timeout=CONNECTION_INIT_TIMEOUT,
        )

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        return Context(
            request=request, response=response, events=getattr(request.app.state, "events", None)
        )
