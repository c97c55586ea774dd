"""OpenPGP encryption and decryption (PKESK v3 + SEIPD v1 with MDC, RFC 4880 §5.1, §5.13-14).

Round trips to ECDH and RSA recipients, the packets checked by hand with cryptography's primitives,
messages that mailsec reads but does not write (compressed, partial body lengths, AES-128), and
every failure: the wrong key, no integrity protection, SEIPD v2 and AEAD packets, tampered,
truncated or flipped ciphertext and damaged RSA session keys all end in an error and never release
plaintext.
"""

from __future__ import annotations

import bz2
import hashlib
import os
import tracemalloc
import zlib

import pytest
from cryptography.hazmat.decrepit.ciphers.modes import CFB
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpgp_builders import LATER, SESSION, literal, seal

from mailsec import openpgp
from mailsec.errors import DecryptionError, InputError
from mailsec.openpgp.packets import encode_mpi, encode_packet, read_packets


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


# -- helpers that write what other tools write -----------------------------------------------------


def partial_packet(tag: int, body: bytes) -> bytes:
    """A new-format packet in partial-length chunks of 512 octets (RFC 4880 §4.2.2.4)."""
    out = bytearray([0xC0 | tag])
    while len(body) > 512:
        out += b"\xe9" + body[:512]  # 0xE9: a chunk of 2**9 octets
        body = body[512:]
    out += bytes(openpgp.packets.encode_length(len(body))) + body
    return bytes(out)


def rsa_pkesk(cert: openpgp.Certificate, session_key: bytes, cipher: int = 9) -> bytes:
    key = cert.encryption_keys(LATER)[0]
    payload = bytes([cipher]) + session_key + (sum(session_key) & 0xFFFF).to_bytes(2, "big")
    encrypted = key.public.encrypt(payload, padding.PKCS1v15())
    body = b"\x03" + bytes.fromhex(key.key_id) + b"\x01" + encode_mpi(encrypted)
    return encode_packet(1, body)


# -- round trips -----------------------------------------------------------------------------------


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


# -- reading what other tools write ----------------------------------------------------------------


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


# -- decryption failures ---------------------------------------------------------------------------


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


def test_decrypting_a_large_message_holds_it_at_most_twice_more(bob):
    """The ciphertext is let go before the plaintext is read, and the literal data is copied once
    out of the decrypted buffer: allocations above the input stay near two message sizes (the
    decrypted packets and the returned text), not four."""
    size = 4 << 20
    sealed = openpgp.encrypt(os.urandom(size), [bob.public], armor=False)
    tracemalloc.start()
    try:
        opened = openpgp.decrypt(sealed, [bob])
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(opened.plaintext) == size
    assert peak < 2.5 * size, f"peak {peak / size:.1f}x the message size"


def _peak_allocation(call):
    """What ``call()`` returns, and the most memory it had allocated at once (tracemalloc)."""
    tracemalloc.start()
    try:
        result = call()
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak


def test_encrypting_a_large_message_writes_the_armor_as_it_goes(bob):
    """The armored text is the only copy of the message made whole: the binary packets and the
    Base64 are produced a block at a time (the text alone is 1.37 times the message)."""
    from mailsec.openpgp.encryption import encrypt_buffer

    size = 4 << 20
    data = os.urandom(size)
    armored, peak = _peak_allocation(lambda: encrypt_buffer(data, [bob.public]))
    assert peak < 2 * size, f"peak {peak / size:.1f}x the message size"
    assert openpgp.decrypt(bytes(armored), [bob]).plaintext == data


def test_decrypt_buffer_decrypts_armor_where_it_lies(bob):
    """The armored text is decoded into one buffer and decrypted there; the plaintext is a
    read-only view into it, and decrypt() gives the same content as bytes."""
    from mailsec.openpgp.encryption import decrypt_buffer

    size = 4 << 20
    data = os.urandom(size)
    armored = openpgp.encrypt(data, [bob.public])
    opened, peak = _peak_allocation(lambda: decrypt_buffer(armored, [bob]))
    assert peak < 1.6 * size, f"peak {peak / size:.1f}x the message size"
    assert isinstance(opened.plaintext, memoryview) and opened.plaintext.readonly
    assert opened.plaintext == data and opened.literal.data == data
    copied = openpgp.decrypt(armored, [bob])
    assert type(copied.plaintext) is bytes and copied.plaintext == data
    assert copied.literal.data is copied.plaintext


def test_a_wrong_key_leaves_the_ciphertext_as_it_was(bob):
    """Decrypting in place with a wrong session key must not spoil the buffer for the next key:
    the ciphertext is put back, byte for byte, and the right key then opens it."""
    from mailsec.openpgp.encryption import open_seipd

    sealed = seal(literal(b"in place"), SESSION)  # an SEIPD v1 body
    body = bytearray(sealed)
    before = bytes(body)
    with pytest.raises(DecryptionError):
        open_seipd(memoryview(body), bytes(32), 9)
    assert body == before
    inner = open_seipd(memoryview(body), SESSION, 9)
    assert bytes(inner) == literal(b"in place")
    assert inner.obj is body  # decrypted where it lay, not copied
