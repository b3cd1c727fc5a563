"""The app under test served by stock uvicorn in the test's own event loop.

For app-level websocket bounds: they must hold whatever server runs the app, so these
tests use uvicorn's defaults (16 MiB messages, no limits), not our ServerConfig.
"""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from starlette.applications import Starlette

from tests.support.processes import free_port


@asynccontextmanager
async def stock_uvicorn(app: Starlette) -> AsyncIterator[str]:
    """Serve `app` (lifespan included) until the block ends; yields its http:// URL."""
    port = free_port()
    config = uvicorn.Config(app, port=port, lifespan="on", log_config=None, access_log=False)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        assert not task.done(), "uvicorn did not start"
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
