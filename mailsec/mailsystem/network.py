"""The mail system's Internet: routing course addresses to loopback listeners, and ISP A's edge.

Every server of the system listens on a free port of 127.0.0.1; :class:`Internet` knows which
course address and port each one plays (``mx.example.com`` 192.0.2.10 port 25 → 127.0.0.1:41234).
A client asks it to :meth:`~Internet.route` a connection: the answer is the real loopback
endpoint to connect to and the loopback alias to connect *from* (so the server sees the client's
address, :func:`mailsec.mailsystem.plan.loopback_alias`), or the edge router's refusal.

ISP A's edge applies chapter 02's rule (:func:`mailsec.op25b.rules.edge_ruling`): with OP25B on,
a connection to port 25 from ISP A's dynamic pool to a server outside ISP A is dropped
(RFC 5068 §3). The refusal is real: the client is sent to a port where nothing listens and its
``connect()`` fails at once, as behind a router that answers with a reset.

An on-path device -- the attacker who alters mail in transit -- is a *tap* on one course
endpoint: while it is set, connections to that endpoint go to the tap, which connects on to the
real server from the client's own address, as a router on the path would.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import socket
import threading
from dataclasses import dataclass

from mailsec.errors import InputError
from mailsec.i18n import texts
from mailsec.mailsystem.plan import DESKTOP, loopback_alias
from mailsec.op25b.model import Host, Policy, World
from mailsec.op25b.rules import Decision, Ruling, edge_ruling

__all__ = ["Internet", "Route"]

LOOPBACK = "127.0.0.1"

MESSAGES = texts(
    {
        "unknown_address": "No machine of this mail system has the address {address!r}.",
        "no_service": "{host} ({address}) does not listen on port {port}.",
    }
)


@dataclass(frozen=True)
class Route:
    """Where a connection goes: the loopback endpoint, the source alias, and the edge's ruling."""

    host: str
    port: int
    course_port: int
    """The port the client asked for (25, 587 ...)."""
    source: str
    """The loopback alias to bind the client's socket to."""
    server: Host
    ruling: Ruling | None = None
    """ISP A's edge decision, for a client inside ISP A (None elsewhere)."""
    tapped: bool = False
    """An on-path device sits on this endpoint."""

    @property
    def dropped(self) -> bool:
        return self.ruling is not None and self.ruling.decision is Decision.DROPPED


class Internet:
    """Routing between the system's machines (see the module docstring)."""

    def __init__(self, world: World, *, op25b: bool) -> None:
        self.world = world
        self.policy = Policy(op25b=op25b)
        self._listeners: dict[tuple[str, int], int] = {}
        self._taps: dict[tuple[str, int], int] = {}
        self._lock = threading.Lock()
        self._by_alias = {loopback_alias(h.ipv4): h for h in world.hosts}
        # A bound socket that never listens: connecting to it is refused at once (a reset).
        self._closed = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._closed.bind((LOOPBACK, 0))

    def close(self) -> None:
        self._closed.close()

    def listen(self, host_id: str, port: int, real_port: int) -> None:
        """Record that ``host_id``'s service on ``port`` listens on 127.0.0.1:``real_port``."""
        address = str(self.world.host(host_id).ipv4)
        with self._lock:
            self._listeners[(address, port)] = real_port

    def listening_port(self, host_id: str, port: int) -> int:
        """The real loopback port of ``host_id``'s service on ``port``."""
        address = str(self.world.host(host_id).ipv4)
        return self._listeners[(address, port)]

    def tap(self, address: str, port: int, real_port: int | None) -> None:
        """Put an on-path device listening on ``real_port`` in front of ``address:port``
        (None takes it away)."""
        with self._lock:
            if real_port is None:
                self._taps.pop((address, port), None)
            else:
                self._taps[(address, port)] = real_port

    def host_of(self, peer: str) -> Host:
        """The machine whose loopback alias is ``peer`` (a server asks who connected); for any
        other address, the learner's own mail program at that address (:data:`DESKTOP`)."""
        host = self._by_alias.get(peer)
        if host is not None:
            return host
        try:
            address = ipaddress.IPv4Address(peer)
        except ValueError:  # IPv6 or a name: the desktop at its own course address
            return DESKTOP
        return dataclasses.replace(DESKTOP, ipv4=address)

    def route(self, client: Host, address: str, port: int) -> Route:
        """How ``client`` reaches ``address:port`` (see the module docstring)."""
        address = str(ipaddress.ip_address(address))
        try:
            server = self.world.host(address)
        except InputError:
            raise InputError(MESSAGES["unknown_address"].format(address=address)) from None
        source = loopback_alias(client.ipv4)
        ruling = None
        if client.network == "isp-a" and server.network != "isp-a":
            ruling = edge_ruling(self.world, self.policy, client, server, port)
            if ruling.decision is Decision.DROPPED:
                return Route(LOOPBACK, self._closed.getsockname()[1], port, source, server, ruling)
        with self._lock:
            tapped = self._taps.get((address, port))
            real = self._listeners.get((address, port))
        if tapped is not None:
            return Route(LOOPBACK, tapped, port, source, server, ruling, tapped=True)
        if real is None:
            raise InputError(
                MESSAGES["no_service"].format(host=server.hostname, address=address, port=port)
            )
        return Route(LOOPBACK, real, port, source, server, ruling)
