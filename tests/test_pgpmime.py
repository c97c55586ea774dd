"""PGP/MIME (RFC 3156): multipart/signed and multipart/encrypted, built and read."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailsec import openpgp
from mailsec.errors import DecryptionError, InputError, MailsecError
from mailsec.openpgp.armor import ArmorLabel, armor, dearmor
from mailsec.openpgp.pgpmime import (
    POLICY,
    PgpMimeKind,
    canonicalize,
    encrypt_message,
    micalg_for,
    read_message,
    sign_message,
    split_signed,
)
from mailsec.trace import Outcome

NOW = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)
HEADERS = {"From": "Alice <alice@example.org>", "To": "Bob <bob@example.org>", "Subject": "Lunch"}
TEXT = "Hi Bob,\nlunch at noon? \nAlice\n"


@pytest.fixture(scope="module")
def alice() -> openpgp.SecretKey:
    return openpgp.generate_key("Alice <alice@example.org>", now=NOW)


@pytest.fixture(scope="module")
def bob() -> openpgp.SecretKey:
    return openpgp.generate_key("Bob <bob@example.org>", now=NOW)


@pytest.fixture(scope="module")
def carol() -> openpgp.SecretKey:
    return openpgp.generate_key("Carol <carol@example.org>", now=NOW)


def raw(message) -> bytes:
    return message.as_bytes(policy=POLICY)


# -- multipart/signed (RFC 3156 §5) -------------------------------------------------------------


def test_signed_message_structure(alice) -> None:
    """RFC 3156 §5: protocol and micalg parameters, two parts, a detached signature."""
    message = sign_message(TEXT, alice, headers=HEADERS, now=NOW)
    assert message.get_content_type() == "multipart/signed"
    assert message.get_param("protocol") == "application/pgp-signature"
    assert message.get_param("micalg") == "pgp-sha512"  # the core signs with SHA-512
    parts = list(message.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "application/pgp-signature"]
    assert message["Subject"] == "Lunch"  # outer headers stay readable


def test_signed_part_is_seven_bit_and_keeps_trailing_space(alice) -> None:
    """RFC 3156 §3: signed data is 7-bit; trailing whitespace is protected by quoted-printable."""
    signed, _signature = split_signed(raw(sign_message(TEXT, alice, now=NOW)))
    signed.decode("ascii")
    assert b"Content-Transfer-Encoding: quoted-printable" in signed
    assert b"noon?=20\r\n" in signed
    assert b"\n" not in signed.replace(b"\r\n", b"")  # every line ends in CRLF


def test_from_line_is_sent_base64(alice) -> None:
    signed, _ = split_signed(raw(sign_message("From me\nhello\n", alice, now=NOW)))
    assert b"Content-Transfer-Encoding: base64" in signed


def test_signed_round_trip(alice) -> None:
    result = read_message(
        raw(sign_message(TEXT, alice, headers=HEADERS, now=NOW)), certs=[alice.public]
    )
    assert result.kind is PgpMimeKind.SIGNED
    assert result.signature_valid is True
    assert result.text == TEXT
    assert result.micalg == "pgp-sha512"
    assert result.verifications[0].signer_fingerprint == alice.fingerprint
    assert result.steps[-1].outcome is Outcome.OK


def test_signed_message_survives_lf_line_endings(alice) -> None:
    """A message stored with LF line endings is canonicalized to CRLF before checking."""
    data = raw(sign_message(TEXT, alice, now=NOW)).replace(b"\r\n", b"\n")
    assert read_message(data, certs=[alice.public]).signature_valid is True


def test_changed_signed_part_fails(alice) -> None:
    data = raw(sign_message(TEXT, alice, now=NOW)).replace(b"noon", b"one!")
    result = read_message(data, certs=[alice.public])
    assert result.signature_valid is False
    assert result.verifications == ()
    assert result.steps[-1].outcome is Outcome.FAIL
    assert result.steps[-1].text.startswith("Signature not verified:")


def test_changed_header_in_signed_part_fails(alice) -> None:
    """The part's own MIME headers are signed too (RFC 3156 §5)."""
    data = raw(sign_message(TEXT, alice, now=NOW)).replace(
        b'charset="utf-8"', b'charset="latin1"', 1
    )
    assert read_message(data, certs=[alice.public]).signature_valid is False


def test_signature_by_someone_else_is_not_valid(alice, carol) -> None:
    data = raw(sign_message(TEXT, alice, now=NOW))
    assert read_message(data, certs=[carol.public]).signature_valid is False


def test_micalg_names_the_hash_used(alice) -> None:
    signature = openpgp.sign(b"x", alice)
    assert micalg_for(signature) == "pgp-sha512"
    _label, binary = dearmor(signature)
    assert micalg_for(binary) == "pgp-sha512"


def test_canonicalize() -> None:
    assert canonicalize(b"a\nb\r\nc\n") == b"a\r\nb\r\nc\r\n"
    assert canonicalize(b"a\r\n\r\n") == b"a\r\n\r\n"


# -- multipart/encrypted (RFC 3156 §4, §6) -------------------------------------------------------


def test_encrypted_message_structure(bob) -> None:
    message = encrypt_message(TEXT, [bob.public], headers=HEADERS, now=NOW)
    assert message.get_content_type() == "multipart/encrypted"
    assert message.get_param("protocol") == "application/pgp-encrypted"
    control, data = message.iter_parts()
    assert control.get_content_type() == "application/pgp-encrypted"
    assert control.get_payload(decode=True).strip() == b"Version: 1"
    assert data.get_content_type() == "application/octet-stream"
    assert data.get_payload(decode=True).startswith(b"-----BEGIN PGP MESSAGE-----")
    assert b"noon" not in raw(message)
    assert message["Subject"] == "Lunch"  # RFC 3156 does not hide the subject


def test_encrypted_round_trip_unsigned(bob) -> None:
    result = read_message(raw(encrypt_message(TEXT, [bob.public], now=NOW)), keys=[bob])
    assert result.kind is PgpMimeKind.ENCRYPTED
    assert result.signature_valid is None
    assert result.text == TEXT


def test_encrypted_and_signed_together(alice, bob) -> None:
    """RFC 3156 §6.2: the signature travels inside the encrypted OpenPGP message."""
    message = encrypt_message(TEXT, [bob.public], sign_with=[alice], now=NOW)
    result = read_message(raw(message), keys=[bob], certs=[alice.public])
    assert result.kind is PgpMimeKind.ENCRYPTED_SIGNED
    assert result.signature_valid is True
    assert result.text == TEXT
    unknown = read_message(raw(message), keys=[bob])  # Alice's certificate not at hand
    assert unknown.signature_valid is False


def test_signed_then_encrypted(alice, bob) -> None:
    """RFC 3156 §6.1: a multipart/signed entity inside multipart/encrypted."""
    inner = sign_message(TEXT, alice, now=NOW)
    message = encrypt_message(inner, [bob.public], now=NOW)
    result = read_message(raw(message), keys=[bob], certs=[alice.public])
    assert result.kind is PgpMimeKind.ENCRYPTED_SIGNED
    assert result.signature_valid is True
    assert result.micalg == "pgp-sha512"
    assert result.text == TEXT


def test_wrong_key_gets_nothing(bob, carol) -> None:
    data = raw(encrypt_message(TEXT, [bob.public], now=NOW))
    with pytest.raises(DecryptionError):
        read_message(data, keys=[carol])


def test_tampered_ciphertext_releases_nothing(bob) -> None:
    """A flipped byte inside the encrypted data fails the integrity check (RFC 4880 §5.13)."""
    message = encrypt_message(TEXT, [bob.public], now=NOW)
    _control, data = message.iter_parts()
    _label, binary = dearmor(data.get_payload(decode=True))
    flipped = bytearray(binary)
    flipped[-5] ^= 0x01
    bad = raw(message).replace(
        data.get_payload(decode=True).strip(), armor(bytes(flipped), ArmorLabel.MESSAGE).strip()
    )
    assert bad != raw(message)
    with pytest.raises(DecryptionError):
        read_message(bad, keys=[bob])


# -- bad input -----------------------------------------------------------------------------------


def test_plain_message_is_reported_as_plain() -> None:
    data = b"From: a@example.org\r\nSubject: hi\r\nContent-Type: text/plain\r\n\r\nhello\r\n"
    result = read_message(data)
    assert result.kind is PgpMimeKind.PLAIN
    assert result.steps[0].outcome is Outcome.WARN


def test_smime_signature_is_not_pgp_mime() -> None:
    data = (
        b'Content-Type: multipart/signed; protocol="application/pkcs7-signature"; '
        b'micalg=sha-256; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n'
        b"--b\r\nContent-Type: application/pkcs7-signature\r\n\r\nAAAA\r\n--b--\r\n"
    )
    with pytest.raises(InputError, match="an S/MIME one uses application/pkcs7-signature"):
        read_message(data)


def test_wrong_version_in_control_part() -> None:
    data = (
        b'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="b"\r\n'
        b"\r\n--b\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 2\r\n"
        b"--b\r\nContent-Type: application/octet-stream\r\n\r\nxx\r\n--b--\r\n"
    )
    with pytest.raises(InputError, match="Part 1 should say 'Version: 1'"):
        read_message(data)


def test_encrypt_needs_recipients_and_decrypt_needs_keys(bob) -> None:
    with pytest.raises(InputError, match="at least one recipient"):
        encrypt_message(TEXT, [])
    with pytest.raises(InputError, match="needs the recipient's secret key"):
        read_message(raw(encrypt_message(TEXT, [bob.public], now=NOW)))


def test_signed_message_with_three_parts_is_refused(alice) -> None:
    data = raw(sign_message(TEXT, alice, now=NOW))
    boundary = data.split(b'boundary="', 1)[1].split(b'"', 1)[0]
    extra = b"--" + boundary + b"\r\nContent-Type: text/plain\r\n\r\nextra\r\n--" + boundary + b"--"
    bad = data.replace(b"--" + boundary + b"--", extra)
    with pytest.raises(InputError, match="exactly two parts; this one has 3"):
        read_message(bad, certs=[alice.public])


def test_non_ascii_text_input_is_refused() -> None:
    with pytest.raises(InputError, match="characters outside ASCII"):
        read_message("Subject: é\r\n\r\nhi")


def test_utf8_body_is_signed_as_quoted_printable(alice) -> None:
    text = "こんにちは、ボブ\n"
    message = sign_message(text, alice, now=NOW)
    signed, _ = split_signed(raw(message))
    signed.decode("ascii")
    result = read_message(raw(message), certs=[alice.public])
    assert result.signature_valid is True
    assert result.text == text


# -- properties ----------------------------------------------------------------------------------

TEXTS = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r"), min_size=1
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=TEXTS)
def test_any_text_survives_signing(alice, text: str) -> None:
    """Whatever the text (any script, trailing spaces, 'From ' lines), the signature verifies and
    the text comes back, with a final newline (RFC 3156 §3, §5)."""
    result = read_message(raw(sign_message(text, alice, now=NOW)), certs=[alice.public])
    assert result.signature_valid is True
    assert result.text == (text if text.endswith("\n") else text + "\n")


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=TEXTS)
def test_any_text_survives_encryption(alice, bob, text: str) -> None:
    message = encrypt_message(text, [bob.public], sign_with=[alice], now=NOW)
    result = read_message(raw(message), keys=[bob], certs=[alice.public])
    assert result.signature_valid is True
    assert result.text == (text if text.endswith("\n") else text + "\n")


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    which=st.sampled_from(["signed", "encrypted"]),
    position=st.integers(0, 1500),
    insert=st.binary(max_size=24),
    delete=st.integers(0, 24),
)
def test_damaged_mail_gives_a_mailsec_error_or_a_result(
    alice, bob, which, position, insert, delete
) -> None:
    """Damaged input: a plain-language MailsecError or a result, never another exception; an
    encrypted mail never yields text that differs from what was sent."""
    base = (
        raw(sign_message(TEXT, alice, now=NOW))
        if which == "signed"
        else raw(encrypt_message(TEXT, [bob.public], sign_with=[alice], now=NOW))
    )
    data = base[:position] + insert + base[position + delete :]
    try:
        result = read_message(data, keys=[bob], certs=[alice.public])
    except MailsecError as error:
        assert error.message
        return
    if (
        result.kind in (PgpMimeKind.ENCRYPTED, PgpMimeKind.ENCRYPTED_SIGNED)
        and result.text is not None
    ):
        assert result.text == TEXT


def test_outer_headers_get_a_date_and_message_id(alice) -> None:
    """RFC 5322 §3.6: a message with a From field gets Date and Message-ID."""
    message = sign_message(TEXT, alice, headers=HEADERS, now=NOW)
    assert message["Date"] == "Sun, 01 Nov 2026 09:00:00 +0000"
    assert message["Message-ID"].endswith("@example.org>")


def test_eight_bit_entity_is_refused(bob) -> None:
    from email.message import EmailMessage

    entity = EmailMessage()
    entity.set_content("Grüße\n", cte="8bit")
    with pytest.raises(InputError, match="contains 8-bit data; RFC 3156 §3 asks for 7-bit"):
        encrypt_message(entity, [bob.public])
