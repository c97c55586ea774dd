"""SPF through a real DNS server on 127.0.0.1 (tests/dnsserver.py) with a dnspython Resolver.

This is how the outside conformance suite calls ``check``: with a ``dns.resolver.Resolver`` pointed
at its own server on loopback with a custom port. The same zone is also answered offline by
``ZoneResolver``; both must give the same results.
"""

from __future__ import annotations

from collections.abc import Iterator

import dns.resolver
import pytest
from dnsserver import DnsServer
from test_spf_rfc7208 import SUITES, run

from mailsec.spf import DnspythonSource, DnsStatus, ZoneResolver, check

ZONE = r"""
example.org.            TXT  "v=spf1 mx a:relay.example.org include:_spf.provider.example -all exp=why.example.org"
example.org.            MX   10 mail.example.org.
mail.example.org.       A    192.0.2.10
mail.example.org.       AAAA 2001:db8::10
relay.example.org.      A    192.0.2.11
why.example.org.        TXT  "%{i} may not send for %{d}"
_spf.provider.example.  TXT  "v=spf1 ip4:198.51.100.0/24 ~all"
alias.example.org.      CNAME target.example.net.
target.example.net.     TXT  "v=spf1 ip4:192.0.2.99 -all"
deep.a.b.example.net.   A    192.0.2.1
slow.example.org.       TXT  "v=spf1 include:silent.example.net -all"
broken.example.org.     TXT  "v=spf1 include:failing.example.net -all"
voids.example.org.      TXT  "v=spf1 a:n1.example.net a:n2.example.net a:n3.example.net ?all"
exists6.example.org.    TXT  "v=spf1 exists:%{ir}.list.example.net -all"
1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.list.example.net. A 127.0.0.2
big.example.org.        TXT  {big}
mx11.example.org.       TXT  "v=spf1 mx -all"
mx11.example.org.       MX   0 m0.example.org.
mx11.example.org.       MX   1 m1.example.org.
mx11.example.org.       MX   2 m2.example.org.
mx11.example.org.       MX   3 m3.example.org.
mx11.example.org.       MX   4 m4.example.org.
mx11.example.org.       MX   5 m5.example.org.
mx11.example.org.       MX   6 m6.example.org.
mx11.example.org.       MX   7 m7.example.org.
mx11.example.org.       MX   8 m8.example.org.
mx11.example.org.       MX   9 m9.example.org.
mx11.example.org.       MX   10 mail.example.org.
"""

# A record of about 600 octets in 200-octet strings: over UDP the answer is truncated (TC=1).
_BIG = "v=spf1 " + " ".join(f"ip4:192.0.2.{n}" for n in range(1, 33)) + " -all"
ZONE = ZONE.replace("{big}", " ".join(f'"{_BIG[i : i + 200]}"' for i in range(0, len(_BIG), 200)))

SILENT = ("silent.example.net",)
SERVFAIL = ("failing.example.net",)


@pytest.fixture(scope="module")
def server() -> Iterator[DnsServer]:
    with DnsServer(ZONE, silent=SILENT, servfail=SERVFAIL) as srv:
        yield srv


@pytest.fixture
def resolver(server: DnsServer) -> dns.resolver.Resolver:
    return server.resolver(timeout=0.3, lifetime=1.0)


def test_parent_only_names_answer_nodata_not_nxdomain(resolver: dns.resolver.Resolver) -> None:
    source = DnspythonSource(resolver)
    assert source.lookup("a.b.example.net", "A").status is DnsStatus.NODATA
    assert source.lookup("b.example.net", "TXT").status is DnsStatus.NODATA
    assert source.lookup("mail.example.org", "MX").status is DnsStatus.NODATA
    assert source.lookup("nowhere.example.net", "A").status is DnsStatus.NXDOMAIN
    answer = source.lookup("deep.a.b.example.net", "A")
    assert answer.status is DnsStatus.ANSWER
    assert [str(a) for a in answer.records] == ["192.0.2.1"]


def test_timeout_and_servfail_are_failures_not_void(resolver: dns.resolver.Resolver) -> None:
    source = DnspythonSource(resolver)
    assert source.lookup("silent.example.net", "TXT").status is DnsStatus.TIMEOUT
    assert source.lookup("failing.example.net", "TXT").status is DnsStatus.ERROR


@pytest.mark.parametrize(
    ("ip", "mail_from", "expected", "explanation"),
    [
        ("192.0.2.10", "alice@example.org", "pass", None),  # §5.4 mx
        ("2001:db8::10", "alice@example.org", "pass", None),  # §5.4 mx with AAAA
        ("192.0.2.11", "alice@example.org", "pass", None),  # §5.3 a:
        ("198.51.100.7", "alice@example.org", "pass", None),  # §5.2 include
        ("203.0.113.5", "alice@example.org", "fail", "203.0.113.5 may not send for example.org"),
        ("192.0.2.99", "bob@alias.example.org", "pass", None),  # CNAME followed by the resolver
        ("192.0.2.32", "x@big.example.org", "pass", None),  # > 512 octets: TC=1, then TCP
        ("203.0.113.1", "x@big.example.org", "fail", None),
        ("192.0.2.10", "x@mx11.example.org", "permerror", None),  # §4.6.4: 11 MX names
        ("192.0.2.10", "x@voids.example.org", "permerror", None),  # §4.6.4: 3 void lookups
        ("2001:db8::1", "x@exists6.example.org", "pass", None),  # §5.7 A lookup for IPv6
        ("192.0.2.10", "x@nothing.example.net", "none", None),  # §4.4 NXDOMAIN
    ],
)
def test_check_through_loopback_dns(
    resolver: dns.resolver.Resolver, ip: str, mail_from: str, expected: str, explanation: str | None
) -> None:
    outcome = check(ip, mail_from, "mail.example.org", resolver=resolver)
    assert outcome.result == expected, outcome.problem
    assert outcome.explanation == explanation


def test_large_answers_fall_back_to_tcp(server: DnsServer, resolver: dns.resolver.Resolver) -> None:
    # RFC 7208 §3.4: records over 512 octets need TCP; the check must still work.
    before = server.tcp_queries
    outcome = check("192.0.2.31", "x@big.example.org", "mail.example.org", resolver=resolver)
    assert outcome.result == "pass"
    assert server.tcp_queries > before


def test_timeout_gives_temperror(resolver: dns.resolver.Resolver) -> None:
    # RFC 7208 §4.4 and §5.2: a DNS timeout in an include ends the check with temperror.
    outcome = check("192.0.2.10", "x@slow.example.org", "mail.example.org", resolver=resolver)
    assert outcome.result == "temperror"
    assert "silent.example.net" in (outcome.problem or "")
    assert "timed out" in (outcome.problem or "")


def test_servfail_gives_temperror(resolver: dns.resolver.Resolver) -> None:
    # RFC 7208 §2.6.6: SERVFAIL is a transient error.
    outcome = check("192.0.2.10", "x@broken.example.org", "mail.example.org", resolver=resolver)
    assert outcome.result == "temperror"


class RecordingResolver(dns.resolver.Resolver):
    """A resolver that notes the lifetime each question was given."""

    def __init__(self) -> None:
        super().__init__(configure=False)
        self.lifetimes: list[float | None] = []

    def resolve(self, *args, lifetime=None, **kwargs):  # type: ignore[no-untyped-def]
        self.lifetimes.append(lifetime)
        return super().resolve(*args, lifetime=lifetime, **kwargs)


def test_whole_check_deadline_caps_each_query(server: DnsServer) -> None:
    # A resolver with a long lifetime still cannot make a check outlast its time limit (§4.6.4):
    # every question gets at most what is left of the check's time.
    slow = RecordingResolver()
    slow.nameservers = ["127.0.0.1"]
    slow.port = server.port
    slow.timeout = 0.2
    slow.lifetime = 30.0
    outcome = check("192.0.2.10", "x@slow.example.org", "h.example", resolver=slow, time_limit=0.5)
    assert outcome.result == "temperror"
    assert slow.lifetimes and all(t is not None and t <= 0.5 for t in slow.lifetimes)


def test_live_server_and_offline_zone_agree(resolver: dns.resolver.Resolver) -> None:
    offline = ZoneResolver.from_text(ZONE, timeouts=SILENT, failures=SERVFAIL)
    senders = [
        "a@example.org",
        "b@alias.example.org",
        "c@big.example.org",
        "d@voids.example.org",
        "e@exists6.example.org",
        "f@mx11.example.org",
        "",
        "g@broken.example.org",
    ]
    ips = [
        "192.0.2.10",
        "192.0.2.11",
        "198.51.100.200",
        "2001:db8::10",
        "2001:db8::1",
        "203.0.113.9",
    ]
    for sender in senders:
        for ip in ips:
            live = check(ip, sender, "mail.example.org", resolver=resolver)
            here = check(ip, sender, "mail.example.org", resolver=offline)
            assert (live.result, live.explanation, live.lookups) == (
                here.result,
                here.explanation,
                here.lookups,
            ), (ip, sender)


def test_command_line_with_a_nameserver(
    server: DnsServer, capsys: pytest.CaptureFixture[str]
) -> None:
    from mailsec.__main__ import main

    status = main(
        [
            "spf",
            "check",
            "--ip",
            "203.0.113.5",
            "--mail-from",
            "alice@example.org",
            "--helo",
            "mail.example.org",
            "--nameserver",
            f"127.0.0.1:{server.port}",
        ]
    )
    out = capsys.readouterr().out
    assert status == 0
    assert out.startswith("result: fail\n")
    assert "explanation: 203.0.113.5 may not send for example.org" in out
    status = main(["spf", "lint", "example.org", "--nameserver", f"127.0.0.1:{server.port}"])
    assert status == 0
    assert "DNS lookups needed: 3 of 10" in capsys.readouterr().out


@pytest.mark.parametrize(("name", "zone", "cases"), SUITES, ids=[s[0] for s in SUITES])
def test_rfc7208_cases_through_a_real_dns_server(
    name: str, zone: ZoneResolver, cases: list
) -> None:
    # The same RFC 7208 cases as tests/test_spf_rfc7208.py, now over UDP/TCP on 127.0.0.1 with a
    # dnspython Resolver, as the outside conformance suite runs them; TIMEOUT names never answer.
    with DnsServer(zone.text, silent=sorted(zone.timeouts)) as srv:
        run(srv.resolver(timeout=0.1, lifetime=0.3), cases)
