"""The offline zone resolver, header fields (RFC 7208 §9.1, RFC 8601), lint and the command line."""

from __future__ import annotations

import pytest

from mailsec.__main__ import main
from mailsec.errors import InputError
from mailsec.spf import (
    DnsStatus,
    OverlaySource,
    ZoneResolver,
    authentication_results,
    check,
    check_helo,
    example_resolver,
    received_spf,
)
from mailsec.spf.lint import Severity, lint
from mailsec.spf.mta import sender_identity

# -- the offline resolver ------------------------------------------------------------------------

ZONE = ZoneResolver.from_text(
    """
$ORIGIN example.test.
@        TXT   "v=spf1 -all"
www      CNAME web
web      A     192.0.2.5
loop1    CNAME loop2
loop2    CNAME loop1
a.b.c    A     192.0.2.6
"""
)


def test_zone_answers_like_dns() -> None:
    assert ZONE.lookup("example.test", "TXT").status is DnsStatus.ANSWER
    assert ZONE.lookup("example.test", "A").status is DnsStatus.NODATA
    assert ZONE.lookup("b.c.example.test", "A").status is DnsStatus.NODATA  # parent only (RFC 8020)
    assert ZONE.lookup("c.example.test", "TXT").status is DnsStatus.NODATA
    assert ZONE.lookup("zz.example.test", "A").status is DnsStatus.NXDOMAIN
    assert [str(a) for a in ZONE.lookup("WWW.Example.Test.", "A").records] == ["192.0.2.5"]
    assert ZONE.lookup("loop1.example.test", "A").status is DnsStatus.ERROR


def test_zone_syntax_errors_name_the_line() -> None:
    with pytest.raises(InputError, match="line 2"):
        ZoneResolver.from_text("ok.test. A 192.0.2.1\nbad.test. A 192.0.2\n")


def test_overlay_replaces_one_record_and_keeps_the_rest() -> None:
    overlay = OverlaySource(
        ZONE, {("example.test", "TXT"): ((b"v=spf1 a:www.example.test -all",),)}
    )
    assert check("192.0.2.5", "x@example.test", "h.test", resolver=overlay).result == "pass"
    assert check("192.0.2.5", "x@example.test", "h.test", resolver=ZONE).result == "fail"


# -- §2.3-2.4 identities -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mail_from", "helo", "expected"),
    [
        ("alice@example.com", "h.example", ("alice@example.com", "example.com", "mailfrom")),
        ("<alice@example.com>", "h.example", ("alice@example.com", "example.com", "mailfrom")),
        ("", "mail.example.org", ("postmaster@mail.example.org", "mail.example.org", "helo")),
        ("<>", "mail.example.org", ("postmaster@mail.example.org", "mail.example.org", "helo")),
        ("@example.net", "h", ("postmaster@example.net", "example.net", "mailfrom")),
        ('"a@b"@example.net', "h", ('"a@b"@example.net', "example.net", "mailfrom")),
    ],
)
def test_sender_identity_2_4_and_4_3(mail_from: str, helo: str, expected: tuple) -> None:
    assert sender_identity(mail_from, helo) == expected


def test_helo_identity_2_3() -> None:
    resolver = example_resolver()
    outcome = check_helo("203.0.113.80", "university.example", resolver=resolver)
    assert (outcome.result, outcome.identity) == ("pass", "helo")


# -- header fields -------------------------------------------------------------------------------


def test_received_spf_9_1() -> None:
    outcome = check(
        "203.0.113.66",
        "alice@example.com",
        "mail.example.com",
        resolver=example_resolver(),
        receiver="mx.example.org",
    )
    assert received_spf(outcome) == (
        "Received-SPF: fail (mx.example.org: domain of alice@example.com does not designate "
        "203.0.113.66 as permitted sender) client-ip=203.0.113.66; "
        'envelope-from="alice@example.com"; helo=mail.example.com; identity=mailfrom; '
        "receiver=mx.example.org; mechanism=-all;"
    )


@pytest.mark.parametrize(
    ("ip", "mail_from", "helo"),
    [
        ("192.0.2.1\r\nX-Injected: yes", "alice@example.com", "mail.example.com"),
        ("192.0.2.1", "alice@example.com", "mail\r\nX-Injected: yes"),
        ("192.0.2.1", "al\nice(\x1b[2J)@example.com", "mail.example.com"),
    ],
)
def test_header_fields_never_carry_a_line_break_from_the_input(
    ip: str, mail_from: str, helo: str
) -> None:
    """What the sender typed is quoted with its line breaks and control characters escaped, so
    it cannot add a header field of its own (RFC 5322 §3.2.4 quoted-strings hold none)."""
    outcome = check(ip, mail_from, helo, resolver=example_resolver(), receiver="mx.test")
    for field in (received_spf(outcome), authentication_results(outcome)):
        assert field.isprintable(), field
    assert "\\n" in received_spf(outcome) or "\\x1b" in received_spf(outcome)


def test_received_spf_permerror_carries_the_problem_9_1() -> None:
    outcome = check(
        "192.0.2.1",
        "a@broken.example",
        "h.example",
        resolver=example_resolver(),
        receiver="mx.test",
    )
    header = received_spf(outcome)
    assert header.startswith(
        "Received-SPF: permerror (mx.test: permanent error in processing domain of broken.example)"
    )
    assert 'problem="the SPF record of broken.example has a syntax error at character 12:' in header


def test_authentication_results_rfc8601() -> None:
    resolver = example_resolver()
    passed = check(
        "192.0.2.10",
        "alice@example.com",
        "mail.example.com",
        resolver=resolver,
        receiver="mx.example.org",
    )
    assert authentication_results(passed) == (
        "Authentication-Results: mx.example.org; spf=pass (mx.example.org: domain of "
        "alice@example.com designates 192.0.2.10 as permitted sender) smtp.mailfrom=alice@example.com"
    )
    bounce = check("203.0.113.80", "", "university.example", resolver=resolver, receiver="mx")
    assert authentication_results(bounce, "mx.example.org").endswith(
        "spf=pass (mx: domain of postmaster@university.example designates 203.0.113.80 as permitted sender) smtp.helo=university.example"
    )


# -- lint ----------------------------------------------------------------------------------------


def test_lint_counts_lookups_through_includes_4_6_4() -> None:
    report = lint("toomany.example", resolver=example_resolver())
    assert report.lookups == 13
    assert not report.ok
    assert any("the limit is 10" in f.message for f in report.errors)
    assert report.lookup_tree[0] == (0, "toomany.example", 5)


def test_lint_reports_syntax_errors_with_position() -> None:
    report = lint("v=spf1 ip4:192.0.2.0/33 -all", follow=False)
    (error,) = report.errors
    assert error.position == 20
    assert "larger than 32" in error.message


@pytest.mark.parametrize(
    ("record", "phrase"),
    [
        ("v=spf1 +all", "authorises every host"),
        ("v=spf1 ptr -all", "ptr mechanism is slow"),
        ("v=spf1 ip4:192.0.2.1", "neither 'all' nor 'redirect='"),
        ("v=spf1 -all ip4:192.0.2.1", "never reached"),
        ("v=spf1 ?all", "'?all' makes no statement"),
        ("v=spf1 ip4:192.0.2.1 -all redirect=x.example", "is ignored"),
    ],
)
def test_lint_risky_patterns(record: str, phrase: str) -> None:
    report = lint(record, follow=False)
    assert any(phrase in f.message and f.severity is not Severity.NOTE for f in report.findings), (
        report.findings
    )


def test_lint_follows_includes_that_point_nowhere() -> None:
    resolver = ZoneResolver.from_text('x.test. TXT "v=spf1 include:gone.test -all"\n')
    report = lint("x.test", resolver=resolver)
    assert any("gone.test does not exist" in f.message for f in report.errors)


# -- command line --------------------------------------------------------------------------------


def test_cli_check_prints_result_headers_and_trace(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(
        [
            "spf",
            "check",
            "--ip",
            "203.0.113.66",
            "--mail-from",
            "ceo@bank.example",
            "--helo",
            "x.example",
            "--zone",
            "example",
            "--trace",
        ]
    )
    out = capsys.readouterr().out
    assert status == 0
    assert out.splitlines()[0] == "result: fail"
    assert (
        "explanation: Mail from bank.example must come from the bank's own servers; 203.0.113.66 is not one of them."
        in out
    )
    assert (
        "Received-SPF: fail" in out and "Authentication-Results: mailsec.invalid; spf=fail" in out
    )
    assert "x Result: fail (decided by '-all')" in out


def test_cli_check_with_a_zone_file(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "z.zone"
    path.write_text('$ORIGIN z.test.\n@ TXT "v=spf1 ip4:192.0.2.0/24 ~all"\n', encoding="utf-8")
    assert (
        main(
            [
                "spf",
                "check",
                "--ip",
                "192.0.2.9",
                "--mail-from",
                "a@z.test",
                "--helo",
                "h.test",
                "--zone",
                str(path),
            ]
        )
        == 0
    )
    assert capsys.readouterr().out.startswith("result: pass\n")


def test_cli_lint_exit_status_and_pointer(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["spf", "lint", "v=spf1 a:museum -all", "--zone", "example"]) == 1
    out = capsys.readouterr().out
    assert "error: Syntax error at character 10" in out
    assert "    v=spf1 a:museum -all\n             ^" in out
    assert main(["spf", "lint", "example.com", "--zone", "example"]) == 0
    assert "DNS lookups needed: 3 of 10" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--nameserver", "127.0.0.1:99999"], "outside 1-65535"),
        (["--nameserver", "dns.example:53"], "is not an IP address"),
        (["--nameserver", "[::1"], "never closes"),
        (["--zone", "/nonexistent/zone.txt"], "could not be opened"),
    ],
)
def test_cli_bad_input_is_one_plain_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(
        ["spf", "check", "--ip", "192.0.2.1", "--mail-from", "a@b.test", "--helo", "h.test", *argv]
    )
    err = capsys.readouterr().err
    assert status == 1
    assert message in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_nameserver_forms() -> None:
    from mailsec.cli.spf import nameserver_resolver as make

    r = make("[::1]:5353")
    assert (r.nameservers, r.port) == (["::1"], 5353)
    r = make("127.0.0.1")
    assert (r.nameservers, r.port) == (["127.0.0.1"], 53)
    r = make("::1")
    assert (r.nameservers, r.port) == (["::1"], 53)


@pytest.mark.parametrize(
    ("ip", "mail_from", "helo", "expected"),
    [
        (None, "alice@example.com", "mail.example.com", "permerror"),
        ("192.0.2.10", None, "mail.example.com", "pass"),  # None is a null sender: postmaster@helo
        (b"192.0.2.10", b"alice@example.com", b"mail.example.com", "pass"),
    ],
)
def test_check_never_raises_for_odd_input_types(ip, mail_from, helo, expected) -> None:
    resolver = ZoneResolver.from_text(
        'example.com. TXT "v=spf1 ip4:192.0.2.10 -all"\n'
        'mail.example.com. TXT "v=spf1 ip4:192.0.2.10 -all"\n'
    )
    assert check(ip, mail_from, helo, resolver=resolver).result == expected


def test_check_host_substitutes_postmaster_for_a_missing_local_part_4_3() -> None:
    from mailsec.spf import check_host

    resolver = ZoneResolver.from_text(
        'example.net. TXT "v=spf1 -all exp=why.example.net"\nwhy.example.net. TXT "%{s} / %{l}"\n'
    )
    outcome = check_host("192.0.2.1", "example.net", "@example.net", resolver=resolver)
    assert outcome.explanation == "postmaster@example.net / postmaster"


def test_a_resolver_without_name_servers_gives_temperror_2_6_6() -> None:
    import dns.resolver

    empty = dns.resolver.Resolver(configure=False)
    empty.nameservers = []
    outcome = check("192.0.2.1", "a@example.com", "h.example", resolver=empty)
    assert outcome.result == "temperror"
    assert "example.com" in (outcome.problem or "")


def test_lint_follows_redirect_and_reports_include_loops_4_6_4() -> None:
    resolver = ZoneResolver.from_text(
        'a.test. TXT "v=spf1 include:b.test -all"\n'
        'b.test. TXT "v=spf1 include:a.test ~all"\n'
        'r.test. TXT "v=spf1 ip4:192.0.2.1 redirect=s.test"\n'
        's.test. TXT "v=spf1 mx a -all"\n'
        'm.test. TXT "v=spf1 exists:%{i}.list.m.test -all"\n'
    )
    loop = lint("a.test", resolver=resolver)
    assert any("loops back to a.test" in f.message for f in loop.errors)
    redirect = lint("r.test", resolver=resolver)
    assert redirect.ok and redirect.lookups == 3  # redirect= itself, then mx and a
    assert redirect.lookup_tree == ((0, "r.test", 1), (1, "s.test", 2))
    macros = lint("m.test", resolver=resolver)
    assert macros.lookups == 1
    assert any("builds names from macros" in f.message for f in macros.findings)
