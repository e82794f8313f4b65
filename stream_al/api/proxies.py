"""The client's address: the TCP peer, or what a trusted reverse proxy says it is.

Behind a reverse proxy every request comes from the proxy's address, so the
sign-in limit (`stream_al.api.signin`) would count every client as one. A
proxy names the client in ``X-Forwarded-For``, but anyone can send that
header: `ForwardedClient` believes it only from the peers listed in ``[api]
trusted_proxies``, and then takes the rightmost address that is not itself a
trusted proxy (the one the outermost trusted proxy saw). With no trusted
proxy (the default) the header is ignored.

>>> resolve = ClientResolver(["10.0.0.0/8"])
>>> resolve("10.1.2.3", ["203.0.113.9, 10.0.0.5"])
'203.0.113.9'
>>> resolve("198.51.100.4", ["203.0.113.9"])  # not a trusted proxy: the header is ignored
'198.51.100.4'
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

from fastapi import Request
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["ClientResolver", "ForwardedClient", "client_address"]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class ClientResolver:
    """The client's address from the peer's and the ``X-Forwarded-For`` values.

    Parameters
    ----------
    trusted
        Addresses or networks of the reverse proxies to believe.
    """

    def __init__(self, trusted: Iterable[str]) -> None:
        self.networks: list[Network] = [ipaddress.ip_network(t, strict=False) for t in trusted]

    def trusts(self, address: str) -> bool:
        """Whether `address` is one of the trusted proxies."""
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.networks)

    def __call__(self, peer: str, forwarded: Sequence[str]) -> str:
        """The client of a request from `peer` carrying these ``X-Forwarded-For`` values."""
        if not self.trusts(peer):
            return peer
        hops = [hop.strip() for value in forwarded for hop in value.split(",")]
        client = peer
        for hop in reversed(hops):
            try:
                ipaddress.ip_address(hop)
            except ValueError:
                break  # garbage left of the proxies' own entries: stop at the last good hop
            client = hop
            if not self.trusts(hop):
                break
        return client


class ForwardedClient:
    """ASGI middleware: put the client named by a trusted proxy in the request's scope."""

    def __init__(self, app: ASGIApp, trusted: Iterable[str]) -> None:
        self.app = app
        self.resolve = ClientResolver(trusted)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.resolve.networks and scope.get("client"):
            host, port = scope["client"]
            forwarded = [
                value.decode("latin-1")
                for name, value in scope.get("headers", ())
                if name == b"x-forwarded-for"
            ]
            if forwarded:
                scope = {**scope, "client": (self.resolve(host, forwarded), port)}
        await self.app(scope, receive, send)


def client_address(request: Request) -> str:
    """The request's client address (after `ForwardedClient`), or ``"unknown"``."""
    return request.client.host if request.client is not None else "unknown"
