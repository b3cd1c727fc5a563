"""Which addresses a page fetch may connect to, and connections pinned to the checked ones.

A host is resolved once, here, and every address it resolves to is checked before any
connection; the connection then goes to a checked address itself. Checking a name and
letting the HTTP library resolve it again would let a DNS server answer the check with a
public address and the connection with an internal one (DNS rebinding).
"""

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass

import httpcore
import httpx

from app.platform.quoting import quoted

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# Cloud instance metadata: credentials live there. Some sit inside ranges the setting
# lifts (fd00:ec2::254 in fc00::/7, 100.100.100.200 in 100.64.0.0/10), so they go first.
METADATA = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)
LINK_LOCAL = (ipaddress.ip_network("169.254.0.0/16"), ipaddress.ip_network("fe80::/10"))
PRIVATE = tuple(
    ipaddress.ip_network(n)
    for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
)


class FetchRefused(Exception):
    """A page was not fetched; the message says why, readably, and quotes no long URL."""


@dataclass(frozen=True)
class AddressPolicy:
    # KNOWLEDGE_FETCH_ALLOW_PRIVATE: loopback and private addresses too.
    allow_private: bool = False

    def refusal(self, address: Address) -> str | None:
        """Why a fetch may not connect to `address`; None when it may."""
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
        if address in METADATA:
            return "a cloud metadata address"
        if any(address in network for network in LINK_LOCAL):
            return "a link-local address"
        if address.is_unspecified or address.is_multicast:
            return "not a host's address"
        if address.is_loopback or any(address in network for network in PRIVATE):
            if self.allow_private:
                return None
            kind = "loopback" if address.is_loopback else "private"
            return f"a {kind} address (KNOWLEDGE_FETCH_ALLOW_PRIVATE is off)"
        if not address.is_global:
            return "not a public address"
        return None


async def resolve(host: str, port: int) -> list[Address]:
    """Every address `host` resolves to, in the resolver's order, without duplicates."""
    try:
        # The event loop runs getaddrinfo in a thread: a slow resolver blocks no request.
        found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError):  # unknown name, or one no resolver takes
        raise FetchRefused(f"The host {quoted(host)} could not be resolved.") from None
    addresses: list[Address] = []
    for *_, sockaddr in found:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


class PinnedBackend(httpcore.AsyncNetworkBackend):
    """Opens TCP connections only to checked addresses of the host asked for."""

    def __init__(self, policy: AddressPolicy) -> None:
        self.policy = policy
        self.inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's signature)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await resolve(host, port)
        for address in addresses:
            if (reason := self.policy.refusal(address)) is not None:
                where = "" if host == str(address) else f"The host {quoted(host)} is at {address}, "
                raise FetchRefused(f"{where or f'{address} is '}{reason}: refused.")
        failure: httpcore.ConnectError | None = None
        for address in addresses:
            try:
                # An address literal: the backend connects to it without resolving anything.
                return await self.inner.connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except httpcore.ConnectError as error:
                failure = error
        raise failure or httpcore.ConnectError(f"{host} has no address")

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's signature)
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise FetchRefused("Pages are fetched over TCP only.")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class PinnedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport (request and error mapping, TLS to the URL's host name),
    over connections PinnedBackend opens."""

    def __init__(self, policy: AddressPolicy) -> None:
        super().__init__(trust_env=False)  # no proxy from the environment: we connect ourselves
        # httpx 0.28 takes no network backend of its own, so its pool is replaced by one that
        # has ours; TLS still verifies the certificate against the URL's host name.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            network_backend=PinnedBackend(policy),
        )
