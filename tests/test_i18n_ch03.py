"""Chapter 03 (SPF) in the pseudo-locale: every word its labs and its command line show went
through the catalogs.

Each lab is made under ``qps`` and driven through every menu choice, a few edited records (a
syntax error, an empty record, risky terms, a redirect), bad input that shows an error, and for
the live lab the off/on switch and a DNS that is unreachable, one that denies everything, one that
invents answers and one that works. After each step nothing may be left outside the marks but
data (:mod:`tests.pseudolocale`). The evaluation's trace, lint's findings, the scenarios'
stories and the syntax errors come from :mod:`mailsec.spf` and are marked too; the header fields
and the result tokens (``pass``, ``fail`` ...) are wire text and go through as they are.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

import pytest

from mailsec.cli import spf as spf_cli
from mailsec.errors import InputError
from mailsec.i18n import PSEUDO, language, set_language, using
from mailsec.labs import spf
from mailsec.labs.frame import Lab, close_all
from mailsec.spf import check_host
from mailsec.spf.lint import lint
from mailsec.spf.lookup import DnsAnswer, DnsStatus
from mailsec.spf.zone import ZoneResolver, example_resolver
from tests.pseudolocale import words_outside_marks


@pytest.fixture(autouse=True)
def english_kernel() -> Iterator[None]:
    set_language("en")
    yield
    set_language("en")


def _clean(lab: Lab, found: list[str], step: str) -> None:
    found += [f"{step}: {w}" for w in words_outside_marks(lab)]


def test_the_spf_lab_in_every_state() -> None:
    lab = spf.spf_lab(lang=PSEUDO)
    found: list[str] = []
    _clean(lab, found, "start")
    for domain in spf.DOMAINS:
        lab.domain.value = domain
        _clean(lab, found, domain)
    lab.domain.value = "example.com"
    for client in [*spf.CLIENTS, spf.CUSTOM_CLIENT]:
        lab.client.value = client
        _clean(lab, found, client)
    for record in (
        "v=spf1 ip4:192.0.2",  # a syntax error
        "v=spf1",  # no terms
        "v=spf1 +all ptr exists:%{i}.x.example ?all mx",
        "v=spf1 a:%{q}.example -all",  # an unknown macro letter
        "v=spf1 redirect=nospf.example a/33",
        "v=spf1 include:nospf.example -all",
        "",  # no record at all
    ):
        lab.record.value = record
        _clean(lab, found, repr(record))
    lab.reset.click()
    lab.ip.value = "not an address"
    assert lab.error.value
    _clean(lab, found, "bad IP")
    lab.ip.value = "203.0.113.66"
    lab.mail_from.value = ""
    lab.helo.value = ""
    assert lab.error.value
    _clean(lab, found, "null sender without HELO")
    lab.mail_from.value = "alice@exa mple.com"
    assert lab.error.value
    _clean(lab, found, "a space in the domain")
    lab.mail_from.value = "alice@example.com"
    lab.reset.click()
    assert not lab.error.value
    _clean(lab, found, "reset")
    assert found == []


def test_the_spoofing_lab_under_every_policy() -> None:
    lab = spf.spoofing_lab(lang=PSEUDO)
    found: list[str] = []
    for _label, policy in lab.policy.options:
        lab.policy.value = policy
        _clean(lab, found, policy)
    assert found == []


def test_the_lookup_limit_lab() -> None:
    lab = spf.lookup_limit_lab(lang=PSEUDO)
    found: list[str] = []
    for includes in (0, 8, 9, 10, 14):
        lab.includes.value = includes
        _clean(lab, found, f"{includes} includes")
    lab.extra.value = True
    _clean(lab, found, "extra lookups")
    lab.client.value = "first"
    _clean(lab, found, "the first provider")
    assert found == []


def test_the_blind_spots_lab_in_every_situation() -> None:
    lab = spf.blind_spots_lab(lang=PSEUDO)
    found: list[str] = []
    for _label, situation in lab.situation.options:
        lab.situation.value = situation
        _clean(lab, found, situation)
    assert found == []


class _Unreachable:
    def lookup(self, name: str, rdtype: str, *, lifetime: float | None = None) -> DnsAnswer:
        return DnsAnswer(name, rdtype, DnsStatus.TIMEOUT, detail="no answer in time")


class _Denies:
    def lookup(self, name: str, rdtype: str, *, lifetime: float | None = None) -> DnsAnswer:
        return DnsAnswer(name, rdtype, DnsStatus.NXDOMAIN)


class _Invents:
    def lookup(self, name: str, rdtype: str, *, lifetime: float | None = None) -> DnsAnswer:
        if rdtype == "A":
            return DnsAnswer(name, rdtype, DnsStatus.ANSWER, (ipaddress.IPv4Address("10.0.0.1"),))
        return DnsAnswer(name, rdtype, DnsStatus.NODATA)


def _no_resolver() -> object:
    raise OSError("no resolv.conf")


def test_the_live_lab_off_on_and_with_every_kind_of_dns() -> None:
    zone = ZoneResolver.from_text(
        'live.example. TXT "v=spf1 ip4:192.0.2.1 -all"\na.root-servers.net. A 198.41.0.4\n'
    )
    found: list[str] = []
    lab = spf.live_lab(lang=PSEUDO)
    _clean(lab, found, "off")
    lab.run.click()
    _clean(lab, found, "off, clicked")
    lab.enabled.value = True
    _clean(lab, found, "on")
    for name, factory in (
        ("no resolver", _no_resolver),
        ("unreachable", _Unreachable),
        ("denies", _Denies),
        ("invents", _Invents),
        ("works", lambda: zone),
    ):
        lab.resolver_factory = factory
        lab.mail_from.value = "x@live.example"
        lab.run.click()
        _clean(lab, found, name)
    lab.ip.value = "999.1.1.1"
    lab.run.click()
    assert lab.error.value
    _clean(lab, found, "bad IP")
    lab.ip.value = "192.0.2.1"
    lab.mail_from.value = "x@nodots"
    lab.run.click()
    assert lab.error.value
    _clean(lab, found, "bad domain")
    close_all(lab)
    assert found == []


def test_every_step_of_a_trace_and_every_finding_is_marked() -> None:
    resolver = example_resolver()
    with using(PSEUDO):
        for domain in ("example.com", "bank.example", "toomany.example", "macros.example",
                       "legacy.example", "broken.example", "twospf.example", "nospf.example"):  # fmt: skip
            outcome = check_host("203.0.113.66", domain, f"x@{domain}", resolver=resolver)
            for step in outcome.trace:
                assert step.text.startswith("⟦"), step.text
            if outcome.problem:
                assert "⟦" in outcome.problem, outcome.problem
            assert outcome.result.meaning.startswith("⟦")
            for finding in lint(domain, resolver=resolver).findings:
                assert finding.message.startswith("⟦"), finding.message
                assert finding.severity.label.startswith("⟦")
        bad = check_host("nope", "example.com", "x@example.com", resolver=resolver)
        assert all(step.text.startswith("⟦") for step in bad.trace)


def test_a_trace_is_told_in_the_language_it_is_read_in() -> None:
    """The steps keep their keys and values: the words are chosen when the trace is first read."""
    with using(PSEUDO):
        marked = check_host(
            "192.0.2.10", "example.com", "a@example.com", resolver=example_resolver()
        )
        assert marked.trace[0].text.startswith("⟦check_host(")
    plain = check_host("192.0.2.10", "example.com", "a@example.com", resolver=example_resolver())
    assert (
        plain.trace[0].text == "check_host(ip=192.0.2.10, domain=example.com, sender=a@example.com)"
    )


def _run(argv: list[str]) -> int:
    """``mailsec spf ...`` in the pseudo-locale: the group's parser and run (``--lang`` takes only
    the course's languages, so the pseudo-locale is entered around the call)."""
    import argparse

    with using(PSEUDO):
        parser = argparse.ArgumentParser(prog="mailsec spf")
        spf_cli.configure(parser)
        return spf_cli.run(parser.parse_args(argv))


def test_the_command_line_speaks_the_pseudo_locale(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["check", "--ip", "192.0.2.10", "--mail-from", "a@example.com", "--helo",
            "mail.example.com", "--zone", "example", "--trace"]  # fmt: skip
    assert _run(argv) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "⟦result: pass⟧"
    assert out[1].startswith("⟦meaning: ⟦This server")
    assert any(line.startswith("Received-SPF: pass ") for line in out)  # the header: as on the wire
    assert any("⟦check_host(ip=192.0.2.10" in line for line in out)  # the trace
    assert _run(["lint", "v=spf1 ptr +all", "--zone", "example"]) == 0  # warnings only
    out = capsys.readouterr().out
    assert "⟦⟦warning⟧: ⟦'ptr': the ptr mechanism" in out
    assert "⟦DNS lookups needed: 1 of 10⟧" in out
    assert language() == "en"


def test_a_bad_name_server_is_one_marked_line(capsys: pytest.CaptureFixture[str]) -> None:
    from mailsec.__main__ import main

    with pytest.raises(InputError) as raised:
        _run(["lint", "example.com", "--nameserver", "[::1"])
    assert str(raised.value).startswith("⟦The name server '[::1' opens '['")
    # The same in English, through the command line's frame: one line on standard error.
    assert main(["spf", "lint", "example.com", "--nameserver", "[::1"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "The name server '[::1' opens '['" in err, err


def test_the_command_line_help_is_marked() -> None:
    import argparse

    with using(PSEUDO):
        parser = argparse.ArgumentParser(prog="mailsec spf")
        spf_cli.configure(parser)
        text = parser.format_help()
    assert "⟦check a client IP" in text and "⟦report syntax errors" in text
