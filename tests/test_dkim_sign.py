"""The DKIM signer and the key records it publishes (RFC 6376 §3.6, §5; RFC 8463 §4)."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from test_dkim_verify import ED_KEY, MESSAGE, RSA_KEY, T0, check, signed

from mailsec.dkim import (
    DEFAULT_HEADERS,
    key_name,
    key_record,
    parse_key_record,
    parse_signature,
    read_message,
    sign,
    zone_entry,
)
from mailsec.dkim.canon import Canon
from mailsec.dkim.crypto import Algorithm
from mailsec.errors import InputError
from mailsec.spf import ZoneResolver


def signature_of(message: bytes):  # type: ignore[no-untyped-def]
    top = read_message(message).fields[0]
    assert top.name == "DKIM-Signature"
    return top, parse_signature(top.value.decode("ascii"))


def test_the_default_signature_and_its_tags() -> None:
    field, sig = signature_of(signed())
    assert sig.algorithm is Algorithm.ED25519_SHA256
    assert (sig.header_canon, sig.body_canon) == (Canon.RELAXED, Canon.RELAXED)
    assert (sig.domain, sig.selector, sig.timestamp) == ("example.com", "mail", T0)
    assert sig.signed_headers == ("from", "to", "subject", "date", "message-id")
    assert sig.expiration is None and sig.body_length is None
    assert sig.tags.names == ("v", "a", "c", "d", "s", "t", "h", "bh", "b")
    assert len(sig.signature) == 64  # an Ed25519 signature
    text = field.raw.decode("ascii")
    assert all(len(line) <= 78 for line in text.split("\r\n"))
    assert re.search(r"\r\n b=[A-Za-z0-9+/=]+(\r\n [A-Za-z0-9+/=]+)*\Z", text)


def test_rsa_keys_sign_rsa_sha256_and_the_options_become_tags() -> None:
    message = signed(
        RSA_KEY,
        canonicalization=("simple", "relaxed"),
        identity="alice@news.example.com",
        body_length=5,
        expiration=T0 + 86400,
        headers=("From", "Subject", "X-Missing"),
    )
    field, sig = signature_of(message)
    assert sig.algorithm is Algorithm.RSA_SHA256 and len(sig.signature) == 256
    assert (sig.header_canon, sig.body_canon) == (Canon.SIMPLE, Canon.RELAXED)
    assert (sig.identity, sig.body_length, sig.expiration) == (
        "alice@news.example.com",
        5,
        T0 + 86400,
    )
    assert sig.signed_headers == ("from", "subject")  # a field the message lacks is left out
    assert all(len(line) <= 78 for line in field.raw.decode().split("\r\n"))
    assert check(message, key=RSA_KEY).result == "pass"


def test_a_long_h_list_is_folded_after_colons() -> None:
    names = tuple(f"x-header-number-{i}" for i in range(12))
    extra = b"".join(f"{n}: {i}\r\n".encode() for i, n in enumerate(names))
    message = signed(message=extra + MESSAGE, headers=("from", *names))
    field, sig = signature_of(message)
    assert sig.signed_headers == ("from", *names)
    assert all(len(line) <= 78 for line in field.raw.decode().split("\r\n"))
    assert check(message).result == "pass"


def test_the_clock_gives_t_when_no_timestamp_is_given() -> None:
    out = sign(
        MESSAGE, domain="example.com", selector="mail", private_key=ED_KEY, now=lambda: T0 + 5.9
    )
    assert signature_of(out)[1].timestamp == T0 + 5
    out = sign(MESSAGE, domain="example.com", selector="mail", private_key=ED_KEY, now=T0 + 7)
    assert signature_of(out)[1].timestamp == T0 + 7


def test_pem_private_keys_are_accepted() -> None:
    pem = ED_KEY.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    assert check(signed(pem.decode())).result == "pass"
    assert check(signed(pem)).result == "pass"


def test_default_headers_cover_what_readers_see() -> None:
    for name in ("from", "to", "cc", "subject", "date", "message-id", "reply-to"):
        assert name in DEFAULT_HEADERS


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"headers": ("to", "subject")}, "headers must include 'from'"),
        ({"headers": ("from", "bad name")}, "'bad name' is not a header field name"),
        ({"canonicalization": "relaxed"}, "canonicalization must be a pair"),
        ({"canonicalization": ("relaxed", "loose")}, "'loose' is not a canonicalization algorithm"),
        ({"domain": "exa_mple.com"}, "d='exa_mple.com' is not a domain name"),
        ({"selector": "sel ector"}, "s='sel ector' is not a domain name"),
        ({"identity": "alice@example.org"}, "'example.org' is not 'example.com' nor a subdomain"),
        ({"expiration": T0}, "expiration (1800000000) must be later than the signing time"),
        (
            {"body_length": 10_000},
            "body_length=10000 is outside the canonicalized body (0 to 24 bytes)",
        ),
        ({"timestamp": -1}, "timestamp must be a whole number of seconds since 1970"),
        (
            {"private_key": ec.generate_private_key(ec.SECP256R1())},
            "DKIM signs with an RSA or Ed25519 private key, not ECPrivateKey.",
        ),
        ({"private_key": "not a key"}, "The private key could not be read as PEM"),
    ],
)
def test_what_cannot_be_signed_is_refused_with_a_sentence(options: dict, message: str) -> None:
    arguments = {
        "domain": "example.com",
        "selector": "mail",
        "private_key": ED_KEY,
        "timestamp": T0,
    }
    arguments.update(options)
    with pytest.raises(InputError) as caught:
        sign(MESSAGE, **arguments)
    assert message in str(caught.value)


def test_a_message_without_from_is_refused() -> None:
    with pytest.raises(InputError, match="The message has no From field"):
        sign(
            b"To: bob@example.net\r\n\r\nhi\r\n",
            domain="example.com",
            selector="mail",
            private_key=ED_KEY,
        )


# -- key records --------------------------------------------------------------------------------


def test_an_ed25519_key_record_holds_the_raw_32_byte_key() -> None:
    text = key_record(ED_KEY)
    assert text.startswith("v=DKIM1; k=ed25519; p=")
    record = parse_key_record(text)
    raw = ED_KEY.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    assert record.public_key == raw and len(text.split("p=")[1]) == 44  # RFC 8463 §4
    assert (record.key_type, record.testing, record.strict, record.revoked) == (
        "ed25519",
        False,
        False,
        False,
    )


def test_an_rsa_key_record_holds_the_subject_public_key_info() -> None:
    record = parse_key_record(key_record(RSA_KEY.public_key()))
    der = RSA_KEY.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert (record.key_type, record.public_key) == ("rsa", der)


def test_key_record_options() -> None:
    text = key_record(ED_KEY, testing=True, strict=True, hashes=("sha256",), services=("email",))
    assert "; h=sha256; s=email; t=y:s; p=" in text
    record = parse_key_record(text)
    assert record.testing and record.strict and record.for_email
    assert record.allows_hash("sha256") and not record.allows_hash("sha1")
    with pytest.raises(InputError, match="hashes must be a list of plain words"):
        key_record(ED_KEY, hashes="sha256")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="needs an RSA or Ed25519 public or private key"):
        key_record("not a key")  # type: ignore[arg-type]


def test_zone_entry_splits_long_records_into_255_byte_strings() -> None:
    text = key_record(RSA_KEY)
    line = zone_entry("mail", "example.com", text)
    assert line.startswith('mail._domainkey.example.com. TXT "v=DKIM1; k=rsa; ')
    strings = re.findall(r'"([^"]*)"', line)
    assert len(strings) == 2 and all(len(s) <= 255 for s in strings)
    assert "".join(strings) == text
    answer = ZoneResolver.from_text(line).lookup(key_name("mail", "example.com"), "TXT")
    assert b"".join(answer.records[0]).decode() == text  # type: ignore[arg-type]


def test_signer_and_verifier_agree_on_the_body_hash() -> None:
    _, sig = signature_of(signed(canonicalization=("relaxed", "simple")))
    expected = base64.b64encode(hashlib.sha256(b"Shall we meet at noon?\r\n").digest())
    assert base64.b64encode(sig.body_hash) == expected
