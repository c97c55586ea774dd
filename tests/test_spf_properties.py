"""Property-based tests: whatever the record, macros or DNS data, check() gives one of the seven
results (RFC 7208 §2.6) and never raises; the parser either parses or reports a syntax error."""

from __future__ import annotations

import ipaddress

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailsec.spf import OverlaySource, SpfResult, ZoneResolver, check, parse_record
from mailsec.spf.lookup import DnsAnswer, DnsStatus, MxRecord
from mailsec.spf.macro import MacroError, parse_macro_string
from mailsec.spf.record import SpfSyntaxError

SEVEN = {"pass", "fail", "softfail", "neutral", "none", "permerror", "temperror"}
DOMAINS = ["a.test", "b.test", "c.test", "mx.a.test", "x.b.test", "nowhere.test", "slow.test"]

qualifier = st.sampled_from(["", "+", "-", "~", "?"])
domain = st.sampled_from(
    [*DOMAINS, "%{d}", "%{o}", "%{i}.c.test", "%{ir}.%{v}.b.test", "%{l1r-}.a.test"]
)
cidr4 = st.one_of(st.just(""), st.integers(0, 40).map(lambda n: f"/{n}"))
cidr6 = st.one_of(st.just(""), st.integers(0, 140).map(lambda n: f"//{n}"))
ip4 = st.ip_addresses(v=4).map(str)
ip6 = st.ip_addresses(v=6).map(str)

mechanism = st.one_of(
    st.just("all"),
    domain.map(lambda d: f"include:{d}"),
    st.tuples(st.one_of(st.just(""), domain.map(lambda d: ":" + d)), cidr4, cidr6).map(
        lambda t: "a" + "".join(t)
    ),
    st.tuples(st.one_of(st.just(""), domain.map(lambda d: ":" + d)), cidr4, cidr6).map(
        lambda t: "mx" + "".join(t)
    ),
    st.one_of(st.just("ptr"), domain.map(lambda d: "ptr:" + d)),
    st.tuples(ip4, cidr4).map(lambda t: f"ip4:{t[0]}{t[1]}"),
    st.tuples(ip6, st.integers(0, 130)).map(lambda t: f"ip6:{t[0]}/{t[1]}"),
    domain.map(lambda d: f"exists:{d}"),
)
modifier = st.one_of(
    domain.map(lambda d: f"redirect={d}"),
    domain.map(lambda d: f"exp={d}"),
    st.from_regex(r"[a-z][a-z0-9._-]{0,6}=[!-$&-~]{0,8}", fullmatch=True),
)
term = st.one_of(st.tuples(qualifier, mechanism).map("".join), modifier)
noise = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF), max_size=12)
record_text = st.one_of(
    st.lists(term, max_size=8).map(lambda ts: " ".join(["v=spf1", *ts])),
    st.tuples(st.lists(term, max_size=5), noise).map(lambda t: " ".join(["v=spf1", *t[0], t[1]])),
    noise.map(lambda n: "v=spf1 " + n),
)


@given(record_text)
@settings(max_examples=300)
def test_parser_parses_or_reports_a_syntax_error(text: str) -> None:
    try:
        record = parse_record(text)
    except SpfSyntaxError as exc:
        assert 0 <= exc.position <= len(text)
        assert exc.reason
    else:
        assert record.text == text


@given(st.text(max_size=40))
@settings(max_examples=300)
def test_macro_parser_parses_or_reports_a_position(text: str) -> None:
    try:
        parse_macro_string(text, explanation=True, allow_space=True)
    except MacroError as exc:
        assert 0 <= exc.position < len(text)


BASE = ZoneResolver.from_text(
    """
a.test. A 192.0.2.1
a.test. AAAA 2001:db8::1
a.test. MX 10 mx.a.test.
mx.a.test. A 192.0.2.2
b.test. TXT "v=spf1 ip4:192.0.2.0/24 ~all"
x.b.test. A 127.0.0.2
c.test. TXT "v=spf1 include:a.test -all"
c.test. TXT "unrelated"
""",
    timeouts=("slow.test",),
)


def _txt(text: str) -> tuple[bytes, ...]:
    data = text.encode("utf-8", "surrogatepass")
    return tuple(data[i : i + 255] for i in range(0, max(len(data), 1), 255))


class RandomAnswers:
    """Answers any question from a drawn table: random statuses and records."""

    def __init__(self, table: dict[tuple[str, str], DnsAnswer]) -> None:
        self.table = table

    def lookup(self, name: str, rdtype: str, *, lifetime: float | None = None) -> DnsAnswer:
        answer = self.table.get((name.lower(), rdtype))
        if answer is None:
            return BASE.lookup(name, rdtype)
        return DnsAnswer(name, rdtype, answer.status, answer.records, answer.detail)


status = st.sampled_from(list(DnsStatus))
records_for = {
    "A": st.lists(ip4.map(ipaddress.ip_address), min_size=1, max_size=3),
    "AAAA": st.lists(ip6.map(ipaddress.ip_address), min_size=1, max_size=3),
    "MX": st.lists(
        st.builds(MxRecord, st.integers(0, 50), st.sampled_from([*DOMAINS, "", "."])),
        min_size=1,
        max_size=13,
    ),
    "TXT": st.lists(record_text.map(_txt), min_size=1, max_size=2),
    "PTR": st.lists(st.sampled_from(DOMAINS), min_size=1, max_size=12),
}


@st.composite
def dns_answer(draw: st.DrawFn, key: tuple[str, str]) -> DnsAnswer:
    s = draw(status)
    records = tuple(draw(records_for[key[1]])) if s is DnsStatus.ANSWER else ()
    return DnsAnswer(key[0], key[1], s, records, "drawn")


keys = st.tuples(st.sampled_from(DOMAINS), st.sampled_from(["A", "AAAA", "MX", "TXT", "PTR"]))


@st.composite
def dns_table(draw: st.DrawFn) -> dict[tuple[str, str], DnsAnswer]:
    chosen = draw(st.lists(keys, max_size=10, unique=True))
    return {k: draw(dns_answer(k)) for k in chosen}


@given(
    record=record_text,
    table=dns_table(),
    client=st.one_of(ip4, ip6, st.just("::ffff:192.0.2.1"), st.text(max_size=8)),
    local=st.from_regex(r"[!-?A-~]{0,10}", fullmatch=True),
    helo=st.one_of(st.sampled_from(DOMAINS), st.text(max_size=12)),
)
@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
def test_any_record_and_dns_data_give_one_of_seven_results_2_6(
    record: str, table: dict, client: str, local: str, helo: str
) -> None:
    source = OverlaySource(RandomAnswers(table), {("top.test", "TXT"): (_txt(record),)})
    outcome = check(client, f"{local}@top.test", helo, resolver=source)
    assert outcome.result.value in SEVEN
    assert isinstance(outcome.result, SpfResult)
    assert outcome.lookups <= 11  # stops at the 11th lookup term (§4.6.4)
    assert outcome.void_lookups <= 3  # stops at the 3rd void lookup (§4.6.4)
    if outcome.explanation is not None:
        assert outcome.result == "fail"
    assert outcome.trace[-1].data["result"] == outcome.result.value


@given(
    mail_from=st.text(max_size=30),
    helo=st.text(max_size=30),
    client=st.one_of(ip4, ip6, st.text(max_size=20)),
)
@settings(max_examples=300)
def test_any_identity_strings_give_one_of_seven_results(
    mail_from: str, helo: str, client: str
) -> None:
    outcome = check(client, mail_from, helo, resolver=BASE)
    assert outcome.result.value in SEVEN
