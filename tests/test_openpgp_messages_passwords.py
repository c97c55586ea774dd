"""OpenPGP messages encrypted with a password (RFC 4880 §3.7 string-to-key, §5.3 SKESK v4): the
S2K count coding and derivation rules, password-only messages and messages for both a password and
a key, and the mistakes refused: no recipient, an empty password, SKESK v5 and unknown S2K types.
"""

from __future__ import annotations

import hashlib

import pytest
from openpgp_builders import LATER, SESSION, literal, seal

from mailsec import openpgp
from mailsec.errors import DecryptionError, InputError
from mailsec.openpgp.packets import encode_packet, read_packets


def test_s2k_count_coding():
    from mailsec.openpgp.passwords import decode_count

    # RFC 4880 §3.7.1.3: count = (16 + (c & 15)) << ((c >> 4) + 6).
    assert decode_count(0x00) == 1024
    assert decode_count(0x60) == 65536
    assert decode_count(0xFF) == 65011712


def test_s2k_derivation_rules():
    from mailsec.openpgp.passwords import S2K

    # Simple S2K: the hash of the password; a longer key takes a second context preloaded with one
    # zero octet (RFC 4880 §3.7.1.1).
    simple = S2K(0, 2).derive(b"secret", 32)
    assert simple == hashlib.sha1(b"secret").digest() + hashlib.sha1(b"\0secret").digest()[:12]
    salted = S2K(1, 8, b"saltsalt").derive(b"pw", 16)
    assert salted == hashlib.sha256(b"saltsaltpw").digest()[:16]
    # Iterated: salt and password repeated until `count` octets are hashed (§3.7.1.3).
    iterated = S2K(3, 8, b"12345678", 0x00).derive(b"password", 16)
    data = b"12345678password"
    assert iterated == hashlib.sha256((data * 64)[:1024]).digest()[:16]


def test_password_encryption_round_trip(alice):
    message = openpgp.encrypt(b"for the pass", [alice.public], passwords=[b"hunter2"], now=LATER)
    assert [p.tag for p in read_packets(openpgp.dearmor(message)[1])] == [1, 3, 18]
    assert (
        openpgp.decrypt(message, [], passwords=[b"hunter2"], now=LATER).plaintext == b"for the pass"
    )
    assert openpgp.decrypt(message, [alice], now=LATER).plaintext == b"for the pass"
    with pytest.raises(DecryptionError):
        openpgp.decrypt(message, [], passwords=[b"hunter3"], now=LATER)


def test_password_only_message():
    message = openpgp.encrypt(b"x", [], passwords=[b"a", b"b"], now=LATER)
    assert openpgp.decrypt(message, [], passwords=[b"b"], now=LATER).plaintext == b"x"
    listing = openpgp.list_packets(message)
    assert [p.tag for p in listing] == [3, 3, 18]
    assert listing[0].fields["s2k"] == "iterated and salted"
    assert listing[0].fields["hash"] == "SHA-256 (8)"


def test_password_mistakes():
    with pytest.raises(InputError, match="at least one recipient certificate"):
        openpgp.encrypt(b"x", [], now=LATER)
    with pytest.raises(InputError, match="must not be empty"):
        openpgp.encrypt(b"x", [], passwords=[b""], now=LATER)
    seipd = encode_packet(18, seal(literal(b"x"), SESSION))
    with pytest.raises(InputError, match="version 5"):
        openpgp.decrypt(
            encode_packet(3, b"\x05\x09\x03\x08" + bytes(9)) + seipd, [], passwords=[b"p"]
        )
    with pytest.raises(openpgp.UnsupportedAlgorithmError, match="S2K type 101"):
        openpgp.decrypt(encode_packet(3, b"\x04\x09\x65\x08") + seipd, [], passwords=[b"p"])
