"""MTA-STS (RFC 8461) from the RFC's text: the TXT record (§3.1), the policy (§3.2, §3.3's size),
MX matching (§4.1), the modes (§5), and the cache (§3.3, §5.1, §10.2). Each test names its
section; error messages are pinned where a learner reads them."""

from __future__ import annotations

import pytest

from mailsec.errors import InputError
from mailsec.spf.lookup import DnsAnswer, DnsStatus
from mailsec.spf.zone import ZoneResolver
from mailsec.transport.mtasts import (
    MAX_MX_PATTERNS,
    MAX_POLICY_SIZE,
    Mode,
    Policy,
    StsRecord,
    StsSyntaxError,
    mx_matches,
    parse_policy,
    parse_record,
)
from mailsec.transport.mtasts_cache import (
    CachedPolicy,
    FetchFailure,
    PolicySource,
    RecordStatus,
    choose_policy,
    discover_record,
    fetch_from_text,
    lookup_record,
)
from mailsec.transport.mtasts_delivery import (
    Channel,
    MxHost,
    StsResult,
    TlsOutcome,
    decide_delivery,
    evaluate,
)

POLICY = (
    "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.net\r\nmx: *.backup.example.net\r\n"
    "max_age: 604800\r\n"
)
DAY = 86_400.0
NOW = 1_000_000_000.0


def policy(mode: str = "enforce", *mx: str, max_age: int = 604800) -> Policy:
    lines = ["version: STSv1", f"mode: {mode}", *(f"mx: {m}" for m in mx), f"max_age: {max_age}"]
    return parse_policy("\n".join(lines))


def txt(*records: str) -> DnsAnswer:
    return DnsAnswer(
        "_mta-sts.example.net",
        "TXT",
        DnsStatus.ANSWER,
        tuple((r.encode("latin-1"),) for r in records),
    )


# -- §3.1 the TXT record --------------------------------------------------------------------------


def test_3_1_record_with_id_and_optional_final_semicolon():
    assert parse_record("v=STSv1; id=20160831085700Z;").id == "20160831085700Z"
    assert parse_record("v=STSv1;id=abc").id == "abc"
    assert parse_record("v=STSv1 ; id=abc ;  ").id == "abc"


def test_3_1_unknown_fields_are_ignored_and_a_repeated_one_counts_once():
    record = parse_record("v=STSv1; id=first; ext_a.b-c=value!; id=second")
    assert record.id == "first"
    assert record.extensions == (("ext_a.b-c", "value!"),)
    assert any("appears again" in n for n in record.notes)
    assert record.to_text() == "v=STSv1; id=first; ext_a.b-c=value!;"
    assert StsRecord.from_text(record.to_text()) == record


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("v=STSv1", "has no id= field; the id is required (RFC 8461 §3.1)"),
        ("v=STSv1; id=", "has no value"),
        ("v=STSv1; id=a-b", "'a-b' is not 1 to 32 letters and digits"),
        ("v=STSv1; id=" + "a" * 33, "is not 1 to 32 letters and digits"),
        ("v=STSv1; id=a;; x=y", "an empty field between two semicolons"),
        ("v=STSv1; id=a b", "which is not name=value"),
        ("V=STSv1; id=a", "does not begin with v=STSv1"),  # %s: case-sensitive
        ("v=STSv2; id=a", "does not begin with v=STSv1"),
        ("id=a; v=STSv1", "does not begin with v=STSv1"),  # v= comes first
        ("v=STSv1; id=é", "printable US-ASCII"),
        ("v=STSv1; id=a\x00", "printable US-ASCII"),
        ("v=STSv1; id=a; " + "x" * 5000, "records over 4,096 are not read"),
    ],
)
def test_3_1_records_that_are_refused(text, words):
    with pytest.raises(StsSyntaxError) as caught:
        parse_record(text)
    assert words in caught.value.message


def test_3_1_records_not_beginning_with_v_stsv1_are_set_aside():
    found = discover_record("example.net", txt("v=spf1 -all", "v=STSv1; id=abc;"))
    assert found.status is RecordStatus.FOUND and found.record.id == "abc"
    assert "1 TXT record(s)" in found.trace[1].text


def test_3_1_more_than_one_record_means_no_policy():
    found = discover_record("example.net", txt("v=STSv1; id=a;", "v=STSv1; id=b;"))
    assert found.status is RecordStatus.MULTIPLE and not found.usable


def test_3_1_an_invalid_record_means_no_policy():
    found = discover_record("example.net", txt("v=STSv1; id=not-alnum;"))
    assert found.status is RecordStatus.INVALID and "letters and digits" in found.problem


def test_3_1_strings_of_one_record_are_joined_without_spaces():
    answer = DnsAnswer(
        "_mta-sts.example.net", "TXT", DnsStatus.ANSWER, ((b"v=STSv1; id=ab", b"cd;"),)
    )
    assert discover_record("example.net", answer).record.id == "abcd"


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (DnsStatus.NXDOMAIN, RecordStatus.NONE),
        (DnsStatus.NODATA, RecordStatus.NONE),
        (DnsStatus.TIMEOUT, RecordStatus.FAILED),
        (DnsStatus.ERROR, RecordStatus.FAILED),
    ],
)
def test_3_1_no_record_and_a_failed_lookup_are_told_apart(status, expected):
    answer = DnsAnswer("_mta-sts.example.net", "TXT", status)
    assert discover_record("example.net", answer).status is expected


def test_3_1_lookup_through_an_offline_zone():
    zone = ZoneResolver.from_text(
        '$ORIGIN example.net.\n_mta-sts TXT "v=STSv1; id=20240601;"\nmx1 A 192.0.2.25\n'
    )
    assert lookup_record("example.net", resolver=zone).record.id == "20240601"
    assert lookup_record("example.org", resolver=zone).status is RecordStatus.NONE


# -- §3.2 the policy ------------------------------------------------------------------------------


def test_3_2_the_rfc_example_policy():
    parsed = parse_policy(POLICY)
    assert parsed.mode is Mode.ENFORCE and parsed.mode == "enforce"
    assert parsed.mx == ("mx1.example.net", "*.backup.example.net")
    assert parsed.max_age == 604800 and parsed.version == "STSv1"
    assert Policy.from_text(parsed.to_text()) == parsed
    assert parse_policy(POLICY.encode()) == parsed  # the HTTPS body as bytes


def test_3_2_lf_or_crlf_unknown_fields_and_repeated_fields():
    text = (
        "version: STSv1\nmode:testing\nmx:\tmx1.example.net \nmax_age: 0\nfoo: bar\nmode: enforce\n"
    )
    parsed = parse_policy(text)
    assert parsed.mode is Mode.TESTING  # the first of a repeated field counts
    assert parsed.max_age == 0 and parsed.extensions == (("foo", "bar"),)
    assert any("Line 6: mode appears again" in n for n in parsed.notes)
    assert any("unknown field 'foo'" in n for n in parsed.notes)


def test_3_2_mode_none_needs_no_mx():
    assert parse_policy("version: STSv1\nmode: none\nmax_age: 86400").mx == ()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "version: STSv1\nmode: enforce\nmax_age: 86400",
            "The policy's mode is enforce but it has no mx line: list the MX hosts that may "
            "receive mail, such as 'mx: mx1.example.net' (only mode none may leave them out).",
        ),
        (
            "version: STSv1\nMode: enforce\nmx: a.example\nmax_age: 1",
            "The policy has no mode line; version, mode and max_age are required, for example "
            "'version: STSv1', 'mode: enforce', 'max_age: 604800' (there is a line 'Mode': "
            "field names are lower case).",
        ),
        (
            "version: STSv1\nmode: Enforce\nmx: a.example\nmax_age: 1",
            "Line 2 of the policy: the mode is 'Enforce'; it is enforce, testing or none "
            "(written in lower case).",
        ),
        (
            "version: STSv2\nmode: enforce\nmx: a.example\nmax_age: 1",
            "Line 1 of the policy: the version is 'STSv2'; the only version is STSv1.",
        ),
        (
            "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 31557601",
            "Line 4 of the policy: max_age is '31557601'; it is a whole number of seconds from 0 "
            "to 31,557,600 (a year), for example 604800 for a week.",
        ),
        (
            "version: STSv1\nmode: enforce\nmx a.example\nmax_age: 1",
            "Line 3 of the policy ('mx a.example') has no colon: each line is 'name: value', "
            "such as 'mode: enforce'.",
        ),
        (
            "version: STSv1\nmode : enforce\nmx: a.example\nmax_age: 1",
            "Line 2 of the policy ('mode : enforce') does not start with a field name: no space "
            "before the name or before the colon.",
        ),
    ],
)
def test_3_2_malformed_policies_name_the_line(text, message):
    with pytest.raises(StsSyntaxError) as caught:
        parse_policy(text)
    assert caught.value.message == message


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("a.*.example.net", "is not the whole leftmost label"),
        ("*example.net", "is not the whole leftmost label"),
        ("*.*.example.net", "is not the whole leftmost label"),
        ("*", "is not the whole leftmost label"),
        ("mx.example.net.", "ends with a dot"),
        ("-mx.example.net", "does not start or end with a hyphen"),
        ("mx..example.net", "empty label"),
        ("mx_1.example.net", "letters, digits and hyphens"),
        ("bücher.example", "A-label form (xn--…)"),
        ("a" * 64 + ".example", "label of 64 characters"),
        ("", "is empty"),
    ],
)
def test_3_2_mx_values_are_domains_with_an_optional_leading_wildcard(value, words):
    with pytest.raises(StsSyntaxError, match="Line 3") as caught:
        parse_policy(f"version: STSv1\nmode: enforce\nmx: {value}\nmax_age: 1")
    assert words in caught.value.message


def test_3_2_control_characters_and_bad_utf8_name_the_line():
    with pytest.raises(StsSyntaxError, match=r"Line 2 .* control character '\\x00'"):
        parse_policy("version: STSv1\nmode: enf\x00orce\n")
    with pytest.raises(StsSyntaxError, match="Line 2 of the policy has the byte 0xff"):
        parse_policy(b"version: STSv1\nmode: \xff\n")
    with pytest.raises(StsSyntaxError, match=r"Line 1 .* control character '\\r'"):
        parse_policy("version: STSv1\rmode: enforce\n")  # a bare CR ends no line


def test_3_3_a_policy_over_64_kilobytes_is_refused_before_it_is_read():
    body = POLICY + "x: " + "y" * MAX_POLICY_SIZE
    for text in (body, body.encode()):
        with pytest.raises(StsSyntaxError, match="larger than 65,536 bytes"):
            parse_policy(text)
    wide = POLICY + "x: " + "é" * (MAX_POLICY_SIZE // 2)  # fewer characters than bytes
    with pytest.raises(StsSyntaxError, match="larger than 65,536 bytes"):
        parse_policy(wide)


def test_limits_on_lines_and_mx_patterns():
    many = "version: STSv1\nmode: enforce\nmax_age: 1\n" + "mx: a.example\n" * (MAX_MX_PATTERNS + 1)
    with pytest.raises(StsSyntaxError, match="more than 100 are not read"):
        parse_policy(many)
    with pytest.raises(StsSyntaxError, match="more than 1,000 are not read"):
        parse_policy(POLICY + "\n" * 1000)


# -- §4.1 MX host validation ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "host", "matches"),
    [
        ("*.example.com", "mx.example.com", True),  # §4.1's own example
        ("*.example.com", "example.com", False),
        ("*.example.com", "a.b.example.com", False),
        ("*.example.com", "mx.example.org", False),
        ("*.example.com", "mxexample.com", False),
        ("mail.example.com", "MAIL.Example.COM", True),  # case-insensitive
        ("mail.example.com", "mail.example.com.", True),  # the final dot of an absolute name
        ("*.Example.com", "MX.example.COM.", True),
        ("mail.example.com", "mail2.example.com", False),
        ("mail.example.com", "example.com", False),
        ("*", "*", False),
        ("", "", False),
    ],
)
def test_4_1_mx_pattern_matching(pattern, host, matches):
    assert mx_matches(pattern, host) is matches


def test_4_1_policy_allows_names_the_pattern():
    parsed = parse_policy(POLICY)
    assert parsed.matching_pattern("mx.backup.example.net") == "*.backup.example.net"
    assert parsed.allows("mx1.example.net") and not parsed.allows("backup.example.net")


# -- §5 policy application ------------------------------------------------------------------------

GOOD = MxHost("mx1.example.net", TlsOutcome.VALID, 10)
BACKUP = MxHost("mx.backup.example.net", TlsOutcome.VALID, 20)
EVIL = MxHost("evil-mx.attacker.example", TlsOutcome.VALID, 5)


def test_5_enforce_skips_mx_not_in_the_policy_and_uses_a_valid_one():
    delivery = decide_delivery(parse_policy(POLICY), [GOOD, EVIL, BACKUP])
    assert delivery.result is StsResult.DELIVERED and delivery.result == "delivered"
    assert [v.name for v in delivery.verdicts] == [EVIL.name, GOOD.name, BACKUP.name]
    evil, good, backup = delivery.verdicts
    assert (evil.allowed, evil.tried, evil.used) == (False, False, False)
    assert (good.allowed, good.tls_ok, good.used) == (True, True, True)
    assert good.channel is Channel.VERIFIED_TLS and not backup.tried
    assert delivery.failures == ((EVIL.name, "validation-failure"),)
    assert delivery.permitted == (GOOD.name, BACKUP.name)


@pytest.mark.parametrize("tls", [t for t in TlsOutcome if not t.ok])
def test_5_enforce_with_no_permitted_mx_with_valid_tls_fails_delivery(tls):
    hosts = [MxHost(GOOD.name, tls, 10), MxHost(BACKUP.name, tls, 20), EVIL]
    delivery = decide_delivery(parse_policy(POLICY), hosts)
    assert delivery.result is StsResult.DEFERRED and not delivery.delivered
    assert delivery.used is None and delivery.report
    assert (GOOD.name, tls.tlsrpt) in delivery.failures
    assert "checks DNS for a new policy id" in delivery.trace[-2].text


def test_5_enforce_falls_back_to_the_next_permitted_mx():
    hosts = [MxHost(GOOD.name, TlsOutcome.EXPIRED, 10), BACKUP]
    delivery = decide_delivery(parse_policy(POLICY), hosts)
    assert delivery.used.name == BACKUP.name
    assert delivery.failures == ((GOOD.name, "certificate-expired"),)


def test_5_testing_delivers_to_the_first_mx_and_reports():
    delivery = decide_delivery(policy("testing", "mx1.example.net"), [EVIL, GOOD])
    assert delivery.result is StsResult.REPORTED and delivery.delivered
    assert delivery.used.name == EVIL.name and delivery.report
    stripped = MxHost(GOOD.name, TlsOutcome.NO_STARTTLS, 10)
    plain = decide_delivery(policy("testing", "mx1.example.net"), [stripped])
    assert plain.used.channel is Channel.PLAINTEXT
    assert plain.failures == ((GOOD.name, "starttls-not-supported"),)


def test_5_testing_without_a_failure_is_a_plain_delivery():
    delivery = decide_delivery(policy("testing", "mx1.example.net"), [GOOD])
    assert delivery.result is StsResult.DELIVERED and not delivery.report


@pytest.mark.parametrize("chosen", [None, "none"])
def test_5_mode_none_and_no_policy_ignore_mx_names_and_certificates(chosen):
    rules = None if chosen is None else policy("none")
    hosts = [MxHost(EVIL.name, TlsOutcome.NO_STARTTLS, 5), GOOD]
    delivery = decide_delivery(rules, hosts)
    expected = StsResult.NO_POLICY if chosen is None else StsResult.MODE_NONE
    assert delivery.result is expected and not delivery.report
    assert delivery.used.name == EVIL.name and delivery.used.channel is Channel.PLAINTEXT
    assert all(v.allowed is None for v in delivery.verdicts)
    assert delivery.permitted == (EVIL.name, GOOD.name)
    opportunistic = decide_delivery(rules, [MxHost(GOOD.name, TlsOutcome.EXPIRED)])
    assert opportunistic.used.channel is Channel.UNVERIFIED_TLS


def test_results_say_what_they_mean_and_where():
    for result in StsResult:
        assert result.meaning and result.section.startswith("RFC 8461 §")
    assert str(StsResult.DEFERRED) == "deferred"


@pytest.mark.parametrize(
    ("hosts", "words"),
    [
        ([], "at least one MX host"),
        ([MxHost("bad name", TlsOutcome.VALID)], "The MX host name 'bad name'"),
        ([MxHost("mx.example.net", TlsOutcome.VALID, -1)], "from 0 to 65535"),
        ([MxHost("mx.example.net", "valid")], "a TlsOutcome"),  # type: ignore[arg-type]
        ([GOOD] * 51, "at most 50"),
    ],
)
def test_bad_mx_inputs_are_input_errors(hosts, words):
    with pytest.raises(InputError, match=words):
        decide_delivery(None, hosts)


# -- §3.3 and §5.1 the cache ----------------------------------------------------------------------


class Fetcher:
    """A fetch that counts its calls and answers as told."""

    def __init__(self, answer: Policy | FetchFailure) -> None:
        self.answer = answer
        self.calls = 0

    def __call__(self) -> Policy | FetchFailure:
        self.calls += 1
        return self.answer


def found(record_id: str = "v2"):
    return discover_record("example.net", txt(f"v=STSv1; id={record_id};"))


BLOCKED = discover_record(
    "example.net", DnsAnswer("_mta-sts.example.net", "TXT", DnsStatus.TIMEOUT)
)
OLD = parse_policy(POLICY)
NEW = policy("enforce", "mx9.example.net")


def test_5_1_same_id_and_fresh_cache_fetches_nothing():
    fetch = Fetcher(NEW)
    cached = CachedPolicy(OLD, "v2", NOW - 3600)
    chosen = choose_policy(found("v2"), cached=cached, fetch=fetch, now=NOW)
    assert chosen.source is PolicySource.CACHE and chosen.policy is OLD and fetch.calls == 0


def test_3_1_and_5_1_a_new_id_means_fetch_again():
    fetch = Fetcher(NEW)
    cached = CachedPolicy(OLD, "v1", NOW - 3600)
    chosen = choose_policy(found("v2"), cached=cached, fetch=fetch, now=NOW)
    assert chosen.source is PolicySource.FETCHED and chosen.policy is NEW and fetch.calls == 1
    assert chosen.cache == CachedPolicy(NEW, "v2", NOW)
    assert "The id changed from v1 to v2" in chosen.trace[0].text


def test_3_3_refresh_about_once_a_day_even_with_the_same_id():
    fetch = Fetcher(NEW)
    cached = CachedPolicy(OLD, "v2", NOW - 2 * DAY)
    chosen = choose_policy(found("v2"), cached=cached, fetch=fetch, now=NOW)
    assert chosen.source is PolicySource.FETCHED and fetch.calls == 1
    kept = choose_policy(found("v2"), cached=cached, fetch=fetch, now=NOW, refresh_interval=None)
    assert kept.source is PolicySource.CACHE and fetch.calls == 1


def test_3_3_and_10_2_a_blocked_lookup_meets_the_cached_policy():
    fetch = Fetcher(NEW)
    cached = CachedPolicy(OLD, "v1", NOW - 3 * DAY)
    chosen = choose_policy(BLOCKED, cached=cached, fetch=fetch, now=NOW)
    assert chosen.source is PolicySource.CACHE and chosen.policy is OLD and fetch.calls == 0
    assert chosen.trace[-1].section == "RFC 8461 §10.2"


def test_3_3_a_failed_fetch_keeps_the_cached_policy():
    fetch = Fetcher(FetchFailure("HTTP 404"))
    cached = CachedPolicy(OLD, "v1", NOW - 3 * DAY)
    chosen = choose_policy(found("v2"), cached=cached, fetch=fetch, now=NOW)
    assert chosen.source is PolicySource.CACHE and chosen.cache is cached
    assert chosen.fetch_tried and chosen.fetch_problem == "HTTP 404"


def test_3_3_no_fetch_and_no_cache_is_no_policy():
    chosen = choose_policy(found(), cached=None, fetch=Fetcher(FetchFailure("blocked")), now=NOW)
    assert chosen.source is PolicySource.NONE and chosen.policy is None and chosen.cache is None
    first_use = choose_policy(BLOCKED, cached=None, fetch=Fetcher(NEW), now=NOW)
    assert (
        first_use.source is PolicySource.NONE and "trust on first use" in first_use.trace[-1].text
    )


def test_5_1_an_expired_cache_does_not_help():
    cached = CachedPolicy(policy("enforce", "mx1.example.net", max_age=86_400), "v1", NOW - 2 * DAY)
    assert not cached.is_fresh(NOW) and cached.is_fresh(NOW - DAY)
    chosen = choose_policy(BLOCKED, cached=cached, fetch=Fetcher(NEW), now=NOW)
    assert chosen.source is PolicySource.NONE and chosen.cache is None
    assert "expired 1 day ago" in chosen.trace[0].text


def test_3_3_an_unreadable_body_is_a_failed_fetch():
    assert isinstance(fetch_from_text("<html>not a policy</html>"), FetchFailure)
    assert fetch_from_text(POLICY) == OLD


def test_choose_policy_refuses_a_time_that_is_not_a_number():
    with pytest.raises(InputError, match="finite number"):
        choose_policy(found(), cached=None, fetch=Fetcher(NEW), now=float("nan"))


def test_evaluate_the_whole_way_with_a_forged_mx_and_a_blocked_lookup():
    blocked = DnsAnswer("_mta-sts.example.net", "TXT", DnsStatus.TIMEOUT)
    hosts = [EVIL, GOOD]
    fetch = Fetcher(FetchFailure("blocked"))
    unprotected = evaluate("example.net", answer=blocked, fetch=fetch, mx_hosts=hosts, now=NOW)
    assert unprotected.result is StsResult.NO_POLICY
    assert unprotected.delivery.used.name == EVIL.name
    cached = CachedPolicy(OLD, "v1", NOW - DAY)
    protected = evaluate(
        "example.net", answer=blocked, fetch=fetch, mx_hosts=hosts, cached=cached, now=NOW
    )
    assert protected.result is StsResult.DELIVERED and protected.delivery.used.name == GOOD.name
    assert protected.source is PolicySource.CACHE
    sections = {s.section for s in protected.trace}
    assert {"RFC 8461 §3.1", "RFC 8461 §10.2", "RFC 8461 §4.1", "RFC 8461 §5"} <= sections
