"""Properties of the MTA-STS reader, matcher and decision, tested with generated inputs.

- Any text or bytes given as a record or a policy gives a result or an InputError, never another
  exception (RFC 8461 §3.1, §3.2: what a hostile web server or DNS answer could send).
- A policy written in any of the ways §3.2 allows (LF or CRLF, spaces or tabs after the colon,
  unknown fields anywhere) reads back as what was written, and ``to_text`` round-trips.
- ``*.<domain>`` matches exactly one more label in front, whatever the case or a final dot (§4.1).
- In enforce mode the MX used is the first, by preference, that the policy names and whose TLS
  check passes; with no such MX nothing is delivered (§5). Testing and no policy use the first MX.
- The cache logic fetches at most once, and never without a usable TXT record (§3.3, §5.1).
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from mailsec.errors import InputError
from mailsec.spf.lookup import DnsAnswer, DnsStatus
from mailsec.transport.mtasts import (
    MAX_AGE_LIMIT,
    Mode,
    Policy,
    StsRecord,
    mx_matches,
    parse_policy,
    parse_record,
)
from mailsec.transport.mtasts_cache import (
    CachedPolicy,
    FetchFailure,
    PolicySource,
    choose_policy,
    discover_record,
)
from mailsec.transport.mtasts_delivery import MxHost, StsResult, TlsOutcome, decide_delivery

LABEL = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)
DOMAIN = st.lists(LABEL, min_size=1, max_size=4).map(".".join)
PATTERN = st.one_of(DOMAIN, DOMAIN.map(lambda d: f"*.{d}"))
WSP = st.sampled_from(["", " ", "\t", "  \t"])
NEWLINE = st.sampled_from(["\n", "\r\n"])
EXTENSION = st.tuples(
    st.from_regex(r"[a-z][a-z0-9_.-]{0,8}", fullmatch=True).filter(
        lambda n: n not in ("version", "mode", "mx", "max_age")
    ),
    st.from_regex(r"[!-~]([ -~]{0,10}[!-~])?", fullmatch=True),
)
LINE_TEXT = st.text(
    alphabet=st.sampled_from(list("version:modeSTSv1enforcetstingx_ag0123456789*.-: \t\r\n\x00é")),
    max_size=200,
)


@st.composite
def policies(draw: st.DrawFn) -> tuple[str, Mode, list[str], int, list[tuple[str, str]]]:
    mode = draw(st.sampled_from(list(Mode)))
    mx = draw(st.lists(PATTERN, min_size=0 if mode is Mode.NONE else 1, max_size=6))
    max_age = draw(st.integers(0, MAX_AGE_LIMIT))
    extensions = draw(st.lists(EXTENSION, max_size=3))
    lines = [("version", "STSv1"), ("mode", mode.value), ("max_age", str(max_age))]
    lines += [("mx", m) for m in mx]
    lines += extensions
    order = draw(st.permutations(range(len(lines))))
    mx_order = [lines[i][1] for i in order if lines[i][0] == "mx"]
    ext_order = [lines[i] for i in order if lines[i][0] not in ("version", "mode", "max_age", "mx")]
    newline = draw(NEWLINE)
    text = newline.join(f"{lines[i][0]}:{draw(WSP)}{lines[i][1]}{draw(WSP)}" for i in order)
    text += draw(st.sampled_from(["", newline, newline * 2]))
    return text, mode, mx_order, max_age, ext_order


@settings(max_examples=300, deadline=None)
@given(policies())
def test_3_2_a_policy_reads_back_as_written(case):
    text, mode, mx, max_age, extensions = case
    parsed = parse_policy(text)
    assert (parsed.mode, list(parsed.mx), parsed.max_age) == (mode, mx, max_age)
    assert list(parsed.extensions) == extensions
    assert Policy.from_text(parsed.to_text()) == parsed
    assert Policy.from_text(parsed.to_text(newline="\n")) == parsed


@settings(max_examples=500, deadline=None)
@given(st.one_of(LINE_TEXT, st.text(max_size=300), st.binary(max_size=300)))
def test_3_2_any_policy_text_is_a_policy_or_an_input_error(text):
    try:
        parsed = parse_policy(text)
    except InputError as exc:
        assert exc.message and "\n" not in exc.message
    else:
        assert isinstance(parsed, Policy)


@settings(max_examples=300, deadline=None)
@given(policies(), st.data())
def test_3_2_a_damaged_policy_is_a_policy_or_an_input_error(case, data):
    text = case[0]
    at = data.draw(st.integers(0, len(text)))
    junk = data.draw(st.text(max_size=20))
    cut = data.draw(st.integers(0, 20))
    damaged = text[:at] + junk + text[at + cut :]
    try:
        parsed = parse_policy(damaged)
    except InputError as exc:
        assert exc.message
    else:
        assert isinstance(parsed, Policy)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=200), st.text(alphabet="v=STSv1;id abc-_.\t", max_size=60)))
def test_3_1_any_record_text_is_a_record_or_an_input_error(text):
    try:
        record = parse_record(text)
    except InputError:
        return
    assert isinstance(record, StsRecord) and 1 <= len(record.id) <= 32


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.binary(max_size=80), min_size=1, max_size=3), max_size=4))
def test_3_1_any_dns_answer_gives_a_discovery(records):
    answer = DnsAnswer(
        "_mta-sts.example.net", "TXT", DnsStatus.ANSWER, tuple(tuple(r) for r in records)
    )
    found = discover_record("example.net", answer)
    assert found.usable == (found.record is not None) and found.trace


@settings(max_examples=300, deadline=None)
@given(LABEL, DOMAIN, st.booleans(), st.booleans())
def test_4_1_a_wildcard_stands_for_exactly_one_label(label, domain, upper, dot):
    host = f"{label}.{domain}"
    shown = host.upper() if upper else host
    shown += "." if dot else ""
    assert mx_matches(f"*.{domain}", shown)
    assert mx_matches(host, shown)
    assert not mx_matches(f"*.{domain}", domain)
    assert not mx_matches(f"*.{domain}", f"x.{host}")
    assert not mx_matches(f"*.{host}", host)


TLS = st.sampled_from(list(TlsOutcome))
NAMES = ["mx1.example.net", "mx.backup.example.net", "evil-mx.attacker.example", "mx2.example.org"]
HOSTS = st.lists(
    st.builds(MxHost, st.sampled_from(NAMES), TLS, st.integers(0, 50)), min_size=1, max_size=5
)


@settings(max_examples=300, deadline=None)
@given(HOSTS, st.sampled_from(list(Mode)))
def test_5_the_mx_used_follows_the_mode(hosts, mode):
    rules = parse_policy(
        f"version: STSv1\nmode: {mode}\nmx: mx1.example.net\nmx: *.backup.example.net\nmax_age: 1"
    )
    delivery = decide_delivery(rules, hosts)
    ordered = sorted(hosts, key=lambda h: h.preference)
    if mode is Mode.ENFORCE:
        passing = [h for h in ordered if rules.allows(h.name) and h.tls.ok]
        if passing:
            assert delivery.used.host == passing[0]
        else:
            assert delivery.result is StsResult.DEFERRED and delivery.used is None
    else:
        assert delivery.used.host == ordered[0] and delivery.delivered
    assert sum(v.used for v in delivery.verdicts) <= 1
    assert decide_delivery(None, hosts).used.host == ordered[0]


RECORD_STATES = st.sampled_from(["found-same", "found-new", "none", "failed"])


@settings(max_examples=300, deadline=None)
@given(
    RECORD_STATES,
    st.one_of(st.none(), st.integers(0, 10 * 86_400)),
    st.booleans(),
    st.integers(0, 20 * 86_400),
)
def test_5_1_fetch_at_most_once_and_only_with_a_record(state, age, fetch_works, max_age):
    now = 1_000_000_000.0
    old = parse_policy(f"version: STSv1\nmode: enforce\nmx: a.example\nmax_age: {max_age}")
    new = parse_policy("version: STSv1\nmode: testing\nmx: b.example\nmax_age: 86400")
    cached = None if age is None else CachedPolicy(old, "same", now - age)
    if state.startswith("found"):
        record_id = "same" if state == "found-same" else "other"
        answer = DnsAnswer(
            "_mta-sts.x.example", "TXT", DnsStatus.ANSWER, ((f"v=STSv1; id={record_id}".encode(),),)
        )
    else:
        status = DnsStatus.NXDOMAIN if state == "none" else DnsStatus.TIMEOUT
        answer = DnsAnswer("_mta-sts.x.example", "TXT", status)
    calls = []

    def fetch():
        calls.append(1)
        return new if fetch_works else FetchFailure("down")

    chosen = choose_policy(
        discover_record("x.example", answer), cached=cached, fetch=fetch, now=now
    )
    fresh = cached is not None and cached.is_fresh(now)
    assert len(calls) <= 1
    if not state.startswith("found"):
        assert not calls
    if chosen.source is PolicySource.FETCHED:
        assert chosen.policy is new and calls
    elif chosen.source is PolicySource.CACHE:
        assert fresh and chosen.policy is old
    else:
        assert chosen.policy is None and not fresh
    if fresh:
        assert chosen.policy is not None  # a fresh cache is never dropped


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=80), min_size=1, max_size=4), st.text(max_size=80))
def test_any_host_or_domain_text_is_a_delivery_or_an_input_error(names, domain):
    hosts = [MxHost(name, TlsOutcome.VALID) for name in names]
    try:
        delivery = decide_delivery(None, hosts)
    except InputError as exc:
        assert exc.message
    else:
        assert delivery.used is not None
    answer = DnsAnswer("_mta-sts.x", "TXT", DnsStatus.NXDOMAIN)
    try:
        discover_record(domain, answer)
    except InputError as exc:
        assert exc.message
