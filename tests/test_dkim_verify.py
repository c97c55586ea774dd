"""The DKIM verifier: what changes break a signature, what the key record allows, what DNS
failures give (RFC 6376 §6.1, RFC 8601 §2.7.1). Keys are generated here, never committed.

Other DKIM test files import the helpers at the top of this one.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator

import dns.resolver
import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from dnsserver import DnsServer

from mailsec.dkim import (
    DkimResult,
    Verification,
    key_record,
    overall_result,
    sign,
    verify,
    zone_entry,
)
from mailsec.dkim.crypto import Algorithm, digest, make_signature
from mailsec.dkim.sign import fold_base64, fold_field
from mailsec.errors import InputError
from mailsec.limits import MAX_MESSAGE
from mailsec.spf import DnsAnswer, DnsStatus, ZoneResolver
from mailsec.trace import Outcome

T0 = 1_800_000_000
"""The signing time of every test signature (January 2027)."""

MESSAGE = (
    b"From: Alice <alice@example.com>\r\n"
    b"To: Bob <bob@example.net>\r\n"
    b"Subject: Lunch\r\n"
    b"Date: Fri, 15 Jan 2027 08:00:00 +0000\r\n"
    b"Message-ID: <lunch-1@example.com>\r\n"
    b"\r\n"
    b"Shall we meet at noon?\r\n"
)

RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
ED_KEY = ed25519.Ed25519PrivateKey.generate()


def zone(*entries: tuple[str, str], domain: str = "example.com", **options: object) -> ZoneResolver:
    """An offline DNS publishing ``(selector, record text)`` pairs under ``domain``."""
    text = "\n".join(zone_entry(selector, domain, record) for selector, record in entries)
    return ZoneResolver.from_text(text, **options)  # type: ignore[arg-type]


def signed(key: object = ED_KEY, message: bytes = MESSAGE, **options: object) -> bytes:
    options.setdefault("timestamp", T0)
    return sign(message, domain="example.com", selector="mail", private_key=key, **options)  # type: ignore[arg-type]


def check(
    message: bytes, record: str | None = None, *, key: object = ED_KEY, now: int = T0 + 60
) -> Verification:
    """Verify the one signature of ``message`` against ``record`` (default: ``key``'s)."""
    published = zone(("mail", record if record is not None else key_record(key)))  # type: ignore[arg-type]
    (result,) = verify(message, resolver=published, now=now)
    return result


def texts(result: Verification) -> str:
    return "\n".join(step.text for step in result.trace)


# -- pass --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "algorithm"), [(RSA_KEY, "rsa-sha256"), (ED_KEY, "ed25519-sha256")]
)
def test_a_signed_message_passes_with_its_data(key: object, algorithm: str) -> None:
    result = check(signed(key), key=key)
    assert result.result is DkimResult.PASS and result.result == "pass" and result.passed
    assert (result.domain, result.selector, result.algorithm) == ("example.com", "mail", algorithm)
    assert result.identity == "@example.com"
    assert not result.testing and not result.weak
    assert result.canonical_body == b"Shall we meet at noon?\r\n"
    assert (
        result.body_hash
        == result.signed_body_hash
        == hashlib.sha256(result.canonical_body).digest()
    )
    assert result.header_data.startswith(b"from:Alice <alice@example.com>\r\nto:Bob")
    assert result.header_data.endswith(b"b=")
    assert result.header_hash == hashlib.sha256(result.header_data).digest()
    assert result.reason == "The signature by 'example.com' verified."
    last = result.trace[-1]
    assert (last.outcome, last.section) == (Outcome.OK, "RFC 8601 §2.7.1")


def test_an_unsigned_message_has_no_verifications_and_the_result_none() -> None:
    assert verify(MESSAGE, resolver=zone()) == ()
    assert overall_result(()) is DkimResult.NONE


# -- tampering ----------------------------------------------------------------------------------


def test_a_changed_body_fails_on_the_body_hash() -> None:
    result = check(signed().replace(b"noon", b"one"))
    assert result.result == "fail"
    assert result.reason == "The body hash does not match bh=: the body was changed after signing."
    assert not result.body_hash_matches
    assert any(s.outcome is Outcome.FAIL and "differs from bh=" in s.text for s in result.trace)


def test_a_changed_header_fails_on_the_signature() -> None:
    result = check(signed().replace(b"Subject: Lunch", b"Subject: Dinner"))
    assert result.result == "fail"
    assert result.body_hash_matches
    assert "a signed header field was changed" in result.reason


WHITESPACE_CHANGES = [
    (b"Subject: Lunch\r\n", b"Subject:   Lunch \t \r\n"),  # §3.4.2: runs of WSP, WSP at the end
    (b"To: Bob <bob@example.net>", b"To: Bob\r\n <bob@example.net>"),  # refolded (§3.4.2 unfold)
    (b"Subject: Lunch", b"SUBJECT: Lunch"),  # the name's case (§3.4.2 lower case)
    (b"noon?\r\n", b"noon?  \t\r\n\r\n\r\n"),  # §3.4.4 WSP at line end; empty lines at the end
    (b"meet at", b"meet  \t at"),  # §3.4.4 a run of WSP inside a line
]


@pytest.mark.parametrize(("before", "after"), WHITESPACE_CHANGES)
def test_relaxed_survives_whitespace_changes_and_simple_does_not(
    before: bytes, after: bytes
) -> None:
    relaxed = signed(canonicalization=("relaxed", "relaxed"))
    simple = signed(canonicalization=("simple", "simple"))
    assert check(relaxed.replace(before, after)).result == "pass"
    assert check(simple.replace(before, after)).result == "fail"


def test_simple_body_ignores_only_empty_lines_at_the_end() -> None:
    message = signed(canonicalization=("simple", "simple"))
    assert check(message + b"\r\n\r\n").result == "pass"  # §3.4.3
    assert check(message + b" \r\n").result == "fail"


# -- l= (body length) ---------------------------------------------------------------------------


def test_l_lets_anybody_append_to_the_body_the_weakness() -> None:
    message = signed(body_length=len(b"Shall we meet at noon?\r\n"))
    appended = message + b"PS: wire the money to account 12345 today.\r\n"
    result = check(appended)
    assert result.result == "pass"  # RFC 6376 §8.2: the signature still verifies
    assert result.unsigned_body == len(b"PS: wire the money to account 12345 today.\r\n")
    warning = next(s for s in result.trace if s.section == "RFC 6376 §8.2")
    assert warning.outcome is Outcome.WARN and "not signed" in warning.text
    # Without l=, the same addition breaks the signature.
    assert check(signed() + b"PS: wire the money.\r\n").result == "fail"


def test_l_longer_than_the_body_fails_and_says_so() -> None:
    message = signed(body_length=len(b"Shall we meet at noon?\r\n"))
    result = check(message.replace(b"Shall we meet at noon?", b"Shall we?"))
    assert result.result == "fail"
    assert any("is longer than the canonicalized body" in s.text for s in result.trace)


# -- time ---------------------------------------------------------------------------------------


def test_an_expired_signature_fails_with_the_time_it_expired() -> None:
    message = signed(expiration=T0 + 3600)
    assert check(message, now=T0 + 3599).result == "pass"
    result = check(message, now=T0 + 3601)
    assert result.result == "fail"
    assert result.reason == "The signature expired at 2027-01-15 09:00:00 UTC (x=1800003600)."


def test_now_may_be_a_clock() -> None:
    message = signed(expiration=T0 + 10)
    (result,) = verify(message, resolver=zone(("mail", key_record(ED_KEY))), now=lambda: T0 + 11.0)
    assert result.result == "fail"


def test_a_signing_time_in_the_future_is_remarked_on_but_passes() -> None:
    result = check(signed(timestamp=T0 + 7200), now=T0)
    assert result.result == "pass"
    assert any(s.outcome is Outcome.WARN and "in the future" in s.text for s in result.trace)


# -- the key record -----------------------------------------------------------------------------


def test_a_revoked_key_is_a_permerror() -> None:
    result = check(signed(), "v=DKIM1; k=ed25519; p=")
    assert result.result == "permerror"
    assert (
        result.reason
        == "The key at 'mail._domainkey.example.com' has an empty p=: the domain revoked it."
    )


def test_a_missing_key_record_is_a_permerror() -> None:
    (result,) = verify(signed(), resolver=zone(), now=T0)
    assert result.result == "permerror"
    assert (
        result.reason
        == "There is no key record at 'mail._domainkey.example.com' (no such name (NXDOMAIN))."
    )
    (nodata,) = verify(signed(), resolver=zone(("other", "v=DKIM1; p=")), now=T0)
    assert nodata.result == "permerror"  # the domain exists, the key does not


@pytest.mark.parametrize(
    ("key", "record", "reason"),
    [
        (
            RSA_KEY,
            "v=DKIM1; p=not*base64",
            "is not a usable key record: The value of 'p' is not valid base64",
        ),
        (RSA_KEY, "k=rsa; v=DKIM1; p=", "v= must be the first tag of a key record"),
        (RSA_KEY, "v=DKIM2; p=abcd", "v='DKIM2' is not DKIM1"),
        (ED_KEY, "v=DKIM1; k=ed25519", "has no p= tag"),
        (ED_KEY, "v=DKIM1; k=ed25519; p=AAAA", "must be exactly 32 bytes"),
        (RSA_KEY, "v=DKIM1; k=rsa; p=AAAA", "does not hold an RSA public key"),
    ],
)
def test_a_malformed_key_record_is_a_permerror(key: object, record: str, reason: str) -> None:
    result = check(signed(key), record, key=key)
    assert result.result == "permerror"
    assert reason in result.reason


def test_the_key_type_must_match_the_algorithm() -> None:
    result = check(signed(RSA_KEY), key_record(ED_KEY))
    assert result.result == "permerror"
    assert (
        result.reason
        == "The key at 'mail._domainkey.example.com' is an 'ed25519' key, but the signature uses rsa-sha256."
    )


def test_testing_mode_passes_and_is_reported() -> None:
    result = check(signed(), key_record(ED_KEY, testing=True))
    assert result.result == "pass" and result.testing
    assert "only testing DKIM" in result.reason
    assert any(s.outcome is Outcome.WARN and "t=y" in s.text for s in result.trace)


def test_t_s_requires_the_identity_domain_to_be_d_itself() -> None:
    strict = key_record(ED_KEY, strict=True)
    assert check(signed(identity="alice@example.com"), strict).result == "pass"
    result = check(signed(identity="alice@news.example.com"), strict)
    assert result.result == "permerror"
    assert "t=s" in result.reason and "'news.example.com'" in result.reason
    # Without t=s, a subdomain identity is fine (§3.5).
    assert check(signed(identity="alice@news.example.com")).result == "pass"


def test_the_key_h_tag_restricts_hash_algorithms() -> None:
    assert (
        check(signed(RSA_KEY), key_record(RSA_KEY, hashes=("sha256",)), key=RSA_KEY).result
        == "pass"
    )
    result = check(signed(RSA_KEY), key_record(RSA_KEY, hashes=("sha1",)), key=RSA_KEY)
    assert result.result == "permerror"
    assert (
        result.reason
        == "The key at 'mail._domainkey.example.com' may be used only with 'sha1', not sha256."
    )


def test_the_key_s_tag_restricts_services() -> None:
    assert check(signed(), key_record(ED_KEY, services=("email",))).result == "pass"
    result = check(signed(), key_record(ED_KEY, services=("tlsrpt",)))
    assert result.result == "permerror" and "not email" in result.reason


def test_rsa_keys_under_1024_bits_are_a_permerror() -> None:
    # cryptography will not generate such a key; a 512-bit modulus is enough to be refused
    # before any signature is checked (RFC 8301 §3.2).
    small = rsa.RSAPublicNumbers(65537, (1 << 511) | 0x10001).public_key()
    result = check(signed(RSA_KEY), key_record(small))
    assert result.result == "permerror"
    assert (
        result.reason
        == "The key at 'mail._domainkey.example.com' has only 512 bits; RFC 8301 requires at least 1024."
    )


def test_the_first_valid_of_several_txt_records_is_used() -> None:
    published = ZoneResolver.from_text(
        'mail._domainkey.example.com. TXT "v=spf1 -all"\n'
        + zone_entry("mail", "example.com", key_record(ED_KEY))
    )
    (result,) = verify(signed(), resolver=published, now=T0)
    assert result.result == "pass"
    assert any("the first valid key record was used" in s.text for s in result.trace)


# -- DNS failures -------------------------------------------------------------------------------


class FailingDns:
    """A DNS source whose every lookup fails the way ``status`` says."""

    def __init__(self, status: DnsStatus) -> None:
        self.status = status
        self.asked: list[tuple[str, str]] = []

    def lookup(self, name: str, rdtype: str, *, lifetime: float | None = None) -> DnsAnswer:
        self.asked.append((name, rdtype))
        return DnsAnswer(name, rdtype, self.status, detail="no answer (test)")


@pytest.mark.parametrize("status", [DnsStatus.TIMEOUT, DnsStatus.ERROR])
def test_a_failing_dns_lookup_is_a_temperror(status: DnsStatus) -> None:
    dns_source = FailingDns(status)
    (result,) = verify(signed(), resolver=dns_source, now=T0)
    assert result.result == "temperror"
    assert result.reason.startswith(
        "The key record at 'mail._domainkey.example.com' could not be fetched"
    )
    assert dns_source.asked == [("mail._domainkey.example.com", "TXT")]
    assert overall_result([result]) is DkimResult.TEMPERROR


def test_a_zone_timeout_is_a_temperror() -> None:
    published = zone(("mail", key_record(ED_KEY)), timeouts=["mail._domainkey.example.com"])
    (result,) = verify(signed(), resolver=published, now=T0)
    assert result.result == "temperror"


@pytest.fixture(scope="module")
def dns_server() -> Iterator[DnsServer]:
    text = zone_entry("mail", "example.com", key_record(ED_KEY))
    with DnsServer(text, silent=("slow._domainkey.example.com",)) as server:
        yield server


def test_a_dnspython_resolver_on_loopback_passes_and_times_out(dns_server: DnsServer) -> None:
    resolver: dns.resolver.Resolver = dns_server.resolver(timeout=0.2, lifetime=0.6)
    (result,) = verify(signed(), resolver=resolver, now=T0)
    assert result.result == "pass"
    slow = sign(MESSAGE, domain="example.com", selector="slow", private_key=ED_KEY, timestamp=T0)
    (result,) = verify(slow, resolver=resolver, now=T0)
    assert result.result == "temperror"
    assert "timed out" in result.reason


# -- oversigning (§5.4.2) -----------------------------------------------------------------------


def test_oversigning_stops_a_second_subject_added_on_top() -> None:
    forged = b"Subject: URGENT: new bank details\r\n"
    plain = signed()
    # Without oversigning, h= names subject once and the bottom instance is the one checked:
    # a Subject added above it is not covered, and mail readers may show it.
    assert check(forged + plain).result == "pass"
    over = signed(oversign=True)
    assert b"h=from:from:to:to:cc:subject:subject:" in over.replace(b"\r\n ", b"")
    assert check(over).result == "pass"
    result = check(forged + over)
    assert result.result == "fail"


def test_an_oversigned_name_without_an_instance_adds_nothing() -> None:
    result = check(signed(oversign=True))
    lines = result.header_data.split(b"\r\n")
    assert [line for line in lines if line.startswith((b"subject:", b"cc:"))] == [b"subject:Lunch"]
    headers = next(s for s in result.trace if s.section == "RFC 6376 §5.4.2")
    assert "cc (no instance left, so it adds nothing)" in headers.text


# -- rsa-sha1 -----------------------------------------------------------------------------------


def _rsa_sha1_message() -> bytes:
    """A legacy rsa-sha1 signature, built from the package's parts (sign() refuses SHA-1)."""
    body_hash = base64.b64encode(hashlib.sha1(b"Shall we meet at noon?\r\n").digest()).decode()
    tags = [
        ("v", "1"),
        ("a", "rsa-sha1"),
        ("c", "simple/simple"),
        ("d", "example.com"),
        ("s", "mail"),
        ("h", "from:subject"),
        ("bh", body_hash),
    ]
    unsigned = fold_field("DKIM-Signature", tags)
    data = b"From: Alice <alice@example.com>\r\nSubject: Lunch\r\n" + unsigned.encode()
    signature = make_signature(Algorithm.RSA_SHA1, RSA_KEY, digest("sha1", data))
    field = unsigned + fold_base64(base64.b64encode(signature).decode())
    return field.encode() + b"\r\n" + MESSAGE


def test_rsa_sha1_verifies_but_is_weak() -> None:
    result = check(_rsa_sha1_message(), key=RSA_KEY)
    assert result.result == "pass" and result.weak
    assert (
        result.reason
        == "The signature by 'example.com' verified, but with rsa-sha1, which RFC 8301 says must no longer be trusted."
    )
    assert check(
        _rsa_sha1_message().replace(b"noon", b"one"), key=RSA_KEY
    ).weak  # whatever the result
    weak = next(s for s in result.trace if s.section == "RFC 8301 §3.1")
    assert weak.outcome is Outcome.WARN and "SHA-1" in weak.text


# -- malformed signatures: a permerror with a reason, never an exception -------------------------

BROKEN = [
    ("v=1; a=rsa-sha256; d=example.com; s=mail; h=from; bh=AAAA", "has no b tag"),
    ("a=rsa-sha256; d=example.com; s=mail; h=from; bh=AAAA; b=AAAA", "has no v tag"),
    ("v=1; d=example.com; h=from; bh=AAAA; b=AAAA", "has no a, s tags"),
    ("v=2; a=rsa-sha256; d=example.com; s=mail; h=from; bh=AAAA; b=AAAA", "v='2'"),
    (
        "v=1; a=rsa-md5; d=example.com; s=mail; h=from; bh=AAAA; b=AAAA",
        "a='rsa-md5' is not a known algorithm",
    ),
    (
        "v=1; a=rsa-sha256; c=fancy; d=example.com; s=mail; h=from; bh=AAAA; b=AAAA",
        "c='fancy' is not valid",
    ),
    (
        "v=1; a=rsa-sha256; d=exa mple.com; s=mail; h=from; bh=AAAA; b=AAAA",
        "d='exa mple.com' is not a domain",
    ),
    (
        "v=1; a=rsa-sha256; d=example.com; s=mail; h=to:subject; bh=AAAA; b=AAAA",
        "h= does not list From",
    ),
    ("v=1; a=rsa-sha256; d=example.com; s=mail; h=from::to; bh=AAAA; b=AAAA", "empty item"),
    (
        "v=1; a=rsa-sha256; d=example.com; i=a@example.org; s=mail; h=from; bh=AAAA; b=AAAA",
        "is not 'example.com' nor a subdomain",
    ),
    (
        "v=1; a=rsa-sha256; d=example.com; i=nobody; s=mail; h=from; bh=AAAA; b=AAAA",
        "must contain '@'",
    ),
    (
        "v=1; a=rsa-sha256; d=example.com; s=mail; h=from; l=-5; bh=AAAA; b=AAAA",
        "l='-5' is not a number",
    ),
    (
        "v=1; a=rsa-sha256; d=example.com; s=mail; h=from; t=20; x=10; bh=AAAA; b=AAAA",
        "x=10 is not later than t=20",
    ),
    (
        "v=1; a=rsa-sha256; d=example.com; s=mail; h=from; t=1e9; bh=AAAA; b=AAAA",
        "t='1e9' is not a number",
    ),
    (
        "v=1; a=rsa-sha256; d=example.com; s=mail; h=from; q=http; bh=AAAA; b=AAAA",
        "does not include dns/txt",
    ),
    (
        "v=1; a=rsa-sha256; d=example.com; s=mail; h=from; bh=A!AA; b=AAAA",
        "'bh' is not valid base64",
    ),
    ("v=1; a=rsa-sha256; d=example.com; s=mail; h=from; bh=; b=AAAA", "The bh= tag is empty"),
    ("v=1; v=1; a=rsa-sha256; d=example.com; s=mail; h=from; bh=AAAA; b=AAAA", "appears twice"),
    ("v=1;; a=rsa-sha256", "empty tag"),
    ("v=1; a", "is not a tag"),
    ("v=1; 9a=x", "not a valid tag name"),
    ("v=1; a=rsa\x01sha256", "contains"),
    ("v=1; a=rsa-sha256; d=example.com; s=mail; h=from; bh=AAAA; b=AAAA; z=caf\xe9", "contains"),
    ("", "The tag list is empty"),
    ("v=1; x=" + "9" * 20_000, "the most read is 16,384"),
]


@pytest.mark.parametrize(("tags", "reason"), BROKEN)
def test_malformed_signatures_are_permerrors_with_a_reason(tags: str, reason: str) -> None:
    message = b"DKIM-Signature: " + tags.encode("latin-1") + b"\r\n" + MESSAGE
    (result,) = verify(message, resolver=FailingDns(DnsStatus.ERROR), now=T0)
    assert result.result == "permerror"
    assert result.reason.startswith("The signature is malformed: ")
    assert reason in result.reason
    assert result.trace[-1].outcome is Outcome.FAIL


def test_a_broken_signature_still_tells_who_claimed_to_sign() -> None:
    message = b"DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=mail; h=to; bh=AAAA; b=AAAA\r\n"
    (result,) = verify(message + MESSAGE, resolver=zone(), now=T0)
    assert (result.domain, result.selector, result.algorithm) == (
        "example.com",
        "mail",
        "rsa-sha256",
    )


# -- several signatures, bounds -----------------------------------------------------------------


def test_several_signatures_each_get_a_verification_and_the_best_result_wins() -> None:
    twice = sign(
        signed(), domain="example.com", selector="other", private_key=RSA_KEY, timestamp=T0
    )
    published = zone(("mail", key_record(ED_KEY)))  # "other" is not published
    first, second = verify(twice, resolver=published, now=T0)
    assert (first.index, first.selector, first.result) == (1, "other", "permerror")
    assert (second.index, second.selector, second.result) == (2, "mail", "pass")
    assert overall_result([first, second]) is DkimResult.PASS
    assert overall_result([first]) is DkimResult.PERMERROR


def test_at_most_ten_signatures_are_verified_and_the_trace_says_so() -> None:
    field = b"DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=mail; h=from; bh=AAAA; b=AAAA\r\n"
    results = verify(field * 12 + MESSAGE, resolver=zone(), now=T0)
    assert len(results) == 10
    for result in results:
        limit = result.trace[1]
        assert limit.outcome is Outcome.WARN
        assert (
            limit.text == "The message has 12 DKIM-Signature fields; only the first 10 are checked."
        )


def test_messages_too_large_or_unreadable_are_refused_with_an_input_error() -> None:
    with pytest.raises(InputError, match="The header section is 102,409 bytes"):
        verify(b"X-Big: " + b"a" * 102_400 + b"\r\n\r\nbody", resolver=zone())
    with pytest.raises(InputError, match="more than 1,000 header fields"):
        verify(b"X: y\r\n" * 1001 + b"\r\nbody", resolver=zone())
    with pytest.raises(InputError, match="Line 2 of the header section is not a header field"):
        verify(b"From: a@example.com\r\nthis is not a field\r\n\r\nbody", resolver=zone())
    with pytest.raises(InputError, match="starts with a folded line"):
        verify(b" From: a@example.com\r\n\r\nbody", resolver=zone())


def test_a_message_over_the_size_limit_is_refused_before_it_is_read() -> None:
    with pytest.raises(
        InputError,
        match=r"The message is 67,108,865 bytes; the course reads messages of at most 67,108,864",
    ):
        verify(b"X" * (MAX_MESSAGE + 1), resolver=zone())


def test_a_message_given_as_text_is_refused_with_advice() -> None:
    with pytest.raises(
        InputError, match=r"A message is read as bytes, not str: .*\.encode\('utf-8'\)"
    ):
        verify(MESSAGE.decode(), resolver=zone())  # type: ignore[arg-type]


def test_folded_base64_in_p_is_read() -> None:
    record = key_record(ED_KEY)
    head, _, key = record.partition("p=")
    folded = head + "p=" + key[:10] + " \t" + key[10:30] + " " + key[30:]
    assert check(signed(), folded).result == "pass"


def test_bare_lf_line_ends_are_read_as_crlf() -> None:
    lf = MESSAGE.replace(b"\r\n", b"\n")
    out = sign(lf, domain="example.com", selector="mail", private_key=ED_KEY, timestamp=T0)
    assert b"\n" not in out.replace(b"\r\n", b"")
    assert check(out).result == "pass"
    result = check(out.replace(b"\r\n", b"\n"))
    assert result.result == "pass"
    assert any(s.section == "RFC 6376 §5.3" and "bare LF" in s.text for s in result.trace)


def test_results_compare_with_their_rfc_8601_names() -> None:
    assert DkimResult.PASS == "pass" and str(DkimResult.TEMPERROR) == "temperror"
    assert [r.value for r in DkimResult] == [
        "none",
        "pass",
        "fail",
        "policy",
        "neutral",
        "temperror",
        "permerror",
    ]
    assert DkimResult.FAIL.outcome is Outcome.FAIL and DkimResult.PASS.outcome is Outcome.OK
    assert DkimResult.PERMERROR.section == "RFC 8601 §2.7.1"
    assert "revoked" not in DkimResult.PERMERROR.meaning and DkimResult.PERMERROR.meaning
