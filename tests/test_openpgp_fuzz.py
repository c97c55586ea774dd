"""Damaged input of every kind gives a MailsecError with a message, never another exception
(issue 7 part 7): flipped bytes, cut data and random bytes fed to every reading entry point."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from mailsec import openpgp
from mailsec.errors import MailsecError

T0 = datetime(2026, 6, 1, tzinfo=timezone.utc)
LATER = T0 + timedelta(minutes=5)

_ALICE = openpgp.generate_key("Alice <alice@example.org>", now=T0)
_BOB = openpgp.generate_key("Bob <bob@example.org>", algorithm="rsa2048", now=T0)
SAMPLES = {
    "key": _ALICE.to_bytes(armor=False),
    "rsa key": _BOB.to_bytes(armor=False),
    "cert": _ALICE.public.to_bytes(armor=False),
    "message": openpgp.encrypt(
        b"fuzz me", [_ALICE.public, _BOB.public], sign_with=[_BOB], armor=False, now=LATER
    ),
    "signature": openpgp.sign(b"fuzz me", _ALICE, armor=False, now=LATER),
    "inline": openpgp.inline_sign(b"fuzz me", _BOB, armor=False, now=LATER),
    "password": openpgp.encrypt(
        b"fuzz me", [_ALICE.public], passwords=[b"pw"], armor=False, now=LATER
    ),
    "clearsigned": openpgp.clearsign(b"fuzz me\n-dash\n", _ALICE, now=LATER),
    "protected key": openpgp.generate_key("P <p@example.org>", passphrase="pw", now=T0).to_bytes(
        armor=False
    ),
}


def every_reader(data: bytes) -> None:
    """Feed ``data`` to every entry point; each may succeed or raise MailsecError only."""
    calls = (
        lambda: openpgp.read_keys(data),
        lambda: openpgp.read_keys(data, passphrases=["pw"]),
        lambda: openpgp.read_certs(data),
        lambda: openpgp.decrypt(data, [_ALICE], verify_with=[_BOB.public], now=LATER),
        lambda: openpgp.verify(b"fuzz me", data, [_ALICE.public], now=LATER),
        lambda: openpgp.inline_verify(data, [_BOB.public], now=LATER),
        lambda: openpgp.list_packets(data, keys=[_ALICE]),
        lambda: openpgp.dearmor(data),
    )
    for call in calls:
        try:
            call()
        except MailsecError as exc:
            assert exc.message  # a sentence, never empty


fuzz = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@fuzz
@given(st.sampled_from(sorted(SAMPLES)), st.data())
def test_flipped_bytes(name, data):
    sample = bytearray(SAMPLES[name])
    for _ in range(data.draw(st.integers(1, 3))):
        position = data.draw(st.integers(0, len(sample) - 1))
        sample[position] ^= data.draw(st.integers(1, 255))
    every_reader(bytes(sample))


@fuzz
@given(st.sampled_from(sorted(SAMPLES)), st.data())
def test_cut_data(name, data):
    sample = SAMPLES[name]
    start = data.draw(st.integers(0, len(sample) - 1))
    end = data.draw(st.integers(start + 1, len(sample)))
    every_reader(sample[start:end])


@fuzz
@given(st.binary(min_size=1, max_size=400))
def test_random_bytes(data):
    every_reader(data)


@fuzz
@given(st.sampled_from(sorted(SAMPLES)), st.data())
def test_damaged_armor(name, data):
    text = bytearray(openpgp.armor(SAMPLES[name], openpgp.ArmorLabel.MESSAGE))
    position = data.draw(st.integers(0, len(text) - 1))
    text[position] = data.draw(st.sampled_from(b"A/+=\n-x\x00\xff "))
    every_reader(bytes(text))


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_samples_read_cleanly(name):
    every_reader(SAMPLES[name])


# -- round trips over any input ------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=3000), st.booleans(), st.booleans())
def test_encrypt_decrypt_any_bytes(data, armor, text):
    message = openpgp.encrypt(
        data, [_ALICE.public], sign_with=[_ALICE], armor=armor, text=text, now=LATER
    )
    result = openpgp.decrypt(message, [_ALICE], verify_with=[_ALICE.public], now=LATER)
    # Text mode stores CRLF line endings (RFC 4880 §5.9); binary mode keeps the octets.
    expected = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n") if text else data
    assert result.plaintext == expected
    assert [v.valid for v in result.verifications] == [True]


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=300))
@example("\r")  # a carriage return at a line's end is a trailing blank, as GnuPG treats it
@example("a\r\r\nb\rc")
def test_clearsign_any_text(text):
    signed = openpgp.clearsign(text.encode("utf-8"), _ALICE, now=LATER)
    shown, (check,) = openpgp.inline_verify(signed, [_ALICE.public], now=LATER)
    lines = text.replace("\r\n", "\n").split("\n")
    if lines[-1] == "":
        lines.pop()
    # RFC 4880 §7.1: trailing blanks are not signed, and the text comes back line by line.
    blanks = " \t\r"
    assert shown == "".join(line.rstrip(blanks) + "\n" for line in lines).encode("utf-8")
    assert check.valid


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=2000))
def test_detached_and_inline_signatures_any_bytes(data):
    assert openpgp.verify(data, openpgp.sign(data, _BOB, now=LATER), [_BOB.public], now=LATER)[
        0
    ].valid
    inline = openpgp.inline_sign(data, _BOB, now=LATER)
    assert openpgp.inline_verify(inline, [_BOB.public], now=LATER)[0] == data
