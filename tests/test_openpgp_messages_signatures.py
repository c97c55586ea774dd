"""OpenPGP signatures (RFC 4880 §5.2, §5.4, §7, §11.3): detached, inline (one-pass, and the older
signature-before-literal-data form) and cleartext signatures, binary and text mode, and every
refusal: changed data, an unknown signer, a signature from the future or by an expired or revoked
key, SHA-1, unknown critical subpackets and notations, and malformed cleartext.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from openpgp_builders import LATER, T0, literal

from mailsec import openpgp
from mailsec.errors import InputError, VerificationError
from mailsec.openpgp.packets import encode_packet, read_packets
from mailsec.openpgp.signatures import Subpacket, make_signature, parse_signature

# -- signatures ------------------------------------------------------------------------------------


@pytest.mark.parametrize("key_name", ["alice", "bob"])
def test_detached_signature_round_trip(request, key_name):
    key = request.getfixturevalue(key_name)
    signature = openpgp.sign(b"contract", key, now=LATER)
    assert signature.startswith(b"-----BEGIN PGP SIGNATURE-----")
    (check,) = openpgp.verify(b"contract", signature, [key.public], now=LATER)
    assert check.valid and check.mode == "binary" and check.hash_algorithm == "SHA-512"
    assert check.signer_fingerprint == check.signing_key_fingerprint == key.fingerprint


def test_detached_signature_packet_fields(alice):
    (packet,) = read_packets(openpgp.sign(b"x", alice, armor=False, now=LATER))
    body = packet.body
    # RFC 4880 §5.2.3: version 4, type 0x00, EdDSA (22), SHA-512 (10).
    assert packet.tag == 2 and body[:4] == bytes([4, 0x00, 22, 10])


def test_changed_data_fails_verification(alice):
    signature = openpgp.sign(b"pay 10", alice, now=LATER)
    with pytest.raises(VerificationError, match="does not match the data"):
        openpgp.verify(b"pay 1000", signature, [alice.public], now=LATER)


def test_unknown_signer_fails_verification(alice, carol):
    signature = openpgp.sign(b"x", alice, now=LATER)
    with pytest.raises(
        VerificationError, match=f"no certificate was given for the signing key {alice.key_id}"
    ):
        openpgp.verify(b"x", signature, [carol.public], now=LATER)


def test_text_signature_canonicalises_line_endings(bob):
    # RFC 4880 §5.2.1 type 0x01: the text is hashed with CRLF line endings.
    signature = openpgp.sign(b"line one\nline two\n", bob, text=True, now=LATER)
    (check,) = openpgp.verify(b"line one\r\nline two\r\n", signature, [bob.public], now=LATER)
    assert check.valid and check.mode == "text"
    binary = openpgp.sign(b"line one\nline two\n", bob, now=LATER)
    with pytest.raises(VerificationError):
        openpgp.verify(b"line one\r\nline two\r\n", binary, [bob.public], now=LATER)


def test_signature_from_the_future_is_refused(alice):
    signature = openpgp.sign(b"x", alice, now=LATER + timedelta(days=1))
    with pytest.raises(VerificationError, match="made in the future"):
        openpgp.verify(b"x", signature, [alice.public], now=LATER)


def test_signature_after_key_expiry_is_refused():
    key = openpgp.generate_key("Short <s@example.org>", now=T0, expires=timedelta(days=1))
    with pytest.raises(openpgp.CannotSignError, match="expired"):
        openpgp.sign(b"x", key, now=T0 + timedelta(days=2))
    early = openpgp.sign(b"x", key, now=T0 + timedelta(hours=1))
    # Made while the key was valid: still good later (as GnuPG reports it).
    assert openpgp.verify(b"x", early, [key.public], now=T0 + timedelta(days=5))[0].valid


def test_signature_by_a_revoked_key_is_refused(alice):
    signature = openpgp.sign(b"x", alice, now=LATER)
    revoked = openpgp.revoke(alice, now=T0)
    with pytest.raises(VerificationError, match="has been revoked"):
        openpgp.verify(b"x", signature, [revoked], now=LATER)


def _hand_signature(key, hashed=(), hash_algorithm=10):
    signature = make_signature(
        key.primary, 0x00, b"data", created=LATER, hashed=hashed, hash_algorithm=hash_algorithm
    )
    return encode_packet(2, signature.to_body())


def test_sha1_signature_is_not_accepted(alice):
    with pytest.raises(VerificationError, match="SHA-1, which is too weak"):
        openpgp.verify(b"data", _hand_signature(alice, hash_algorithm=2), [alice.public], now=LATER)


def test_unknown_critical_subpacket_invalidates_the_signature(alice):
    # RFC 4880 §5.2.3.1: an unknown critical subpacket makes the signature invalid.
    signature = _hand_signature(alice, hashed=[Subpacket(100, b"?", critical=True)])
    with pytest.raises(VerificationError, match="critical subpackets"):
        openpgp.verify(b"data", signature, [alice.public], now=LATER)
    harmless = _hand_signature(alice, hashed=[Subpacket(100, b"?", critical=False)])
    assert openpgp.verify(b"data", harmless, [alice.public], now=LATER)[0].valid


def test_critical_notation_invalidates_the_signature(alice):
    # RFC 4880 §5.2.3.16: a critical notation the reader does not understand makes it invalid.
    notation = (
        b"\x80\x00\x00\x00" + (4).to_bytes(2, "big") + (1).to_bytes(2, "big") + b"test" + b"x"
    )
    critical = _hand_signature(alice, hashed=[Subpacket(20, notation, critical=True)])
    with pytest.raises(VerificationError, match="critical subpackets"):
        openpgp.verify(b"data", critical, [alice.public], now=LATER)
    informative = _hand_signature(alice, hashed=[Subpacket(20, notation)])
    assert openpgp.verify(b"data", informative, [alice.public], now=LATER)[0].valid


def test_verify_refuses_a_message_as_signature(alice):
    with pytest.raises(InputError, match="not a detached signature"):
        openpgp.verify(b"x", openpgp.inline_sign(b"x", alice, now=LATER), [alice.public], now=LATER)


def test_several_signatures_good_first(alice, bob):
    one = openpgp.dearmor(openpgp.sign(b"doc", alice, now=LATER))[1]
    two = openpgp.dearmor(openpgp.sign(b"doc", bob, now=LATER))[1]
    checks = openpgp.verify(b"doc", one + two, [bob.public], now=LATER)
    assert [c.valid for c in checks] == [True, False]


# -- inline signatures -----------------------------------------------------------------------------


def test_inline_sign_structure_and_verify(alice, bob):
    message = openpgp.inline_sign(b"hello", [alice, bob], armor=False, now=LATER)
    packets = read_packets(message)
    assert [p.tag for p in packets] == [4, 4, 11, 2, 2]
    # The last one-pass packet has the "nested" flag 1; signatures come in reverse order (§5.4).
    assert packets[0].body[-1] == 0 and packets[1].body[-1] == 1
    assert packets[0].body[4:12].hex().upper() == alice.key_id
    assert parse_signature(packets[3].body).issuer_key_id == bob.key_id
    assert parse_signature(packets[4].body).issuer_key_id == alice.key_id
    data, checks = openpgp.inline_verify(message, [alice.public, bob.public], now=LATER)
    assert data == b"hello" and all(c.valid for c in checks) and len(checks) == 2


def test_signature_before_literal_data_is_read(alice):
    # The older form of a signed message: Signature, then Literal Data (RFC 4880 §11.3).
    signature = openpgp.dearmor(openpgp.sign(b"old style", alice, now=LATER))[1]
    data, checks = openpgp.inline_verify(
        signature + literal(b"old style"), [alice.public], now=LATER
    )
    assert data == b"old style" and checks[0].valid


def test_inline_verify_with_changed_literal_data(alice):
    message = bytearray(openpgp.inline_sign(b"hello", alice, armor=False, now=LATER))
    index = message.index(b"hello")
    message[index] = ord("j")
    with pytest.raises(VerificationError, match="does not match the data"):
        openpgp.inline_verify(bytes(message), [alice.public], now=LATER)


def test_inline_verify_of_unsigned_data(alice):
    with pytest.raises(VerificationError, match="not signed"):
        openpgp.inline_verify(literal(b"plain"), [alice.public], now=LATER)


def test_inline_text_signature(alice):
    message = openpgp.inline_sign(b"a\nb\n", alice, text=True, now=LATER)
    data, (check,) = openpgp.inline_verify(message, [alice.public], now=LATER)
    # Text literal data travels with CRLF line endings (RFC 4880 §5.9), as GnuPG expects.
    assert data == b"a\r\nb\r\n" and check.mode == "text"
    literal = next(p for p in openpgp.list_packets(message) if p.tag == 11)
    assert literal.fields["format"] == "'t'" and literal.fields["data length"] == "6"


# -- cleartext signatures (RFC 4880 §7) ------------------------------------------------------------


def test_clearsign_layout(alice):
    message = openpgp.clearsign(b"Hello  \n-dash\nFrom me\nend\n", alice, now=LATER).decode()
    head, rest = message.split("-----BEGIN PGP SIGNATURE-----")
    # Hash header, blank line, dash-escaped lines without trailing blanks (RFC 4880 §7, §7.1).
    assert head == (
        "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\nHello\n- -dash\n- From me\nend\n"
    )
    (packet,) = read_packets(openpgp.dearmor(("-----BEGIN PGP SIGNATURE-----" + rest).encode())[1])
    assert parse_signature(packet.body).type == 0x01  # a text signature


def test_clearsigned_text_is_verified_and_returned(alice):
    message = openpgp.clearsign(b"line one\n- dashed\n", alice, now=LATER)
    text, (check,) = openpgp.inline_verify(message, [alice.public], now=LATER)
    assert text == b"line one\n- dashed\n" and check.valid and check.mode == "text"
    # Trailing blanks and CRLF are not signed (RFC 4880 §7.1): a mail system may change them.
    relaxed = message.replace(b"line one\n", b"line one   \r\n")
    assert openpgp.inline_verify(relaxed, [alice.public], now=LATER)[1][0].valid


def test_clearsigned_text_changed(alice):
    message = openpgp.clearsign(b"pay 10 euros\n", alice, now=LATER)
    with pytest.raises(VerificationError, match="does not match the data"):
        openpgp.inline_verify(message.replace(b"pay 10", b"pay 99"), [alice.public], now=LATER)


def test_clearsigned_hash_header_must_announce_the_hash(alice):
    message = openpgp.clearsign(b"text\n", alice, now=LATER).replace(
        b"Hash: SHA512", b"Hash: SHA256"
    )
    with pytest.raises(VerificationError, match="'Hash:' header does not announce SHA512"):
        openpgp.inline_verify(message, [alice.public], now=LATER)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda m: m.replace(b"- -dash", b"-dash"), "not dash-escaped"),
        (
            lambda m: m.split(b"-----BEGIN PGP SIGNATURE-----")[0],
            "has no '-----BEGIN PGP SIGNATURE-----'",
        ),
        (lambda m: m.replace(b"Hash: SHA512", b"Comment: hi"), "is not a 'Hash:' header"),
    ],
)
def test_malformed_cleartext(alice, change, message):
    signed = openpgp.clearsign(b"-dash\n", alice, now=LATER)
    with pytest.raises(InputError, match=message):
        openpgp.inline_verify(change(signed), [alice.public], now=LATER)


def test_clearsign_needs_utf8(alice):
    with pytest.raises(InputError, match="UTF-8"):
        openpgp.clearsign(b"\xff\xfe", alice, now=LATER)


def test_clearsigned_text_that_looks_like_armor(alice):
    # Dash-escaping keeps a line that looks like the signature's armor from ending the text (§7.1).
    text = b"before\n-----BEGIN PGP SIGNATURE-----\nafter\n"
    signed = openpgp.clearsign(text, alice, now=LATER)
    assert b"\n- -----BEGIN PGP SIGNATURE-----\n" in signed
    shown, (check,) = openpgp.inline_verify(signed, [alice.public], now=LATER)
    assert shown == text and check.valid
