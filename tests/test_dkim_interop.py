"""Interop with dkimpy, a verifier and signer written independently: what mailsec signs dkimpy
verifies, and what dkimpy signs mailsec verifies, for rsa-sha256 and ed25519-sha256 in all four
canonicalizations. dkimpy is given the key record through its ``dnsfunc=`` hook (no network)."""

from __future__ import annotations

import base64
import time

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from test_dkim_verify import ED_KEY, MESSAGE, RSA_KEY, zone

from mailsec.dkim import key_record, sign, verify
from mailsec.dkim.examples import RFC8463_MESSAGE, RFC8463_ZONE
from mailsec.spf import ZoneResolver

CANONICALIZATIONS = [
    ("simple", "simple"),
    ("simple", "relaxed"),
    ("relaxed", "simple"),
    ("relaxed", "relaxed"),
]
KEYS = {"rsa-sha256": RSA_KEY, "ed25519-sha256": ED_KEY}

# A message with what canonicalization must handle: odd spacing, a folded field, trailing
# whitespace and empty lines at the end of the body.
ROUGH = (
    b"From: Joe SixPack <joe@example.com>\r\n"
    b"To: Suzie Q <suzie@example.net>,\r\n\tAnother <another@example.net>\r\n"
    b"Subject:   Is   dinner ready?  \r\n"
    b"Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
    b"Message-ID: <20030712040037.46341.5F8J@example.com>\r\n"
    b"\r\n"
    b"Hi.  \r\n"
    b"\r\n"
    b"We lost \t the game.\r\n"
    b"\r\n"
    b"\r\n"
)


#: Every algorithm, canonicalization and message, in both directions.
CASES = pytest.mark.parametrize(
    ("algorithm", "canonicalization", "message"),
    [
        pytest.param(a, c, m, id=f"{a}-{c[0]}/{c[1]}-{name}")
        for a in KEYS
        for c in CANONICALIZATIONS
        for name, m in (("plain", MESSAGE), ("rough", ROUGH))
    ],
)


def dkimpy_key(algorithm: str) -> bytes:
    """The private key as dkimpy reads it: PEM for RSA, the base64 seed for Ed25519."""
    if algorithm == "rsa-sha256":
        return RSA_KEY.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    raw = ED_KEY.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return base64.b64encode(raw)


def dns_answering(record: str):  # type: ignore[no-untyped-def]
    asked: list[bytes] = []

    def dnsfunc(name: bytes, timeout: int = 5) -> bytes:
        asked.append(name)
        return record.encode("ascii")

    dnsfunc.asked = asked  # type: ignore[attr-defined]
    return dnsfunc


@CASES
def test_dkimpy_verifies_what_mailsec_signs(
    algorithm: str, canonicalization: tuple[str, str], message: bytes
) -> None:
    key = KEYS[algorithm]
    # dkimpy checks t= and x= against its own clock.
    signed = sign(
        message,
        domain="example.com",
        selector="mail",
        private_key=key,
        canonicalization=canonicalization,
        expiration=int(time.time()) + 3600,
    )
    dnsfunc = dns_answering(key_record(key))
    assert dkim.verify(signed, dnsfunc=dnsfunc) is True
    assert dnsfunc.asked == [b"mail._domainkey.example.com."]
    # and dkimpy notices a change
    assert (
        dkim.verify(signed.replace(b"game", b"match").replace(b"noon", b"one"), dnsfunc=dnsfunc)
        is False
    )


@CASES
def test_mailsec_verifies_what_dkimpy_signs(
    algorithm: str, canonicalization: tuple[str, str], message: bytes
) -> None:
    field = dkim.sign(
        message,
        b"mail",
        b"example.com",
        dkimpy_key(algorithm),
        canonicalize=tuple(c.encode() for c in canonicalization),
        signature_algorithm=algorithm.encode(),
        include_headers=[b"from", b"to", b"subject", b"date", b"message-id"],
    )
    published = zone(("mail", key_record(KEYS[algorithm])))
    (result,) = verify(field + message, resolver=published)
    assert (result.result, result.algorithm) == ("pass", algorithm)
    assert result.reason == "The signature by 'example.com' verified."
    (changed,) = verify(field + message.replace(b"Subject:", b"Subject: Re:"), resolver=published)
    assert changed.result == "fail"


def test_dkimpy_rsa_sha1_is_verified_and_reported_weak() -> None:
    field = dkim.sign(
        MESSAGE, b"mail", b"example.com", dkimpy_key("rsa-sha256"), signature_algorithm=b"rsa-sha1"
    )
    (result,) = verify(field + MESSAGE, resolver=zone(("mail", key_record(RSA_KEY))))
    assert (result.result, result.algorithm, result.weak) == ("pass", "rsa-sha1", True)


def test_dkimpy_l_tag_and_mailsec_agree_on_the_signed_length() -> None:
    field = dkim.sign(
        MESSAGE,
        b"mail",
        b"example.com",
        dkimpy_key("ed25519-sha256"),
        signature_algorithm=b"ed25519-sha256",
        length=True,
    )
    (result,) = verify(
        field + MESSAGE + b"appended\r\n", resolver=zone(("mail", key_record(ED_KEY)))
    )
    assert result.result == "pass"
    assert result.unsigned_body == len(b"appended\r\n")


def test_dkimpy_verifies_the_rfc8463_example_with_the_same_zone() -> None:
    resolver = ZoneResolver.from_text(RFC8463_ZONE)

    def dnsfunc(name: bytes, timeout: int = 5) -> bytes:
        answer = resolver.lookup(name.decode().rstrip("."), "TXT")
        return b"".join(answer.records[0])  # type: ignore[arg-type]

    verifier = dkim.DKIM(RFC8463_MESSAGE)
    assert verifier.verify(idx=0, dnsfunc=dnsfunc) and verifier.verify(idx=1, dnsfunc=dnsfunc)
    assert [v.result for v in verify(RFC8463_MESSAGE, resolver=resolver)] == ["pass", "pass"]


def test_an_expired_signature_fails_in_both() -> None:
    """RFC 6376 §3.5 x=: past its expiry a signature is not accepted, by either verifier.
    (dkimpy allows ten hours for clocks that disagree; mailsec none: two days past, both agree.)"""
    past = int(time.time()) - 2 * 86400
    signed = sign(
        MESSAGE,
        domain="example.com",
        selector="mail",
        private_key=ED_KEY,
        timestamp=past - 3600,
        expiration=past,
    )
    assert dkim.verify(signed, dnsfunc=dns_answering(key_record(ED_KEY))) is False
    (result,) = verify(signed, resolver=zone(("mail", key_record(ED_KEY))))
    assert result.result == "fail" and "expired" in result.reason


@pytest.mark.parametrize(
    ("record", "mailsec_result"),
    [("v=DKIM1; k=ed25519; p=", "permerror"), ("", "permerror")],
    ids=["revoked key (empty p=)", "no key record"],
)
def test_revoked_and_missing_keys_fail_in_both(record: str, mailsec_result: str) -> None:
    """RFC 6376 §3.6.1: an empty p= is a revoked key; §6.1.2: no record, no verification."""
    field = dkim.sign(
        MESSAGE,
        b"mail",
        b"example.com",
        dkimpy_key("ed25519-sha256"),
        signature_algorithm=b"ed25519-sha256",
    )
    assert dkim.verify(field + MESSAGE, dnsfunc=dns_answering(record)) is False
    published = zone(("mail", record)) if record else zone()
    (result,) = verify(field + MESSAGE, resolver=published)
    assert result.result == mailsec_result
