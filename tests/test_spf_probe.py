"""Is live DNS usable? mailsec.spf.probe against sources that answer as a broken network does."""

from __future__ import annotations

import ipaddress

from dnsserver import DnsServer

from mailsec.spf import DnspythonSource, DnsStatus
from mailsec.spf.lookup import DnsAnswer, Record
from mailsec.spf.probe import ABSENT_NAME, KNOWN_NAME, DnsHealth, probe_dns


class Everything:
    """A DNS source that gives every question the same answer, and notes what it was asked."""

    def __init__(self, status: DnsStatus, records: tuple[Record, ...] = ()) -> None:
        self.status = status
        self.records = records
        self.asked: list[tuple[str, str]] = []

    def lookup(self, name: str, rdtype: str, *, lifetime: float | None = None) -> DnsAnswer:
        self.asked.append((name, rdtype))
        return DnsAnswer(name, rdtype, self.status, self.records, detail="as told")


class TheInternet:
    """A source that answers like working DNS: the root servers exist, .invalid does not."""

    def lookup(self, name: str, rdtype: str, *, lifetime: float | None = None) -> DnsAnswer:
        if name == KNOWN_NAME and rdtype == "A":
            address = ipaddress.IPv4Address("198.41.0.4")
            return DnsAnswer(name, rdtype, DnsStatus.ANSWER, (address,))
        return DnsAnswer(name, rdtype, DnsStatus.NXDOMAIN)


PORTAL = (ipaddress.IPv4Address("10.0.0.1"),)


def test_working_dns_is_usable() -> None:
    probe = probe_dns(TheInternet())
    assert probe.usable and probe.health is DnsHealth.USABLE
    assert [(a.name, a.status) for a in probe.answers] == [
        (KNOWN_NAME, DnsStatus.ANSWER),
        (ABSENT_NAME, DnsStatus.NXDOMAIN),
    ]


def test_a_resolver_that_answers_nxdomain_for_everything_is_not_usable() -> None:
    source = Everything(DnsStatus.NXDOMAIN)
    probe = probe_dns(source)
    assert probe.health is DnsHealth.DENIES_EVERYTHING and not probe.usable
    assert source.asked == [("a.root-servers.net", "A")]  # one question is enough to know


def test_nodata_for_the_root_server_is_not_usable_either() -> None:
    assert probe_dns(Everything(DnsStatus.NODATA)).health is DnsHealth.DENIES_EVERYTHING


def test_no_answer_at_all_means_no_network() -> None:
    assert probe_dns(Everything(DnsStatus.TIMEOUT)).health is DnsHealth.UNREACHABLE
    assert probe_dns(Everything(DnsStatus.ERROR)).health is DnsHealth.UNREACHABLE


def test_an_address_for_an_invalid_name_means_made_up_answers() -> None:
    """RFC 6761 §6.4: names under .invalid never exist."""
    source = Everything(DnsStatus.ANSWER, PORTAL)
    probe = probe_dns(source)
    assert probe.health is DnsHealth.INVENTS_ANSWERS
    assert source.asked == [("a.root-servers.net", "A"), ("mailsec-probe.invalid", "A")]


def test_a_real_server_that_knows_no_names_is_not_usable() -> None:
    """The same through dnspython and a DNS server on 127.0.0.1 that answers NXDOMAIN to all."""
    with DnsServer("portal.example. A 10.0.0.1\n") as server:
        source = DnspythonSource(server.resolver(timeout=0.5, lifetime=2))
        probe = probe_dns(source, lifetime=2)
    assert probe.health is DnsHealth.DENIES_EVERYTHING
    assert probe.answers[0].describe() == "no such name (NXDOMAIN)"
