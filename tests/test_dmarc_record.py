"""DMARC records (RFC 7489 §6.3, §6.4; §6.6.3 step 6 for records a receiver must still read).

Each case names the rule it checks. ``parse_record(text)`` is strict (what a domain owner checking a
record wants); ``strict=False`` reads as a receiver does.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailsec.dmarc import (
    AlignmentMode,
    DmarcSyntaxError,
    Policy,
    ReportUri,
    is_dmarc_record,
    parse_record,
)
from mailsec.dmarc.record import MAX_RECORD
from mailsec.errors import InputError


def test_a_full_record_is_read_tag_by_tag() -> None:
    # §6.3: every tag of the record format, with a size limit on a report address (§6.2).
    record = parse_record(
        "v=DMARC1; p=reject; sp=quarantine; adkim=s; aspf=r; pct=25; "
        "rua=mailto:agg@example.com!10m, https://reports.example.net/dmarc; "
        "ruf=mailto:fail@example.com!512; fo=1:d; rf=afrf; ri=3600"
    )
    assert record.policy is Policy.REJECT
    assert record.subdomain_policy is Policy.QUARANTINE
    assert record.dkim_alignment is AlignmentMode.STRICT
    assert record.spf_alignment is AlignmentMode.RELAXED
    assert record.percent == 25
    assert record.aggregate_uris == (
        ReportUri("mailto:agg@example.com", 10 * 2**20),
        ReportUri("https://reports.example.net/dmarc", None),
    )
    assert record.aggregate_uris[0].address == "agg@example.com"
    assert record.aggregate_uris[1].address is None
    assert record.failure_uris == (ReportUri("mailto:fail@example.com", 512),)
    assert record.failure_options == ("1", "d")
    assert record.report_formats == ("afrf",)
    assert record.report_interval == 3600
    assert record.problems == () and record.ignored == ()


def test_defaults_come_from_section_6_3() -> None:
    record = parse_record("v=DMARC1; p=none")
    assert record.subdomain_policy is None
    assert record.effective_subdomain_policy is Policy.NONE  # §6.3 sp: absent → p applies
    assert record.dkim_alignment is AlignmentMode.RELAXED  # adkim default r
    assert record.spf_alignment is AlignmentMode.RELAXED  # aspf default r
    assert record.percent == 100  # pct default 100
    assert record.failure_options == ("0",)  # fo default 0
    assert record.report_formats == ("afrf",)  # rf default afrf
    assert record.report_interval == 86400  # ri default 86400
    assert record.aggregate_uris == () and record.failure_uris == ()


@pytest.mark.parametrize(
    ("text", "unit"),
    [("!5", 1), ("!5k", 2**10), ("!5M", 2**20), ("!5g", 2**30), ("!5t", 2**40)],
)
def test_report_size_units_are_powers_of_two(text: str, unit: int) -> None:
    # §6.2: k, m, g and t are 2^10, 2^20, 2^30 and 2^40 bytes.
    record = parse_record(f"v=DMARC1; p=none; rua=mailto:r@example.com{text}")
    assert record.aggregate_uris[0].max_size == 5 * unit


def test_unknown_tags_are_ignored_and_listed() -> None:
    # §6.3: "Unknown tags MUST be ignored."
    record = parse_record("v=DMARC1; p=quarantine; psd=n; np=reject; t=y")
    assert record.policy is Policy.QUARANTINE
    assert record.ignored == ("psd", "np", "t")


def test_tag_names_and_keyword_values_ignore_case() -> None:
    # §6.4 writes tag names and keywords as ABNF quoted strings, which ignore case.
    record = parse_record("v=DMARC1; P=Reject; ADKIM=S")
    assert record.policy is Policy.REJECT
    assert record.dkim_alignment is AlignmentMode.STRICT


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "p=none; v=DMARC1",
            "A DMARC record starts with v=DMARC1 (RFC 7489 §6.3); this one starts with 'p=none'.",
        ),
        (
            "v=DMARC2; p=none",
            "v='DMARC2' is not DMARC1; the version must match exactly, in capitals "
            "(RFC 7489 §6.3).",
        ),
        (
            "v=dmarc1; p=none",
            "v='dmarc1' is not DMARC1; the version must match exactly, in capitals "
            "(RFC 7489 §6.3).",
        ),
        (
            "v=DMARC1",
            "The DMARC record has no p= tag; p=none, p=quarantine or p=reject is required "
            "(RFC 7489 §6.3).",
        ),
        (
            "v=DMARC1; p=block",
            "p='block' is not a policy: use none, quarantine or reject (RFC 7489 §6.3).",
        ),
        (
            "v=DMARC1; p=none; sp=drop",
            "sp='drop' is not a policy: use none, quarantine or reject (RFC 7489 §6.3).",
        ),
        (
            "v=DMARC1; p=none; adkim=x",
            "adkim='x' is not an alignment mode: use r (relaxed) or s (strict) (RFC 7489 §6.3).",
        ),
        (
            "v=DMARC1; p=none; pct=101",
            "pct='101' is not a percentage: use a whole number from 0 to 100 (RFC 7489 §6.3).",
        ),
        (
            "v=DMARC1; p=none; pct=-1",
            "pct='-1' is not a percentage: use a whole number from 0 to 100 (RFC 7489 §6.3).",
        ),
        (
            "v=DMARC1; p=none; ri=4294967296",
            "ri='4294967296' is not a number of seconds: use a whole number from 0 to "
            "4,294,967,295 (RFC 7489 §6.3).",
        ),
        (
            "v=DMARC1; p=none; fo=2",
            "fo='2' is not a list of failure options: use 0, 1, d or s, separated by colons "
            "(RFC 7489 §6.3).",
        ),
        (
            "v=DMARC1; p=none; rua=agg@example.com",
            "rua= lists 'agg@example.com', which is not a URI: write a scheme first, such as "
            "mailto:dmarc@example.com (RFC 7489 §6.2).",
        ),
        (
            "v=DMARC1; p=none; rua=mailto:agg@example.com!10x",
            "rua= lists 'mailto:agg@example.com!10x', whose size limit after ! is not a number "
            "with an optional unit k, m, g or t (RFC 7489 §6.2).",
        ),
        (
            "v=DMARC1; p=none; ruf=mailto:nobody",
            "ruf= lists 'mailto:nobody', which is not a mailto: address of the form "
            "mailto:name@domain (RFC 7489 §6.2).",
        ),
        (
            "v=DMARC1; p=none; rua=mailto:a@example.com,,mailto:b@example.com",
            "rua= has an empty item in its comma-separated list of addresses (RFC 7489 §6.4).",
        ),
        (
            "v=DMARC1; p=none; p=reject",
            "The DMARC record is not a valid tag list: The tag 'p' appears twice; RFC 6376 §3.2 "
            "makes a tag list with a duplicate tag invalid.",
        ),
        (
            "v=DMARC1; p=none; P=reject",
            "The tag 'p' appears twice (tag names are read without regard to case); RFC 6376 "
            "§3.2 makes such a tag list invalid.",
        ),
    ],
)
def test_strict_errors_name_the_tag(text: str, message: str) -> None:
    with pytest.raises(DmarcSyntaxError) as caught:
        parse_record(text)
    assert caught.value.message == message
    assert isinstance(caught.value, InputError)


def test_the_error_carries_the_tag() -> None:
    with pytest.raises(DmarcSyntaxError) as caught:
        parse_record("v=DMARC1; p=none; aspf=relaxed")
    assert caught.value.tag == "aspf"


def test_receivers_use_defaults_for_wrong_optional_tags() -> None:
    # §6.3: "Syntax errors in the remainder of the record SHOULD be discarded in favor of
    # default values (if any) or ignored outright."
    record = parse_record("v=DMARC1; p=reject; pct=150; adkim=x; fo=9", strict=False)
    assert record.policy is Policy.REJECT
    assert record.percent == 100
    assert record.dkim_alignment is AlignmentMode.RELAXED
    assert record.failure_options == ("0",)
    assert len(record.problems) == 3
    assert (
        "pct='150' is not a percentage: use a whole number from 0 to 100 (RFC 7489 §6.3). "
        "The default pct=100 is used instead."
    ) in record.problems


def test_receivers_keep_the_valid_report_addresses() -> None:
    record = parse_record("v=DMARC1; p=none; rua=bogus, mailto:agg@example.com", strict=False)
    assert record.aggregate_uris == (ReportUri("mailto:agg@example.com"),)
    assert record.problems[0].endswith("That address is ignored.")


@pytest.mark.parametrize(
    "text",
    [
        "v=DMARC1; p=block; rua=mailto:agg@example.com",
        "v=DMARC1; rua=mailto:agg@example.com",
        "v=DMARC1; p=reject; sp=drop; rua=mailto:agg@example.com",
    ],
)
def test_an_unusable_policy_with_a_valid_rua_is_read_as_none(text: str) -> None:
    # §6.6.3 step 6: no valid p (or an invalid sp), but rua names a valid URI: act as if p=none.
    record = parse_record(text, strict=False)
    assert record.policy is Policy.NONE
    assert record.effective_subdomain_policy is Policy.NONE
    assert "the record is read as p=none (RFC 7489 §6.6.3)" in record.problems[-1]
    with pytest.raises(DmarcSyntaxError):
        parse_record(text)  # the owner checking the record is told


@pytest.mark.parametrize("text", ["v=DMARC1; p=block", "v=DMARC1; p=block; rua=bogus"])
def test_an_unusable_policy_without_a_valid_rua_is_refused(text: str) -> None:
    # §6.6.3 step 6, second case: "the Mail Receiver applies no DMARC processing".
    with pytest.raises(DmarcSyntaxError) as caught:
        parse_record(text, strict=False)
    assert caught.value.tag == "p"


def test_a_record_longer_than_the_bound_is_refused_before_reading() -> None:
    text = "v=DMARC1; p=none; rua=mailto:" + "a" * MAX_RECORD + "@example.com"
    with pytest.raises(DmarcSyntaxError) as caught:
        parse_record(text)
    assert caught.value.message.startswith(f"The DMARC record is {len(text):,} characters long")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("v=DMARC1; p=none", True),
        ("v=DMARC1", True),
        (" v = DMARC1 ;p=none", True),
        ("V=DMARC1; p=none", True),
        ("v=DMARC10; p=none", False),
        ("v=dmarc1; p=none", False),
        ("v=spf1 -all", False),
        ("p=none; v=DMARC1", False),
        ("", False),
    ],
)
def test_which_txt_records_are_dmarc_records(text: str, expected: bool) -> None:
    # §6.6.3 step 2: records that do not start with v=DMARC1 are discarded.
    assert is_dmarc_record(text) is expected


TAGS = ["v", "p", "sp", "adkim", "aspf", "pct", "rua", "ruf", "fo", "rf", "ri", "x", "P"]
VALUES = ["DMARC1", "none", "reject", "r", "s", "50", "mailto:a@b.example!1k", "1:d", "", "!"]
tag = st.tuples(st.sampled_from(TAGS), st.one_of(st.sampled_from(VALUES), st.text(max_size=12)))
record_text = st.one_of(
    st.lists(tag, max_size=8).map(lambda ts: "; ".join(f"{n}={v}" for n, v in ts)),
    st.lists(tag, max_size=6).map(lambda ts: "v=DMARC1; " + ";".join(f"{n}={v}" for n, v in ts)),
    st.text(max_size=80),
)


@given(record_text, st.booleans())
@settings(max_examples=400)
def test_the_parser_parses_or_raises_a_syntax_error(text: str, strict: bool) -> None:
    try:
        record = parse_record(text, strict=strict)
    except DmarcSyntaxError as exc:
        assert exc.message and "\n" not in exc.message
        return
    assert is_dmarc_record(text)
    assert 0 <= record.percent <= 100
    assert isinstance(record.policy, Policy)
    if strict:
        assert record.problems == ()
