"""Messages: encryption and decryption (PKESK v3 + SEIPD v1 with MDC), signatures, one-pass signed
messages, compressed data and partial lengths, and every failure case (RFC 4880 §5.1-5.14, §11.3).

Messages that mailsec should read but does not write (compressed, partial lengths, signature before
the literal data, no MDC) are built here by hand with cryptography's primitives, so the reader is
checked against the RFC's structures and not only against mailsec's own writer.
"""

from __future__ import annotations

import bz2
import hashlib
import zlib
from datetime import datetime, timedelta, timezone

import pytest
from cryptography.hazmat.decrepit.ciphers.modes import CFB
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailsec import openpgp
from mailsec.errors import DecryptionError, InputError, VerificationError
from mailsec.openpgp.packets import encode_mpi, encode_packet, read_packets
from mailsec.openpgp.signatures import Subpacket, make_signature, parse_signature

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
LATER = T0 + timedelta(hours=1)


@pytest.fixture(scope="module")
def alice():
    return openpgp.generate_key("Alice <alice@example.org>", now=T0)


@pytest.fixture(scope="module")
def bob():
    return openpgp.generate_key("Bob <bob@example.org>", algorithm="rsa3072", now=T0)


@pytest.fixture(scope="module")
def carol():
    return openpgp.generate_key("Carol <carol@example.org>", now=T0)


def counter_random(seed: int = 1):
    """A deterministic stand-in for os.urandom, so two runs produce the same SEIPD packet."""
    state = [seed]

    def random(size: int) -> bytes:
        out = hashlib.sha256(state[0].to_bytes(8, "big")).digest()
        state[0] += 1
        while len(out) < size:
            out += hashlib.sha256(out).digest()
        return out[:size]

    return random


# -- helpers that write what other tools write --------------------------------------------------------


def literal(data: bytes, fmt: bytes = b"b") -> bytes:
    return encode_packet(11, fmt + b"\x04name" + (0).to_bytes(4, "big") + data)


def partial_packet(tag: int, body: bytes) -> bytes:
    """A new-format packet in partial-length chunks of 512 octets (RFC 4880 §4.2.2.4)."""
    out = bytearray([0xC0 | tag])
    while len(body) > 512:
        out += b"\xe9" + body[:512]  # 0xE9: a chunk of 2**9 octets
        body = body[512:]
    out += bytes(openpgp.packets.encode_length(len(body))) + body
    return bytes(out)


def seal(inner: bytes, session_key: bytes, *, mdc: bool = True, version: int = 1) -> bytes:
    """An SEIPD v1 body (or, with mdc=False, the bare SED encryption) for ``inner``."""
    prefix = bytes(range(16))
    prefix += prefix[-2:]
    plain = prefix + inner
    if mdc:
        plain += b"\xd3\x14"
        plain += hashlib.sha1(plain).digest()
    encryptor = Cipher(algorithms.AES(session_key), CFB(bytes(16))).encryptor()
    return bytes([version]) + encryptor.update(plain) + encryptor.finalize()


def rsa_pkesk(cert: openpgp.Certificate, session_key: bytes, cipher: int = 9) -> bytes:
    key = cert.encryption_keys(LATER)[0]
    payload = bytes([cipher]) + session_key + (sum(session_key) & 0xFFFF).to_bytes(2, "big")
    encrypted = key.public.encrypt(payload, padding.PKCS1v15())
    body = b"\x03" + bytes.fromhex(key.key_id) + b"\x01" + encode_mpi(encrypted)
    return encode_packet(1, body)


SESSION = bytes(range(32))


# -- round trips --------------------------------------------------------------------------------------


@pytest.mark.parametrize("armor", [True, False])
def test_encrypt_decrypt_round_trip(alice, bob, armor):
    message = openpgp.encrypt(b"Meet at noon.", [alice.public, bob.public], armor=armor, now=LATER)
    assert message.startswith(b"-----BEGIN PGP MESSAGE-----") == armor
    for key in (alice, bob):
        result = openpgp.decrypt(message, [key], now=LATER)
        assert result.plaintext == b"Meet at noon."
        assert result.session_key_algorithm == "AES-256"
        assert result.verifications == ()


def test_encrypted_message_structure(alice, bob):
    # One PKESK v3 per recipient, then one SEIPD v1 (RFC 4880 §5.1, §5.13); never SEIPD v2/PKESK v6.
    message = openpgp.encrypt(b"x", [alice.public, bob.public], armor=False, now=LATER)
    packets = read_packets(message)
    assert [p.tag for p in packets] == [1, 1, 18]
    first, second, seipd = packets
    assert first.body[0] == 3 and second.body[0] == 3
    assert first.body[1:9].hex().upper() == alice.subkeys[0].key.key_id
    assert first.body[9] == 18  # ECDH
    assert second.body[1:9].hex().upper() == bob.subkeys[0].key.key_id
    assert second.body[9] == 1  # RSA
    assert seipd.body[0] == 1


def test_rsa_pkesk_and_seipd_decoded_independently(bob):
    # Decrypt by hand with cryptography: RSA PKCS#1 v1.5 -> (9, key, checksum), then CFB with a zero
    # IV, the repeated prefix octets, and the MDC packet 0xD3 0x14 + SHA-1 (RFC 4880 §5.1, §5.13-14).
    message = openpgp.encrypt(b"hand check", [bob.public], armor=False, now=LATER)
    pkesk, seipd = read_packets(message)
    subkey = bob.subkeys[0].key.secret
    mpi_bits = int.from_bytes(pkesk.body[10:12], "big")
    ciphertext = pkesk.body[12 : 12 + (mpi_bits + 7) // 8].rjust(384, b"\0")
    payload = subkey.decrypt(ciphertext, padding.PKCS1v15())
    assert payload[0] == 9 and len(payload) == 35
    key = payload[1:33]
    assert int.from_bytes(payload[33:], "big") == sum(key) & 0xFFFF
    decryptor = Cipher(algorithms.AES(key), CFB(bytes(16))).decryptor()
    plain = decryptor.update(seipd.body[1:]) + decryptor.finalize()
    assert plain[14:16] == plain[16:18]
    assert plain[-22:-20] == b"\xd3\x14"
    assert plain[-20:] == hashlib.sha1(plain[:-20]).digest()
    (lit,) = read_packets(plain[18:-22])
    assert lit.tag == 11 and lit.body.endswith(b"hand check")


def test_randomness_is_a_parameter(bob):
    one = openpgp.encrypt(b"same", [bob.public], armor=False, now=LATER, random=counter_random())
    two = openpgp.encrypt(b"same", [bob.public], armor=False, now=LATER, random=counter_random())
    # RSA padding is random inside cryptography, but the SEIPD packet depends only on our randomness.
    assert read_packets(one)[1].body == read_packets(two)[1].body


def test_sign_and_encrypt(alice, bob, carol):
    message = openpgp.encrypt(b"signed secret", [bob.public], sign_with=[alice], now=LATER)
    result = openpgp.decrypt(message, [bob], verify_with=[alice.public, carol.public], now=LATER)
    assert result.plaintext == b"signed secret"
    (check,) = result.verifications
    assert check.valid and check.signer_fingerprint == alice.fingerprint
    assert check.key_id == alice.key_id and check.created == LATER
    # The inside is One-Pass Signature, Literal Data, Signature (RFC 4880 §11.3).
    inner = [p for p in openpgp.list_packets(message, keys=[bob]) if p.depth == 1]
    assert [p.tag for p in inner] == [4, 11, 2, 19]


def test_sign_and_encrypt_checked_against_the_wrong_certificate(alice, bob, carol):
    message = openpgp.encrypt(b"signed", [bob.public], sign_with=[alice], now=LATER)
    result = openpgp.decrypt(message, [bob], verify_with=[carol.public], now=LATER)
    assert result.plaintext == b"signed"
    (check,) = result.verifications
    assert not check.valid and "no certificate was given" in check.reason


# -- reading what other tools write ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("algorithm", "compress"),
    [
        (1, lambda d: zlib.compress(d, wbits=-15)),  # ZIP: raw deflate (RFC 1951)
        (2, zlib.compress),  # ZLIB
        (3, bz2.compress),  # BZip2
        (0, lambda d: d),  # uncompressed
    ],
)
def test_compressed_messages_are_read(bob, algorithm, compress):
    # RFC 4880 §5.6: compressed data packet = algorithm octet + compressed packets.
    data = b"compress me " * 500
    inner = encode_packet(8, bytes([algorithm]) + compress(literal(data)))
    message = rsa_pkesk(bob.public, SESSION) + encode_packet(18, seal(inner, SESSION))
    result = openpgp.decrypt(message, [bob], now=LATER)
    assert result.plaintext == data
    assert result.literal.filename == "name"


def test_partial_body_lengths_are_read(bob):
    # gpg streams large messages with partial lengths (RFC 4880 §4.2.2.4), inside and outside.
    data = bytes(range(256)) * 40
    inner = partial_packet(11, b"b\x00" + bytes(4) + data)
    message = rsa_pkesk(bob.public, SESSION) + partial_packet(18, seal(inner, SESSION))
    listing = openpgp.list_packets(message, keys=[bob])
    assert [p.partial for p in listing if p.tag in (18, 11)] == [True, True]
    assert openpgp.decrypt(message, [bob], now=LATER).plaintext == data


def test_aes128_session_key_is_read(bob):
    key = bytes(16)
    message = rsa_pkesk(bob.public, key, cipher=7) + encode_packet(18, seal(literal(b"x"), key))
    result = openpgp.decrypt(message, [bob], now=LATER)
    assert result.plaintext == b"x" and result.session_key_algorithm == "AES-128"


def test_signature_before_literal_data_is_read(alice):
    # The older form of a signed message: Signature, then Literal Data (RFC 4880 §11.3).
    signature = openpgp.dearmor(openpgp.sign(b"old style", alice, now=LATER))[1]
    data, checks = openpgp.inline_verify(
        signature + literal(b"old style"), [alice.public], now=LATER
    )
    assert data == b"old style" and checks[0].valid


# -- decryption failures ------------------------------------------------------------------------------


def test_wrong_key(alice, bob, carol):
    message = openpgp.encrypt(b"for bob", [bob.public], now=LATER)
    with pytest.raises(DecryptionError) as caught:
        openpgp.decrypt(message, [alice, carol], now=LATER)
    assert str(caught.value) == DecryptionError.__doc__


def test_sed_packet_without_integrity_protection_is_refused(bob):
    # RFC 4880 §5.7: the SED packet has no MDC; refuse it outright.
    body = seal(literal(b"unprotected"), SESSION, mdc=False)[1:]
    message = rsa_pkesk(bob.public, SESSION) + encode_packet(9, body)
    with pytest.raises(DecryptionError, match="no integrity protection"):
        openpgp.decrypt(message, [bob], now=LATER)


def test_seipd_without_mdc_packet_is_refused(bob):
    message = rsa_pkesk(bob.public, SESSION) + encode_packet(
        18, seal(literal(b"no mdc here, just padding to be long enough"), SESSION, mdc=False)
    )
    with pytest.raises(DecryptionError):
        openpgp.decrypt(message, [bob], now=LATER)


def test_seipd_version_2_is_refused(bob):
    message = rsa_pkesk(bob.public, SESSION) + encode_packet(18, b"\x02" + bytes(60))
    with pytest.raises(InputError, match="version 2"):
        openpgp.decrypt(message, [bob], now=LATER)


def test_aead_packet_is_refused(bob):
    message = rsa_pkesk(bob.public, SESSION) + encode_packet(20, b"\x01" + bytes(60))
    with pytest.raises(InputError, match="SEIPD version 1"):
        openpgp.decrypt(message, [bob], now=LATER)


def test_unknown_pkesk_version_is_skipped(bob):
    message = encode_packet(1, b"\x06" + bytes(40)) + encode_packet(
        18, seal(literal(b"x"), SESSION)
    )
    with pytest.raises(DecryptionError):
        openpgp.decrypt(message, [bob], now=LATER)


def test_unencrypted_input_is_refused(alice):
    with pytest.raises(InputError, match="One-Pass Signature Packet, which does not belong"):
        openpgp.decrypt(openpgp.inline_sign(b"x", alice, now=LATER), [alice], now=LATER)


@pytest.mark.parametrize("where", ["prefix", "quick-check", "middle", "mdc header", "mdc", "last"])
def test_tampered_ciphertext_never_releases_plaintext(bob, where):
    message = openpgp.encrypt(b"A" * 200, [bob.public], armor=False, now=LATER)
    pkesk, seipd = read_packets(message)
    body = bytearray(seipd.body)
    position = {
        "prefix": 3,
        "quick-check": 17,
        "middle": 120,
        "mdc header": len(body) - 22,
        "mdc": len(body) - 5,
        "last": len(body) - 1,
    }[where]
    body[position] ^= 0x01
    tampered = encode_packet(1, pkesk.body) + encode_packet(18, bytes(body))
    with pytest.raises(DecryptionError):
        openpgp.decrypt(tampered, [bob], now=LATER)


def test_mdc_is_checked_before_anything_is_released(bob):
    # A valid inner structure whose MDC is wrong: the literal data must not come out.
    inner = literal(b"attacker's text")
    prefix = bytes(range(16)) + bytes([14, 15])
    plain = prefix + inner + b"\xd3\x14" + bytes(20)  # wrong hash
    encryptor = Cipher(algorithms.AES(SESSION), CFB(bytes(16))).encryptor()
    body = b"\x01" + encryptor.update(plain) + encryptor.finalize()
    message = rsa_pkesk(bob.public, SESSION) + encode_packet(18, body)
    with pytest.raises(DecryptionError):
        openpgp.decrypt(message, [bob], now=LATER)
    listing = openpgp.list_packets(message, keys=[bob])
    assert [p.depth for p in listing] == [0, 0]
    assert "MDC does not match" in listing[1].fields["decrypted"]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.data())
def test_any_flipped_byte_is_an_error_not_different_plaintext(bob, data):
    message = _FLIP_CACHE.setdefault(
        "m", openpgp.encrypt(b"The plaintext.", [bob.public], armor=False, now=LATER)
    )
    position = data.draw(st.integers(0, len(message) - 1))
    bit = data.draw(st.integers(0, 7))
    changed = bytearray(message)
    changed[position] ^= 1 << bit
    try:
        result = openpgp.decrypt(bytes(changed), [bob], now=LATER)
    except (DecryptionError, InputError):
        return
    # Only a flip in the unauthenticated PKESK key ID padding could survive; the plaintext holds.
    assert result.plaintext == b"The plaintext."


_FLIP_CACHE: dict[str, bytes] = {}


@pytest.mark.parametrize("cut", [1, 10, 100])
def test_truncated_message(bob, cut):
    message = openpgp.encrypt(b"x" * 300, [bob.public], armor=False, now=LATER)
    with pytest.raises(InputError, match="ends in the middle"):
        openpgp.decrypt(message[:-cut], [bob], now=LATER)


def test_truncated_armor(bob):
    message = openpgp.encrypt(b"x" * 300, [bob.public], now=LATER)
    with pytest.raises(InputError, match="no matching '-----END PGP"):
        openpgp.decrypt(message[: len(message) // 2], [bob], now=LATER)


def test_decrypt_needs_secret_keys(bob):
    message = openpgp.encrypt(b"x", [bob.public], now=LATER)
    with pytest.raises(InputError, match="needs secret keys"):
        openpgp.decrypt(message, [bob.public], now=LATER)


# -- signatures ----------------------------------------------------------------------------------------


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


def test_verify_refuses_a_message_as_signature(alice):
    with pytest.raises(InputError, match="not a detached signature"):
        openpgp.verify(b"x", openpgp.inline_sign(b"x", alice, now=LATER), [alice.public], now=LATER)


def test_several_signatures_good_first(alice, bob):
    one = openpgp.dearmor(openpgp.sign(b"doc", alice, now=LATER))[1]
    two = openpgp.dearmor(openpgp.sign(b"doc", bob, now=LATER))[1]
    checks = openpgp.verify(b"doc", one + two, [bob.public], now=LATER)
    assert [c.valid for c in checks] == [True, False]


# -- inline signatures ---------------------------------------------------------------------------------


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


# -- the packet lister ---------------------------------------------------------------------------------


def test_list_packets_of_a_key(alice):
    listing = openpgp.list_packets(alice.to_bytes())
    assert [(p.tag, p.depth) for p in listing] == [(5, 0), (13, 0), (2, 0), (7, 0), (2, 0)]
    assert listing[0].name == "Secret-Key Packet"
    assert listing[0].fields["key id"] == alice.key_id
    assert listing[0].fields["algorithm"] == "EdDSA (Ed25519)"
    assert listing[0].fields["protection"] == "none (unprotected)"
    assert listing[1].fields["user id"] == "Alice <alice@example.org>"
    assert listing[2].fields["type"] == "Positive Certification (0x13)"


def test_list_packets_of_an_encrypted_message(alice, bob):
    message = openpgp.encrypt(b"hi", [alice.public], sign_with=[bob], now=LATER)
    closed = openpgp.list_packets(message)
    assert [(p.tag, p.depth) for p in closed] == [(1, 0), (18, 0)]
    assert closed[0].name == "Public-Key Encrypted Session Key Packet"
    assert closed[0].fields == {
        "version": "3",
        "key id": alice.subkeys[0].key.key_id,
        "algorithm": "ECDH (18)",
    }
    opened = openpgp.list_packets(message, keys=[alice])
    assert [(p.tag, p.depth) for p in opened] == [(1, 0), (18, 0), (4, 1), (11, 1), (2, 1), (19, 1)]
    assert opened[3].fields["data length"] == "2"
    assert opened[4].fields["key id"] == bob.key_id
    text = openpgp.packets_to_text(opened).splitlines()
    assert text[0] == f"# off=0 tag=1 hlen=2 plen={opened[0].length}"
    assert text[1] == ":public-key encrypted session key packet:"
    assert text[2] == "\tversion: 3"
    assert "  :literal data packet:" in text


def test_list_packets_of_compressed_data():
    inner = encode_packet(8, b"\x02" + zlib.compress(literal(b"zz")))
    listing = openpgp.list_packets(inner)
    assert [(p.tag, p.depth) for p in listing] == [(8, 0), (11, 1)]
    assert listing[0].fields["algorithm"] == "ZLIB (2)"


def test_list_packets_shows_damaged_packets_without_crashing():
    listing = openpgp.list_packets(encode_packet(2, b"\x05abc") + encode_packet(8, b"\x02garbage"))
    assert "version 5 signature" in listing[0].fields["error"]
    assert "damaged" in listing[1].fields["error"]


# -- explanation traces ---------------------------------------------------------------------------------


def test_decryption_trace_cites_the_rfc(alice, bob):
    message = openpgp.encrypt(b"traced", [bob.public], sign_with=[alice], now=LATER)
    result = openpgp.decrypt(message, [bob], verify_with=[alice.public], now=LATER)
    sections = [step.section for step in result.steps]
    assert "RFC 4880 §5.13, §5.14" in sections  # the MDC check
    assert result.steps[-1].outcome.value == "ok"
    assert "good signature by Alice" in result.steps[-1].text


def test_verification_trace_ends_with_the_reason(alice):
    signature = openpgp.sign(b"pay 10", alice, now=LATER)
    (good,) = openpgp.verify(b"pay 10", signature, [alice.public], now=LATER)
    assert [s.outcome.value for s in good.steps][-1] == "ok"
    assert good.steps[-1].section == "RFC 4880 §5.2.4"
    message = openpgp.encrypt(b"pay 10", [alice.public], sign_with=[alice], now=LATER)
    tampered_check = openpgp.decrypt(message, [alice], verify_with=[alice.public], now=LATER)
    assert tampered_check.verifications[0].steps[0].section == "RFC 4880 §5.2.3"


# -- cleartext signatures (RFC 4880 §7) ------------------------------------------------------------------


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


# -- passwords (RFC 4880 §3.7, §5.3) ---------------------------------------------------------------------


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


def test_damaged_rsa_session_key_is_an_opaque_failure(bob):
    # RSA PKCS#1 v1.5 decryption of a damaged ciphertext gives random octets of any length
    # ("implicit rejection"); every such case must end in the one DecryptionError.
    message = bytearray(openpgp.encrypt(b"x", [bob.public], armor=False, now=LATER))
    pkesk = read_packets(bytes(message))[0]
    start = pkesk.header_length + 12  # version, key ID, algorithm, MPI length
    for position in range(start, start + 384, 7):
        for bit in (0, 4):
            changed = bytearray(message)
            changed[position] ^= 1 << bit
            with pytest.raises(DecryptionError):
                openpgp.decrypt(bytes(changed), [bob], now=LATER)
            assert [p.depth for p in openpgp.list_packets(bytes(changed), keys=[bob])] == [0, 0]


def test_clearsigned_text_that_looks_like_armor(alice):
    # Dash-escaping keeps a line that looks like the signature's armor from ending the text (§7.1).
    text = b"before\n-----BEGIN PGP SIGNATURE-----\nafter\n"
    signed = openpgp.clearsign(text, alice, now=LATER)
    assert b"\n- -----BEGIN PGP SIGNATURE-----\n" in signed
    shown, (check,) = openpgp.inline_verify(signed, [alice.public], now=LATER)
    assert shown == text and check.valid
