"""The Python load generator: C connections, each a session stepping until the time is up.

A read row is a fixed list of requests, rotated (wrk can replay those too, see bench/wrk.py);
a write row is a session that keeps state between steps, such as a persona's revision.
"""

import asyncio
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import httpx


class RowError(Exception):
    """A row cannot be measured: the reason is printed in its place in the table."""


@dataclass(frozen=True)
class HttpRequest:
    method: str
    path: str
    body: bytes | None = None


@dataclass(frozen=True)
class Target:
    """Where a read row sends its requests, and what in a 200 response still means failure."""

    base_url: str
    requests: Sequence[HttpRequest]
    headers: dict[str, str] = field(default_factory=dict)
    error_markers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Measurement:
    requests: int  # the measured operations that completed, failed ones included
    seconds: float
    errors: int
    p50_ms: float
    p99_ms: float
    tool: str
    sample_error: str | None = None
    note: str | None = None  # how it was measured, when not the usual way

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True)
class Sample:
    """One step: the latency of its measured operation (None if it had none) and any error."""

    latency: float | None
    error: str | None = None


class Session(Protocol):
    async def prepare(self, http: httpx.AsyncClient) -> None: ...

    async def step(self, http: httpx.AsyncClient) -> Sample: ...


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending sequence."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def problem(response: httpx.Response, markers: tuple[str, ...]) -> str | None:
    """Why this response is a failure, or None."""
    if response.status_code != 200:
        return f"HTTP {response.status_code}: {response.text[:200]}"
    text = response.text
    if any(marker in text for marker in markers):
        return text[:200]
    return None


class Rotating:
    """Sends a target's requests in turn, starting at `offset`."""

    def __init__(self, target: Target, offset: int) -> None:
        self.target = target
        self.index = offset

    async def prepare(self, http: httpx.AsyncClient) -> None:
        return None

    async def step(self, http: httpx.AsyncClient) -> Sample:
        request = self.target.requests[self.index % len(self.target.requests)]
        self.index += 1
        start = time.perf_counter()
        response = await http.request(request.method, request.path, content=request.body)
        latency = time.perf_counter() - start
        return Sample(latency, problem(response, self.target.error_markers))


def client(base_url: str, headers: dict[str, str], connections: int) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    return httpx.AsyncClient(
        base_url=base_url,
        headers={"Content-Type": "application/json", **headers},
        limits=limits,
        timeout=120.0,
    )


async def _drive(
    base_url: str,
    headers: dict[str, str],
    sessions: Sequence[Session],
    seconds: float,
    warm_up: bool,
) -> Measurement:
    latencies: list[float] = []
    errors: list[str] = []

    async def run(session: Session, deadline: float) -> None:
        while time.perf_counter() < deadline:
            sample = await session.step(http)
            if sample.latency is not None:
                latencies.append(sample.latency)
            if sample.error is not None:
                errors.append(sample.error)

    async with client(base_url, headers, len(sessions)) as http:
        await asyncio.gather(*(session.prepare(http) for session in sessions))
        # One untimed step each: a wrong query fails here, before it could be timed.
        for session in sessions if warm_up else ():
            sample = await session.step(http)
            if sample.error is not None:
                raise RowError(f"warm-up request failed: {sample.error}")
        start = time.perf_counter()
        await asyncio.gather(*(run(session, start + seconds) for session in sessions))
        elapsed = time.perf_counter() - start
    latencies.sort()
    return Measurement(
        requests=len(latencies),
        seconds=elapsed,
        errors=len(errors),
        p50_ms=percentile(latencies, 0.50) * 1000,
        p99_ms=percentile(latencies, 0.99) * 1000,
        tool="python",
        sample_error=errors[0] if errors else None,
    )


def drive(
    base_url: str,
    headers: dict[str, str],
    sessions: Sequence[Session],
    seconds: float,
    warm_up: bool = True,
) -> Measurement:
    """Run every session concurrently, one connection each, for `seconds`.

    Requests still in flight at the deadline are waited for and counted, so even a row
    whose requests take longer than `seconds` measures something.
    """
    if not sessions:
        raise RowError("no sessions to run")
    return asyncio.run(_drive(base_url, headers, sessions, seconds, warm_up))


def rotate(target: Target, connections: int, seconds: float, warm_up: bool = True) -> Measurement:
    """A read row on the Python generator: each connection starts at its own request."""
    spread = max(1, len(target.requests) // connections)
    sessions = [Rotating(target, index * spread) for index in range(connections)]
    return drive(target.base_url, target.headers, sessions, seconds, warm_up)


def check(target: Target) -> float:
    """Send the first request once and return its latency in seconds.

    A wrong query or id fails the row here, before it is timed.
    """
    headers = {"Content-Type": "application/json", **target.headers}
    request = target.requests[0]
    response = httpx.request(
        request.method,
        target.base_url + request.path,
        content=request.body,
        headers=headers,
        timeout=120.0,
    )
    failure = problem(response, target.error_markers)
    if failure is not None:
        raise RowError(f"check request failed: {failure}")
    return response.elapsed.total_seconds()
