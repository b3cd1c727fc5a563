"""Web pages for the fetcher's tests, served by uvicorn in the test's own event loop.

Everything stays on this machine: pages on 127.0.0.x, and the internal addresses the
tests name (10.0.0.1, 169.254.169.254, ...) are refused before any connection.
"""

import asyncio
import gzip
import ipaddress
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from app.library.knowledge.addresses import Address, AddressPolicy
from app.library.knowledge.fetching import MAX_BYTES
from tests.support.client import USER_ERRORS, GraphQLClient
from tests.support.processes import free_port

FAQ_HTML = """<!doctype html>
<html><head><title>FAQ</title><style>body { color: red }</style>
<script>var tracking = "not text";</script></head>
<body><h1>Pricing</h1><p>The basic plan costs 10 EUR a month.</p>
<ul><li>Cancel any time</li><li>Support by phone</li></ul></body></html>"""
FAQ_TEXT = (
    "Pricing\n\nThe basic plan costs 10 EUR a month.\n\n  * Cancel any time\n  * Support by phone"
)


@dataclass
class Gate:
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    opened: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class Page:
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    gate: Gate | None = None  # holds each fetch in flight until it is opened


@dataclass
class PageServer:
    """What it serves (tests change `pages` between fetches) and what it was asked."""

    base: str
    pages: dict[str, Page] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)  # (path, Host header)

    def url(self, path: str) -> str:
        return self.base + path


def _app(server: PageServer) -> ASGIApp:
    async def page(request: Request) -> Response:
        found = server.pages.get(request.url.path)
        if found is None:
            return Response("no such page", status_code=404, media_type="text/plain")
        if found.gate is not None:
            found.gate.arrived.set()
            await found.gate.opened.wait()
        return Response(found.body, status_code=found.status, media_type=found.content_type)

    async def redirect(request: Request) -> Response:
        return RedirectResponse(request.query_params["to"], status_code=302)

    async def chain(request: Request) -> Response:
        # /chain/3 redirects three times before the page.
        left = int(request.path_params["left"])
        target = f"/chain/{left - 1}" if left > 1 else "/faq.html"
        return RedirectResponse(target, status_code=301 if left % 2 else 307)

    async def chunked(request: Request) -> Response:
        # No Content-Length at all: only counting what arrives can stop it.
        length = int(request.query_params["length"])

        async def parts() -> AsyncIterator[bytes]:
            for start in range(0, length, 65_536):
                yield b"a" * min(65_536, length - start)

        return StreamingResponse(parts(), media_type="text/plain")

    async def bomb(request: Request) -> Response:
        # A Content-Length of a few KB, honest about the wire, silent about the body.
        body = gzip.compress(b"a" * int(request.query_params["length"]))
        headers = {"Content-Encoding": "gzip"}
        return Response(body, media_type="text/plain", headers=headers)

    async def drip(request: Request) -> Response:
        # A byte every 50 ms: no read ever waits long, the whole takes 10 s.
        async def bytes_slowly() -> AsyncIterator[bytes]:
            for _ in range(200):
                yield b"a"
                await asyncio.sleep(0.05)

        return StreamingResponse(bytes_slowly(), media_type="text/plain")

    routes = [
        Route("/redirect", redirect),
        Route("/chain/{left}", chain),
        Route("/chunked", chunked),
        Route("/bomb", bomb),
        Route("/drip", drip),
        Route("/{path:path}", page),
    ]
    app = Starlette(routes=routes)

    async def recorded(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = dict(scope["headers"])
            server.requests.append((scope["path"], headers.get(b"host", b"").decode()))
        await app(scope, receive, send)

    return recorded


@asynccontextmanager
async def serve_pages(host: str = "127.0.0.1") -> AsyncIterator[PageServer]:
    """Serve pages on `host` (any 127.0.0.x) until the block ends."""
    port = free_port()
    server = PageServer(f"http://{host}:{port}")
    config = uvicorn.Config(
        _app(server),
        host=host,
        port=port,
        lifespan="off",
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=1,
    )
    uvicorn_server = uvicorn.Server(config)
    task = asyncio.create_task(uvicorn_server.serve())
    while not uvicorn_server.started:
        assert not task.done(), "the page server did not start"
        await asyncio.sleep(0.02)
    try:
        yield server
    finally:
        uvicorn_server.should_exit = True
        await task


def html(text: str = FAQ_HTML) -> Page:
    return Page(text.encode())


def plain(text: str) -> Page:
    return Page(text.encode(), "text/plain; charset=utf-8")


OVERSIZED = MAX_BYTES + 1


@dataclass(frozen=True)
class PublicStandIn(AddressPolicy):
    """The default policy, except that `public` counts as a public host's address.

    No internet here: a second loopback address plays the allowed host a redirect leaves.
    """

    public: str = "127.0.0.2"

    def refusal(self, address: Address) -> str | None:
        if address == ipaddress.ip_address(self.public):
            return None
        return super().refusal(address)


@asynccontextmanager
async def client_of(app: Starlette, like: GraphQLClient) -> AsyncIterator[GraphQLClient]:
    """A client holding `like`'s key, on another app over the same database."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://testserver",
        headers={"Authorization": f"Bearer {like.key}"},
    ) as http:
        yield GraphQLClient(http, like.principal, like.key)


SOURCE_FIELDS = "id kind title url text characters contentHash textHash fetchedAt fetchError"
REFRESH = f"""
mutation($input: RefreshKnowledgeSourceInput!) {{
  refreshKnowledgeSource(input: $input) {{
    knowledgeBase {{ id revision updatedAt sources {{ {SOURCE_FIELDS} }} }}
    {USER_ERRORS}
  }}
}}
"""
READ_SOURCES = f"""
query($id: ID!) {{
  knowledgeBase(id: $id) {{ id revision updatedAt sources {{ {SOURCE_FIELDS} }} }}
}}
"""


async def refresh(
    client: GraphQLClient, base: dict[str, Any], revision: int | None = None, source: int = -1
) -> dict[str, Any]:
    """refreshKnowledgeSource's payload for the base's last source (or `source`), at its
    revision unless another is given."""
    input = {
        "knowledgeBaseId": base["id"],
        "expectedRevision": base["revision"] if revision is None else revision,
        "sourceId": base["sources"][source]["id"],
    }
    payload: dict[str, Any] = (await client.data(REFRESH, input=input))["refreshKnowledgeSource"]
    return payload


async def read_sources(client: GraphQLClient, base: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = (await client.data(READ_SOURCES, id=base["id"]))["knowledgeBase"]
    return found
