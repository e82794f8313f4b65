"""Does a Kafka broker answer? One ApiVersions request on a fresh socket, with a deadline.

Kafka clients do not say when a broker stops answering: a frozen or partitioned
broker just makes polls come back empty and sends wait. The transport asks
directly, only when it has a reason to (no progress for a few seconds, or an
error), with a request every broker answers before authentication (ApiVersions
v0, which is also the first step of the SASL handshake). TLS listeners are
wrapped with the client's own TLS settings. Both Kafka backends use it. No
Kafka client is built for this: a failed kafka-python 3.0.12 constructor leaks
its I/O thread, so probing an unreachable broker with one would leak a thread
per try, and a librdkafka client never fails to build: it retries in the
background and says so only in its logs.

>>> probe("127.0.0.1:1", timeout=0.5)  # nothing listens on port 1
'127.0.0.1:1: ...'
"""

from __future__ import annotations

import socket
import ssl
import struct
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["parse_bootstrap", "probe"]

_API_VERSIONS = 18
_CORRELATION_ID = 0x5A17
_CLIENT_ID = b"stream-al-probe"


def parse_bootstrap(bootstrap: str | Sequence[str]) -> list[tuple[str, int]]:
    """``"h1:9092,h2:9093"`` (or a list of ``host[:port]``) as (host, port) pairs.

    >>> parse_bootstrap("kafka-1:9093,[::1]:9094,kafka-2")
    [('kafka-1', 9093), ('::1', 9094), ('kafka-2', 9092)]
    """
    entries = bootstrap.split(",") if isinstance(bootstrap, str) else list(bootstrap)
    servers = []
    for entry in (e.strip() for e in entries):
        if not entry:
            continue
        host, sep, port = entry.rpartition(":")
        if not sep or host.endswith(":") or (host.startswith("[") != host.endswith("]")):
            host, port = entry, "9092"  # no port, or a bare IPv6 address
        servers.append((host.strip("[]"), int(port)))
    return servers


def probe(
    bootstrap: str | Sequence[str],
    options: Mapping[str, Any] | None = None,
    timeout: float = 1.5,
) -> str | None:
    """None if a bootstrap server answers within `timeout` seconds, else why none did.

    Parameters
    ----------
    bootstrap
        The servers, as given to the Kafka clients.
    options
        TLS settings in kafka-python's names: only ``security_protocol`` and the
        ``ssl_*`` ones are used (the confluent backend translates its own).
    timeout
        Seconds allowed per server for connecting, sending and the first answer bytes.
    """
    options = options or {}
    reason = "no bootstrap server given"
    for host, port in parse_bootstrap(bootstrap):
        try:
            _ask(host, port, options, timeout)
            return None
        except (OSError, ValueError) as exc:
            reason = f"{host}:{port}: {exc or type(exc).__name__}"
    return reason


def _ask(host: str, port: int, options: Mapping[str, Any], timeout: float) -> None:
    header = struct.pack(">hhih", _API_VERSIONS, 0, _CORRELATION_ID, len(_CLIENT_ID))
    request = header + _CLIENT_ID
    conn = socket.create_connection((host, port), timeout=timeout)
    try:
        conn = _tls(conn, host, options)
        conn.settimeout(timeout)
        conn.sendall(struct.pack(">i", len(request)) + request)
        answer = b""
        while len(answer) < 8:
            chunk = conn.recv(8 - len(answer))
            if not chunk:
                raise ValueError("connection closed before an answer")
            answer += chunk
    finally:
        conn.close()
    _, correlation = struct.unpack(">ii", answer)
    if correlation != _CORRELATION_ID:
        raise ValueError("answer does not match the request: not a Kafka broker?")


def _tls(sock: socket.socket, host: str, options: Mapping[str, Any]) -> socket.socket:
    if options.get("security_protocol") not in ("SSL", "SASL_SSL"):
        return sock
    context = options.get("ssl_context")
    if context is None:
        context = ssl.create_default_context(cafile=options.get("ssl_cafile"))
        if options.get("ssl_certfile"):
            context.load_cert_chain(
                options["ssl_certfile"], options.get("ssl_keyfile"), options.get("ssl_password")
            )
        context.check_hostname = bool(options.get("ssl_check_hostname", True))
    wrapped: socket.socket = context.wrap_socket(sock, server_hostname=host)
    return wrapped
