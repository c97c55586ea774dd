"""The record parser and the macro language: RFC 7208 §4.5, §4.6.1, §5, §6, §7 and the ABNF of §12."""

from __future__ import annotations

import ipaddress

import pytest

from mailsec.errors import InputError
from mailsec.spf.macro import MacroContext, MacroError, expand, parse_macro_string, to_domain_name
from mailsec.spf.record import (
    MechanismKind,
    Qualifier,
    SpfSyntaxError,
    is_spf_record,
    parse_record,
)

# -- §4.5 the version --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("v=spf1", True),
        ("v=spf1 -all", True),
        ("V=SPF1 -all", True),  # §4.5: case-insensitive
        ("v=spf10", False),  # §4.5: terminated by a space or the end
        ("v=spf1\t-all", False),
        (" v=spf1 -all", False),
        ("spf1 -all", False),
    ],
)
def test_version_section_4_5(text: str, expected: bool) -> None:
    assert is_spf_record(text) is expected


# -- §4.6.1 terms --------------------------------------------------------------------------------


def test_terms_in_order_with_qualifiers_and_arguments_4_6_1() -> None:
    record = parse_record(
        "v=spf1  +a -mx:mail.example.com/24//64 ~ip4:192.0.2.0/24 ?ip6:2001:db8::/32 "
        "include:_spf.example.net exists:%{i}.x.example ptr redirect=other.example "
        "exp=why.example foo=bar -all "
    )
    kinds = [m.kind for m in record.mechanisms]
    assert kinds == [
        MechanismKind.A,
        MechanismKind.MX,
        MechanismKind.IP4,
        MechanismKind.IP6,
        MechanismKind.INCLUDE,
        MechanismKind.EXISTS,
        MechanismKind.PTR,
        MechanismKind.ALL,
    ]
    quals = [m.qualifier for m in record.mechanisms]
    assert quals[:4] == [Qualifier.PASS, Qualifier.FAIL, Qualifier.SOFTFAIL, Qualifier.NEUTRAL]
    mx = record.mechanisms[1]
    assert (mx.domain_spec.source, mx.cidr4, mx.cidr6) == ("mail.example.com", 24, 64)
    assert record.mechanisms[2].network == ipaddress.ip_network("192.0.2.0/24")
    assert record.redirect.value.source == "other.example"
    assert record.explanation.value.source == "why.example"
    assert [m.name for m in record.unknown_modifiers] == ["foo"]
    assert record.mechanisms[1].position == 11  # positions point into the record text
    assert [m.causes_lookup for m in record.mechanisms] == [
        True,
        True,
        False,
        False,
        True,
        True,
        True,
        False,
    ]


def test_mechanism_names_are_case_insensitive_4_6_1() -> None:
    record = parse_record("v=spf1 A MX:Example.COM IP4:192.0.2.1 Include:x.example -ALL")
    assert [m.kind.value for m in record.mechanisms] == ["a", "mx", "ip4", "include", "all"]


def test_host_bits_in_ip4_networks_are_allowed_5_6() -> None:
    record = parse_record("v=spf1 ip4:192.0.2.77/24")
    assert record.mechanisms[0].network == ipaddress.ip_network("192.0.2.0/24")


# -- syntax errors: position and reason ----------------------------------------------------------


@pytest.mark.parametrize(
    ("record", "position", "reason"),
    [
        ("v=spf1 -all moo", 12, "'moo' is not a mechanism SPF knows"),
        ("v=spf1 ip4:192.0.2.300", 11, "'192.0.2.300' is not a valid IPv4 address"),
        ("v=spf1 ip4:1.2.3.4/33", 18, "the IPv4 prefix length /33 is larger than 32"),
        ("v=spf1 ip4:1.2.3.4/032", 18, "the IPv4 prefix length /032 has a leading zero"),
        ("v=spf1 ip6:2001:db8::/129", 21, "the IPv6 prefix length /129 is larger than 128"),
        ("v=spf1 a/24/64", 8, "an IPv6 prefix length needs two slashes, as in a/24//64"),
        ("v=spf1 a.b", 7, "'a.b' is not a mechanism SPF knows"),
        ("v=spf1 mx:example.com/", 10, "is not a valid top-level label"),
        ("v=spf1 a:museum", 9, "is not a domain name with at least two labels"),
        ("v=spf1 a:111.222.33.44", 9, "is all digits; an IP address belongs in ip4: or ip6:"),
        ("v=spf1 a:example.-com", 9, "is not a valid top-level label"),
        ("v=spf1 include:ip5.example.com/24", 15, "this mechanism takes no /prefix length"),
        ("v=spf1 include", 14, "'include' needs ':' and a domain"),
        ("v=spf1 exists:", 14, "'exists:' needs a domain name after it"),
        ("v=spf1 ptr/0", 10, "'ptr' takes no prefix length"),
        ("v=spf1 -all.", 8, "'all.' is not a mechanism SPF knows"),
        ("v=spf1 all:x", 10, "'all' takes no argument"),
        ("v=spf1 exp=a.example exp=b.example", 21, "'exp=' appears twice"),
        ("v=spf1 redirect=", 16, "'redirect=' needs a domain name after it"),
        ("v=spf1 1up=foo", 7, "is neither a mechanism nor a modifier"),
        ("v=spf1 foo=%abc", 11, "a '%' must be followed by"),
        ("v=spf1 a:%{x}.example.com", 9, "unknown macro letter 'x'"),
        ("v=spf1 exp=%{r}.example.com", 11, "allowed only in explanation text"),
        ("v=spf1 exists:%{d0}.example.com", 14, "keeps zero parts"),
        ("v=spf1 a:ctrl.example.com\rptr", 25, "control character"),
        ("v=spf1 a:exámple.com", 11, "is not ASCII"),
        ("v=spf2 -all", 0, "starts with 'v=spf1'"),
    ],
)
def test_syntax_errors_report_position_and_reason_4_6(
    record: str, position: int, reason: str
) -> None:
    with pytest.raises(SpfSyntaxError) as info:
        parse_record(record)
    assert info.value.position == position
    assert reason in info.value.reason
    assert isinstance(info.value, InputError)
    assert info.value.message.startswith(f"Syntax error at character {position + 1}")
    assert info.value.pointer().split("\n")[1] == " " * position + "^"


@pytest.mark.parametrize(
    "domain_spec",
    [
        "foo:bar/baz.example.com",  # §7.1: any visible character except '%'
        "example.xn--zckzah",  # toplabel with dashes
        "example.com.",  # trailing dot
        "%{d}",  # ends in a macro
        "_spf.%{d2}",
        "%{ir}.%{v}._spf.%{d}",
        "x%%y.example.com",
        "a.123-4",  # toplabel of the dashed form may be all digits and dashes
    ],
)
def test_valid_domain_specs_7_1(domain_spec: str) -> None:
    record = parse_record(f"v=spf1 a:{domain_spec}")
    assert record.mechanisms[0].domain_spec.source == domain_spec


# -- §7 macros -----------------------------------------------------------------------------------


def context(ip: str = "192.0.2.3", sender: str = "strong-bad@email.example.com") -> MacroContext:
    local, _, domain = sender.rpartition("@")
    return MacroContext(
        sender=sender,
        local_part=local,
        sender_domain=domain,
        domain="email.example.com",
        ip=ipaddress.ip_address(ip),
        helo="mx.example.org",
        receiver="checker.example.net",
        timestamp=1_700_000_000,
        validated_name=lambda: "mx.example.org",
    )


@pytest.mark.parametrize(
    ("macro", "expected"),
    [
        # The examples of RFC 7208 §7.4.
        ("%{s}", "strong-bad@email.example.com"),
        ("%{o}", "email.example.com"),
        ("%{d}", "email.example.com"),
        ("%{d4}", "email.example.com"),
        ("%{d3}", "email.example.com"),
        ("%{d2}", "example.com"),
        ("%{d1}", "com"),
        ("%{dr}", "com.example.email"),
        ("%{d2r}", "example.email"),
        ("%{l}", "strong-bad"),
        ("%{l-}", "strong.bad"),
        ("%{lr}", "strong-bad"),
        ("%{lr-}", "bad.strong"),
        ("%{l1r-}", "strong"),
        ("%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com"),
        ("%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com"),
        ("%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com"),
        ("%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com"),
        ("%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net"),
        ("%{h}", "mx.example.org"),
        ("%{p}", "mx.example.org"),
        ("%%%_%-", "% %20"),
    ],
)
def test_macro_examples_7_4(macro: str, expected: str) -> None:
    assert expand(parse_macro_string(macro), context()) == expected


def test_ipv6_i_macro_is_dotted_nibbles_7_3() -> None:
    ctx = context(ip="2001:db8::cb01")
    assert (
        expand(parse_macro_string("%{ir}.%{v}._spf.%{d2}"), ctx).lower()
        == "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com"
    )


def test_explanation_only_letters_7_2() -> None:
    ctx = context(ip="2001:db8::cb01")
    text = parse_macro_string("%{c} at %{t} via %{r}", explanation=True, allow_space=True)
    assert expand(text, ctx) == "2001:db8::cb01 at 1700000000 via checker.example.net"
    with pytest.raises(MacroError, match="allowed only in explanation text"):
        parse_macro_string("%{c}")


def test_uppercase_macros_are_url_escaped_7_3() -> None:
    ctx = context(sender="~jack&jill=up-a_b3.c@example.com")
    assert expand(parse_macro_string("%{L}"), ctx) == "~jack%26jill%3Dup-a_b3.c"
    assert expand(parse_macro_string("%{S}"), context()) == "strong-bad%40email.example.com"


@pytest.mark.parametrize("bad", ["%", "%x", "%{", "%{d", "%{d2r", "%(d)", "%{}", "%{dd}", "a b"])
def test_invalid_macros_are_rejected_7_1(bad: str) -> None:
    with pytest.raises(MacroError):
        parse_macro_string(bad)


def test_expanded_names_lose_trailing_dot_and_left_labels_past_253_7_3() -> None:
    assert to_domain_name("example.com.") == "example.com"
    long = ".".join(["a" * 60] * 5) + ".example.com"
    name = to_domain_name(long)
    assert len(name) <= 253
    assert long.endswith(name)
    assert name.split(".")[0] == "a" * 60
