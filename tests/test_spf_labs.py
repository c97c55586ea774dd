"""The SPF labs, driven headless through their widgets (values set, buttons clicked)."""

from __future__ import annotations

import html
import ipaddress

import dns.resolver

from mailsec.labs.spf import (
    CUSTOM_CLIENT,
    LiveLab,
    blind_spots_lab,
    live_lab,
    lookup_limit_lab,
    spf_lab,
    spoofing_lab,
)
from mailsec.spf import DnsAnswer, DnsStatus, ZoneResolver
from mailsec.spf.scenarios import blind_spot, lookup_limit, spoofing_rows


def test_spf_lab_starts_with_a_forged_sender_failing() -> None:
    lab = spf_lab()
    assert lab.last_check is not None
    assert lab.last_check.result == "fail"
    assert "✗ fail" in lab.result.value
    assert "Received-SPF: fail" in lab.result.value
    assert "3 of 10 DNS lookups" in lab.result.value
    assert "203.0.113.66 is not an authorised mail server of example.com" in lab.result.value
    assert "How the receiver decided" in lab.explanation.value
    assert "still picture of the lab" in lab.static_html()  # shown where widgets cannot run
    assert "✗ fail" in lab.static_html()


def test_spf_lab_client_preset_and_domain_change() -> None:
    lab = spf_lab()
    lab.client.value = "192.0.2.10 — example.com's own mail server"
    assert (lab.ip.value, lab.helo.value) == ("192.0.2.10", "mail.example.com")
    assert lab.last_check.result == "pass"
    lab.domain.value = "bank.example"
    assert lab.mail_from.value == "alice@bank.example"
    assert lab.record.value.startswith("v=spf1 ip4:192.0.2.40")
    assert lab.last_check.result == "fail"
    lab.client.value = CUSTOM_CLIENT  # leaves the fields alone
    assert lab.ip.value == "192.0.2.10"


def test_editing_the_record_changes_the_verdict() -> None:
    lab = spf_lab()
    lab.record.value = "v=spf1 ip4:203.0.113.0/24 -all"
    assert lab.last_check.result == "pass"
    lab.record.value = "v=spf1 ip4:203.0.113.0/33 -all"
    assert lab.last_check.result == "permerror"
    assert "larger than 32" in lab.explanation.value
    lab.record.value = "v=spf1 -all\nv=spf1 +all"  # two records, one per line
    assert lab.last_check.result == "permerror"
    lab.record.value = ""
    assert lab.last_check.result == "none"
    lab.reset.click()
    assert lab.record.value.startswith("v=spf1 mx include:_spf.mailhost.example")
    assert lab.last_check.result == "fail"


def test_bad_input_shows_a_plain_message_and_clears_the_stale_result() -> None:
    lab = spf_lab()
    before = lab.result.value
    lab.ip.value = "203.0.113.300"
    assert "'203.0.113.300' is not an IPv4 or IPv6 address" in html.unescape(lab.error.value)
    assert "Traceback" not in lab.error.value
    assert lab.result.value == "" and lab.explanation.value == ""
    lab.ip.value = "203.0.113.66"
    assert lab.error.value == "" and lab.result.value == before
    lab.mail_from.value = ""
    lab.helo.value = ""
    assert "HELO is empty too" in lab.error.value


def test_lab_uses_the_zone_it_is_given() -> None:
    zone = ZoneResolver.from_text('tiny.example. TXT "v=spf1 ip4:203.0.113.66 -all"\n')
    lab = spf_lab(resolver=zone)
    lab.domain.value = "example.com"  # not in this zone: no record
    lab.mail_from.value = "x@tiny.example"
    assert lab.last_check.result == "pass"


def test_spoofing_lab_compares_policies() -> None:
    lab = spoofing_lab()
    assert "✗ fail" in lab.result.value and "550 5.7.23" in lab.result.value
    expected = {"-all": "fail", "~all": "softfail", "?all": "neutral", "no record": "none"}
    for policy, result in expected.items():
        lab.policy.value = policy
        legit, attacker = spoofing_rows(policy)
        assert attacker.check.result == result
        assert legit.check.result == ("none" if policy == "no record" else "pass")
        assert f"Received-SPF: {result}" in lab.explanation.value


def test_lookup_limit_lab_breaks_at_the_eleventh_lookup() -> None:
    lab = lookup_limit_lab()
    lab.includes.value = 9
    assert "10 of 10 DNS lookups" in lab.result.value
    assert "✓ pass" in lab.result.value
    lab.includes.value = 10
    assert "11 of 10 DNS lookups — over the limit" in lab.result.value
    assert "✗ permerror" in lab.result.value
    lab.client.value = "first"  # matches early: the same record passes
    assert "✓ pass" in lab.result.value
    assert lookup_limit(10, client="first").check.lookups == 2


def test_blind_spots_lab() -> None:
    lab = blind_spots_lab()
    assert "✓ pass" in lab.result.value
    lab.situation.value = "forwarded"
    assert "✗ fail" in lab.result.value
    lab.situation.value = "lookalike"
    assert "DIFFERENT domain" in lab.result.value
    assert blind_spot("lookalike").check.domain == "evil.example"


def test_live_lab_is_off_by_default() -> None:
    lab = live_lab()
    assert "Live mode is off" in lab.result.value
    lab.run.click()
    assert "Live mode is off" in lab.result.value


def test_live_lab_says_plainly_when_there_is_no_network() -> None:
    def unreachable() -> dns.resolver.Resolver:
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = ["127.0.0.1"]
        resolver.port = 9  # discard port: nothing answers
        resolver.timeout = 0.2
        resolver.lifetime = 0.4
        return resolver

    lab = LiveLab(enabled=True, resolver_factory=unreachable)
    lab.run.click()
    assert "No network" in lab.result.value
    assert "Traceback" not in lab.result.value


class AnswersNxdomainToEverything:
    """A resolver behind a captive portal or a broken network: no name exists."""

    def lookup(self, name: str, rdtype: str, *, lifetime: float | None = None) -> DnsAnswer:
        return DnsAnswer(name, rdtype, DnsStatus.NXDOMAIN)


class GivesItsOwnAddressToEverything:
    """A resolver that answers every A question with a captive portal's address."""

    def lookup(self, name: str, rdtype: str, *, lifetime: float | None = None) -> DnsAnswer:
        if rdtype == "A":
            return DnsAnswer(name, rdtype, DnsStatus.ANSWER, (ipaddress.IPv4Address("10.0.0.1"),))
        return DnsAnswer(name, rdtype, DnsStatus.NODATA)


def test_live_lab_says_dns_is_unusable_when_every_name_is_nxdomain() -> None:
    lab = live_lab(enabled=True, resolver_factory=AnswersNxdomainToEverything)
    lab.run.click()
    shown = html.unescape(lab.result.value)
    assert "DNS is not usable here" in shown
    assert (
        "This machine's DNS server answers, but it says that a.root-servers.net does not exist "
        "(no such name (NXDOMAIN)). That name exists wherever the Internet's DNS works: it is one "
        "of the root name servers. So an answer about gmail.com would mean nothing either, and "
        "live mode does not check it." in shown
    )
    assert "captive portal" in shown
    assert "publishes no SPF record" not in shown and "none" not in shown.split()
    assert lab.error.value == ""


def test_live_lab_says_dns_is_unusable_when_it_invents_answers() -> None:
    lab = live_lab(enabled=True, resolver_factory=GivesItsOwnAddressToEverything)
    lab.run.click()
    shown = html.unescape(lab.result.value)
    assert "DNS is not usable here" in shown
    assert (
        "This machine's DNS server gave an address for mailsec-probe.invalid (10.0.0.1), a name "
        "that cannot exist (RFC 6761 §6.4)" in shown
    )


def test_live_lab_with_a_reachable_server() -> None:
    zone = ZoneResolver.from_text(
        'live.example. TXT "v=spf1 ip4:192.0.2.1 -all"\n'
        "a.root-servers.net. A 198.41.0.4\n"  # the name the lab checks before trusting DNS
    )
    lab = LiveLab(enabled=True, resolver_factory=lambda: zone)
    lab.mail_from.value = "x@live.example"
    lab.run.click()
    assert "✓ pass" in lab.result.value


def test_a_huge_client_address_is_named_in_a_short_message():
    lab = spf_lab()
    lab.ip.value = "1" * 100_000
    message = html.unescape(lab.error.value)
    assert "is not an IPv4 or IPv6 address" in message
    assert "99,940 more characters" in message
    assert len(message) < 2_000
