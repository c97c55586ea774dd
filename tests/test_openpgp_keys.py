"""Keys: generation, the packets a transferable key is made of, fingerprints, self-signatures,
expiry and revocation (RFC 4880 §5.2, §5.5, §11.1-11.2, §12.2; RFC 6637; RFC 9580 §5.5.5)."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

import pytest
from cryptography.hazmat.primitives.asymmetric import x25519

from mailsec import openpgp
from mailsec.errors import InputError
from mailsec.openpgp import PacketTag, SignatureType
from mailsec.openpgp.packets import encode_packet, read_packets
from mailsec.openpgp.signatures import make_signature, parse_signature

T0 = datetime(2026, 1, 15, 9, 30, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def alice():
    return openpgp.generate_key("Alice <alice@example.org>", now=T0)


@pytest.fixture(scope="module")
def rsa_key():
    return openpgp.generate_key("Rob <rob@example.org>", algorithm="rsa3072", now=T0)


def tags(data: bytes) -> list[int]:
    return [p.tag for p in read_packets(data)]


def test_secret_key_packet_sequence(alice):
    # RFC 4880 §11.2: secret key, user ID, its certification, secret subkey, its binding.
    assert tags(alice.to_bytes(armor=False)) == [5, 13, 2, 7, 2]
    assert tags(alice.public.to_bytes(armor=False)) == [6, 13, 2, 14, 2]


def test_armor_labels(alice):
    assert alice.to_bytes().startswith(b"-----BEGIN PGP PRIVATE KEY BLOCK-----\n")
    assert alice.public.to_bytes().startswith(b"-----BEGIN PGP PUBLIC KEY BLOCK-----\n")


def test_fingerprint_is_sha1_over_0x99_length_body(alice):
    # RFC 4880 §12.2.
    body = read_packets(alice.public.to_bytes(armor=False))[0].body
    expected = hashlib.sha1(b"\x99" + len(body).to_bytes(2, "big") + body).hexdigest().upper()
    assert alice.fingerprint == alice.public.fingerprint == expected
    assert len(alice.fingerprint) == 40
    assert alice.key_id == expected[-16:]


def test_ed25519_primary_key_packet_layout(alice):
    # RFC 4880 §5.5.2 + RFC 9580 §5.5.5.5: v4, time, algorithm 22, OID, MPI of 0x40 || 32 octets.
    body = read_packets(alice.public.to_bytes(armor=False))[0].body
    assert body[0] == 4
    assert int.from_bytes(body[1:5], "big") == int(T0.timestamp())
    assert body[5] == 22
    assert body[6:16] == bytes.fromhex("092b06010401da470f01")
    assert body[16:18] == (263).to_bytes(2, "big")  # 0x40 prefix + 256 bits
    assert body[18] == 0x40 and len(body) == 18 + 33


def test_curve25519_subkey_layout_and_kdf_params(alice):
    # RFC 6637 §9: ECDH key = OID, MPI point (0x40 || native), KDF params (03 01 hash cipher).
    body = read_packets(alice.public.to_bytes(armor=False))[3].body
    assert body[5] == 18
    assert body[6:17] == bytes.fromhex("0a2b060104019755010501")
    assert body[17:19] == (263).to_bytes(2, "big") and body[19] == 0x40
    assert body[-4:] == bytes([3, 1, 8, 7])  # SHA-256, AES-128 key wrap, as GnuPG writes


def test_curve25519_secret_scalar_is_stored_reversed(alice):
    # GnuPG's convention (RFC 9580 §5.5.5.6.1.1 notes it): the MPI is the native scalar reversed.
    packet = read_packets(alice.to_bytes(armor=False))[3]
    subkey = alice.subkeys[0].key
    public_length = len(subkey.body)
    secret = packet.body[public_length:]
    assert secret[0] == 0  # S2K usage 0: unprotected
    bits = int.from_bytes(secret[1:3], "big")
    stored = secret[3 : 3 + (bits + 7) // 8].rjust(32, b"\0")
    native = stored[::-1]
    rebuilt = x25519.X25519PrivateKey.from_private_bytes(native)
    assert rebuilt.public_key().public_bytes_raw() == subkey.public.public_bytes_raw()
    # The two-octet checksum is the sum of the MPI octets (RFC 4880 §5.5.3).
    assert int.from_bytes(secret[-2:], "big") == sum(secret[1:-2]) & 0xFFFF


def test_self_signature_advertises_aes_sha2_and_mdc(alice):
    user = alice.users[0]
    signature = user.self_signature
    assert signature.type == SignatureType.POSITIVE_CERTIFICATION
    assert signature.preferred_symmetric == (9, 7)  # AES-256, AES-128 (RFC 4880 §5.2.3.7)
    assert signature.preferred_hashes[0] == 10  # SHA-512 first
    assert signature.features & 0x01  # MDC (RFC 4880 §5.2.3.24)
    assert int(signature.key_flags) == 0x03  # certify + sign
    assert signature.issuer_fingerprint == alice.fingerprint
    assert signature.issuer_key_id == alice.key_id


def test_subkey_binding_signature(alice):
    entry = alice.subkeys[0]
    assert entry.binding.type == SignatureType.SUBKEY_BINDING
    assert int(entry.binding.key_flags) == 0x0C  # encrypt communications + storage


def test_key_round_trip_armored_and_binary(alice):
    for data in (alice.to_bytes(), alice.to_bytes(armor=False)):
        again = openpgp.read_key(data)
        assert again.fingerprint == alice.fingerprint
        assert again.user_ids == ("Alice <alice@example.org>",)
        assert again.to_bytes(armor=False) == alice.to_bytes(armor=False)
    cert = openpgp.read_cert(alice.public.to_bytes())
    assert cert.to_bytes() == alice.public.to_bytes()
    assert cert.created == T0


def test_read_cert_of_a_secret_key_gives_its_certificate(alice):
    cert = openpgp.read_cert(alice.to_bytes())
    assert isinstance(cert, openpgp.Certificate)
    assert cert.to_bytes() == alice.public.to_bytes()


def test_read_key_of_a_certificate_is_refused(alice):
    with pytest.raises(InputError, match=r"is a certificate .* not a secret key"):
        openpgp.read_key(alice.public.to_bytes())


def test_rsa3072_key(rsa_key):
    assert rsa_key.primary.bits == 3072
    assert rsa_key.subkeys[0].key.bits == 3072
    assert tags(rsa_key.to_bytes(armor=False)) == [5, 13, 2, 7, 2]
    again = openpgp.read_key(rsa_key.to_bytes())
    assert again.to_bytes() == rsa_key.to_bytes()
    # OpenPGP stores p < q and u = p^-1 mod q (RFC 4880 §5.5.3).
    numbers = again.primary.secret.private_numbers()
    body = read_packets(rsa_key.to_bytes(armor=False))[0].body
    secret = body[len(rsa_key.primary.body) + 1 :]
    from mailsec.openpgp.packets import Reader

    reader = Reader(secret, "test")
    d, p, q, u = (reader.mpi_int() for _ in range(4))
    assert d == numbers.d and p < q and p * q == numbers.public_numbers.n
    assert (u * p) % q == 1


def test_several_user_ids_and_primary_flag():
    key = openpgp.generate_key(["Carol <carol@example.org>", "Carol <c@work.example>"], now=T0)
    assert key.user_ids == ("Carol <carol@example.org>", "Carol <c@work.example>")
    assert key.users[0].self_signature.is_primary_user_id


def test_key_without_user_id_uses_a_direct_key_signature():
    key = openpgp.generate_key([], now=T0)
    assert key.user_ids == ()
    assert [s.type for s in key.direct_signatures] == [SignatureType.DIRECT_KEY]
    assert tags(key.to_bytes(armor=False)) == [5, 2, 7, 2]
    assert openpgp.read_key(key.to_bytes()).encryption_keys(T0)


def test_expiry_is_written_and_enforced():
    key = openpgp.generate_key("Eve <eve@example.org>", now=T0, expires=timedelta(days=30))
    assert key.expires == T0 + timedelta(days=30)
    assert key.users[0].self_signature.key_expiration_seconds == 30 * 86400
    assert key.subkeys[0].binding.key_expiration_seconds == 30 * 86400
    cert = openpgp.read_cert(key.public.to_bytes())
    assert cert.encryption_keys(T0 + timedelta(days=29))
    assert cert.encryption_keys(T0 + timedelta(days=31)) == ()
    assert "expired" in cert.usable_at(T0 + timedelta(days=31))


def test_expiry_before_creation_is_refused():
    with pytest.raises(InputError, match="is not after the key's creation"):
        openpgp.generate_key("x <x@example.org>", now=T0, expires=T0 - timedelta(days=1))


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"user_ids": ""}, "is empty"),
        ({"user_ids": "a\nb"}, "line break"),
        ({"user_ids": "a", "algorithm": "dsa"}, "Unknown key algorithm 'dsa'"),
        ({"user_ids": "a", "now": datetime(2026, 1, 1)}, "no time zone"),
    ],
)
def test_bad_generation_arguments(arguments, message):
    with pytest.raises(InputError, match=message):
        openpgp.generate_key(**arguments)


def test_tampered_user_id_loses_its_self_signature(alice):
    packets = read_packets(alice.public.to_bytes(armor=False))
    forged = b"".join(
        encode_packet(p.tag, b"Mallory <alice@example.org>" if p.tag == 13 else p.body)
        for p in packets
    )
    cert = openpgp.read_cert(forged)
    assert cert.user_ids == ()  # the certification no longer verifies (RFC 4880 §5.2.4)
    assert cert.users[0].self_signature is None
    assert cert.encryption_keys(T0) == ()


def test_subkey_with_broken_binding_is_not_used(alice):
    packets = read_packets(alice.public.to_bytes(armor=False))
    binding = bytearray(packets[4].body)
    binding[-1] ^= 0x01  # change the signature value
    wire = b"".join(encode_packet(p.tag, p.body) for p in packets[:4])
    wire += encode_packet(2, bytes(binding))
    cert = openpgp.read_cert(wire)
    assert cert.subkeys[0].binding is None
    assert cert.encryption_keys(T0) == ()


def test_revocation(alice):
    revoked = openpgp.revoke(alice, reason="retired", now=T0 + timedelta(days=1))
    cert = openpgp.read_cert(revoked.to_bytes())
    assert cert.revoked
    assert [p.tag for p in read_packets(revoked.to_bytes(armor=False))][:2] == [6, 2]
    assert cert.encryption_keys(T0 + timedelta(days=2)) == ()
    with pytest.raises(openpgp.CannotEncryptError, match="has been revoked"):
        openpgp.encrypt(b"x", [cert], now=T0 + timedelta(days=2))


def test_certify_adds_a_third_party_certification(alice):
    bob = openpgp.generate_key("Bob <bob@example.org>", now=T0)
    signed = openpgp.certify(alice, bob.public, "Bob <bob@example.org>", now=T0)
    again = openpgp.read_cert(signed.to_bytes())
    signatures = again.users[0].signatures
    assert len(signatures) == 2
    third = next(s for s in signatures if s.issuer_fingerprint == alice.fingerprint)
    assert third.type == SignatureType.GENERIC_CERTIFICATION
    from mailsec.openpgp.signatures import key_content

    content = key_content(again.primary, user_id=b"Bob <bob@example.org>")
    assert third.check(alice.primary, content)
    assert again.user_ids == ("Bob <bob@example.org>",)
    with pytest.raises(InputError, match="has no user ID 'Nobody'"):
        openpgp.certify(alice, bob.public, "Nobody", now=T0)


def test_version_5_key_is_refused():
    body = bytes([5]) + bytes(10)
    with pytest.raises(InputError, match="version 5 key; mailsec reads version 4 keys only"):
        openpgp.read_cert(encode_packet(PacketTag.PUBLIC_KEY, body))


def test_unsupported_public_key_algorithm_is_refused():
    body = bytes([4, 0, 0, 0, 0, 99])  # algorithm 99
    with pytest.raises(openpgp.UnsupportedAlgorithmError, match="number 99"):
        openpgp.read_cert(encode_packet(PacketTag.PUBLIC_KEY, body))


def test_unknown_curve_is_refused():
    body = bytes([4, 0, 0, 0, 0, 22, 3, 1, 2, 3, 0, 8, 0x40])
    with pytest.raises(openpgp.UnsupportedAlgorithmError, match="OID 010203"):
        openpgp.read_cert(encode_packet(PacketTag.PUBLIC_KEY, body))


def test_protected_secret_key(alice):
    # RFC 4880 §5.5.3: S2K usage 254, AES-256 CFB, iterated and salted S2K, SHA-1 inside.
    key = openpgp.generate_key("Locked <locked@example.org>", passphrase="correct horse", now=T0)
    exported = key.to_bytes(armor=False)
    primary = read_packets(exported)[0].body[len(key.primary.body) :]
    assert primary[:2] == bytes([254, 9]) and primary[2:4] == bytes([3, 8])  # AES-256, SHA-256 S2K
    with pytest.raises(openpgp.ProtectedKeyError, match="protected with a passphrase"):
        openpgp.read_key(exported)
    with pytest.raises(openpgp.ProtectedKeyError, match="does not unlock"):
        openpgp.read_key(exported, passphrase="wrong horse")
    unlocked = openpgp.read_key(exported, passphrase="correct horse")
    assert unlocked.primary.secret is not None
    assert unlocked.to_bytes(armor=False) == exported  # exporting keeps the protection
    assert openpgp.read_cert(exported).fingerprint == key.fingerprint  # no passphrase needed
    signature = openpgp.sign(b"x", unlocked, now=T0)
    assert openpgp.verify(b"x", signature, [key.public], now=T0)[0].valid


def test_old_style_protection_is_refused(alice):
    packets = read_packets(alice.to_bytes(armor=False))
    at = len(alice.primary.body)
    legacy = packets[0].body[:at] + b"\x07" + packets[0].body[at + 1 :]  # usage = a cipher number
    with pytest.raises(openpgp.ProtectedKeyError, match="old way"):
        openpgp.read_key(encode_packet(5, legacy), passphrase="x")


def test_damaged_secret_checksum_is_refused(alice):
    primary = bytearray(read_packets(alice.to_bytes(armor=False))[0].body)
    primary[-1] ^= 0xFF
    with pytest.raises(InputError, match="fails its checksum"):
        openpgp.read_key(encode_packet(5, bytes(primary)))


def test_key_must_start_with_a_key_packet(alice):
    with pytest.raises(InputError, match="does not start with a key packet"):
        openpgp.read_cert(encode_packet(13, b"Alice") + alice.public.to_bytes(armor=False))


def test_two_certificates_need_read_certs(alice, rsa_key):
    both = alice.public.to_bytes(armor=False) + rsa_key.public.to_bytes(armor=False)
    assert [c.fingerprint for c in openpgp.read_certs(both)] == [
        alice.fingerprint,
        rsa_key.fingerprint,
    ]
    with pytest.raises(InputError, match="holds 2 certificates"):
        openpgp.read_cert(both)


def test_signature_version_3_is_refused():
    with pytest.raises(InputError, match="version 3 signature"):
        parse_signature(bytes([3]) + bytes(20))


@pytest.mark.parametrize(
    ("reason", "old_signature_stays_good"),
    [("retired", True), ("superseded", True), ("compromised", False), ("unspecified", False)],
)
def test_soft_and_hard_revocation(reason, old_signature_stays_good):
    # RFC 4880 §5.2.3.23: a retired or superseded key's earlier signatures stay good; a compromised
    # key's never were trustworthy.
    key = openpgp.generate_key("Rev <rev@example.org>", now=T0)
    before = openpgp.sign(b"old", key, now=T0 + timedelta(hours=1))
    revoked = openpgp.revoke(key, reason=reason, now=T0 + timedelta(days=1))
    assert revoked.revocations[0].revocation_reason == openpgp.certs.REVOCATION_REASONS[reason]
    later = T0 + timedelta(days=2)
    if old_signature_stays_good:
        assert openpgp.verify(b"old", before, [revoked], now=later)[0].valid
    else:
        with pytest.raises(openpgp.VerificationError, match=f"revoked \\(reason: {reason}\\)"):
            openpgp.verify(b"old", before, [revoked], now=later)
    assert revoked.encryption_keys(later) == ()


def test_unknown_revocation_reason(alice):
    with pytest.raises(InputError, match="Unknown revocation reason 'lost'"):
        openpgp.revoke(alice, reason="lost")


def test_keys_compare_and_hash_by_their_packets(alice, rsa_key):
    again = openpgp.read_key(alice.to_bytes())
    assert again == alice and hash(again.public) == hash(alice.public)
    assert {alice.public: "alice"}[again.public] == "alice"
    assert alice.public != rsa_key.public
    assert alice.public != alice  # a certificate is not the secret key


def test_rfc9580_ed25519_algorithm_is_refused_with_a_pointer():
    body = bytes([4, 0, 0, 0, 0, 27]) + bytes(32)  # Ed25519 (27): RFC 9580 §5.5.5.9
    with pytest.raises(openpgp.UnsupportedAlgorithmError, match="newer RFC 9580 encoding"):
        openpgp.read_cert(encode_packet(PacketTag.PUBLIC_KEY, body))


# RFC 9580 Appendix A.1 and A.2: the sample version 4 Ed25519Legacy key and its signature over
# "OpenPGP" (the standard's own test vectors for the v4 EdDSA format mailsec writes).
RFC9580_A1_KEY = (
    "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n"
    "xjMEU/NfCxYJKwYBBAHaRw8BAQdAPwmJlL3ZFu1AUxl5NOSofIBzOhKA1i+AEJku\nQ+47JAY=\n"
    "-----END PGP PUBLIC KEY BLOCK-----\n"
)
RFC9580_A2_SIGNATURE = (
    "-----BEGIN PGP SIGNATURE-----\n\n"
    "iF4EABYIAAYFAlX5X5UACgkQjP3hIZeWWpr2IgD/VvkMypjiECY3vZg/2xbBMd/S\n"
    "ftgr9N3lYG4NdWrtM2YBANCcT6EVJ/A44PV/IgHYLy6iyQMyZfps60iehUuuYbQE\n"
    "-----END PGP SIGNATURE-----\n"
)


def test_rfc9580_a1_fingerprint():
    (packet,) = read_packets(openpgp.dearmor(RFC9580_A1_KEY.encode())[1])
    key = openpgp.keys.parse_key_packet(packet.body, secret=False)
    assert key.fingerprint == "C959BDBAFA32A2F89A153B678CFDE12197965A9A"  # as the RFC states
    assert key.algorithm_name == "EdDSA (Ed25519)"
    assert key.created == datetime(2014, 8, 19, 14, 28, 27, tzinfo=timezone.utc)


def test_rfc9580_a2_signature_verifies():
    (packet,) = read_packets(openpgp.dearmor(RFC9580_A1_KEY.encode())[1])
    key = openpgp.keys.parse_key_packet(packet.body, secret=False)
    (sig_packet,) = read_packets(openpgp.dearmor(RFC9580_A2_SIGNATURE.encode())[1])
    signature = parse_signature(sig_packet.body)
    assert (signature.type, signature.algorithm, signature.hash_algorithm) == (0x00, 22, 8)
    assert signature.issuer_key_id == key.key_id
    assert signature.check(key, b"OpenPGP")
    assert not signature.check(key, b"OpenPGP!")
    # The certificate has no self-signature, so the one-call verify refuses it, and says why.
    with pytest.raises(openpgp.VerificationError, match="no valid self-signature"):
        openpgp.verify(
            b"OpenPGP", RFC9580_A2_SIGNATURE.encode(), [openpgp.read_cert(RFC9580_A1_KEY)]
        )


def test_signature_values_are_kept_as_mpis_carry_them(alice):
    """RFC 4880 §3.2: an MPI has no leading zero octets. About one Ed25519 signature in 128 has a
    value that starts with a zero octet; the signature object must hold it as the packet carries it,
    so that a key equals itself read back."""
    for n in range(1500):
        made = make_signature(alice.primary, SignatureType.BINARY, n.to_bytes(2, "big"), created=T0)
        assert all(not v.startswith(b"\x00") for v in made.values)
