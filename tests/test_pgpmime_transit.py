"""The chapter's demonstration: a PGP/MIME mail changed in transit, then opened."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from mailsec import openpgp
from mailsec.errors import InputError
from mailsec.openpgp.pgpmime import PgpMimeKind, Protection, Tamper, deliver, protect
from mailsec.trace import Outcome

NOW = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)
HEADERS = {"From": "Alice <alice@example.org>", "To": "Bob <bob@example.org>", "Subject": "Lunch"}
OPAQUE = "The message could not be decrypted"


@pytest.fixture(scope="module")
def people() -> dict[str, openpgp.SecretKey]:
    return {
        n: openpgp.generate_key(f"{n} <{n.lower()}@example.org>", now=NOW)
        for n in ("Alice", "Bob", "Carol")
    }


@pytest.fixture(scope="module")
def certs(people) -> list[openpgp.Certificate]:
    return [k.public for k in people.values()]


def send(people, protection: Protection) -> bytes:
    return protect(
        protection,
        "Lunch at noon?\n",
        sender=people["Alice"],
        recipient=people["Bob"].public,
        headers=HEADERS,
        now=NOW,
    )


@pytest.mark.parametrize("protection", list(Protection))
def test_unchanged_mail_opens_for_bob(people, certs, protection) -> None:
    delivery = deliver(
        send(people, protection), tamper=Tamper.NOTHING, reader=people["Bob"], certs=certs, now=NOW
    )
    assert delivery.trustworthy
    assert delivery.result.text == "Lunch at noon?\n"
    assert delivery.encrypted is (protection is not Protection.SIGN)
    expected = {
        Protection.ENCRYPT_AND_SIGN: (PgpMimeKind.ENCRYPTED_SIGNED, True),
        Protection.ENCRYPT: (PgpMimeKind.ENCRYPTED, None),
        Protection.SIGN: (PgpMimeKind.SIGNED, True),
    }[protection]
    assert (delivery.result.kind, delivery.result.signature_valid) == expected


def test_carol_cannot_read_mail_for_bob(people, certs) -> None:
    delivery = deliver(
        send(people, Protection.ENCRYPT_AND_SIGN),
        tamper=Tamper.NOTHING,
        reader=people["Carol"],
        certs=certs,
        now=NOW,
    )
    assert delivery.result is None
    assert delivery.refusal.startswith(OPAQUE)


@pytest.mark.parametrize("tamper", [Tamper.SESSION_KEY, Tamper.CIPHERTEXT])
def test_changed_encrypted_mail_is_refused_with_one_opaque_error(people, certs, tamper) -> None:
    """RFC 4880 §5.13: the MDC catches a changed SEIPD packet; nothing is released."""
    delivery = deliver(
        send(people, Protection.ENCRYPT_AND_SIGN),
        tamper=tamper,
        reader=people["Bob"],
        certs=certs,
        now=NOW,
    )
    assert delivery.result is None
    assert delivery.refusal.startswith(OPAQUE)
    assert "the armor checksum was recomputed" in delivery.change
    assert delivery.steps[-1].outcome is Outcome.FAIL


@pytest.mark.parametrize("tamper", [Tamper.TEXT, Tamper.SIGNATURE])
def test_changed_signed_mail_fails_its_signature(people, certs, tamper) -> None:
    delivery = deliver(
        send(people, Protection.SIGN), tamper=tamper, reader=people["Bob"], certs=certs, now=NOW
    )
    assert delivery.result is not None
    assert delivery.result.signature_valid is False
    assert not delivery.trustworthy
    if tamper is Tamper.TEXT:
        assert delivery.change == "The letter 'u' of the signed part became 'U'."
        assert "LUnch" in delivery.result.text


@pytest.mark.parametrize("protection", list(Protection))
def test_subject_is_not_protected(people, certs, protection) -> None:
    """RFC 3156 protects the body only: a new Subject goes unnoticed."""
    delivery = deliver(
        send(people, protection), tamper=Tamper.SUBJECT, reader=people["Bob"], certs=certs, now=NOW
    )
    assert delivery.trustworthy
    assert b"Subject: URGENT: pay the invoice today" in delivery.message
    assert delivery.steps[0].outcome is Outcome.WARN


def test_packets_of_the_encrypted_part(people, certs) -> None:
    delivery = deliver(
        send(people, Protection.ENCRYPT),
        tamper=Tamper.NOTHING,
        reader=people["Bob"],
        certs=certs,
        now=NOW,
    )
    tags = [p.tag for p in openpgp.list_packets(delivery.openpgp_data)]
    assert tags == [1, 18]  # one PKESK for Bob, one SEIPD (RFC 4880 §5.1, §5.13)


def test_changes_that_do_not_apply_are_refused(people, certs) -> None:
    signed = send(people, Protection.SIGN)
    with pytest.raises(
        InputError, match="only signed, so there is no one byte of the encrypted data"
    ):
        deliver(signed, tamper=Tamper.CIPHERTEXT, reader=people["Bob"], certs=certs)
    encrypted = send(people, Protection.ENCRYPT)
    with pytest.raises(InputError, match="This mail is encrypted: 'one letter of the signed text'"):
        deliver(encrypted, tamper=Tamper.TEXT, reader=people["Bob"], certs=certs)
