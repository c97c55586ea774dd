"""mailsec.hybrid: the content key, AES-GCM sealing, key wrapping, decryption and tampering."""

from __future__ import annotations

import hashlib
from itertools import count

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import x25519
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.keywrap import aes_key_unwrap, aes_key_wrap
from hypothesis import given, settings
from hypothesis import strategies as st

from mailsec.errors import DecryptionError, InputError
from mailsec.hybrid import (
    KeyKind,
    KeyPair,
    Part,
    WrapMethod,
    decrypt,
    encrypt,
    generate_keypair,
    new_content_key,
    seal,
    tamper,
    unseal,
    unwrap,
    wrap,
)
from mailsec.hybrid.envelope import HKDF_INFO, NONCE_BYTES, TAG_BYTES
from mailsec.trace import Outcome

OPAQUE = "The message could not be decrypted: wrong key, or it was changed after it was sent."

# RFC 7748 §6.1: the X25519 Diffie-Hellman test vector.
RFC7748_A = bytes.fromhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
RFC7748_A_PUB = bytes.fromhex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
RFC7748_B = bytes.fromhex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb")
RFC7748_K = bytes.fromhex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742")


def seeded(seed: bytes = b"mailsec"):
    """A repeatable random source: SHA-256 in counter mode (for tests only)."""
    counter = count()

    def random(n: int) -> bytes:
        out = b""
        while len(out) < n:
            out += hashlib.sha256(seed + next(counter).to_bytes(8, "big")).digest()
        return out[:n]

    return random


@pytest.fixture(scope="module")
def bob() -> KeyPair:
    return generate_keypair("Bob", KeyKind.RSA)


@pytest.fixture(scope="module")
def carol() -> KeyPair:
    return generate_keypair("Carol", KeyKind.X25519)


@pytest.fixture(scope="module")
def dave() -> KeyPair:
    return generate_keypair("Dave", KeyKind.X25519)


# -- round trips --------------------------------------------------------------------------------


def test_every_recipient_reads_the_same_message(bob, carol):
    """RFC 5652 §6.1: one content key, one entry per recipient, each opens the same content."""
    result = encrypt(b"Meet at noon.", [bob.public, carol.public])
    assert result.message.recipients == ("Bob", "Carol")
    assert decrypt(result.message, bob).plaintext == b"Meet at noon."
    assert decrypt(result.message, carol).plaintext == b"Meet at noon."


def test_sizes_follow_the_algorithms(bob, carol):
    """RFC 5116 §5.2 (32-byte key, 12-byte nonce, 16-byte tag), RFC 8017 §7.1 (k-byte RSA output),
    RFC 3394 §2.2.1 (n+1 64-bit blocks)."""
    text = b"x" * 1000
    result = encrypt(text, [bob.public, carol.public])
    message = result.message
    assert len(result.content_key.key) == 32
    assert len(message.nonce) == NONCE_BYTES == 12
    assert len(message.tag) == TAG_BYTES == 16
    assert len(message.ciphertext) == len(text)  # GCM is a stream mode: no padding
    rsa_entry, x_entry = message.wrapped_keys
    assert rsa_entry.method is WrapMethod.RSA_OAEP and len(rsa_entry.wrapped) == 256
    assert x_entry.method is WrapMethod.X25519_HKDF_AESKW and len(x_entry.wrapped) == 40
    assert len(x_entry.ephemeral_public) == 32
    assert message.size == 12 + 1000 + 16 + (256 + 8) + (40 + 32 + 8)


def test_the_content_key_is_never_sent_in_clear(bob, carol):
    """Misconception check: the symmetric key travels only wrapped (RFC 5652 §6.1)."""
    result = encrypt(b"secret", [bob.public, carol.public])
    key = result.content_key.key
    message = result.message
    wire = message.nonce + message.ciphertext + message.tag
    wire += b"".join(e.wrapped + e.ephemeral_public for e in message.wrapped_keys)
    assert key not in wire
    assert all(e.wrapped != key for e in message.wrapped_keys)


def test_which_key_protects_what(bob, carol):
    result = encrypt(b"hello", [bob.public, carol.public])
    rows = result.protections
    assert rows[0].method == "AES-256-GCM"
    assert rows[0].protected_by == "the content key (256-bit, one-time)"
    assert rows[1].protected_by == "Bob's RSA-2048 public key"
    assert rows[2].protected_by == "Carol's X25519 public key"
    assert [r.size for r in rows] == [5 + 16, 256, 72]


def test_repeatable_with_a_seeded_random_source(carol):
    """Randomness is a parameter: the same random source gives the same X25519 message."""
    one = encrypt(b"same", [carol.public], random=seeded())
    two = encrypt(b"same", [carol.public], random=seeded())
    assert one.message == two.message
    other = encrypt(b"same", [carol.public], random=seeded(b"other"))
    assert other.message.ciphertext != one.message.ciphertext


def test_a_fresh_content_key_and_nonce_every_time(bob):
    one, two = (encrypt(b"same text", [bob.public]) for _ in range(2))
    assert one.content_key.key != two.content_key.key
    assert one.message.nonce != two.message.nonce
    assert one.message.ciphertext != two.message.ciphertext


def test_x25519_wrap_follows_rfc7748_hkdf_and_key_wrap():
    """RFC 7748 §6.1 vector as the one-time key; then HKDF (RFC 5869 §2) and AES-KW (RFC 3394 §2.2.1)."""
    recipient = KeyPair.from_private_key(
        "Bob", x25519.X25519PrivateKey.from_private_bytes(RFC7748_B)
    )
    content_key = new_content_key(random=lambda n: bytes(range(n)))
    entry = wrap(content_key, recipient.public, random=lambda n: RFC7748_A)
    assert entry.ephemeral_public == RFC7748_A_PUB
    kek = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=None,
        info=HKDF_INFO + RFC7748_A_PUB + recipient.public.encoded,
    ).derive(RFC7748_K)
    assert entry.wrapped == aes_key_wrap(kek, content_key.key)
    assert aes_key_unwrap(kek, entry.wrapped) == bytes(range(32))
    assert unwrap(entry, recipient) == bytes(range(32))


def test_rfc3394_vector_for_the_key_wrap_primitive():
    """RFC 3394 §4.6: wrap 256 bits of key data with a 256-bit KEK."""
    kek = bytes.fromhex("000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F")
    data = bytes.fromhex("00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F")
    expected = bytes.fromhex(
        "28C9F404C4B810F4CBCCB35CFB87F8263F5786E2D80ED326CBC7F0E71A99F43BFB988B9B7A02DD21"
    )
    assert aes_key_wrap(kek, data) == expected


def test_the_steps_cite_their_rfcs(bob, carol):
    result = encrypt(b"hi", [bob.public, carol.public])
    sections = {s.section for s in result.steps}
    assert {"RFC 5652 §6.3", "RFC 5116 §5.2", "RFC 8017 §7.1", "RFC 7748 §6.1"} <= sections
    assert {"RFC 5869 §2", "RFC 3394 §2.2"} <= sections
    opened = decrypt(result.message, carol)
    assert opened.steps[-1].outcome is Outcome.OK


# -- decryption failures ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("part", "recipient"),
    [
        (Part.CIPHERTEXT, None),
        (Part.TAG, None),
        (Part.NONCE, None),
        (Part.WRAPPED_KEY, "Bob"),
        (Part.WRAPPED_KEY, "Carol"),
        (Part.EPHEMERAL_KEY, "Carol"),
    ],
)
def test_any_changed_bit_gives_one_opaque_error(bob, carol, part, recipient):
    """RFC 5116 §2.2: decryption returns FAIL and no plaintext when anything was changed."""
    message = encrypt(b"Transfer 100 EUR to Bob.", [bob.public, carol.public]).message
    changed = tamper(message, part, index=3, recipient=recipient)
    reader = carol if recipient == "Carol" else bob
    with pytest.raises(DecryptionError) as failure:
        decrypt(changed, reader)
    assert failure.value.message == OPAQUE


def test_a_changed_entry_for_carol_does_not_stop_bob(bob, carol):
    """RFC 5652 §6.1: each recipient's entry stands alone."""
    message = encrypt(b"hello", [bob.public, carol.public]).message
    changed = tamper(message, Part.WRAPPED_KEY, index=0, recipient="Carol")
    assert decrypt(changed, bob).plaintext == b"hello"
    with pytest.raises(DecryptionError):
        decrypt(changed, carol)


def test_someone_who_is_not_a_recipient_cannot_read(bob, carol, dave):
    message = encrypt(b"hello", [bob.public, carol.public]).message
    with pytest.raises(DecryptionError) as failure:
        decrypt(message, dave)
    assert failure.value.message == (
        f"The message has no wrapped key for Dave's X25519 public key (key id {dave.public.key_id}): "
        "it was not encrypted for this reader, so the content key cannot be recovered."
    )


def test_the_wrong_private_key_under_a_matching_key_id_fails(bob):
    other = generate_keypair("Bob", KeyKind.RSA)
    impostor = KeyPair("Bob", KeyKind.RSA, other.private_key, bob.public)
    message = encrypt(b"hello", [bob.public]).message
    with pytest.raises(DecryptionError) as failure:
        decrypt(message, impostor)
    assert failure.value.message == OPAQUE


def test_unseal_with_the_wrong_content_key_fails():
    key = new_content_key()
    sealed = seal(b"data", key)
    assert unseal(sealed, key.key) == b"data"
    with pytest.raises(DecryptionError):
        unseal(sealed, bytes(32))


@settings(max_examples=60, deadline=None)
@given(text=st.binary(max_size=300), flip=st.integers(min_value=0, max_value=10_000))
def test_property_round_trip_and_any_bit_flip_fails(text, flip):
    """Round trip for any bytes; a flipped bit anywhere in ciphertext+tag is caught (RFC 5116 §2.2)."""
    reader = KeyPair.from_private_key(
        "Carol", x25519.X25519PrivateKey.from_private_bytes(RFC7748_B)
    )
    message = encrypt(text, [reader.public], random=seeded(text)).message
    assert decrypt(message, reader).plaintext == text
    body = message.ciphertext + message.tag
    index = flip % len(body)
    if index < len(message.ciphertext):
        changed = tamper(message, Part.CIPHERTEXT, index=index)
    else:
        changed = tamper(message, Part.TAG, index=index - len(message.ciphertext))
    with pytest.raises(DecryptionError):
        decrypt(changed, reader)


# -- bad input ----------------------------------------------------------------------------------


def test_no_recipients_is_refused():
    with pytest.raises(InputError) as failure:
        encrypt(b"hello", [])
    assert failure.value.message == (
        "Pick at least one recipient: with none, nobody could read the message."
    )


def test_a_recipient_twice_is_refused(bob):
    with pytest.raises(InputError) as failure:
        encrypt(b"hello", [bob.public, bob.public])
    assert failure.value.message == "Bob is listed twice; list each recipient once."


def test_a_signing_key_cannot_receive_mail():
    alice = generate_keypair("Alice", KeyKind.ED25519)
    with pytest.raises(InputError) as failure:
        encrypt(b"hello", [alice.public])
    assert failure.value.message == (
        "A Ed25519 key cannot receive encrypted mail: it only makes signatures. "
        "Use the recipient's RSA or X25519 key."
    )


def test_text_must_be_encoded_first(bob):
    with pytest.raises(InputError) as failure:
        encrypt("hello", [bob.public])  # type: ignore[arg-type]
    assert "encode text first" in failure.value.message


def test_a_short_random_source_is_refused(carol):
    with pytest.raises(InputError) as failure:
        encrypt(b"hello", [carol.public], random=lambda n: b"\x00" * 3)
    assert failure.value.message == (
        "The random source gave 3 for the content key; it must return exactly 32 bytes, "
        "like os.urandom(n)."
    )


def test_tamper_outside_the_part_is_refused(carol):
    message = encrypt(b"hello", [carol.public]).message
    with pytest.raises(InputError) as failure:
        tamper(message, Part.CIPHERTEXT, index=5)
    assert failure.value.message == "Byte 5 is outside the ciphertext (5 bytes); pick 0 to 4."
    with pytest.raises(InputError) as failure:
        tamper(message, Part.WRAPPED_KEY, recipient="Eve")
    assert failure.value.message == (
        "The message has no wrapped key for 'Eve'; its recipients are Carol."
    )


def test_tamper_an_entry_without_saying_whose_is_refused(bob, carol):
    message = encrypt(b"hello", [bob.public, carol.public]).message
    with pytest.raises(InputError) as failure:
        tamper(message, Part.WRAPPED_KEY)
    assert failure.value.message == (
        "Say whose wrapped key to change: pass recipient=, one of Bob, Carol."
    )


def test_tamper_one_time_key_of_an_rsa_recipient_is_refused(bob):
    message = encrypt(b"hello", [bob.public]).message
    with pytest.raises(InputError) as failure:
        tamper(message, Part.EPHEMERAL_KEY, recipient="Bob")
    assert failure.value.message == (
        "Bob's entry uses RSA-OAEP, which has no one-time public key; "
        "pick an X25519 recipient or another part."
    )


def test_small_rsa_keys_are_refused():
    with pytest.raises(InputError) as failure:
        generate_keypair("Bob", KeyKind.RSA, rsa_bits=1024)
    assert failure.value.message == (
        "An RSA key of 1024 bits is too small or odd-sized; use 2048, 3072 or 4096."
    )
