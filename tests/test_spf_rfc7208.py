"""RFC 7208, section by section, through mailsec.spf.check() on offline zones.

The scenarios follow the layout of the openspf RFC 7208 test suite (each case names the section and
paragraph it checks, "4.3/1" meaning §4.3 paragraph 1); the zones are written here as zone-file text.
Where the RFC allows two answers, the test accepts both.
"""

from __future__ import annotations

import pytest

from mailsec.spf import ZoneResolver, check

# -- helpers -------------------------------------------------------------------------------------


def zone(text: str, *, timeouts: tuple[str, ...] = ()) -> ZoneResolver:
    return ZoneResolver.from_text(text, timeouts=timeouts)


def run(resolver: ZoneResolver, cases: list[tuple]) -> None:
    failures = []
    for case_id, spec, ip, mail_from, helo, expected, *exp in cases:
        outcome = check(ip, mail_from, helo, resolver=resolver, receiver="mx.test")
        allowed = expected if isinstance(expected, tuple) else (expected,)
        if outcome.result not in allowed:
            failures.append(
                f"{case_id} (§{spec}): {outcome.result} not in {allowed}: {outcome.problem}"
            )
        if exp and outcome.explanation != exp[0]:
            failures.append(
                f"{case_id} (§{spec}): explanation {outcome.explanation!r} != {exp[0]!r}"
            )
    assert not failures, "\n".join(failures)


# -- §4.3 initial processing, §3.1 ASCII, §4.6.1 term separation ---------------------------------

INITIAL = zone(
    r"""
example.net.  TXT "v=spf1 -all exp=exp.example.net"
a.example.net. TXT "v=spf1 -all exp=exp.example.net"
exp.example.net. TXT "%{l}"
a12345678901234567890123456789012345678901234567890123456789012.example.com. TXT "v=spf1 -all"
hosed.example.com. TXT "v=spf1 a:\239\187\191garbage.example.net -all"
hosed2.example.com. TXT "v=spf1 \128a:example.net -all"
hosed3.example.com. TXT "v=spf1 a:example.net \150all"
nothosed.example.com. TXT "v=spf1 a:example.net -all"
nothosed.example.com. TXT "\150"
ctrl.example.com. TXT "v=spf1 a:ctrl.example.com\013ptr -all"
ctrl.example.com. A 192.0.2.3
fine.example.com. TXT "v=spf1 a  -all"
""",
    timeouts=("example.com",),
)


LONG63 = "A12345678901234567890123456789012345678901234567890123456789012"
INITIAL_PROCESSING_DOMAIN_VALIDATION_4_3_CASES = [
    (
        "toolonglabel",
        "4.3/1",
        "1.2.3.5",
        f"lyme@{LONG63}3.example.com",
        "mail.example.net",
        "none",
    ),
    (
        "longlabel",
        "4.3/1",
        "1.2.3.5",
        f"lyme@{LONG63}.example.com",
        "mail.example.net",
        "fail",
    ),
    ("emptylabel", "4.3/1", "1.2.3.5", "lyme@A...example.com", "mail.example.net", "none"),
    ("helo-not-fqdn", "4.3/1", "1.2.3.5", "", "A2345678", "none"),
    ("helo-domain-literal", "4.3/1", "1.2.3.5", "", "[1.2.3.5]", "none"),
    ("domain-literal", "4.3/1", "1.2.3.5", "foo@[1.2.3.5]", "OEMCOMPUTER", "none"),
    (
        "nolocalpart",
        "4.3/2",
        "1.2.3.4",
        "@example.net",
        "mail.example.net",
        "fail",
        "postmaster",
    ),
]


def test_initial_processing_domain_validation_4_3() -> None:
    run(INITIAL, INITIAL_PROCESSING_DOMAIN_VALIDATION_4_3_CASES)


RECORDS_ARE_SEVEN_BIT_ASCII_3_1_AND_TERMS_SPLIT_ON_SPACES_ONLY_4_6_1_CASES = [
    (
        "non-ascii-policy",
        "3.1/1",
        "1.2.3.4",
        "foobar@hosed.example.com",
        "hosed",
        "permerror",
    ),
    (
        "non-ascii-mech",
        "3.1/1",
        "1.2.3.4",
        "foobar@hosed2.example.com",
        "hosed",
        "permerror",
    ),
    (
        "non-ascii-result",
        "3.1/1",
        "1.2.3.4",
        "foobar@hosed3.example.com",
        "hosed",
        "permerror",
    ),
    (
        "non-ascii-non-spf",
        "4.5/1",
        "1.2.3.4",
        "foobar@nothosed.example.com",
        "hosed",
        "fail",
    ),
    (
        "control-char",
        "4.6.1/2",
        "192.0.2.3",
        "foobar@ctrl.example.com",
        "hosed",
        "permerror",
    ),
    ("two-spaces", "4.6.1", "1.2.3.4", "actually@fine.example.com", "hosed", "fail"),
]


def test_records_are_seven_bit_ascii_3_1_and_terms_split_on_spaces_only_4_6_1() -> None:
    run(INITIAL, RECORDS_ARE_SEVEN_BIT_ASCII_3_1_AND_TERMS_SPLIT_ON_SPACES_ONLY_4_6_1_CASES)


# -- §4.4 record lookup, §4.5 selection -----------------------------------------------------------

LOOKUP = zone(
    r"""
both.example.net. TXT "v=spf1 -all"
txtonly.example.net. TXT "v=spf1 -all"
spfonly.example.net. A 192.0.2.1
example2.com. TXT "v=spf1" "mx"
example1.com. TXT "v=spf1"
example3.com. TXT "v=spf10"
example3.com. TXT "v=spf1 mx"
example3.com. MX 0 mail.example1.com.
mail.example1.com. A 1.2.3.4
example5.com. TXT "v=spf1 -all"
example5.com. TXT "v=spf1 +all"
example6.com. TXT "v=spf1 -all"
example6.com. TXT "V=sPf1 +all"
example9.com. TXT "v=SpF1 ~all"
tab.example.com. TXT "v=spf1\t-all"
""",
    timeouts=("txttimeout.example.net", "alltimeout.example.net"),
)


RECORD_LOOKUP_AND_TEMPERROR_4_4_CASES = [
    ("both", "4.4/1", "1.2.3.4", "foo@both.example.net", "mail.example.net", "fail"),
    ("txtonly", "4.4/1", "1.2.3.4", "foo@txtonly.example.net", "mail.example.net", "fail"),
    ("spfonly", "4.4/1", "1.2.3.4", "foo@spfonly.example.net", "mail.example.net", "none"),
    (
        "txttimeout",
        "4.4/1",
        "1.2.3.4",
        "foo@txttimeout.example.net",
        "mail.example.net",
        "temperror",
    ),
    (
        "alltimeout",
        "4.4/2",
        "1.2.3.4",
        "foo@alltimeout.example.net",
        "mail.example.net",
        "temperror",
    ),
    ("nxdomain", "4.4/2", "1.2.3.4", "foo@nowhere.example.net", "mail.example.net", "none"),
]


def test_record_lookup_and_temperror_4_4() -> None:
    run(LOOKUP, RECORD_LOOKUP_AND_TEMPERROR_4_4_CASES)


RECORD_SELECTION_4_5_CASES = [
    ("nospace1", "4.5/4", "1.2.3.4", "foo@example2.com", "mail.example1.com", "none"),
    ("empty", "4.5/4", "1.2.3.4", "foo@example1.com", "mail1.example1.com", "neutral"),
    ("nospace2", "4.5/4", "1.2.3.4", "foo@example3.com", "mail.example1.com", "pass"),
    ("multitxt", "4.5/5", "1.2.3.4", "foo@example5.com", "mail.example1.com", "permerror"),
    ("multitxt2", "4.5/6", "1.2.3.4", "foo@example6.com", "mail.example1.com", "permerror"),
    ("nospf", "4.5/7", "1.2.3.4", "foo@mail.example1.com", "mail.example1.com", "none"),
    (
        "case-insensitive",
        "4.5/6",
        "1.2.3.4",
        "foo@example9.com",
        "mail.example1.com",
        "softfail",
    ),
    (
        "tab-is-not-a-space",
        "4.5/4",
        "1.2.3.4",
        "foo@tab.example.com",
        "mail.example1.com",
        "none",
    ),
]


def test_record_selection_4_5() -> None:
    run(LOOKUP, RECORD_SELECTION_4_5_CASES)


# -- §4.6 record evaluation ----------------------------------------------------------------------

EVAL = zone(
    r"""
mail.example.com. A 1.2.3.4
t1.example.com. TXT "v=spf1 ip4:1.2.3.4 -all moo"
t2.example.com. TXT "v=spf1 moo.cow-far_out=man:dog/cat ip4:1.2.3.4 -all"
t3.example.com. TXT "v=spf1 moo.cow/far_out=man:dog/cat ip4:1.2.3.4 -all"
t4.example.com. TXT "v=spf1 moo.cow:far_out=man:dog/cat ip4:1.2.3.4 -all"
t5.example.com. TXT "v=spf1 redirect=t5.example.com ~all"
t6.example.com. TXT "v=spf1 ip4:1.2.3.4 redirect=t2.example.com"
t7.example.com. TXT "v=spf1 ip4:1.2.3.4"
t8.example.com. TXT "v=spf1 ip4:1.2.3.4 redirect:t2.example.com"
t9.example.com. TXT "v=spf1 a:foo-bar -all"
t10.example.com. TXT "v=spf1 a:mail.example...com -all"
t11.example.com. TXT "v=spf1 a:a123456789012345678901234567890123456789012345678901234567890123.example.com -all"
t12.example.com. TXT "v=spf1 a:%{H}.bar -all"
"""
)


RECORD_EVALUATION_4_6_CASES = [
    (
        "detect-errors-anywhere",
        "4.6",
        "1.2.3.4",
        "foo@t1.example.com",
        "mail.example.com",
        "permerror",
    ),
    (
        "modifier-charset-good",
        "4.6.1/2",
        "1.2.3.4",
        "foo@t2.example.com",
        "mail.example.com",
        "pass",
    ),
    (
        "modifier-charset-bad1",
        "4.6.1/4",
        "1.2.3.4",
        "foo@t3.example.com",
        "mail.example.com",
        "permerror",
    ),
    (
        "modifier-charset-bad2",
        "4.6.1/4",
        "1.2.3.4",
        "foo@t4.example.com",
        "mail.example.com",
        "permerror",
    ),
    (
        "redirect-after-mechanisms1",
        "4.6.3",
        "1.2.3.4",
        "foo@t5.example.com",
        "mail.example.com",
        "softfail",
    ),
    (
        "redirect-after-mechanisms2",
        "4.6.3",
        "1.2.3.5",
        "foo@t6.example.com",
        "mail.example.com",
        "fail",
    ),
    (
        "default-result",
        "4.7/1",
        "1.2.3.5",
        "foo@t7.example.com",
        "mail.example.com",
        "neutral",
    ),
    (
        "redirect-is-modifier",
        "4.6.1/4",
        "1.2.3.4",
        "foo@t8.example.com",
        "mail.example.com",
        "permerror",
    ),
    (
        "invalid-domain",
        "7.1/2",
        "1.2.3.4",
        "foo@t9.example.com",
        "mail.example.com",
        "permerror",
    ),
    (
        "invalid-domain-empty-label",
        "4.8/5",
        "1.2.3.4",
        "foo@t10.example.com",
        "mail.example.com",
        ("fail", "permerror"),
    ),
    (
        "invalid-domain-long",
        "4.8/5",
        "1.2.3.4",
        "foo@t11.example.com",
        "mail.example.com",
        ("fail", "permerror"),
    ),
    (
        "invalid-domain-long-via-macro",
        "4.8/5",
        "1.2.3.4",
        "foo@t12.example.com",
        "%" * 22,
        ("fail", "permerror"),
    ),
]


def test_record_evaluation_4_6() -> None:
    run(EVAL, RECORD_EVALUATION_4_6_CASES)


# -- §5.1 all, §5.5 ptr, §5.3 a ------------------------------------------------------------------

MECH = zone(
    r"""
mail.example.com. A 1.2.3.4
mail.example.com. AAAA 2001:db8::1
e1.example.com. TXT "v=spf1 -all."
e2.example.com. TXT "v=spf1 -all:foobar"
e3.example.com. TXT "v=spf1 -all/8"
e4.example.com. TXT "v=spf1 ?all"
e5.example.com. TXT "v=spf1 all -all"
p1.example.com. TXT "v=spf1 ptr/0 -all"
p2.example.com. TXT "v=spf1 ptr:example.com -all"
4.3.2.1.in-addr.arpa. PTR p3.example.com.
4.3.2.1.in-addr.arpa. PTR p4.example.com.
4.3.2.1.in-addr.arpa. PTR mail.example.com.
1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.E.B.A.B.E.F.A.C.ip6.arpa. PTR p3.example.com.
1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.D.0.1.0.0.2.ip6.arpa. PTR mail.Example.com.
p3.example.com. TXT "v=spf1 ptr -all"
p3.example.com. A 1.2.3.4
p3.example.com. AAAA CAFE:BABE::1
p4.example.com. TXT "v=spf1 ptr -all"
p5.example.com. TXT "v=spf1 ptr:"
p6.example.com. TXT "v=spf1 ptr:example.Com -all"
a1.example.com. TXT "v=spf1 a/0 -all"
a2.example.com. A 1.1.1.1
a2.example.com. AAAA 1234::2
a2.example.com. TXT "v=spf1 a/0 -all"
a2a.example.com. AAAA 1234::1
a2a.example.com. TXT "v=spf1 a//0 -all"
a2b.example.com. A 1.1.1.1
a2b.example.com. TXT "v=spf1 a//0 -all"
ipv6.example.com. AAAA 1234::1
ipv6.example.com. A 1.1.1.1
ipv6.example.com. TXT "v=spf1 a -all"
a3.example.com. TXT "v=spf1 a:foo.example.com\000"
a4.example.com. TXT "v=spf1 a:111.222.33.44"
a5.example.com. TXT "v=spf1 a:abc.123"
a5a.example.com. TXT "v=spf1 a:museum"
a5b.example.com. TXT "v=spf1 a:museum."
a6.example.com. TXT "v=spf1 a//33 -all"
a6a.example.com. TXT "v=spf1 a/33 -all"
a7.example.com. TXT "v=spf1 a//129 -all"
a8.example.com. A 1.2.3.5
a8.example.com. AAAA 2001:db8:1234::dead:beef
a8.example.com. TXT "v=spf1 a/24//64 -all"
a8e.example.com. A 1.2.3.5
a8e.example.com. AAAA 2001:db8:1234::dead:beef
a8e.example.com. TXT "v=spf1 a/24/64 -all"
a8a.example.com. A 1.2.3.5
a8a.example.com. AAAA 2001:db8:1234::dead:beef
a8a.example.com. TXT "v=spf1 a/24 -all"
a8b.example.com. A 1.2.3.5
a8b.example.com. AAAA 2001:db8:1234::dead:beef
a8b.example.com. TXT "v=spf1 a//64 -all"
a9.example.com. TXT "v=spf1 a:example.com:8080"
a10.example.com. TXT "v=spf1 a:foo.example.com/24"
foo.example.com. A 1.1.1.1
foo.example.com. A 1.2.3.5
a11.example.com. TXT "v=spf1 a:foo:bar/baz.example.com"
foo:bar/baz.example.com. A 1.2.3.4
a12.example.com. TXT "v=spf1 a:example.-com"
a13.example.com. TXT "v=spf1 a:"
a14.example.com. TXT "v=spf1 a:foo.example.xn--zckzah -all"
foo.example.xn--zckzah. A 1.2.3.4
"""
)


ALL_5_1_CASES = [
    ("all-dot", "5.1/1", "1.2.3.4", "foo@e1.example.com", "mail.example.com", "permerror"),
    ("all-arg", "5.1/1", "1.2.3.4", "foo@e2.example.com", "mail.example.com", "permerror"),
    ("all-cidr", "5.1/1", "1.2.3.4", "foo@e3.example.com", "mail.example.com", "permerror"),
    (
        "all-neutral",
        "5.1/1",
        "1.2.3.4",
        "foo@e4.example.com",
        "mail.example.com",
        "neutral",
    ),
    ("all-double", "5.1/1", "1.2.3.4", "foo@e5.example.com", "mail.example.com", "pass"),
]


def test_all_5_1() -> None:
    run(MECH, ALL_5_1_CASES)


PTR_VALIDATED_DOMAIN_PROCEDURE_5_5_CASES = [
    ("ptr-cidr", "5.5/2", "1.2.3.4", "foo@p1.example.com", "mail.example.com", "permerror"),
    (
        "ptr-match-target",
        "5.5/5",
        "1.2.3.4",
        "foo@p2.example.com",
        "mail.example.com",
        "pass",
    ),
    (
        "ptr-match-implicit",
        "5.5/5",
        "1.2.3.4",
        "foo@p3.example.com",
        "mail.example.com",
        "pass",
    ),
    (
        "ptr-nomatch-invalid",
        "5.5/5",
        "1.2.3.4",
        "foo@p4.example.com",
        "mail.example.com",
        "fail",
    ),
    (
        "ptr-match-ip6",
        "5.5/5",
        "CAFE:BABE::1",
        "foo@p3.example.com",
        "mail.example.com",
        "pass",
    ),
    (
        "ptr-empty-domain",
        "5.5/2",
        "1.2.3.4",
        "foo@p5.example.com",
        "mail.example.com",
        "permerror",
    ),
    (
        "ptr-case-change",
        "5.5/2",
        "2001:db8::1",
        "bar@p6.example.com",
        "mail.example.com",
        "pass",
    ),
]


def test_ptr_validated_domain_procedure_5_5() -> None:
    run(MECH, PTR_VALIDATED_DOMAIN_PROCEDURE_5_5_CASES)


A_WITH_DUAL_CIDR_AND_IPV6_5_3_CASES = [
    ("a-cidr6", "5.3/2", "1.2.3.4", "foo@a6.example.com", "mail.example.com", "fail"),
    (
        "a-bad-cidr4",
        "5.3/2",
        "1.2.3.4",
        "foo@a6a.example.com",
        "mail.example.com",
        "permerror",
    ),
    (
        "a-bad-cidr6",
        "5.3/2",
        "1.2.3.4",
        "foo@a7.example.com",
        "mail.example.com",
        "permerror",
    ),
    (
        "a-dual-cidr-ip4-match",
        "5.3/2",
        "1.2.3.4",
        "foo@a8.example.com",
        "mail.example.com",
        "pass",
    ),
    (
        "a-dual-cidr-ip4-err",
        "5.3/2",
        "1.2.3.4",
        "foo@a8e.example.com",
        "mail.example.com",
        "permerror",
    ),
    (
        "a-dual-cidr-ip6-match",
        "5.3/2",
        "2001:db8:1234::cafe:babe",
        "foo@a8.example.com",
        "mail.example.com",
        "pass",
    ),
    (
        "a-dual-cidr-ip4-default",
        "5.3/2",
        "1.2.3.4",
        "foo@a8b.example.com",
        "mail.example.com",
        "fail",
    ),
    (
        "a-dual-cidr-ip6-default",
        "5.3/2",
        "2001:db8:1234::cafe:babe",
        "foo@a8a.example.com",
        "mail.example.com",
        "fail",
    ),
    ("a-multi-ip", "5.3/3", "1.2.3.4", "foo@a10.example.com", "mail.example.com", "pass"),
    (
        "a-bad-domain",
        "7.1/2",
        "1.2.3.4",
        "foo@a9.example.com",
        "mail.example.com",
        "permerror",
    ),
    ("a-nxdomain", "5.3/3", "1.2.3.4", "foo@a1.example.com", "mail.example.com", "fail"),
    ("a-cidr4-0", "5.3/3", "1.2.3.4", "foo@a2.example.com", "mail.example.com", "pass"),
    ("a-cidr4-0-ip6", "5.3/3", "1234::1", "foo@a2.example.com", "mail.example.com", "fail"),
    (
        "a-cidr6-0-ip4",
        "5.3/3",
        "1.2.3.4",
        "foo@a2a.example.com",
        "mail.example.com",
        "fail",
    ),
    (
        "a-cidr6-0-ip4mapped",
        "5.3/3",
        "::FFFF:1.2.3.4",
        "foo@a2a.example.com",
        "mail.example.com",
        "fail",
    ),
    (
        "a-cidr6-0-ip6",
        "5.3/3",
        "1234::1",
        "foo@a2a.example.com",
        "mail.example.com",
        "pass",
    ),
    (
        "a-ip6-dualstack",
        "5.3/3",
        "1234::1",
        "foo@ipv6.example.com",
        "mail.example.com",
        "pass",
    ),
    (
        "a-cidr6-0-nxdomain",
        "5.3/3",
        "1234::1",
        "foo@a2b.example.com",
        "mail.example.com",
        "fail",
    ),
    ("a-null", "7.1/2", "1.2.3.5", "foo@a3.example.com", "mail.example.com", "permerror"),
    (
        "a-numeric",
        "7.1/2",
        "1.2.3.4",
        "foo@a4.example.com",
        "mail.example.com",
        "permerror",
    ),
    (
        "a-numeric-toplabel",
        "7.1/2",
        "1.2.3.4",
        "foo@a5.example.com",
        "mail.example.com",
        "permerror",
    ),
    (
        "a-dash-in-toplabel",
        "7.1/2",
        "1.2.3.4",
        "foo@a14.example.com",
        "mail.example.com",
        "pass",
    ),
    (
        "a-bad-toplabel",
        "7.1/2",
        "1.2.3.4",
        "foo@a12.example.com",
        "mail.example.com",
        "permerror",
    ),
    (
        "a-only-toplabel",
        "7.1/2",
        "1.2.3.4",
        "foo@a5a.example.com",
        "mail.example.com",
        "permerror",
    ),
    (
        "a-only-toplabel-dot",
        "7.1/2",
        "1.2.3.4",
        "foo@a5b.example.com",
        "mail.example.com",
        "permerror",
    ),
    (
        "a-colon-domain",
        "7.1/2",
        "1.2.3.4",
        "foo@a11.example.com",
        "mail.example.com",
        "pass",
    ),
    (
        "a-colon-domain-ip4mapped",
        "7.1/2",
        "::FFFF:1.2.3.4",
        "foo@a11.example.com",
        "mail.example.com",
        "pass",
    ),
    (
        "a-empty-domain",
        "5.3/2",
        "1.2.3.4",
        "foo@a13.example.com",
        "mail.example.com",
        "permerror",
    ),
]


def test_a_with_dual_cidr_and_ipv6_5_3() -> None:
    run(MECH, A_WITH_DUAL_CIDR_AND_IPV6_5_3_CASES)


# -- §5.2 include --------------------------------------------------------------------------------

INCLUDE = zone(
    r"""
mail.example.com. A 1.2.3.4
ip5.example.com. TXT "v=spf1 ip4:1.2.3.5 -all"
ip6.example.com. TXT "v=spf1 ip4:1.2.3.6 ~all"
ip7.example.com. TXT "v=spf1 ip4:1.2.3.7 ?all"
erehwon.example.com. TXT "v=spfl am not an SPF record"
e1.example.com. TXT "v=spf1 include:ip5.example.com ~all"
e2.example.com. TXT "v=spf1 include:ip6.example.com all"
e3.example.com. TXT "v=spf1 include:ip7.example.com -all"
e4.example.com. TXT "v=spf1 include:ip8.example.com -all"
e5.example.com. TXT "v=spf1 include:e6.example.com -all"
e6.example.com. TXT "v=spf1 include +all"
e7.example.com. TXT "v=spf1 include:erehwon.example.com -all"
e8.example.com. TXT "v=spf1 include: -all"
e9.example.com. TXT "v=spf1 include:ip5.example.com/24 -all"
""",
    timeouts=("ip8.example.com",),
)


INCLUDE_RESULT_MAPPING_5_2_CASES = [
    (
        "include-fail",
        "5.2/9",
        "1.2.3.4",
        "foo@e1.example.com",
        "mail.example.com",
        "softfail",
    ),
    (
        "include-softfail",
        "5.2/9",
        "1.2.3.4",
        "foo@e2.example.com",
        "mail.example.com",
        "pass",
    ),
    (
        "include-neutral",
        "5.2/9",
        "1.2.3.4",
        "foo@e3.example.com",
        "mail.example.com",
        "fail",
    ),
    (
        "include-temperror",
        "5.2/9",
        "1.2.3.4",
        "foo@e4.example.com",
        "mail.example.com",
        "temperror",
    ),
    (
        "include-permerror",
        "5.2/9",
        "1.2.3.4",
        "foo@e5.example.com",
        "mail.example.com",
        "permerror",
    ),
    (
        "include-syntax-error",
        "5.2/1",
        "1.2.3.4",
        "foo@e6.example.com",
        "mail.example.com",
        "permerror",
    ),
    (
        "include-cidr",
        "5.2/1",
        "1.2.3.4",
        "foo@e9.example.com",
        "mail.example.com",
        "permerror",
    ),
    (
        "include-none",
        "5.2/9",
        "1.2.3.4",
        "foo@e7.example.com",
        "mail.example.com",
        "permerror",
    ),
    (
        "include-empty-domain",
        "5.2/1",
        "1.2.3.4",
        "foo@e8.example.com",
        "mail.example.com",
        "permerror",
    ),
]


def test_include_result_mapping_5_2() -> None:
    run(INCLUDE, INCLUDE_RESULT_MAPPING_5_2_CASES)


# -- §5.4 mx, §5.7 exists, §5.6 ip4/ip6 ----------------------------------------------------------

MX = zone(
    r"""
mail.example.com. A 1.2.3.4
mail.example.com. MX 0 .
mail.example.com. TXT "v=spf1 mx"
e1.example.com. TXT "v=spf1 mx/0 -all"
e1.example.com. MX 0 e1.example.com.
e2.example.com. A 1.1.1.1
e2.example.com. AAAA 1234::2
e2.example.com. MX 0 e2.example.com.
e2.example.com. TXT "v=spf1 mx/0 -all"
e2a.example.com. AAAA 1234::1
e2a.example.com. MX 0 e2a.example.com.
e2a.example.com. TXT "v=spf1 mx//0 -all"
e2b.example.com. A 1.1.1.1
e2b.example.com. MX 0 e2b.example.com.
e2b.example.com. TXT "v=spf1 mx//0 -all"
e3.example.com. TXT "v=spf1 mx:foo.example.com\000"
e4.example.com. TXT "v=spf1 mx"
e4.example.com. A 1.2.3.4
e5.example.com. TXT "v=spf1 mx:abc.123"
e6.example.com. TXT "v=spf1 mx//33 -all"
e6a.example.com. TXT "v=spf1 mx/33 -all"
e7.example.com. TXT "v=spf1 mx//129 -all"
e9.example.com. TXT "v=spf1 mx:example.com:8080"
e10.example.com. TXT "v=spf1 mx:foo.example.com/24"
foo.example.com. MX 0 foo1.example.com.
foo1.example.com. A 1.1.1.1
foo1.example.com. A 1.2.3.5
e11.example.com. TXT "v=spf1 mx:foo:bar/baz.example.com"
foo:bar/baz.example.com. MX 0 foo:bar/baz.example.com.
foo:bar/baz.example.com. A 1.2.3.4
e12.example.com. TXT "v=spf1 mx:example.-com"
e13.example.com. TXT "v=spf1 mx: -all"
x1.example.com. TXT "v=spf1 exists:"
x2.example.com. TXT "v=spf1 exists"
x3.example.com. TXT "v=spf1 exists:mail.example.com/24"
x4.example.com. TXT "v=spf1 exists:mail.example.com"
x5.example.com. TXT "v=spf1 exists:mail6.example.com -all"
mail6.example.com. AAAA CAFE:BABE::4
x6.example.com. TXT "v=spf1 exists:err.example.com -all"
""",
    timeouts=("err.example.com",),
)


MX_5_4_CASES = [
    ("mx-cidr6", "5.4/2", "1.2.3.4", "foo@e6.example.com", "mail.example.com", "fail"),
    (
        "mx-bad-cidr4",
        "5.4/2",
        "1.2.3.4",
        "foo@e6a.example.com",
        "mail.example.com",
        "permerror",
    ),
    (
        "mx-bad-cidr6",
        "5.4/2",
        "1.2.3.4",
        "foo@e7.example.com",
        "mail.example.com",
        "permerror",
    ),
    ("mx-multi-ip", "5.4/3", "1.2.3.4", "foo@e10.example.com", "mail.example.com", "pass"),
    (
        "mx-bad-domain",
        "7.1/2",
        "1.2.3.4",
        "foo@e9.example.com",
        "mail.example.com",
        "permerror",
    ),
    ("mx-nxdomain", "5.4/3", "1.2.3.4", "foo@e1.example.com", "mail.example.com", "fail"),
    ("mx-cidr4-0", "5.4/3", "1.2.3.4", "foo@e2.example.com", "mail.example.com", "pass"),
    (
        "mx-cidr4-0-ip6",
        "5.4/3",
        "1234::1",
        "foo@e2.example.com",
        "mail.example.com",
        "fail",
    ),
    (
        "mx-cidr6-0-ip4",
        "5.4/3",
        "1.2.3.4",
        "foo@e2a.example.com",
        "mail.example.com",
        "fail",
    ),
    (
        "mx-cidr6-0-ip4mapped",
        "5.4/3",
        "::FFFF:1.2.3.4",
        "foo@e2a.example.com",
        "mail.example.com",
        "fail",
    ),
    (
        "mx-cidr6-0-ip6",
        "5.4/3",
        "1234::1",
        "foo@e2a.example.com",
        "mail.example.com",
        "pass",
    ),
    (
        "mx-cidr6-0-nxdomain",
        "5.4/3",
        "1234::1",
        "foo@e2b.example.com",
        "mail.example.com",
        "fail",
    ),
    ("mx-null", "7.1/2", "1.2.3.5", "foo@e3.example.com", "mail.example.com", "permerror"),
    (
        "mx-numeric-top-label",
        "7.1/2",
        "1.2.3.4",
        "foo@e5.example.com",
        "mail.example.com",
        "permerror",
    ),
    (
        "mx-colon-domain",
        "7.1/2",
        "1.2.3.4",
        "foo@e11.example.com",
        "mail.example.com",
        "pass",
    ),
    (
        "mx-colon-domain-ip4mapped",
        "7.1/2",
        "::FFFF:1.2.3.4",
        "foo@e11.example.com",
        "mail.example.com",
        "pass",
    ),
    (
        "mx-bad-toplab",
        "7.1/2",
        "1.2.3.4",
        "foo@e12.example.com",
        "mail.example.com",
        "permerror",
    ),
    ("mx-empty (null MX)", "5.4/3", "1.2.3.4", "", "mail.example.com", "neutral"),
    (
        "mx-implicit",
        "5.4/4",
        "1.2.3.4",
        "foo@e4.example.com",
        "mail.example.com",
        "neutral",
    ),
    (
        "mx-empty-domain",
        "5.2/1",
        "1.2.3.4",
        "foo@e13.example.com",
        "mail.example.com",
        "permerror",
    ),
]


def test_mx_5_4() -> None:
    run(MX, MX_5_4_CASES)


EXISTS_USES_A_LOOKUPS_EVEN_FOR_IPV6_5_7_CASES = [
    (
        "exists-empty-domain",
        "5.7/2",
        "1.2.3.4",
        "foo@x1.example.com",
        "mail.example.com",
        "permerror",
    ),
    (
        "exists-implicit",
        "5.7/2",
        "1.2.3.4",
        "foo@x2.example.com",
        "mail.example.com",
        "permerror",
    ),
    (
        "exists-cidr",
        "5.7/2",
        "1.2.3.4",
        "foo@x3.example.com",
        "mail.example.com",
        "permerror",
    ),
    ("exists-ip4", "5.7/3", "1.2.3.4", "foo@x4.example.com", "mail.example.com", "pass"),
    (
        "exists-ip6",
        "5.7/3",
        "CAFE:BABE::3",
        "foo@x4.example.com",
        "mail.example.com",
        "pass",
    ),
    (
        "exists-ip6only",
        "5.7/3",
        "CAFE:BABE::3",
        "foo@x5.example.com",
        "mail.example.com",
        "fail",
    ),
    (
        "exists-dnserr",
        "5/8",
        "CAFE:BABE::3",
        "foo@x6.example.com",
        "mail.example.com",
        "temperror",
    ),
]


def test_exists_uses_a_lookups_even_for_ipv6_5_7() -> None:
    run(MX, EXISTS_USES_A_LOOKUPS_EVEN_FOR_IPV6_5_7_CASES)


IPS = zone(
    r"""
mail.example.com. A 1.2.3.4
e1.example.com. TXT "v=spf1 ip4:1.1.1.1/0 -all"
e2.example.com. TXT "v=spf1 ip4:1.2.3.4/32 -all"
e3.example.com. TXT "v=spf1 ip4:1.2.3.4/33 -all"
e4.example.com. TXT "v=spf1 ip4:1.2.3.4/032 -all"
e5.example.com. TXT "v=spf1 ip4"
e6.example.com. TXT "v=spf1 ip4:1.2.3.4//32"
e7.example.com. TXT "v=spf1 -ip4:1.2.3.4 ip6:::FFFF:1.2.3.4"
e8.example.com. TXT "v=spf1 ip4:1.2.3.4:8080"
e9.example.com. TXT "v=spf1 ip4:1.2.3"
f1.example.com. TXT "v=spf1 -all ip6"
f2.example.com. TXT "v=spf1 ip6:::1.1.1.1/0"
f3.example.com. TXT "v=spf1 ip6:::1.1.1.1/129"
f4.example.com. TXT "v=spf1 ip6:::1.1.1.1//33"
f5.example.com. TXT "v=spf1 ip6:Cafe:Babe:8000::/33"
f6.example.com. TXT "v=spf1 ip6::CAFE::BABE"
"""
)


IP4_AND_IP6_5_6_CASES = [
    ("cidr4-0", "5.6/2", "1.2.3.4", "foo@e1.example.com", "mail.example.com", "pass"),
    ("cidr4-32", "5.6/2", "1.2.3.4", "foo@e2.example.com", "mail.example.com", "pass"),
    ("cidr4-33", "5.6/2", "1.2.3.4", "foo@e3.example.com", "mail.example.com", "permerror"),
    (
        "cidr4-032",
        "5.6/2",
        "1.2.3.4",
        "foo@e4.example.com",
        "mail.example.com",
        "permerror",
    ),
    ("bare-ip4", "5.6/2", "1.2.3.4", "foo@e5.example.com", "mail.example.com", "permerror"),
    (
        "bad-ip4-port",
        "5.6/2",
        "1.2.3.4",
        "foo@e8.example.com",
        "mail.example.com",
        "permerror",
    ),
    (
        "bad-ip4-short",
        "5.6/4",
        "1.2.3.4",
        "foo@e9.example.com",
        "mail.example.com",
        "permerror",
    ),
    (
        "ip4-dual-cidr",
        "5.6/2",
        "1.2.3.4",
        "foo@e6.example.com",
        "mail.example.com",
        "permerror",
    ),
    (
        "ip4-mapped-ip6",
        "5/9/2",
        "::FFFF:1.2.3.4",
        "foo@e7.example.com",
        "mail.example.com",
        "fail",
    ),
    ("bare-ip6", "5.6/2", "1.2.3.4", "foo@f1.example.com", "mail.example.com", "permerror"),
    (
        "cidr6-0-ip4",
        "5/9/2",
        "1.2.3.4",
        "foo@f2.example.com",
        "mail.example.com",
        "neutral",
    ),
    (
        "cidr6-ip4mapped",
        "5/9/2",
        "::FFFF:1.2.3.4",
        "foo@f2.example.com",
        "mail.example.com",
        "neutral",
    ),
    (
        "cidr6-0",
        "5/8",
        "DEAF:BABE::CAB:FEE",
        "foo@f2.example.com",
        "mail.example.com",
        "pass",
    ),
    (
        "cidr6-129",
        "5.6/2",
        "1.2.3.4",
        "foo@f3.example.com",
        "mail.example.com",
        "permerror",
    ),
    (
        "cidr6-bad",
        "5.6/2",
        "1.2.3.4",
        "foo@f4.example.com",
        "mail.example.com",
        "permerror",
    ),
    (
        "cidr6-33",
        "5.6/2",
        "CAFE:BABE:8000::",
        "foo@f5.example.com",
        "mail.example.com",
        "pass",
    ),
    (
        "cidr6-33-ip4",
        "5.6/2",
        "1.2.3.4",
        "foo@f5.example.com",
        "mail.example.com",
        "neutral",
    ),
    ("ip6-bad1", "5.6/2", "1.2.3.4", "foo@f6.example.com", "mail.example.com", "permerror"),
]


def test_ip4_and_ip6_5_6() -> None:
    run(IPS, IP4_AND_IP6_5_6_CASES)


# -- §6 modifiers --------------------------------------------------------------------------------

MODIFIERS = zone(
    r"""
mail.example.com. A 1.2.3.4
e1.example.com. TXT "v=spf1 exp=exp1.example.com redirect=e2.example.com"
e2.example.com. TXT "v=spf1 -all"
e3.example.com. TXT "v=spf1 exp=exp1.example.com redirect=e4.example.com"
e4.example.com. TXT "v=spf1 -all exp=exp2.example.com"
exp1.example.com. TXT "No-see-um"
exp2.example.com. TXT "See me."
exp3.example.com. TXT "Correct!"
exp4.example.com. TXT "%{l} in implementation"
e5.example.com. TXT "v=spf1 1up=foo"
e6.example.com. TXT "v=spf1 =all"
e7.example.com. TXT "v=spf1 include:e3.example.com -all exp=exp3.example.com"
e8.example.com. TXT "v=spf1 -all exp=exp4.example.com"
e9.example.com. TXT "v=spf1 -all foo=%abc"
e10.example.com. TXT "v=spf1 redirect=erehwon.example.com"
e11.example.com. TXT "v=spf1 -all exp=e11msg.example.com"
e11msg.example.com. TXT "Answer a fool according to his folly."
e11msg.example.com. TXT "Do not answer a fool according to his folly."
e12.example.com. TXT "v=spf1 exp= -all"
e13.example.com. TXT "v=spf1 exp=e13msg.example.com -all"
e13msg.example.com. TXT "The %{x}-files."
e14.example.com. TXT "v=spf1 exp=e13msg.example.com -all exp=e11msg.example.com"
e15.example.com. TXT "v=spf1 redirect=e12.example.com -all redirect=e12.example.com"
e16.example.com. TXT "v=spf1 exp=-all"
e17.example.com. TXT "v=spf1 redirect=-all ?all"
e18.example.com. TXT "v=spf1 ?all redirect="
e19.example.com. TXT "v=spf1 default=pass"
e20.example.com. TXT "v=spf1 default=+"
e21.example.com. TXT "v=spf1 exp=e21msg.example.com -all"
e22.example.com. TXT "v=spf1 exp=mail.example.com -all"
nonascii.example.com. TXT "v=spf1 exp=badexp.example.com -all"
badexp.example.com. TXT "\239\187\191Explanation"
e23.example.com. TXT "v=spf1 a:erehwon.example.com a:foobar.com exp=nxdomain.com -all"
e24.example.com. TXT "v=spf1 redirect=testimplicit.example.com"
e24.example.com. A 192.0.2.1
testimplicit.example.com. TXT "v=spf1 a -all"
testimplicit.example.com. A 192.0.2.2
""",
    timeouts=("e21msg.example.com",),
)


REDIRECT_AND_EXP_MODIFIERS_6_CASES = [
    (
        "redirect-none",
        "6.1/4",
        "1.2.3.4",
        "foo@e10.example.com",
        "mail.example.com",
        "permerror",
    ),
    (
        "redirect-cancels-exp",
        "6.2/13",
        "1.2.3.4",
        "foo@e1.example.com",
        "mail.example.com",
        "fail",
        None,
    ),
    (
        "redirect-syntax-error",
        "6.1/2",
        "1.2.3.4",
        "foo@e17.example.com",
        "mail.example.com",
        "permerror",
    ),
    (
        "include-ignores-exp",
        "6.2/13",
        "1.2.3.4",
        "foo@e7.example.com",
        "mail.example.com",
        "fail",
        "Correct!",
    ),
    (
        "redirect-cancels-prior-exp",
        "6.2/13",
        "1.2.3.4",
        "foo@e3.example.com",
        "mail.example.com",
        "fail",
        "See me.",
    ),
    (
        "invalid-modifier",
        "A/3",
        "1.2.3.4",
        "foo@e5.example.com",
        "mail.example.com",
        "permerror",
    ),
    (
        "empty-modifier-name",
        "A/3",
        "1.2.3.4",
        "foo@e6.example.com",
        "mail.example.com",
        "permerror",
    ),
    (
        "dorky-sentinel",
        "7.1/6",
        "1.2.3.4",
        "Macro Error@e8.example.com",
        "mail.example.com",
        "fail",
        "Macro Error in implementation",
    ),
    (
        "exp-multiple-txt",
        "6.2/4",
        "1.2.3.4",
        "foo@e11.example.com",
        "mail.example.com",
        "fail",
        None,
    ),
    (
        "exp-no-txt",
        "6.2/4",
        "1.2.3.4",
        "foo@e22.example.com",
        "mail.example.com",
        "fail",
        None,
    ),
    (
        "exp-dns-error",
        "6.2/4",
        "1.2.3.4",
        "foo@e21.example.com",
        "mail.example.com",
        "fail",
        None,
    ),
    (
        "exp-empty-domain",
        "6.2/4",
        "1.2.3.4",
        "foo@e12.example.com",
        "mail.example.com",
        "permerror",
    ),
    (
        "explanation-syntax-error",
        "6.2/4",
        "1.2.3.4",
        "foo@e13.example.com",
        "mail.example.com",
        "fail",
        None,
    ),
    (
        "exp-syntax-error",
        "6.2/1",
        "1.2.3.4",
        "foo@e16.example.com",
        "mail.example.com",
        "permerror",
    ),
    ("exp-twice", "6/2", "1.2.3.4", "foo@e14.example.com", "mail.example.com", "permerror"),
    (
        "redirect-empty-domain",
        "6.2/4",
        "1.2.3.4",
        "foo@e18.example.com",
        "mail.example.com",
        "permerror",
    ),
    (
        "redirect-twice",
        "6/2",
        "1.2.3.4",
        "foo@e15.example.com",
        "mail.example.com",
        "permerror",
    ),
    (
        "unknown-modifier-syntax",
        "A/3",
        "1.2.3.4",
        "foo@e9.example.com",
        "mail.example.com",
        "permerror",
    ),
    (
        "default-modifier-obsolete",
        "6/3",
        "1.2.3.4",
        "foo@e19.example.com",
        "mail.example.com",
        "neutral",
    ),
    (
        "default-modifier-obsolete2",
        "6/3",
        "1.2.3.4",
        "foo@e20.example.com",
        "mail.example.com",
        "neutral",
    ),
    (
        "non-ascii-exp",
        "6.2/5",
        "1.2.3.4",
        "foobar@nonascii.example.com",
        "hosed",
        "fail",
        None,
    ),
    ("exp-void", "4.6.4/1", "1.2.3.4", "foo@e23.example.com", "mail.example.com", "fail"),
    (
        "redirect-implicit",
        "6.1/4",
        "192.0.2.2",
        "bar@e24.example.com",
        "e24.example.com",
        "pass",
    ),
]


def test_redirect_and_exp_modifiers_6() -> None:
    run(MODIFIERS, REDIRECT_AND_EXP_MODIFIERS_6_CASES)


# -- §7 macros -----------------------------------------------------------------------------------

MACROS = zone(
    r"""
example.com.d.spf.example.com. TXT "v=spf1 redirect=a.spf.example.com"
a.spf.example.com. TXT "v=spf1 include:o.spf.example.com. ~all"
o.spf.example.com. TXT "v=spf1 ip4:192.168.218.40"
msgbas2x.cos.example.com. A 192.168.218.40
example.com. A 192.168.90.76
example.com. TXT "v=spf1 redirect=%{d}.d.spf.example.com."
exp.example.com. TXT "v=spf1 exp=msg.example.com. -all"
msg.example.com. TXT "This is a test."
e1.example.com. TXT "v=spf1 -exists:%(ir).sbl.example.com ?all"
e1e.example.com. TXT "v=spf1 exists:foo%(ir).sbl.example.com ?all"
e1t.example.com. TXT "v=spf1 exists:foo%.sbl.example.com ?all"
e1a.example.com. TXT "v=spf1 a:macro%%percent%_%_space%-url-space.example.com -all"
macro%percent\032\032space%20url-space.example.com. A 1.2.3.4
e2.example.com. TXT "v=spf1 -all exp=%{r}.example.com"
e3.example.com. TXT "v=spf1 -all exp=%{ir}.example.com"
40.218.168.192.example.com. TXT "Connections from %{c} not authorized."
somewhat.long.exp.example.com. TXT "v=spf1 -all exp=foobar.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.example.com"
somewhat.long.exp.example.com.somewhat.long.exp.example.com.somewhat.long.exp.example.com.somewhat.long.exp.example.com.somewhat.long.exp.example.com.somewhat.long.exp.example.com.somewhat.long.exp.example.com.somewhat.long.exp.example.com.example.com. TXT "Congratulations!  That was tricky."
e4.example.com. TXT "v=spf1 -all exp=e4msg.example.com"
e4msg.example.com. TXT "%{c} is queried as %{ir}.%{v}.arpa"
e5.example.com. TXT "v=spf1 a:%{a}.example.com -all"
e6.example.com. TXT "v=spf1 -all exp=e6msg.example.com"
e6msg.example.com. TXT "connect from %{p}"
mx.example.com. A 192.168.218.41
mx.example.com. A 192.168.218.42
mx.example.com. AAAA CAFE:BABE::2
mx.example.com. AAAA CAFE:BABE::3
40.218.168.192.in-addr.arpa. PTR mx.example.com.
41.218.168.192.in-addr.arpa. PTR mx.example.com.
42.218.168.192.in-addr.arpa. PTR mx.example.com.
42.218.168.192.in-addr.arpa. PTR mx.e7.example.com.
1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.E.B.A.B.E.F.A.C.ip6.arpa. PTR mx.example.com.
3.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.E.B.A.B.E.F.A.C.ip6.arpa. PTR mx.example.com.
mx.e7.example.com. A 192.168.218.42
mx.e7.example.com.should.example.com. A 127.0.0.2
mx.example.com.ok.example.com. A 127.0.0.2
e7.example.com. TXT "v=spf1 exists:%{p}.should.example.com ~exists:%{p}.ok.example.com"
e8.example.com. TXT "v=spf1 -all exp=msg8.%{D2}"
msg8.example.com. TXT "http://example.com/why.html?l=%{L}"
e9.example.com. TXT "v=spf1 a:%{H} -all"
e10.example.com. TXT "v=spf1 -include:_spfh.%{d2} ip4:1.2.3.0/24 -all"
_spfh.example.com. TXT "v=spf1 -a:%{h} +all"
e11.example.com. TXT "v=spf1 exists:%{i}.%{l2r-}.user.%{d2}"
1.2.3.4.gladstone.philip.user.example.com. A 127.0.0.2
e12.example.com. TXT "v=spf1 exists:%{l2r+-}.user.%{d2}"
bar.foo.user.example.com. A 127.0.0.2
"""
)


MACRO_HELO = "msgbas2x.cos.example.com"
MACRO_IP = "192.168.218.40"
MACRO_EXPANSION_7_CASES = [
    ("trailing-dot-domain", "7.1/16", MACRO_IP, "test@example.com", MACRO_HELO, "pass"),
    (
        "trailing-dot-exp",
        "7.1",
        MACRO_IP,
        "test@exp.example.com",
        MACRO_HELO,
        "fail",
        "This is a test.",
    ),
    ("exp-only-macro-char", "7.1/8", MACRO_IP, "test@e2.example.com", MACRO_HELO, "permerror"),
    ("invalid-macro-char", "7.1/9", MACRO_IP, "test@e1.example.com", MACRO_HELO, "permerror"),
    (
        "invalid-embedded-macro-char",
        "7.1/9",
        MACRO_IP,
        "test@e1e.example.com",
        MACRO_HELO,
        "permerror",
    ),
    (
        "invalid-trailing-macro-char",
        "7.1/9",
        MACRO_IP,
        "test@e1t.example.com",
        MACRO_HELO,
        "permerror",
    ),
    (
        "macro-mania-in-domain",
        "7.1/3",
        "1.2.3.4",
        "test@e1a.example.com",
        "mail.example.com",
        "pass",
    ),
    (
        "exp-txt-macro-char",
        "7.1/20",
        MACRO_IP,
        "test@e3.example.com",
        MACRO_HELO,
        "fail",
        "Connections from 192.168.218.40 not authorized.",
    ),
    (
        "domain-name-truncation",
        "7.1/25",
        MACRO_IP,
        "test@somewhat.long.exp.example.com",
        MACRO_HELO,
        "fail",
        "Congratulations!  That was tricky.",
    ),
    (
        "v-macro-ip4",
        "7.1/6",
        MACRO_IP,
        "test@e4.example.com",
        MACRO_HELO,
        "fail",
        "192.168.218.40 is queried as 40.218.168.192.in-addr.arpa",
    ),
    (
        "v-macro-ip6",
        "7.1/6",
        "CAFE:BABE::1",
        "test@e4.example.com",
        MACRO_HELO,
        "fail",
        "cafe:babe::1 is queried as 1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.E.B.A.B.E.F.A.C.ip6.arpa",
    ),
    (
        "undef-macro",
        "7.1/6",
        "CAFE:BABE::192.168.218.40",
        "test@e5.example.com",
        MACRO_HELO,
        "permerror",
    ),
    (
        "p-macro-ip4-novalid",
        "7.1/22",
        MACRO_IP,
        "test@e6.example.com",
        MACRO_HELO,
        "fail",
        "connect from unknown",
    ),
    (
        "p-macro-ip4-valid",
        "7.1/22",
        "192.168.218.41",
        "test@e6.example.com",
        MACRO_HELO,
        "fail",
        "connect from mx.example.com",
    ),
    (
        "p-macro-ip6-novalid",
        "7.1/22",
        "CAFE:BABE::1",
        "test@e6.example.com",
        MACRO_HELO,
        "fail",
        "connect from unknown",
    ),
    (
        "p-macro-ip6-valid",
        "7.1/22",
        "CAFE:BABE::3",
        "test@e6.example.com",
        MACRO_HELO,
        "fail",
        "connect from mx.example.com",
    ),
    (
        "p-macro-multiple",
        "7.1/22",
        "192.168.218.42",
        "test@e7.example.com",
        MACRO_HELO,
        ("pass", "softfail"),
    ),
    (
        "upper-macro",
        "7.1/26",
        "192.168.218.42",
        "~jack&jill=up-a_b3.c@e8.example.com",
        MACRO_HELO,
        "fail",
        "http://example.com/why.html?l=~jack%26jill%3Dup-a_b3.c",
    ),
    ("hello-macro", "7.1/6", MACRO_IP, "test@e9.example.com", MACRO_HELO, "pass"),
    ("invalid-hello-macro", "7.1/2", MACRO_IP, "test@e9.example.com", "JUMPIN' JUPITER", "fail"),
    (
        "hello-domain-literal",
        "7.1/2",
        MACRO_IP,
        "test@e9.example.com",
        "[192.168.218.40]",
        "fail",
    ),
    (
        "require-valid-helo",
        "7.1/6",
        "1.2.3.4",
        "test@e10.example.com",
        "OEMCOMPUTER",
        "fail",
    ),
    (
        "macro-reverse-split-on-dash",
        "7.1/15",
        "1.2.3.4",
        "philip-gladstone-test@e11.example.com",
        "mail.example.com",
        "pass",
    ),
    (
        "macro-multiple-delimiters",
        "7.1/15",
        "1.2.3.4",
        "foo-bar+zip+quux@e12.example.com",
        "mail.example.com",
        "pass",
    ),
]


def test_macro_expansion_7() -> None:
    run(MACROS, MACRO_EXPANSION_7_CASES)


# -- §4.6.4 processing limits, counted while evaluating ------------------------------------------

LIMITS = zone(
    r"""
mail.example.com. A 1.2.3.4
e1.example.com. TXT "v=spf1 ip4:1.1.1.1 redirect=e1.example.com"
e1.example.com. A 1.2.3.6
e2.example.com. TXT "v=spf1 include:e3.example.com"
e2.example.com. A 1.2.3.7
e3.example.com. TXT "v=spf1 include:e2.example.com"
e3.example.com. A 1.2.3.8
e4.example.com. TXT "v=spf1 mx"
e4.example.com. MX 0 mail.example.com.
e4.example.com. MX 1 mail.example.com.
e4.example.com. MX 2 mail.example.com.
e4.example.com. MX 3 mail.example.com.
e4.example.com. MX 4 mail.example.com.
e4.example.com. MX 5 mail.example.com.
e4.example.com. MX 6 mail.example.com.
e4.example.com. MX 7 mail.example.com.
e4.example.com. MX 8 mail.example.com.
e4.example.com. MX 9 mail.example.com.
e4.example.com. MX 10 e4.example.com.
e4.example.com. A 1.2.3.5
e5.example.com. TXT "v=spf1 ptr"
e5.example.com. A 1.2.3.5
5.3.2.1.in-addr.arpa. PTR e1.example.com.
5.3.2.1.in-addr.arpa. PTR e2.example.com.
5.3.2.1.in-addr.arpa. PTR e3.example.com.
5.3.2.1.in-addr.arpa. PTR e4.example.com.
5.3.2.1.in-addr.arpa. PTR example.com.
5.3.2.1.in-addr.arpa. PTR e6.example.com.
5.3.2.1.in-addr.arpa. PTR e7.example.com.
5.3.2.1.in-addr.arpa. PTR e8.example.com.
5.3.2.1.in-addr.arpa. PTR e9.example.com.
5.3.2.1.in-addr.arpa. PTR e10.example.com.
5.3.2.1.in-addr.arpa. PTR e5.example.com.
e6.example.com. TXT "v=spf1 a mx a mx a mx a mx a ptr ip4:1.2.3.4 -all"
e6.example.com. A 1.2.3.8
e6.example.com. MX 10 e6.example.com.
e7.example.com. TXT "v=spf1 a mx a mx a mx a mx a ptr a ip4:1.2.3.4 -all"
e7.example.com. A 1.2.3.20
e8.example.com. TXT "v=spf1 a include:inc.example.com ip4:1.2.3.4 mx -all"
e8.example.com. A 1.2.3.4
inc.example.com. TXT "v=spf1 a a a a a a a a"
inc.example.com. A 1.2.3.10
e9.example.com. TXT "v=spf1 a include:inc.example.com a ip4:1.2.3.4 -all"
e9.example.com. A 1.2.3.21
e10.example.com. TXT "v=spf1 a -all"
e10.example.com. A 1.2.3.1
e10.example.com. A 1.2.3.2
e10.example.com. A 1.2.3.3
e10.example.com. A 1.2.3.4
e10.example.com. A 1.2.3.5
e10.example.com. A 1.2.3.6
e10.example.com. A 1.2.3.7
e10.example.com. A 1.2.3.8
e10.example.com. A 1.2.3.9
e10.example.com. A 1.2.3.10
e10.example.com. A 1.2.3.11
e10.example.com. A 1.2.3.12
e11.example.com. TXT "v=spf1 a:err.example.com a:err1.example.com a:err2.example.com ?all"
e12.example.com. TXT "v=spf1 a:err.example.com a:err1.example.com ?all"
"""
)


PROCESSING_LIMITS_4_6_4_CASES = [
    (
        "redirect-loop",
        "4.6.4/1",
        "1.2.3.4",
        "foo@e1.example.com",
        "mail.example.com",
        "permerror",
    ),
    (
        "include-loop",
        "4.6.4/1",
        "1.2.3.4",
        "foo@e2.example.com",
        "mail.example.com",
        "permerror",
    ),
    (
        "mx-limit",
        "4.6.4/2",
        "1.2.3.5",
        "foo@e4.example.com",
        "mail.example.com",
        "permerror",
    ),
    (
        "ptr-limit",
        "4.6.4/3",
        "1.2.3.5",
        "foo@e5.example.com",
        "mail.example.com",
        ("neutral", "pass"),
    ),
    (
        "false-a-limit",
        "4.6.4",
        "1.2.3.12",
        "foo@e10.example.com",
        "mail.example.com",
        "pass",
    ),
    (
        "mech-at-limit",
        "4.6.4/1",
        "1.2.3.4",
        "foo@e6.example.com",
        "mail.example.com",
        "pass",
    ),
    (
        "mech-over-limit",
        "4.6.4/1",
        "1.2.3.4",
        "foo@e7.example.com",
        "mail.example.com",
        "permerror",
    ),
    (
        "include-at-limit",
        "4.6.4/1",
        "1.2.3.4",
        "foo@e8.example.com",
        "mail.example.com",
        "pass",
    ),
    (
        "include-over-limit",
        "4.6.4/1",
        "1.2.3.4",
        "foo@e9.example.com",
        "mail.example.com",
        "permerror",
    ),
    (
        "void-at-limit",
        "4.6.4/7",
        "1.2.3.4",
        "foo@e12.example.com",
        "mail.example.com",
        "neutral",
    ),
    (
        "void-over-limit",
        "4.6.4/7",
        "1.2.3.4",
        "foo@e11.example.com",
        "mail.example.com",
        "permerror",
    ),
]


def test_processing_limits_4_6_4() -> None:
    run(LIMITS, PROCESSING_LIMITS_4_6_4_CASES)


def test_ptr_limit_looks_at_the_first_ten_names_only_4_6_4() -> None:
    # The 11th PTR name (e5.example.com) is the only one that would validate: it is ignored.
    outcome = check("1.2.3.5", "foo@e5.example.com", "mail.example.com", resolver=LIMITS)
    assert outcome.result == "neutral"
    assert any("only the first 10" in s.text for s in outcome.trace)


def test_lookups_are_counted_during_evaluation_not_in_advance_4_6_4() -> None:
    # 14 lookup terms after the matching ip4: never evaluated, so never counted.
    resolver = zone(
        'many.example. TXT "v=spf1 ip4:192.0.2.1 '
        + " ".join(f"a:h{i}.example" for i in range(14))
        + ' -all"\n'
    )
    outcome = check("192.0.2.1", "x@many.example", "h.example", resolver=resolver)
    assert outcome.result == "pass"
    assert outcome.lookups == 0
    other = check("192.0.2.2", "x@many.example", "h.example", resolver=resolver)
    assert other.result == "permerror"  # the 3rd void lookup comes first
    assert "void" in (other.problem or "")


# -- §2.3-§2.4 MTA identities --------------------------------------------------------------------


def test_null_sender_checks_postmaster_at_helo_2_4() -> None:
    resolver = zone(
        'mail.example.org. TXT "v=spf1 a -all"\nmail.example.org. A 192.0.2.25\n'
        'mail.example.org. TXT "ignored text"\n'
    )
    outcome = check("192.0.2.25", "", "mail.example.org", resolver=resolver)
    assert outcome.result == "pass"
    assert outcome.sender == "postmaster@mail.example.org"
    assert outcome.identity == "helo"
    assert check("192.0.2.26", "<>", "mail.example.org", resolver=resolver).result == "fail"


def test_results_compare_equal_to_their_rfc_names_2_6() -> None:
    resolver = zone('x.example. TXT "v=spf1 ~all"\n')
    outcome = check("192.0.2.1", "a@x.example", "x.example", resolver=resolver)
    assert outcome.result == "softfail"
    assert isinstance(outcome.result, str)
    assert {r.value for r in type(outcome.result)} == {
        "pass",
        "fail",
        "softfail",
        "neutral",
        "none",
        "permerror",
        "temperror",
    }


@pytest.mark.parametrize("bad_ip", ["", "999.1.1.1", "1.2.3", "not an ip", "fe80::1%eth0x::"])
def test_malformed_client_ip_is_a_permerror_not_an_exception(bad_ip: str) -> None:
    resolver = zone('x.example. TXT "v=spf1 -all"\n')
    outcome = check(bad_ip, "a@x.example", "x.example", resolver=resolver)
    assert outcome.result == "permerror"
    assert repr(bad_ip) in (outcome.problem or "")


def test_whole_check_is_bounded_in_time_4_6_4() -> None:
    ticks = iter(range(0, 1000, 7))  # each reading of the clock advances 7 "seconds"
    resolver = zone(
        'slow.example. TXT "v=spf1 a:a.example a:b.example a:c.example -all"\n'
        "a.example. A 192.0.2.9\nb.example. A 192.0.2.9\nc.example. A 192.0.2.9\n"
    )
    outcome = check(
        "192.0.2.1",
        "x@slow.example",
        "h.example",
        resolver=resolver,
        clock=lambda: float(next(ticks)),
        time_limit=20,
    )
    assert outcome.result == "temperror"
    assert "20 seconds" in (outcome.problem or "")


# -- cases from implementation bugs (openspf suite) -----------------------------------------------

BUGS = zone(
    r"""
example.org. TXT "v=spf1 mx redirect=_spf.example.com"
example.org. MX 10 smtp.example.org.
example.org. MX 10 smtp1.example.com.
smtp.example.org. A 198.51.100.2
smtp.example.org. AAAA 2001:db8:ff0:100::3
smtp1.example.com. A 192.0.2.26
smtp1.example.com. AAAA 2001:db8:ff0:200::2
2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.F.F.0.8.B.D.0.1.0.0.2.ip6.arpa. PTR smtp6-v.fe.example.org.
smtp6-v.fe.example.org. AAAA 2001:db8:ff0:100::2
_spf.example.com. TXT "v=spf1 ptr:fe.example.org ptr:sgp.example.com exp=_expspf.example.org -all"
_expspf.example.org. TXT "Sender domain not allowed from this host. Please see http://www.openspf.org/Why?s=mfrom&id=%{S}&ip=%{C}&r=%{R}"
"""
)

IMPLEMENTATION_BUGS_CASES = [
    # mx finds nothing for this IPv6 client, redirect= then validates its PTR name (§5.5).
    ("bytes-bug", "5.4/4", "2001:db8:ff0:100::2", "test@example.org", "example.org", "pass"),
    (
        "bytes-bug-fail-with-exp",
        "6.2",
        "2001:db8:ff0:100::9",
        "test@example.org",
        "example.org",
        "fail",
        "Sender domain not allowed from this host. Please see "
        "http://www.openspf.org/Why?s=mfrom&id=test%40example.org&ip=2001%3Adb8%3Aff0%3A100%3A%3A9&r=mx.test",
    ),
]


def test_implementation_bug_cases() -> None:
    run(BUGS, IMPLEMENTATION_BUGS_CASES)


#: Every (test name, zone, cases) above, for running the same cases through a real DNS server.
SUITES = [
    ("test_implementation_bug_cases", BUGS, IMPLEMENTATION_BUGS_CASES),
    (
        "test_initial_processing_domain_validation_4_3",
        INITIAL,
        INITIAL_PROCESSING_DOMAIN_VALIDATION_4_3_CASES,
    ),
    (
        "test_records_are_seven_bit_ascii_3_1_and_terms_split_on_spaces_only_4_6_1",
        INITIAL,
        RECORDS_ARE_SEVEN_BIT_ASCII_3_1_AND_TERMS_SPLIT_ON_SPACES_ONLY_4_6_1_CASES,
    ),
    ("test_record_lookup_and_temperror_4_4", LOOKUP, RECORD_LOOKUP_AND_TEMPERROR_4_4_CASES),
    ("test_record_selection_4_5", LOOKUP, RECORD_SELECTION_4_5_CASES),
    ("test_record_evaluation_4_6", EVAL, RECORD_EVALUATION_4_6_CASES),
    ("test_all_5_1", MECH, ALL_5_1_CASES),
    ("test_ptr_validated_domain_procedure_5_5", MECH, PTR_VALIDATED_DOMAIN_PROCEDURE_5_5_CASES),
    ("test_a_with_dual_cidr_and_ipv6_5_3", MECH, A_WITH_DUAL_CIDR_AND_IPV6_5_3_CASES),
    ("test_include_result_mapping_5_2", INCLUDE, INCLUDE_RESULT_MAPPING_5_2_CASES),
    ("test_mx_5_4", MX, MX_5_4_CASES),
    (
        "test_exists_uses_a_lookups_even_for_ipv6_5_7",
        MX,
        EXISTS_USES_A_LOOKUPS_EVEN_FOR_IPV6_5_7_CASES,
    ),
    ("test_ip4_and_ip6_5_6", IPS, IP4_AND_IP6_5_6_CASES),
    ("test_redirect_and_exp_modifiers_6", MODIFIERS, REDIRECT_AND_EXP_MODIFIERS_6_CASES),
    ("test_macro_expansion_7", MACROS, MACRO_EXPANSION_7_CASES),
    ("test_processing_limits_4_6_4", LIMITS, PROCESSING_LIMITS_4_6_4_CASES),
]
