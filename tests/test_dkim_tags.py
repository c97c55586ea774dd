"""Tag lists (RFC 6376 §3.2), DKIM-Signature tags (§3.5) and key records (§3.6.1), read by hand.

The error messages are pinned: they are what a learner reads in a lab.
"""

from __future__ import annotations

import pytest

from mailsec.dkim import DkimSyntaxError, parse_key_record, parse_signature, parse_tag_list
from mailsec.dkim.canon import Canon
from mailsec.dkim.signature import REQUIRED_TAGS
from mailsec.dkim.tags import MAX_TAG_LIST, decode_base64, split_colon_list
from mailsec.errors import InputError

GOOD = "v=1; a=rsa-sha256; d=example.com; s=mail; h=from : to; bh=AAAA; b=AAAA"


def test_a_tag_list_with_folding_whitespace_and_a_final_semicolon() -> None:
    text = " v=1;\r\n\ta = rsa-sha256 ;h=from :\r\n to; b=ab\r\n cd ; \t"
    tags = parse_tag_list(text)
    assert tags.names == ("v", "a", "h", "b")
    assert tags.get("a") == "rsa-sha256"
    assert tags.get("h") == "from :\r\n to"  # whitespace inside a value is kept
    assert tags.get("b") == "ab\r\n cd"
    assert tags.get("B") is None  # names are case-sensitive
    assert "h" in tags and "x" not in tags and len(tags) == 4


def test_the_b_value_is_removed_with_its_surrounding_whitespace() -> None:
    tags = parse_tag_list("v=1; b= ab\r\n cd ; d=example.com")
    assert tags.without_value("b") == "v=1; b=; d=example.com"
    tags = parse_tag_list("v=1; bh=xyz; b=ab\r\n cd")
    assert tags.without_value("b") == "v=1; bh=xyz; b="
    assert tags.without_value("z") == tags.text


@pytest.mark.parametrize(
    ("text", "message", "position"),
    [
        (
            "v=1; d=a; d=b",
            "The tag 'd' appears twice; RFC 6376 §3.2 makes a tag list with a duplicate tag invalid.",
            None,
        ),
        (
            "v=1;; d=a",
            "There is an empty tag at character 5 (two semicolons with nothing between them); RFC 6376 §3.2 allows a semicolon only between tags and once at the end.",
            4,
        ),
        (
            "v=1; bogus",
            "The text 'bogus' at character 6 is not a tag: a tag is written name=value (RFC 6376 §3.2).",
            5,
        ),
        (
            "v=1; 1a=x",
            "'1a' at character 6 is not a valid tag name: a name is a letter followed by letters, digits or underscores (RFC 6376 §3.2).",
            5,
        ),
        (
            "v=1; a-b=x",
            "'a-b' at character 6 is not a valid tag name: a name is a letter followed by letters, digits or underscores (RFC 6376 §3.2).",
            5,
        ),
        (
            "v=1; d=a\x00b",
            "The value of 'd' contains '\\x00' at character 9; tag values are printable ASCII from ! to ~ except ';' (RFC 6376 §3.2).",
            8,
        ),
        (
            "v=1; d=a\r\nb",
            "The value of 'd' has a line break at character 9 that is not followed by a space or tab; only folded lines may appear inside a value (RFC 6376 §3.2).",
            8,
        ),
        (
            "v=1; d=ab\n c",
            "The value of 'd' has a line break at character 10 that is not followed by a space or tab; only folded lines may appear inside a value (RFC 6376 §3.2).",
            9,
        ),
        (
            "  ",
            "The tag list is empty: it needs at least one name=value pair (RFC 6376 §3.2).",
            None,
        ),
    ],
)
def test_tag_list_errors_say_what_and_where(text: str, message: str, position: int | None) -> None:
    with pytest.raises(DkimSyntaxError) as caught:
        parse_tag_list(text)
    assert caught.value.message == message
    assert caught.value.position == position
    assert isinstance(caught.value, InputError)


def test_a_tag_list_longer_than_the_limit_is_refused_unread() -> None:
    with pytest.raises(DkimSyntaxError, match="the most read is 16,384"):
        parse_tag_list("a=" + "x" * MAX_TAG_LIST)


def test_base64_may_be_folded() -> None:
    assert decode_base64("b", "aGVs\r\n bG8g\t d29y bGQ=") == b"hello world"
    with pytest.raises(DkimSyntaxError, match=r"The value of 'b' is not valid base64"):
        decode_base64("b", "aGVsbG8=!")


def test_colon_lists() -> None:
    assert split_colon_list("h", "From :\r\n To:subject") == ("From", "To", "subject")
    with pytest.raises(DkimSyntaxError, match="The 'h' tag has an empty item"):
        split_colon_list("h", "from:")


# -- the DKIM-Signature's tags (§3.5) ------------------------------------------------------------


def test_a_valid_signature_and_its_defaults() -> None:
    sig = parse_signature(GOOD)
    assert (sig.header_canon, sig.body_canon) == (Canon.SIMPLE, Canon.SIMPLE)  # no c=
    assert sig.identity == "@example.com"  # no i=
    assert sig.signed_headers == ("from", "to")
    assert sig.signature == b"\x00\x00\x00" and sig.body_hash == b"\x00\x00\x00"


@pytest.mark.parametrize(
    ("c", "expected"),
    [
        ("relaxed", (Canon.RELAXED, Canon.SIMPLE)),  # §3.5: the body defaults to simple
        ("simple/relaxed", (Canon.SIMPLE, Canon.RELAXED)),
        ("RELAXED/RELAXED", (Canon.RELAXED, Canon.RELAXED)),
    ],
)
def test_canonicalization_values(c: str, expected: tuple[Canon, Canon]) -> None:
    sig = parse_signature(GOOD + f"; c={c}")
    assert (sig.header_canon, sig.body_canon) == expected


@pytest.mark.parametrize("missing", REQUIRED_TAGS)
def test_each_required_tag_is_required(missing: str) -> None:
    tags = "; ".join(part for part in GOOD.split("; ") if not part.startswith(missing + "="))
    with pytest.raises(DkimSyntaxError) as caught:
        parse_signature(tags)
    assert caught.value.message == (
        f"The signature has no {missing} tag; RFC 6376 §6.1.1 requires v, a, b, bh, d, h and s."
    )


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            "i=joe@example.org",
            "The i= domain 'example.org' is not 'example.com' nor a subdomain of it (§3.5).",
        ),
        (
            "i=@badexample.com",
            "The i= domain 'badexample.com' is not 'example.com' nor a subdomain of it (§3.5).",
        ),
        (
            "x=100; t=100",
            "x=100 is not later than t=100; §3.5 requires the expiration to be after the signing time.",
        ),
        (
            "l=" + "1" * 77,
            "l='"
            + "1" * 60
            + "'… (17 more characters) is not a number of at most 76 digits (§3.5).",
        ),
        ("q=dns", "q='dns' does not include dns/txt, the only way DKIM keys are published (§3.5)."),
    ],
)
def test_signature_rules(extra: str, message: str) -> None:
    with pytest.raises(DkimSyntaxError) as caught:
        parse_signature(GOOD + "; " + extra)
    assert caught.value.message == message


def test_identity_may_be_d_or_a_subdomain() -> None:
    assert parse_signature(GOOD + "; i=joe@mail.Example.COM").identity_domain == "mail.example.com"
    assert parse_signature(GOOD + "; i=@example.com").identity == "@example.com"
    assert (
        parse_signature(GOOD + "; q=dns/txt; z=From:joe").domain == "example.com"
    )  # z= is ignored


def test_h_must_include_from() -> None:
    with pytest.raises(DkimSyntaxError, match="h= does not list From"):
        parse_signature(GOOD.replace("h=from : to", "h=to : subject"))


# -- key records (§3.6.1) -----------------------------------------------------------------------


def test_key_record_defaults_and_tags() -> None:
    record = parse_key_record("p=AAAA")
    assert (record.key_type, record.services, record.flags, record.hashes) == (
        "rsa",
        ("*",),
        (),
        None,
    )
    assert record.for_email and record.allows_hash("sha1")
    record = parse_key_record(
        "v=DKIM1; k=ED25519; h=sha256; s=email:tlsrpt; t=y:s:future; n=hi; p="
    )
    assert record.key_type == "ed25519" and record.revoked
    assert record.testing and record.strict and record.flags == ("y", "s", "future")
    assert record.services == ("email", "tlsrpt") and record.hashes == ("sha256",)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("k=rsa; v=DKIM1; p=", "v= must be the first tag of a key record (RFC 6376 §3.6.1)."),
        (
            "v=DKIM1; k=rsa",
            "The record has no p= tag; every key record must have one (RFC 6376 §3.6.1).",
        ),
        (
            "v=spf1 -all",
            "v='spf1 -all' is not DKIM1, so this is not a DKIM key record (RFC 6376 §3.6.1).",
        ),
    ],
)
def test_key_record_errors(text: str, message: str) -> None:
    with pytest.raises(DkimSyntaxError) as caught:
        parse_key_record(text)
    assert caught.value.message == message
