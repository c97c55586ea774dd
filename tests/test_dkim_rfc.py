"""DKIM against the standards' own examples: RFC 6376 §3.4.3-§3.4.5 and Appendix A, RFC 8463
Appendix A. These bytes come from the RFCs, so they check the canonicalizer against the text, not
against itself."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from mailsec.dkim import canon, key_record, verify, zone_entry
from mailsec.dkim.canon import Canon, read_message
from mailsec.dkim.examples import (
    RFC6376_MESSAGE,
    RFC6376_SIGNATURE,
    RFC8463_MESSAGE,
    rfc8463_resolver,
)
from mailsec.spf import ZoneResolver

# RFC 6376 §3.4.5, written there as:
#   A: <SP> X <CRLF>
#   B <SP> : <SP> Y <HTAB><CRLF>
#                   <HTAB> Z <SP><SP><CRLF>
#   <CRLF>
#   <SP> C <SP><CRLF>
#   D <SP><HTAB><SP> E <CRLF>
#   <CRLF>
#   <CRLF>
SECTION_345 = b"A: X\r\nB : Y\t\r\n\tZ  \r\n\r\n C \r\nD \t E\r\n\r\n\r\n"


def test_rfc6376_345_example_1_relaxed_header_and_body() -> None:
    message = read_message(SECTION_345)
    header = b"".join(canon.header_relaxed(f) for f in message.fields)
    assert header == b"a:X\r\nb:Y Z\r\n"
    assert canon.body_relaxed(message.body) == b" C\r\nD E\r\n"


def test_rfc6376_345_example_2_simple_header_and_body() -> None:
    message = read_message(SECTION_345)
    header = b"".join(canon.header_simple(f) for f in message.fields)
    assert header == b"A: X\r\nB : Y\t\r\n\tZ  \r\n"
    assert canon.body_simple(message.body) == b" C \r\nD \t E\r\n"


@pytest.mark.parametrize(
    ("method", "hash_name", "expected"),
    [
        # §3.4.3: the simple canonical form of an empty body is one CRLF ...
        (Canon.SIMPLE, "sha1", "uoq1oCgLlTqpdDX/iUbLy7J1Wic="),
        (Canon.SIMPLE, "sha256", "frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY="),
        # ... §3.4.4: and the relaxed one is empty.
        (Canon.RELAXED, "sha1", "2jmj7l5rSw0yVb/vlWAYkK/YBwk="),
        (Canon.RELAXED, "sha256", "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="),
    ],
)
def test_rfc6376_343_344_empty_body_hashes(method: Canon, hash_name: str, expected: str) -> None:
    for body in (b"", b"\r\n", b"\r\n\r\n\r\n"):
        canonical = canon.canonicalize_body(body, method)
        assert base64.b64encode(hashlib.new(hash_name, canonical).digest()).decode() == expected


def test_rfc6376_appendix_a_body_hash_and_header_data() -> None:
    """A.2 signs A.1 with c=simple/simple. Its bh= is the body's hash; its b= was made with a key
    other than Appendix C's (errata), so with any key we publish the body checks out, the
    header data is exactly A.2's fields with b= emptied, and the signature fails."""
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    zone = ZoneResolver.from_text(zone_entry("brisbane", "example.com", key_record(other_key)))
    (result,) = verify(RFC6376_SIGNATURE + RFC6376_MESSAGE, resolver=zone)
    assert result.body_hash_matches
    assert base64.b64encode(result.body_hash) == b"2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8="
    assert (
        result.canonical_body == b"Hi.\r\n\r\nWe lost the game. Are you hungry yet?\r\n\r\nJoe.\r\n"
    )
    assert result.header_data == (
        b"Received: from client1.football.example.com  [192.0.2.1]\r\n"
        b"      by submitserver.example.com with SUBMISSION;\r\n"
        b"      Fri, 11 Jul 2003 21:01:54 -0700 (PDT)\r\n"
        b"From: Joe SixPack <joe@football.example.com>\r\n"
        b"To: Suzie Q <suzie@shopping.example.net>\r\n"
        b"Subject: Is dinner ready?\r\n"
        b"Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
        b"Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n"
        b"DKIM-Signature: v=1; a=rsa-sha256; s=brisbane; d=example.com;\r\n"
        b"      c=simple/simple; q=dns/txt; i=joe@football.example.com;\r\n"
        b"      h=Received : From : To : Subject : Date : Message-ID;\r\n"
        b"      bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
        b"      b=;"
    )
    assert result.header_hash == hashlib.sha256(result.header_data).digest()
    assert result.result == "fail"
    assert result.identity == "joe@football.example.com"


def test_rfc8463_appendix_a_both_signatures_verify() -> None:
    ed, rsa_sig = verify(RFC8463_MESSAGE, resolver=rfc8463_resolver())
    assert (ed.result, ed.algorithm, ed.selector) == ("pass", "ed25519-sha256", "brisbane")
    assert (rsa_sig.result, rsa_sig.algorithm, rsa_sig.selector) == ("pass", "rsa-sha256", "test")
    for check in (ed, rsa_sig):
        assert check.domain == "football.example.com"
        assert check.identity == "@football.example.com"
        assert not check.weak and not check.testing
        assert base64.b64encode(check.body_hash) == b"2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8="


def test_rfc8463_ed25519_signs_the_digest_of_this_header_data() -> None:
    ed, _ = verify(RFC8463_MESSAGE, resolver=rfc8463_resolver())
    assert ed.header_data == (
        b"from:Joe SixPack <joe@football.example.com>\r\n"
        b"to:Suzie Q <suzie@shopping.example.net>\r\n"
        b"subject:Is dinner ready?\r\n"
        b"date:Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
        b"message-id:<20030712040037.46341.5F8J@football.example.com>\r\n"
        b"dkim-signature:v=1; a=ed25519-sha256; c=relaxed/relaxed;"
        b" d=football.example.com; i=@football.example.com;"
        b" q=dns/txt; s=brisbane; t=1528637909; h=from : to :"
        b" subject : date : message-id : from : subject : date;"
        b" bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;"
        b" b="
    )
    # h= lists from, subject and date twice: the second of each has no instance left and adds
    # nothing (oversigning), which the trace says.
    headers = next(s for s in ed.trace if s.section == "RFC 6376 §5.4.2")
    assert headers.text.count("adds nothing") == 3


def test_rfc8463_a_changed_signature_byte_fails() -> None:
    tampered = RFC8463_MESSAGE.replace(b"b=/gCrinpcQOo", b"b=/gCrinpcQOp")
    ed, rsa_sig = verify(tampered, resolver=rfc8463_resolver())
    assert ed.result == "fail" and rsa_sig.result == "pass"
    assert "does not verify" in ed.reason
