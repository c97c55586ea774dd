"""PGP/MIME next to S/MIME (RFC 3156 and RFC 8551) on the same text."""

from __future__ import annotations

import pytest

from mailsec import openpgp
from mailsec.errors import InputError
from mailsec.openpgp.pgpmime import (
    check_pair,
    encrypt_both,
    encrypt_pair,
    open_pair,
    sign_both,
    sign_pair,
)
from mailsec.pki import course_pki

HEADERS = {"From": "Alice <alice@example.org>", "To": "Bob <bob@example.org>", "Subject": "Invoice"}
TEXT = "The invoice total is 120 EUR. \nAlice\n"


@pytest.fixture(scope="module")
def alice() -> openpgp.SecretKey:
    return openpgp.generate_key("Alice <alice@example.org>")


@pytest.fixture(scope="module")
def pki():
    return course_pki()


def both(alice, pki, *, certs=True, trusted=True, change=False):
    return sign_both(
        TEXT,
        pgp_key=alice,
        pgp_certs=[alice.public] if certs else [],
        smime_key=pki.alice.key,
        smime_certificate=pki.alice.certificate,
        smime_trusted=[pki.ca.certificate if trusted else pki.unknown_root.certificate],
        headers=HEADERS,
        change_text=change,
    )


def test_both_verify_and_differ_in_form(alice, pki) -> None:
    pair = both(alice, pki)
    assert pair.pgp_valid and pair.smime_valid
    rows = {aspect: (pgp, smime) for aspect, pgp, smime in pair.rows}
    assert rows["Content-Type"] == (
        "multipart/signed; protocol=application/pgp-signature",
        "multipart/signed; protocol=application/pkcs7-signature",
    )
    assert rows["Hash named in micalg"] == (
        "pgp-sha512",
        "sha-256",
    )  # RFC 3156 §5, RFC 8551 §3.5.3.2
    assert b"application/pgp-signature" in pair.pgp_message
    assert b"application/pkcs7-signature" in pair.smime_message
    # the S/MIME signature carries Alice's certificate, so it is larger
    assert len(pair.smime_message) > len(pair.pgp_message)
    assert pair.pgp.text == pair.text == TEXT


def test_one_changed_letter_breaks_both(alice, pki) -> None:
    pair = both(alice, pki, change=True)
    assert not pair.pgp_valid
    assert not pair.smime_valid
    assert pair.smime.status.value == "tampered"
    assert pair.pgp.text.startswith("THe invoice")


def test_each_needs_something_different_beforehand(alice, pki) -> None:
    """PGP needs the sender's key in hand; S/MIME needs a trusted root, not the sender's cert."""
    no_key = both(alice, pki, certs=False)
    assert not no_key.pgp_valid and no_key.smime_valid
    no_root = both(alice, pki, trusted=False)
    assert no_root.pgp_valid and not no_root.smime_valid
    assert no_root.smime.status.value == "untrusted"


def test_empty_text_is_refused(alice, pki) -> None:
    with pytest.raises(InputError, match="The text is empty"):
        sign_both(
            "  ",
            pgp_key=alice,
            pgp_certs=[],
            smime_key=pki.alice.key,
            smime_certificate=pki.alice.certificate,
            smime_trusted=[pki.ca.certificate],
            headers=HEADERS,
        )


# -- encryption side by side ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def bob() -> openpgp.SecretKey:
    return openpgp.generate_key("Bob <bob@example.org>")


def sealed(bob, pki, *, change=False):
    return encrypt_both(
        "Salary table attached.\n",
        pgp_recipient=bob,
        smime_key=pki.bob.key,
        smime_certificate=pki.bob.certificate,
        headers=HEADERS,
        change_ciphertext=change,
    )


def test_both_encrypt_and_bob_reads_both(bob, pki) -> None:
    pair = sealed(bob, pki)
    assert pair.pgp_text == pair.smime_text == "Salary table attached.\n"
    rows = {aspect: (pgp, smime) for aspect, pgp, smime in pair.rows}
    assert rows["Content-Type"] == (
        "multipart/encrypted; protocol=application/pgp-encrypted",
        "application/pkcs7-mime; smime-type=authEnveloped-data",
    )
    assert rows["The message itself"][0].startswith("AES-256 in a SEIPD packet with an MDC")
    assert rows["The message itself"][1].startswith("aes256-gcm")
    assert rows["Bob's copy of the message key"][0].startswith("1 PKESK packet: ECDH (18)")
    assert b"Salary" not in pair.pgp_message and b"Salary" not in pair.smime_message
    assert b"Subject: Invoice" in pair.pgp_message and b"Subject: Invoice" in pair.smime_message


def test_one_changed_byte_and_both_refuse(bob, pki) -> None:
    """RFC 4880 §5.13 (MDC) and RFC 5084 (GCM tag): no text at all from a changed ciphertext."""
    pair = sealed(bob, pki, change=True)
    assert pair.pgp_text is None and pair.smime_text is None
    assert pair.pgp_refusal.startswith("The message could not be decrypted")
    assert pair.smime_refusal
    assert dict((a, (p, s)) for a, p, s in pair.rows)["Result here"] == ("refused", "refused")


def test_pairs_are_checked_by_the_right_function(alice, bob, pki) -> None:
    signed = sign_pair(
        TEXT,
        pgp_key=alice,
        smime_key=pki.alice.key,
        smime_certificate=pki.alice.certificate,
        headers=HEADERS,
    )
    with pytest.raises(InputError, match="signed, not encrypted: check them with check_pair"):
        open_pair(
            signed, pgp_recipient=bob, smime_key=pki.bob.key, smime_certificate=pki.bob.certificate
        )
    again = check_pair(signed, pgp_certs=[alice.public], smime_trusted=[pki.ca.certificate])
    assert again.pgp_valid and again.smime_valid
    encrypted = encrypt_pair(
        TEXT,
        pgp_recipient=bob,
        smime_key=pki.bob.key,
        smime_certificate=pki.bob.certificate,
        headers=HEADERS,
    )
    with pytest.raises(InputError, match="encrypted, not signed: open them with open_pair"):
        check_pair(encrypted, pgp_certs=[], smime_trusted=[])
