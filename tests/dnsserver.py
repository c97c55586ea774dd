"""A small DNS server on loopback for tests: answers A/AAAA/MX/TXT/PTR/CNAME from zone-file text.

dnspython has no server class, so this is a few dozen lines over ``socketserver``: UDP and TCP on
the same port of 127.0.0.1, ``dns.message.from_wire`` / ``make_response``, and real DNS behaviour:

- NOERROR with answers; NOERROR with no answers (NODATA) for a name that exists without that type,
  including a name that exists only as the parent of other names;
- NXDOMAIN for names that do not exist;
- CNAME chains inside the zone are followed;
- over UDP, answers larger than 512 octets (no EDNS) are truncated (TC=1), so the client retries
  over TCP;
- names in ``silent`` get no reply at all (a timeout), names in ``servfail`` get SERVFAIL.

Use it as a context manager::

    with DnsServer(zone_text) as server:
        resolver = server.resolver(timeout=0.5, lifetime=2)
"""

from __future__ import annotations

import socket
import socketserver
import struct
import threading
from collections.abc import Iterable

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.resolver
import dns.rrset
import dns.zone

__all__ = ["DnsServer"]


class DnsServer:
    """A loopback DNS server over a zone (see the module docstring)."""

    def __init__(
        self,
        zone_text: str,
        *,
        host: str = "127.0.0.1",
        silent: Iterable[str] = (),
        servfail: Iterable[str] = (),
    ) -> None:
        text = zone_text if "$TTL" in zone_text else "$TTL 300\n" + zone_text
        self.zone = dns.zone.from_text(text, origin=".", relativize=False, check_origin=False)
        self.host = host
        self.silent = {dns.name.from_text(n) for n in silent}
        self.servfail = {dns.name.from_text(n) for n in servfail}
        self.names = set(self.zone.nodes)
        self.queries = 0
        self.tcp_queries = 0
        self._udp: socketserver.UDPServer | None = None
        self._tcp: socketserver.TCPServer | None = None
        self._threads: list[threading.Thread] = []
        self.port = 0

    # -- answering -------------------------------------------------------------------------------

    def _exists(self, name: dns.name.Name) -> bool:
        return name in self.names or any(n.is_subdomain(name) for n in self.names)

    def answer(self, wire: bytes) -> dns.message.Message | None:
        """The response to one query, or None to stay silent."""
        self.queries += 1
        query = dns.message.from_wire(wire)
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        if not query.question:
            response.set_rcode(dns.rcode.FORMERR)
            return response
        question = query.question[0]
        qname, qtype = question.name, question.rdtype
        if qname in self.silent:
            return None
        if qname in self.servfail:
            response.set_rcode(dns.rcode.SERVFAIL)
            return response
        name = qname
        for _ in range(9):
            node = self.zone.get_node(name)
            if node is None:
                break
            found = node.get_rdataset(dns.rdataclass.IN, qtype)
            if found is not None:
                rrset = dns.rrset.RRset(name, dns.rdataclass.IN, qtype)
                rrset.update(found)
                response.answer.append(rrset)
                return response
            cname = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.CNAME)
            if cname is None:
                return response  # NODATA
            rrset = dns.rrset.RRset(name, dns.rdataclass.IN, dns.rdatatype.CNAME)
            rrset.update(cname)
            response.answer.append(rrset)
            name = cname[0].target
        if not self._exists(name):
            response.set_rcode(dns.rcode.NXDOMAIN)
        return response

    # -- serving ---------------------------------------------------------------------------------

    def __enter__(self) -> DnsServer:
        server = self

        class Udp(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                data, sock = self.request
                try:
                    response = server.answer(data)
                except Exception:
                    return
                if response is None:
                    return
                wire = response.to_wire(want_shuffle=False)
                if len(wire) > 512:
                    response.answer.clear()
                    response.flags |= dns.flags.TC
                    wire = response.to_wire()
                sock.sendto(wire, self.client_address)

        class Tcp(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                conn = self.request
                conn.settimeout(5)
                try:
                    while True:
                        head = _read_exactly(conn, 2)
                        if head is None:
                            return
                        (length,) = struct.unpack("!H", head)
                        data = _read_exactly(conn, length)
                        if data is None:
                            return
                        server.tcp_queries += 1
                        response = server.answer(data)
                        if response is None:
                            return
                        wire = response.to_wire(want_shuffle=False)
                        conn.sendall(struct.pack("!H", len(wire)) + wire)
                except OSError:
                    return

        for _attempt in range(20):
            udp = socketserver.ThreadingUDPServer((self.host, 0), Udp)
            port = udp.server_address[1]
            try:
                tcp = socketserver.ThreadingTCPServer(
                    (self.host, port), Tcp, bind_and_activate=False
                )
                tcp.allow_reuse_address = True
                tcp.daemon_threads = True
                tcp.server_bind()
                tcp.server_activate()
            except OSError:
                udp.server_close()
                continue
            break
        else:  # pragma: no cover - only when the machine has no free ports
            raise RuntimeError("no free port for the test DNS server")
        udp.daemon_threads = True
        self._udp, self._tcp, self.port = udp, tcp, port
        for srv in (udp, tcp):
            thread = threading.Thread(
                target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
            )
            thread.start()
            self._threads.append(thread)
        return self

    def __exit__(self, *exc: object) -> None:
        for srv in (self._udp, self._tcp):
            if srv is not None:
                srv.shutdown()
                srv.server_close()
        for thread in self._threads:
            thread.join(timeout=5)

    def resolver(self, *, timeout: float = 1.0, lifetime: float = 3.0) -> dns.resolver.Resolver:
        """A dnspython resolver that asks only this server."""
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [self.host]
        resolver.port = self.port
        resolver.timeout = timeout
        resolver.lifetime = lifetime
        return resolver


def _read_exactly(conn: socket.socket, size: int) -> bytes | None:
    chunks = b""
    while len(chunks) < size:
        chunk = conn.recv(size - len(chunks))
        if not chunk:
            return None
        chunks += chunk
    return chunks
