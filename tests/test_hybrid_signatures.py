"""mailsec.hybrid signatures (RSA-PSS, Ed25519) and the labs' scenarios."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from hypothesis import given, settings
from hypothesis import strategies as st

from mailsec.errors import InputError, VerificationError
from mailsec.hybrid import (
    KeyKind,
    KeyPair,
    Part,
    Signature,
    SignatureAlgorithm,
    Transit,
    generate_keypair,
    run_pipeline,
    run_signature,
    sign,
    verify_signature,
)
from mailsec.hybrid.demo import FORGED_TEXT, change_one_character
from mailsec.trace import Outcome

# RFC 8032 §7.1, TEST 1: the empty message.
ED_SECRET = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
ED_PUBLIC = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
ED_SIGNATURE = bytes.fromhex(
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
)


@pytest.fixture(scope="module")
def keys() -> dict[str, KeyPair]:
    return {
        "alice_rsa": generate_keypair("Alice", KeyKind.RSA),
        "alice_ed": generate_keypair("Alice", KeyKind.ED25519),
        "mallory_ed": generate_keypair("Mallory", KeyKind.ED25519),
        "bob": generate_keypair("Bob", KeyKind.RSA),
        "carol": generate_keypair("Carol", KeyKind.X25519),
        "dave": generate_keypair("Dave", KeyKind.X25519),
    }


def test_ed25519_matches_rfc8032_test_1():
    """RFC 8032 §7.1 TEST 1: Ed25519 signatures are deterministic."""
    alice = KeyPair.from_private_key(
        "Alice", ed25519.Ed25519PrivateKey.from_private_bytes(ED_SECRET)
    )
    assert alice.public.encoded == ED_PUBLIC
    signature = sign(b"", alice)
    assert signature.value == ED_SIGNATURE
    assert signature.algorithm is SignatureAlgorithm.ED25519
    assert verify_signature(b"", signature, alice.public).valid


ALICE_ED = KeyPair.from_private_key(
    "Alice", ed25519.Ed25519PrivateKey.from_private_bytes(ED_SECRET)
)


@settings(max_examples=80, deadline=None)
@given(message=st.binary(max_size=200), bit=st.integers(min_value=0))
def test_property_any_changed_bit_of_message_or_signature_fails(message, bit):
    """RFC 8032 §5.1.7: the signature verifies for the message signed, and for no one-bit change."""
    signature = sign(message, ALICE_ED)
    assert verify_signature(message, signature, ALICE_ED.public).valid
    if message:
        changed = bytearray(message)
        changed[(bit // 8) % len(message)] ^= 1 << (bit % 8)
        assert not verify_signature(bytes(changed), signature, ALICE_ED.public).valid
    value = bytearray(signature.value)
    value[(bit // 8) % len(value)] ^= 1 << (bit % 8)
    forged = Signature(
        signature.signer,
        signature.signer_key_id,
        signature.algorithm,
        bytes(value),
        signature.message_digest,
        signature.steps,
    )
    assert not verify_signature(message, forged, ALICE_ED.public).valid


@pytest.mark.parametrize("which", ["alice_rsa", "alice_ed"])
def test_a_signature_verifies_with_the_signers_public_key(keys, which):
    """RFC 8017 §8.1 (RSA-PSS) and RFC 8032 §5.1 (Ed25519): sign, then verify."""
    alice = keys[which]
    signature = sign(b"Pay 10 EUR to Bob.", alice)
    check = verify_signature(b"Pay 10 EUR to Bob.", signature, alice.public)
    assert check.valid
    assert check.steps[-1].outcome is Outcome.OK
    check.require_valid()


def test_rsa_pss_sizes_and_randomised_salt(keys):
    """RFC 8017 §8.1.1: the signature is k bytes; PSS's random salt makes each one different."""
    alice = keys["alice_rsa"]
    one, two = sign(b"same", alice), sign(b"same", alice)
    assert len(one.value) == 256
    assert one.value != two.value
    assert verify_signature(b"same", two, alice.public).valid


@pytest.mark.parametrize("which", ["alice_rsa", "alice_ed"])
def test_a_changed_message_is_detected(keys, which):
    """Tamper detection: one changed character makes the signature fail."""
    alice = keys[which]
    signature = sign(b"Pay 10 EUR to Bob.", alice)
    check = verify_signature(b"Pay 90 EUR to Bob.", signature, alice.public)
    assert not check.valid
    assert check.steps[0].outcome is Outcome.WARN
    assert check.steps[-1].outcome is Outcome.FAIL
    with pytest.raises(VerificationError) as failure:
        check.require_valid()
    assert failure.value.message == (
        f"The signature does not verify with {alice.public.label}: the message was changed "
        "after signing, or someone else signed it."
    )


def test_a_signature_by_someone_else_fails(keys):
    """Sender authentication: Mallory's signature does not verify with Alice's key."""
    signature = sign(b"hello", keys["mallory_ed"])
    assert not verify_signature(b"hello", signature, keys["alice_ed"].public).valid


def test_a_key_of_the_wrong_algorithm_fails_with_a_reason(keys):
    signature = sign(b"hello", keys["alice_ed"])
    check = verify_signature(b"hello", signature, keys["alice_rsa"].public)
    assert not check.valid
    assert check.steps[0].text == (
        "The signature says Ed25519, but Alice's RSA-2048 public key is for RSA-PSS (SHA-256): "
        "it cannot have made this signature."
    )


def test_an_x25519_key_cannot_sign(keys):
    with pytest.raises(InputError) as failure:
        sign(b"hello", keys["carol"])
    assert failure.value.message == (
        "A X25519 key cannot sign: it is for key agreement only. Use an RSA or Ed25519 key."
    )


# -- the labs' scenarios ------------------------------------------------------------------------


def test_pipeline_recipients_read_and_others_do_not(keys):
    recipients = [keys["bob"].public, keys["carol"].public]
    for reader in (keys["bob"], keys["carol"]):
        run = run_pipeline("Lunch at one?", recipients, reader)
        assert run.readable and run.decryption.plaintext == b"Lunch at one?"
        assert run.tampered is None and run.error is None
    outsider = run_pipeline("Lunch at one?", recipients, keys["dave"])
    assert not outsider.readable and outsider.decryption is None
    assert "was not encrypted for this reader" in outsider.error
    assert outsider.steps[-1].outcome is Outcome.FAIL


def test_pipeline_tampering_releases_no_plaintext(keys):
    run = run_pipeline(
        "Lunch at one?",
        [keys["bob"].public, keys["carol"].public],
        keys["bob"],
        tamper_part=Part.WRAPPED_KEY,
        tamper_recipient="Bob",
        tamper_index=7,
    )
    assert run.decryption is None
    assert run.tampered == "one bit of byte 7 of the wrapped key for Bob"
    assert run.tampered_part is Part.WRAPPED_KEY and run.tampered_recipient == "Bob"
    assert run.received.wrapped_keys[0].wrapped != run.encryption.message.wrapped_keys[0].wrapped
    assert [s.outcome for s in run.steps[-2:]] == [Outcome.WARN, Outcome.FAIL]


def test_pipeline_tampering_the_body_names_no_recipient(keys):
    run = run_pipeline(
        "Lunch at one?",
        [keys["carol"].public],
        keys["carol"],
        tamper_part=Part.CIPHERTEXT,
        tamper_recipient="Carol",
    )
    assert run.tampered == "one bit of byte 0 of the ciphertext"
    assert run.tampered_part is Part.CIPHERTEXT and run.tampered_recipient is None
    assert not run.readable


def test_pipeline_refuses_an_empty_message(keys):
    with pytest.raises(InputError) as failure:
        run_pipeline("   ", [keys["bob"].public], keys["bob"])
    assert failure.value.message == "Type a message first: the box is empty."


@pytest.mark.parametrize(
    ("transit", "verify_with", "valid"),
    [
        (Transit.UNCHANGED, "alice", True),
        (Transit.MESSAGE_CHANGED, "alice", False),
        (Transit.SIGNATURE_CHANGED, "alice", False),
        (Transit.FORGED, "alice", False),
        # With the wrong public key, Mallory's forgery checks out: why certificates matter.
        (Transit.FORGED, "mallory", True),
        (Transit.UNCHANGED, "mallory", False),
    ],
)
def test_signature_scenarios(keys, transit, verify_with, valid):
    alice, mallory = keys["alice_ed"], keys["mallory_ed"]
    key = alice.public if verify_with == "alice" else mallory.public
    run = run_signature(
        "Pay 10 EUR to Bob.", alice, transit=transit, verify_with=key, forger=mallory
    )
    assert run.check.valid is valid
    assert run.sent == b"Pay 10 EUR to Bob."
    if transit is Transit.FORGED:
        assert run.received == FORGED_TEXT.encode()
    if transit is Transit.MESSAGE_CHANGED:
        assert run.received == b"pay 10 EUR to Bob."


def test_change_one_character():
    assert change_one_character(b"abc") == b"Abc"
    assert change_one_character(b"123 x") == b"123 X"
    assert change_one_character(b"123") == b"023"
