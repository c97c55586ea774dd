"""Reading the three ARC header fields (RFC 8617 §4.1, §4.2.1), and hostile ones: every broken
field fails the chain with the reason, never with an exception."""

from __future__ import annotations

import base64

import pytest
from test_arc_story import check, posted

from mailsec.arc import (
    ArcResult,
    ArcSyntaxError,
    Part,
    parse_message_signature,
    parse_results,
    parse_seal,
)
from mailsec.dkim import Algorithm, DkimSyntaxError
from mailsec.dkim.canon import Canon

B = base64.b64encode(b"\x01" * 64).decode("ascii")
BH = base64.b64encode(b"\x02" * 32).decode("ascii")
SEAL = f"i=1; a=ed25519-sha256; t=1800000000; cv=none; d=lists.example.org; s=arc; b={B}"
AMS = (
    f"i=1; a=rsa-sha256; c=relaxed/relaxed; d=lists.example.org; s=arc; t=1800000000;"
    f" h=from:to:subject; bh={BH}; b={B}"
)


# -- the fields as written ----------------------------------------------------------------------


def test_an_aar_is_an_instance_an_authserv_id_and_results() -> None:
    aar = parse_results(
        " i=2;\r\n mx.example.net 1;\r\n dkim=pass header.d=example.com;\t spf=none"
    )
    assert (aar.instance, aar.authserv_id) == (2, "mx.example.net")
    assert aar.results == "dkim=pass header.d=example.com; spf=none"
    assert aar.field.name == "ARC-Authentication-Results"


def test_an_ams_is_read_with_dkims_rules_and_its_i_is_the_instance() -> None:
    ams = parse_message_signature(AMS)
    signature = ams.signature
    assert ams.instance == 1
    assert (signature.domain, signature.selector, signature.algorithm) == (
        "lists.example.org",
        "arc",
        Algorithm.RSA_SHA256,
    )
    assert signature.identity == "@lists.example.org"  # ARC has no AUID (§4.1.2)
    assert signature.signed_headers == ("from", "to", "subject")
    assert (signature.header_canon, signature.body_canon) == (Canon.RELAXED, Canon.RELAXED)


@pytest.mark.parametrize("version", ["v=1; ", "v=2; ", "v=anything; "])
def test_a_version_tag_in_an_ams_is_ignored(version: str) -> None:
    assert parse_message_signature(version + AMS).instance == 1  # §4.1.2: "MUST be ignored"


def test_a_seal_has_a_cv_and_no_signed_header_list() -> None:
    seal = parse_seal(SEAL.replace("cv=none", "cv=PASS"))
    assert (seal.instance, seal.cv) == (1, ArcResult.PASS)  # ABNF strings ignore case
    assert seal.signature.signed_headers == () and seal.signature.body_hash == b""
    assert seal.signature.timestamp == 1800000000
    assert seal.field.raw.startswith(b"ARC-Seal:i=1;")


def test_part_names_and_sections() -> None:
    assert [p.label for p in Part] == [
        "ARC-Authentication-Results",
        "ARC-Message-Signature",
        "ARC-Seal",
    ]
    assert [p.section for p in Part] == ["RFC 8617 §4.1.1", "RFC 8617 §4.1.2", "RFC 8617 §4.1.3"]
    assert str(Part.SEAL) == "ARC-Seal" and Part.SEAL == "arc-seal"


# -- broken fields: the reader's sentences ------------------------------------------------------

BROKEN = [
    (parse_seal, SEAL + "; h=from", "The ARC-Seal has an h= tag"),
    (parse_seal, SEAL.replace("cv=none", "cv=maybe"), "cv='maybe' is not a chain validation"),
    (parse_seal, SEAL.replace("i=1", "i=0"), "i='0' is not an instance number"),
    (parse_seal, SEAL.replace("i=1", "i=07"), "i='07' is not an instance number"),
    (parse_seal, SEAL.replace("i=1", "i=" + "9" * 40), "is not an instance number"),
    (parse_seal, SEAL.replace("ed25519-sha256", "rsa-sha1"), "a='rsa-sha1' is not an algorithm"),
    (parse_seal, SEAL.replace("ed25519-sha256", "md5"), "a='md5' is not an algorithm ARC uses"),
    (parse_seal, "i=1; cv=none", "The ARC-Seal has no a, b, d, s tags"),
    (parse_seal, SEAL.replace(f"b={B}", "b=!!"), "The value of 'b' is not valid base64"),
    (parse_seal, SEAL.replace(f"b={B}", "b="), "The b= tag is empty"),
    (parse_seal, SEAL.replace("d=lists", "d=li_sts"), "d='li_sts.example.org' is not a domain"),
    (parse_seal, SEAL.replace("t=1800000000", "t=soon"), "t='soon' is not a number"),
    (parse_seal, "", "The tag list is empty"),
    (parse_seal, "i=1; i=1", "The tag 'i' appears twice"),
    (parse_seal, ";;;", "There is an empty tag at character 1"),
    (parse_seal, "i=1; a=\x00", "contains '\\x00'"),
    (parse_seal, "i=1; d=\u00e9", "contains 'é'"),
    (parse_seal, "x" * 20_000, "characters long; the most read is 16,384."),
    (parse_message_signature, AMS.replace("i=1; ", ""), "There is no i= tag"),
    (parse_message_signature, AMS.replace("h=from:", "h=arc-seal:from:"), "h= lists 'arc-seal'"),
    (
        parse_message_signature,
        AMS.replace("h=from:", "h=authentication-results:from:"),
        "h= lists 'authentication-results'; RFC 8617 §4.1.2 forbids",
    ),
    (parse_message_signature, AMS.replace("h=from:", "h="), "h= does not list From"),
    (parse_message_signature, AMS.replace("rsa-sha256", "rsa-sha1"), "a='rsa-sha1' is not"),
    (parse_message_signature, AMS.replace(f"bh={BH}; ", ""), "The signature has no bh tag"),
    (parse_results, "dkim=pass", "The value must start with i=, the instance"),
    (parse_results, "i=1;", "There is no authserv-id after i=1;"),
    (parse_results, "i=x; mx.example.net; none", "i='x' is not an instance number"),
]


@pytest.mark.parametrize(("parse", "value", "problem"), BROKEN)
def test_a_broken_field_is_refused_with_the_rule_it_breaks(
    parse,  # type: ignore[no-untyped-def]
    value: str,
    problem: str,
) -> None:
    with pytest.raises(DkimSyntaxError) as caught:
        parse(value)
    assert problem in caught.value.message


def test_arc_syntax_errors_are_dkim_syntax_errors() -> None:
    with pytest.raises(ArcSyntaxError):
        parse_seal(SEAL + "; h=from")
    assert issubclass(ArcSyntaxError, DkimSyntaxError)


NAMES = {parse_seal: "ARC-Seal", parse_message_signature: "ARC-Message-Signature"}
NAMES[parse_results] = "ARC-Authentication-Results"


@pytest.mark.parametrize(("parse", "value", "problem"), BROKEN)
def test_a_broken_field_in_a_message_fails_the_chain_with_the_same_sentence(
    parse,  # type: ignore[no-untyped-def]
    value: str,
    problem: str,
) -> None:
    name = NAMES[parse]
    hostile = f"{name}: {value}\r\n".encode("latin-1")  # fields are read as Latin-1, as DKIM's
    chain = check(hostile + posted())
    assert chain.result is ArcResult.FAIL
    assert chain.reason.startswith(f"{name} (header field 1) cannot be read: ")
    assert problem in chain.reason
    assert chain.trace[-2].section == Part(name.lower()).section
    # the good set below is still reported, unchecked
    assert chain.instance(1) is not None
    assert chain.instance(1).seal_result is None  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "value",
    [
        b"i=1; \xff\xfe\x00",
        b"\x1b[31mred\x1b[0m",
        b"i=1;" + b" " * 5000,
        b"i=" + b"1" * 2000,
        b"i=1; b=" + b"A" * 9000,
        b"=;=;=",
        b"i=1; h=from:from:from:" + b"x:" * 3000,
    ],
)
@pytest.mark.parametrize(
    "name", [b"ARC-Seal", b"ARC-Message-Signature", b"arc-authentication-results"]
)
def test_hostile_bytes_fail_and_never_raise(name: bytes, value: bytes) -> None:
    chain = check(name + b": " + value + b"\r\n" + posted())
    assert chain.result is ArcResult.FAIL
    assert chain.reason
