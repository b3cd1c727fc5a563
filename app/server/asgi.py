"""The ASGI application: /graphql, /healthz and /readyz, bound to a database."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from pymongo import AsyncMongoClient
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from app.access.auth import AuthenticationMiddleware, principal_from
from app.access.keys import bootstrap
from app.access.principals import KeyWatch
from app.access.sockets import SocketQuota
from app.library.knowledge.addresses import AddressPolicy
from app.library.knowledge.fetching import PageFetcher
from app.library.retrieval import cache as retrieval_cache
from app.memory.retention import keep_swept
from app.personas.documents import PersonaVersion
from app.platform import collector, metrics
from app.platform.database import MongoDatabase, connect, is_reachable
from app.platform.http_errors import starlette_error
from app.platform.limits import BodySizeLimitMiddleware
from app.platform.outage import OutageMiddleware
from app.platform.reachability import DatabaseMonitor
from app.platform.requestlog import RequestLogMiddleware
from app.platform.settings import Settings
from app.release.events import EventHub
from app.release.livecache import ServedCache
from app.release.schedule_runner import ScheduleRunner
from app.server.dify import retrieval
from app.server.first_key import write_first_key
from app.server.metrics_endpoint import metrics_endpoint
from app.server.models import bind_all
from graphql_schema.app import GRAPHIQL_ASSETS, GRAPHIQL_ASSETS_PATH, GraphQLApp
from graphql_schema.sockets import SocketLimits


def create_app(settings: Settings, database: MongoDatabase | None = None) -> Starlette:
    """The app for `settings`; pass `database` to use one already bound (tests do)."""

    @asynccontextmanager
    async def serving_events() -> AsyncIterator[None]:
        monitor = DatabaseMonitor(app.state.database, timeout=settings.database_timeout_seconds)
        app.state.database_monitor = monitor
        monitor.start()
        productions = ServedCache(down_since=lambda: monitor.down_since)
        metrics.watch_cache("call_start", productions)
        app.state.events = EventHub(PersonaVersion.get_pymongo_collection().database, productions)
        app.state.key_watch = KeyWatch(principal_from)  # closes the sockets of revoked keys
        await app.state.events.start()
        sweeping = asyncio.create_task(keep_swept(timedelta(seconds=settings.memory_sweep_seconds)))
        lease = timedelta(seconds=settings.schedule_lease_seconds)
        schedules = ScheduleRunner(lease, settings.schedule_pause_after_claim_seconds)
        await schedules.start()
        # Without change streams no other process's publishes would reach the cache.
        if app.state.events.change_streams:
            productions.open()
            app.state.productions = productions
        try:
            yield
        finally:
            await schedules.stop()
            sweeping.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeping
            productions.close()
            await app.state.key_watch.stop()
            await app.state.events.stop()
            await monitor.stop()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if database is not None:
            async with serving_events():
                yield
            return
        if settings.mongodb_uri is None:
            raise RuntimeError("MONGODB_URI is not set and no database was given")
        client: AsyncMongoClient[dict[str, Any]] = connect(
            settings.mongodb_uri, timeout_seconds=settings.database_timeout_seconds
        )
        try:
            app.state.database = client[settings.mongodb_database]
            await bind_all(app.state.database)
            write_first_key(await bootstrap(), settings.data_dir)
            async with serving_events():
                collector.settle()  # a served process only: tests make apps by the hundred
                yield
        finally:
            await client.close()

    async def healthz(request: Request) -> JSONResponse:
        # Down only after a long outage: a restart of this process may be what cures it.
        monitor: DatabaseMonitor | None = getattr(request.app.state, "database_monitor", None)
        if monitor is not None and monitor.down_for() > settings.database_outage_seconds:
            since = monitor.down_since.isoformat() if monitor.down_since else None
            body = {"status": "database unreachable", "since": since}
            return JSONResponse(body, status_code=503)
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> JSONResponse:
        monitor: DatabaseMonitor | None = getattr(request.app.state, "database_monitor", None)
        if monitor is not None:
            ready = monitor.reachable  # what the last ping found: answered at once
        else:
            current = getattr(request.app.state, "database", None)
            timeout = settings.database_timeout_seconds
            ready = current is not None and await is_reachable(current, timeout)
        if ready:
            return JSONResponse({"status": "ready"})
        return JSONResponse({"status": "database unreachable"}, status_code=503)

    graphql = GraphQLApp(
        settings.graphql_introspection, settings.graphql_playground, settings.graphql_max_cost
    )
    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Mount(GRAPHIQL_ASSETS_PATH, StaticFiles(directory=GRAPHIQL_ASSETS)),
            Route("/retrieval", retrieval, methods=["POST"]),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics_endpoint(settings.metrics_public)),
        ],
        middleware=[
            Middleware(RequestLogMiddleware),
            Middleware(OutageMiddleware),  # outside authentication, which reads the database
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.cors_origins),
                allow_methods=["GET", "POST"],
                allow_headers=["Content-Type", "Authorization", "X-Request-ID"],
                expose_headers=["X-Request-ID"],
                max_age=600,
            ),
            Middleware(AuthenticationMiddleware, assets_path=GRAPHIQL_ASSETS_PATH),
            Middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes),
        ],
        exception_handlers={HTTPException: starlette_error},
        lifespan=lifespan,
    )
    app.state.socket_quota = SocketQuota(
        settings.ws_max_sockets_per_key, settings.ws_max_sockets_per_workspace
    )
    app.state.socket_limits = SocketLimits(settings.max_body_bytes, settings.ws_max_queued_bytes)
    app.state.page_fetcher = PageFetcher(AddressPolicy(settings.knowledge_fetch_allow_private))
    retrieval_cache.configure(settings.retrieval_cache_mb)
    if database is not None:
        app.state.database = database
    return app
