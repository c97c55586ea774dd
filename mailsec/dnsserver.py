"""An authoritative DNS server for the course's zone on loopback (chapter 09).

::

    with DnsServer(zone_text) as server:           # UDP and TCP on one free port of 127.0.0.1
        resolver = server.resolver(timeout=0.5, lifetime=2)
        resolver.resolve("example.org", "TXT")     # as the SPF, DKIM and DMARC checks ask

dnspython has a resolver but no server, so this is one over ``socketserver`` with
``dns.message.from_wire`` / ``make_response``, answering from zone-file text as an authoritative
server does (RFC 1034 §4.3.2, without delegations or wildcards):

- answers; NODATA (NOERROR, no answers) for a name that exists without that type, even if it
  exists only as the parent of other names (RFC 8020 §2); NXDOMAIN for a name that does not;
  CNAME chains inside the zone followed;
- REFUSED for a name outside the zone's domains: the registered domains of its names by the
  Public Suffix List (``example.org`` for ``mail.example.org``; SOA records cannot mark them, as
  dnspython reads the zone with origin ``.`` and allows an SOA only there). With
  ``refuse_outside=False`` the zone stands for the whole DNS and such a name is NXDOMAIN, as the
  RFC 7208 test suite's zones expect;
- REFUSED for a class other than IN and for zone transfers (AXFR, IXFR); NOTIMP for an opcode
  other than QUERY; FORMERR for a query without exactly one question (RFC 9619);
- over UDP, an answer longer than 512 octets is truncated (TC=1, RFC 1035 §4.2.1) whatever EDNS
  buffer the client offers, so the client's retry over TCP can be seen;
- no reply for names in ``silent`` (the client times out), SERVFAIL for names in ``servfail``.

It does not recurse, sign (DNSSEC), transfer zones, take NOTIFY or UPDATE, or do EDNS beyond
echoing the client's OPT record. It listens on loopback only (127.0.0.0/8 or ::1): it is for
programs on this computer, and an open DNS server on a network is a tool for reflection attacks.

Bounds against a hostile program on this computer (the ``DNS_*`` constants of
:mod:`mailsec.limits`, after RFC 7766 §10): the size of a query over UDP and over TCP, TCP
connections at once (one more is closed at once), seconds to send each query over TCP, and
queries per connection. A datagram that is not a query -- garbage, or a response (QR=1), which
answered could start a loop between two servers -- gets no reply. UDP and TCP each run in one
daemon thread, each TCP connection in one of at most ``DNS_MAX_CONNECTIONS`` more;
:meth:`DnsServer.stop` closes both sockets and every connection and joins every thread.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import ipaddress
import socket
import socketserver
import struct
import threading
import time
from collections.abc import Iterable
from typing import Any

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.resolver
import dns.rrset
import dns.zone
from publicsuffixlist import PublicSuffixList

from mailsec.errors import InputError, NotAvailable, quoted
from mailsec.limits import (
    DNS_MAX_CONNECTIONS,
    DNS_MAX_TCP_QUERIES,
    DNS_MAX_TCP_QUERY,
    DNS_MAX_UDP_QUERY,
    DNS_TCP_TIMEOUT,
    MAX_CNAME_CHAIN,
)

__all__ = ["DnsServer"]

#: RFC 1035 §4.2.1: a UDP message without EDNS holds 512 octets; a longer answer is truncated.
UDP_ANSWER = 512
#: Free UDP ports tried before giving up when another program holds the same port for TCP.
PORT_ATTEMPTS = 20
#: Seconds between the serving threads' checks for :meth:`DnsServer.stop`; the most it waits.
POLL, JOIN_TIMEOUT = 0.05, 5.0

_TRANSFERS = frozenset({dns.rdatatype.AXFR, dns.rdatatype.IXFR})


class DnsServer:
    """An authoritative DNS server on loopback over a zone (see the module docstring)."""

    def __init__(
        self,
        zone_text: str,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        silent: Iterable[str] = (),
        servfail: Iterable[str] = (),
        refuse_outside: bool = True,
    ) -> None:
        self.host, self._family = _loopback(host)
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
            raise InputError(
                f"The DNS server's port {port!r} is not a port number: use 1 to 65535, or 0 for "
                "a free port."
            )
        text = zone_text if "$TTL" in zone_text else "$TTL 300\n" + zone_text
        try:
            self.zone = dns.zone.from_text(text, origin=".", relativize=False, check_origin=False)
        except dns.exception.DNSException as exc:
            raise InputError(f"The DNS server's zone is not zone-file text: {exc}") from None
        self.silent = {dns.name.from_text(n) for n in silent}
        self.servfail = {dns.name.from_text(n) for n in servfail}
        self.domains = _domains([*self.zone.nodes, *self.silent, *self.servfail])
        self.refuse_outside = refuse_outside
        self.queries = self.tcp_queries = self.port = 0
        self._wanted_port = port
        self._count, self._state = threading.Lock(), threading.Lock()
        self._servers: tuple[_Udp, _Tcp] | None = None
        self._threads: list[threading.Thread] = []

    # -- answering -------------------------------------------------------------------------------

    def answer(self, wire: bytes) -> dns.message.Message | None:
        """The response to one query, or None for no reply: not a query, or a ``silent`` name."""
        try:
            query = dns.message.from_wire(wire)
        except Exception:  # dnspython raises many kinds of error on hostile bytes: none is a query
            return None
        if query.flags & dns.flags.QR:
            return None  # a response: answering it could start a loop between two servers
        with self._count:
            self.queries += 1
        response = dns.message.make_response(query)
        question = query.question[0] if len(query.question) == 1 else None
        if query.opcode() != dns.opcode.QUERY:
            response.set_rcode(dns.rcode.NOTIMP)  # RFC 1035 §4.1.1: NOTIFY, UPDATE ... not built
        elif question is None:
            response.set_rcode(dns.rcode.FORMERR)  # RFC 9619: a QUERY has exactly one question
        elif question.rdtype in _TRANSFERS or question.rdclass != dns.rdataclass.IN:
            response.set_rcode(dns.rcode.REFUSED)  # no zone transfers; only class IN is served
        elif not self._answers_for(question.name):
            response.set_rcode(dns.rcode.REFUSED)  # authoritative for its zone only; no resolver
        elif question.name in self.silent:
            return None
        elif question.name in self.servfail:
            response.set_rcode(dns.rcode.SERVFAIL)
        else:
            response.flags |= dns.flags.AA
            self._look_up(question.name, question.rdtype, response)
        return response

    def _look_up(
        self, qname: dns.name.Name, qtype: dns.rdatatype.RdataType, response: dns.message.Message
    ) -> None:
        name = qname
        for _ in range(MAX_CNAME_CHAIN + 1):  # a loop ends here; the client reports it
            node = self.zone.get_node(name)
            if node is None:
                break
            found = node.get_rdataset(dns.rdataclass.IN, qtype)
            if found is not None:
                response.answer.append(dns.rrset.from_rdata_list(name, found.ttl, list(found)))
                return
            cname = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.CNAME)
            if cname is None:
                return  # NODATA: the name exists without this type
            response.answer.append(dns.rrset.from_rdata_list(name, cname.ttl, list(cname)))
            name = cname[0].target
        names = self.zone.nodes
        if self._answers_for(name) and not any(n.is_subdomain(name) for n in names):
            response.set_rcode(dns.rcode.NXDOMAIN)  # not even the parent of a name in the zone

    def _answers_for(self, name: dns.name.Name) -> bool:
        if not self.refuse_outside:
            return True
        while name not in self.domains:
            if name == dns.name.root:
                return False
            name = name.parent()
        return True

    def _udp_reply(self, data: bytes) -> bytes | None:
        response = self.answer(data) if len(data) <= DNS_MAX_UDP_QUERY else None
        if response is None:
            return None
        wire = response.to_wire(want_shuffle=False)
        if len(wire) > UDP_ANSWER:
            for section in (response.answer, response.authority, response.additional):
                section.clear()
            response.flags |= dns.flags.TC
            wire = response.to_wire()
        return wire

    def _serve_connection(self, conn: socket.socket) -> None:
        """Queries over one TCP connection, each after its 2-octet length (RFC 1035 §4.2.2),
        until the client closes it, is slow, sends too much or has asked its share."""
        for _ in range(DNS_MAX_TCP_QUERIES):
            deadline = time.monotonic() + DNS_TCP_TIMEOUT
            head = _read_exactly(conn, 2, deadline)
            if head is None or struct.unpack("!H", head)[0] > DNS_MAX_TCP_QUERY:
                return
            data = _read_exactly(conn, struct.unpack("!H", head)[0], deadline)
            with self._count:
                self.tcp_queries += data is not None
            response = None if data is None else self.answer(data)
            if response is None:
                return
            wire = response.to_wire(want_shuffle=False)
            conn.sendall(struct.pack("!H", len(wire)) + wire)

    # -- serving ---------------------------------------------------------------------------------

    def start(self) -> DnsServer:
        """Listen on UDP and TCP; nothing happens if the server is running already."""
        with self._state:
            if self._servers is not None:
                return self
            self._servers = udp, tcp = self._bind()
            self.port = udp.server_address[1]
            for kind, server in (("udp", udp), ("tcp", tcp)):
                name = f"mailsec-dns-{self.port}-{kind}"
                thread = threading.Thread(
                    target=server.serve_forever, args=(POLL,), name=name, daemon=True
                )
                thread.start()
                self._threads.append(thread)
        return self

    def _bind(self) -> tuple[_Udp, _Tcp]:
        for _ in range(1 if self._wanted_port else PORT_ATTEMPTS):
            try:
                udp = _Udp((self.host, self._wanted_port), self._family, self)
            except OSError as exc:
                raise NotAvailable(self._cannot_listen(self._wanted_port, exc)) from None
            port = udp.server_address[1]
            try:
                return udp, _Tcp((self.host, port), self._family, self)
            except OSError as exc:
                udp.server_close()
                if self._wanted_port or exc.errno != errno.EADDRINUSE:
                    raise NotAvailable(self._cannot_listen(port, exc)) from None
        raise NotAvailable(
            f"The DNS server found no port of {self.host} free for both UDP and TCP in "
            f"{PORT_ATTEMPTS} tries; stop some programs that listen there and try again."
        )

    def _cannot_listen(self, port: int, exc: OSError) -> str:
        return (
            f"The DNS server cannot listen on {self.host} port {port}: "
            f"{exc.strerror or exc}. Choose another port, or port 0 for a free one."
        )

    def stop(self) -> None:
        """Close both sockets and every connection, and wait for every thread to end."""
        with self._state:
            servers, threads = self._servers, self._threads
            self._servers, self._threads = None, []
            if servers is None:
                return
            udp, tcp = servers
            udp.shutdown()
            tcp.shutdown()
            tcp.close_connections()
            udp.server_close()
            tcp.server_close()
            for thread in threads:
                thread.join(JOIN_TIMEOUT)

    def __enter__(self) -> DnsServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def resolver(self, *, timeout: float = 1.0, lifetime: float = 3.0) -> dns.resolver.Resolver:
        """A dnspython resolver that asks only this server."""
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [self.host]
        resolver.port = self.port
        resolver.timeout, resolver.lifetime = timeout, lifetime
        return resolver


class _Udp(socketserver.UDPServer):
    """Answers every datagram in the server's one thread: answers come from memory."""

    max_packet_size = DNS_MAX_UDP_QUERY + 1  # one octet more shows a datagram that is too long

    def __init__(self, address: tuple[str, int], family: int, dns_server: DnsServer) -> None:
        self.address_family, self.dns_server = family, dns_server
        super().__init__(address, socketserver.BaseRequestHandler)

    def finish_request(
        self, request: socket.socket | tuple[bytes, socket.socket], client_address: Any
    ) -> None:
        if isinstance(request, socket.socket):  # a UDP server's request is (datagram, socket)
            raise TypeError("a UDP server answers datagrams")
        datagram, sock = request
        wire = self.dns_server._udp_reply(datagram)
        if wire is not None:
            with contextlib.suppress(OSError):  # the client has gone; nobody else to tell
                sock.sendto(wire, client_address)


class _Tcp(socketserver.TCPServer):
    """Serves each connection in its own thread, at most ``DNS_MAX_CONNECTIONS`` at once."""

    allow_reuse_address = True  # the port can be bound again while old connections linger
    request_queue_size = DNS_MAX_CONNECTIONS

    def __init__(self, address: tuple[str, int], family: int, dns_server: DnsServer) -> None:
        self.address_family, self.dns_server = family, dns_server
        self.connections: dict[socket.socket, threading.Thread] = {}
        self.lock, self.closing = threading.Lock(), False
        super().__init__(address, socketserver.BaseRequestHandler)

    def process_request(
        self, request: socket.socket | tuple[bytes, socket.socket], client_address: Any
    ) -> None:
        if not isinstance(request, socket.socket):  # a TCP server's request is its connection
            raise TypeError("a TCP server serves connections")
        with self.lock:
            if not self.closing and len(self.connections) < DNS_MAX_CONNECTIONS:
                name = f"mailsec-dns-{self.server_address[1]}-tcp-connection"
                thread = threading.Thread(target=self._serve, args=(request,), name=name)
                self.connections[request] = thread
                thread.daemon = True
                thread.start()
                return
        self.shutdown_request(request)  # one connection too many: closed at once

    def _serve(self, conn: socket.socket) -> None:
        try:
            self.dns_server._serve_connection(conn)
        except (OSError, dns.exception.DNSException):
            pass  # a client that went away or was too slow, or an answer too large to send
        finally:
            with self.lock:
                self.connections.pop(conn, None)
            self.shutdown_request(conn)

    def close_connections(self) -> None:
        """Drop every connection (a blocked read returns at once) and wait for its thread."""
        with self.lock:
            self.closing = True
            open_now = list(self.connections.items())
        for conn, thread in open_now:
            with contextlib.suppress(OSError):  # it may have closed meanwhile
                conn.shutdown(socket.SHUT_RDWR)
            thread.join(JOIN_TIMEOUT)


def _loopback(host: str) -> tuple[str, int]:
    """``host`` and its address family, if it is a loopback address; else an InputError."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is None or not address.is_loopback:
        raise InputError(
            f"The DNS server listens on a loopback address (127.0.0.1 or ::1), not on "
            f"{quoted(str(host))}: it is for programs on this computer only."
        )
    return str(address), socket.AF_INET6 if address.version == 6 else socket.AF_INET


@functools.lru_cache(maxsize=1)
def _suffixes() -> PublicSuffixList:
    return PublicSuffixList()


def _domains(names: Iterable[dns.name.Name]) -> frozenset[dns.name.Name]:
    """The registered domain of each name (``example.org`` for ``mail.example.org``) by the Public
    Suffix List; a public suffix (``org``) or the root stands for itself."""
    domains = set()
    for name in names:
        registered = _suffixes().privatesuffix(name.to_text(omit_final_dot=True).lower())
        domains.add(dns.name.from_text(registered) if registered else name)
    return frozenset(domains)


def _read_exactly(conn: socket.socket, size: int, deadline: float) -> bytes | None:
    """``size`` octets from ``conn`` before ``deadline``, or None if it closes first."""
    chunks = b""
    while len(chunks) < size:
        conn.settimeout(max(deadline - time.monotonic(), 0.001))  # too slow: socket.timeout
        chunk = conn.recv(size - len(chunks))
        if not chunk:
            return None
        chunks += chunk
    return chunks
