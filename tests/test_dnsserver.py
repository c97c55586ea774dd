"""mailsec.dnsserver: the course's authoritative DNS server on loopback, over the wire and offline.

Answers are checked through dnspython's own resolver and ``dns.query`` (as the SPF, DKIM and DMARC
checks ask); the hostile-input bounds with raw sockets. Where a test must show that something got
*no* reply, it sends a real query after it on the same socket: the server answers datagrams in
order, so the first reply being the real query's proves the silence, and a socket timeout is only
the last guard against a hang.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Iterator

import dns.flags
import dns.message
import dns.opcode
import dns.query
import dns.rcode
import dns.rdataclass
import dns.resolver
import pytest

from mailsec.dnsserver import DnsServer
from mailsec.errors import InputError, NotAvailable
from mailsec.limits import (
    DNS_MAX_CONNECTIONS,
    DNS_MAX_TCP_QUERIES,
    DNS_MAX_TCP_QUERY,
    DNS_MAX_UDP_QUERY,
    DNS_TCP_TIMEOUT,
)

# A TXT record of about 600 octets: over UDP the answer is truncated (TC=1).
_BIG = " ".join(f'"{"x" * 200}"' for _ in range(3))

ZONE = f"""
example.org.          MX    10 mail.example.org.
example.org.          TXT   "v=spf1 mx -all"
mail.example.org.     A     192.0.2.10
mail.example.org.     AAAA  2001:db8::10
www.example.org.      CNAME mail.example.org.
deep.a.b.example.org. A     192.0.2.1
big.example.org.      TXT   {_BIG}
"""

GUARD = 1.0  # seconds: the last guard against a hang, shorter than DNS_TCP_TIMEOUT


@pytest.fixture(scope="module")
def server() -> Iterator[DnsServer]:
    with DnsServer(ZONE) as srv:
        yield srv


def _query(name: str, rdtype: str = "A", **kwargs: object) -> dns.message.Message:
    return dns.message.make_query(name, rdtype, **kwargs)  # type: ignore[arg-type]


def _rcode(server: DnsServer, message: dns.message.Message) -> dns.rcode.Rcode:
    response = server.answer(message.to_wire())
    assert response is not None
    return response.rcode()


def _udp_socket(server: DnsServer) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(GUARD)
    sock.connect((server.host, server.port))
    return sock


def _tcp_socket(server: DnsServer) -> socket.socket:
    sock = socket.create_connection((server.host, server.port), timeout=GUARD)
    return sock


def _ask_tcp(sock: socket.socket, message: dns.message.Message) -> dns.message.Message:
    wire = message.to_wire()
    sock.sendall(struct.pack("!H", len(wire)) + wire)
    (length,) = struct.unpack("!H", _read(sock, 2))
    return dns.message.from_wire(_read(sock, length))


def _read(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        assert chunk, "the server closed the connection"
        data += chunk
    return data


def _closed(sock: socket.socket) -> bool:
    """Whether the server has closed ``sock`` (EOF or reset) before the guard's timeout."""
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


# -- answers (RFC 1034 §4.3.2, RFC 8020) ------------------------------------------------------------


@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_rfc1035_a_mx_txt_answers_through_dnspython(server: DnsServer, tcp: bool) -> None:
    resolver = server.resolver(timeout=GUARD, lifetime=2 * GUARD)
    before_tcp = server.tcp_queries
    a = resolver.resolve("mail.example.org", "A", tcp=tcp)
    mx = resolver.resolve("example.org", "MX", tcp=tcp)
    txt = resolver.resolve("example.org", "TXT", tcp=tcp)
    assert [r.address for r in a] == ["192.0.2.10"]
    assert [(r.preference, r.exchange.to_text()) for r in mx] == [(10, "mail.example.org.")]
    assert [b"".join(r.strings) for r in txt] == [b"v=spf1 mx -all"]
    assert a.response.flags & dns.flags.AA  # RFC 1035 §4.1.1: an authoritative answer
    assert server.tcp_queries - before_tcp == (3 if tcp else 0)


def test_rfc1034_4_3_2_cname_chain_is_followed(server: DnsServer) -> None:
    answer = server.resolver().resolve("www.example.org", "A")
    assert [r.address for r in answer] == ["192.0.2.10"]
    assert answer.canonical_name.to_text() == "mail.example.org."


def test_rfc8020_nodata_for_a_parent_name_nxdomain_for_a_missing_one(server: DnsServer) -> None:
    resolver = server.resolver(timeout=GUARD, lifetime=2 * GUARD)
    with pytest.raises(dns.resolver.NoAnswer):  # exists as the parent of deep.a.b.example.org
        resolver.resolve("a.b.example.org", "A")
    with pytest.raises(dns.resolver.NoAnswer):  # exists, without MX
        resolver.resolve("mail.example.org", "MX")
    with pytest.raises(dns.resolver.NXDOMAIN):
        resolver.resolve("nowhere.example.org", "A")
    with pytest.raises(dns.resolver.NXDOMAIN):  # RFC 8020 §2: nothing exists under NXDOMAIN
        resolver.resolve("x.nowhere.example.org", "A")


def test_rfc1035_4_2_1_long_udp_answer_is_truncated_and_retried_over_tcp(
    server: DnsServer,
) -> None:
    raw = dns.query.udp(_query("big.example.org", "TXT"), server.host, GUARD, port=server.port)
    assert raw.flags & dns.flags.TC
    assert not raw.answer
    before = server.tcp_queries
    answer = server.resolver().resolve("big.example.org", "TXT")  # dnspython retries over TCP
    assert server.tcp_queries == before + 1
    assert len(b"".join(answer[0].strings)) == 600


# -- what an authoritative server that is no resolver refuses ------------------------------------


def test_a_name_outside_the_zones_domains_is_refused(server: DnsServer) -> None:
    assert _rcode(server, _query("example.net")) == dns.rcode.REFUSED
    assert _rcode(server, _query("org")) == dns.rcode.REFUSED  # a parent, but a public suffix
    assert _rcode(server, _query("a.root-servers.net")) == dns.rcode.REFUSED
    # under the registered domain of a name in the zone: not refused, it does not exist
    assert _rcode(server, _query("other.example.org")) == dns.rcode.NXDOMAIN
    with pytest.raises(dns.resolver.NoNameservers, match="REFUSED"):
        server.resolver(timeout=GUARD, lifetime=2 * GUARD).resolve("example.net", "A")


def test_the_zones_domains_are_the_registered_domains_of_its_names() -> None:
    zone = "www.lab.example.com. A 192.0.2.1\nmail.example.co.uk. A 192.0.2.2\n"
    srv = DnsServer(zone, silent=["slow.example.net"])
    assert _rcode(srv, _query("example.com")) == dns.rcode.NOERROR  # a parent: NODATA
    assert _rcode(srv, _query("x.lab.example.com")) == dns.rcode.NXDOMAIN
    assert _rcode(srv, _query("x.example.co.uk")) == dns.rcode.NXDOMAIN  # co.uk is a suffix
    assert _rcode(srv, _query("other.co.uk")) == dns.rcode.REFUSED
    assert _rcode(srv, _query("example.net")) == dns.rcode.NXDOMAIN  # a silent name's domain
    assert _rcode(srv, _query("example.org")) == dns.rcode.REFUSED


def test_refuse_outside_false_makes_the_zone_the_whole_dns() -> None:
    srv = DnsServer(ZONE, refuse_outside=False)
    assert _rcode(srv, _query("foobar.com")) == dns.rcode.NXDOMAIN  # as the RFC 7208 suite needs
    assert _rcode(srv, _query("org")) == dns.rcode.NOERROR  # the parent of names: NODATA


def test_rfc9619_a_query_without_one_question_is_formerr(server: DnsServer) -> None:
    none = dns.message.Message()
    assert _rcode(server, none) == dns.rcode.FORMERR
    two = _query("mail.example.org")
    two.question.append(_query("example.org", "MX").question[0])
    assert _rcode(server, two) == dns.rcode.FORMERR


def test_rfc1035_4_1_1_other_opcodes_are_not_implemented(server: DnsServer) -> None:
    notify = _query("example.org", "SOA")
    notify.set_opcode(dns.opcode.NOTIFY)
    assert _rcode(server, notify) == dns.rcode.NOTIMP


@pytest.mark.parametrize("rdtype", ["AXFR", "IXFR"])
def test_rfc5936_zone_transfers_are_refused(server: DnsServer, rdtype: str) -> None:
    assert _rcode(server, _query("example.org", rdtype)) == dns.rcode.REFUSED


def test_only_class_in_is_served(server: DnsServer) -> None:
    query = dns.message.make_query("version.bind", "TXT", rdclass=dns.rdataclass.CH)
    assert _rcode(server, query) == dns.rcode.REFUSED


def test_silent_names_get_no_reply_and_servfail_names_servfail() -> None:
    srv = DnsServer(ZONE, silent=["slow.example.net"], servfail=["broken.example.net"])
    assert srv.answer(_query("slow.example.net").to_wire()) is None
    assert _rcode(srv, _query("broken.example.net")) == dns.rcode.SERVFAIL


# -- hostile input -----------------------------------------------------------------------------


def test_responses_garbage_and_oversize_datagrams_get_no_reply(server: DnsServer) -> None:
    response = dns.message.make_response(_query("mail.example.org"))  # QR=1: never answered
    response.id = 1
    long_query = _query("mail.example.org", id=2).to_wire() + b"\0" * DNS_MAX_UDP_QUERY
    assert server.answer(response.to_wire()) is None
    assert server.answer(b"garbage bytes here!") is None
    real = _query("mail.example.org", id=3)
    with _udp_socket(server) as sock:
        for datagram in (response.to_wire(), b"garbage bytes here!", long_query):
            sock.send(datagram)
        sock.send(real.to_wire())
        reply = dns.message.from_wire(sock.recv(4096))  # answered in order: the first reply ...
    assert reply.id == 3  # ... is the real query's, so the three before it got none


def test_rfc1035_4_2_2_oversize_tcp_length_closes_the_connection(server: DnsServer) -> None:
    with _tcp_socket(server) as sock:
        sock.sendall(struct.pack("!H", DNS_MAX_TCP_QUERY + 1))
        assert _closed(sock)  # at once, not after DNS_TCP_TIMEOUT (GUARD is shorter)


def test_rfc7766_10_one_connection_too_many_is_closed_at_once(server: DnsServer) -> None:
    held = [_tcp_socket(server) for _ in range(DNS_MAX_CONNECTIONS)]
    try:
        for sock in held:  # each answered once: each is being served
            assert _ask_tcp(sock, _query("mail.example.org")).rcode() == dns.rcode.NOERROR
        with _tcp_socket(server) as extra:
            assert _closed(extra)
        assert _ask_tcp(held[0], _query("example.org", "MX")).answer  # the others still served
    finally:
        for sock in held:
            sock.close()


def test_rfc7766_10_queries_per_connection_are_bounded(server: DnsServer) -> None:
    with _tcp_socket(server) as sock:
        for _ in range(DNS_MAX_TCP_QUERIES):
            assert _ask_tcp(sock, _query("mail.example.org")).answer
        wire = _query("mail.example.org").to_wire()
        sock.sendall(struct.pack("!H", len(wire)) + wire)
        assert _closed(sock)


def test_rfc7766_10_a_silent_tcp_client_is_closed_after_the_timeout(server: DnsServer) -> None:
    with socket.create_connection((server.host, server.port), timeout=3 * DNS_TCP_TIMEOUT) as sock:
        started = time.monotonic()
        sock.sendall(b"\x00")  # half a length, then nothing
        assert _closed(sock)
        assert DNS_TCP_TIMEOUT * 0.9 <= time.monotonic() - started < 2 * DNS_TCP_TIMEOUT


# -- ports, hosts, threads ------------------------------------------------------------------------


def test_a_port_in_use_is_not_available_and_nothing_is_left_running() -> None:
    before = set(threading.enumerate())
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(NotAvailable) as caught:
            DnsServer(ZONE, port=port).start()  # UDP binds, TCP cannot: UDP must close again
        assert caught.value.message.startswith(
            f"The DNS server cannot listen on 127.0.0.1 port {port}: "
        )
        assert caught.value.message.endswith("Choose another port, or port 0 for a free one.")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.bind(("127.0.0.1", port))  # the server's UDP socket was closed
    assert set(threading.enumerate()) <= before


@pytest.mark.parametrize("host", ["192.0.2.1", "0.0.0.0", "::", "localhost", "example.org"])
def test_a_host_that_is_not_loopback_is_refused(host: str) -> None:
    with pytest.raises(InputError) as caught:
        DnsServer(ZONE, host=host)
    assert caught.value.message == (
        "The DNS server listens on a loopback address (127.0.0.1 or ::1), not on "
        f"{host!r}: it is for programs on this computer only."
    )


@pytest.mark.parametrize("port", [-1, 65536, True, "53"])
def test_a_port_that_is_not_a_port_number_is_refused(port: object) -> None:
    with pytest.raises(InputError, match="is not a port number: use 1 to 65535, or 0"):
        DnsServer(ZONE, port=port)  # type: ignore[arg-type]


def test_zone_text_that_does_not_parse_is_refused() -> None:
    with pytest.raises(InputError, match="The DNS server's zone is not zone-file text"):
        DnsServer("example.org. A not-an-address\n")


def test_stop_is_prompt_and_leaves_no_thread_and_a_free_port() -> None:
    before = set(threading.enumerate())
    srv = DnsServer(ZONE)
    assert srv.start() is srv.start()  # a second start is harmless
    port = srv.port
    srv.resolver().resolve("mail.example.org", "A")
    srv.resolver().resolve("mail.example.org", "A", tcp=True)
    idle = _tcp_socket(srv)  # a connection thread blocked on its read
    assert set(threading.enumerate()) - before
    started = time.monotonic()
    srv.stop()
    assert time.monotonic() - started < 1.0
    srv.stop()  # idempotent
    assert not set(threading.enumerate()) - before
    assert _closed(idle)
    idle.close()
    with DnsServer(ZONE, port=port) as again:  # UDP and TCP of that port are free again
        assert again.resolver().resolve("mail.example.org", "A", tcp=True)


def test_two_servers_at_once_get_different_ports() -> None:
    with DnsServer(ZONE) as one, DnsServer("other.example. A 192.0.2.7\n") as two:
        assert one.port != two.port
        assert [r.address for r in two.resolver().resolve("other.example", "A")] == ["192.0.2.7"]


def _has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _has_ipv6_loopback(), reason="this machine has no IPv6 loopback (::1)")
def test_ipv6_loopback_serves_udp_and_tcp() -> None:
    with DnsServer(ZONE, host="::1") as srv:
        resolver = srv.resolver(timeout=GUARD, lifetime=2 * GUARD)
        assert [r.address for r in resolver.resolve("mail.example.org", "AAAA")] == ["2001:db8::10"]
        assert resolver.resolve("mail.example.org", "A", tcp=True)
