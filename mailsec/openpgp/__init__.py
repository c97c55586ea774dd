"""OpenPGP, written to be read: version 4 keys and messages that GnuPG 2.2 and sqop 0.27 read.

The one-call recipes::

    from mailsec import openpgp

    alice = openpgp.generate_key("Alice <alice@example.org>")      # Ed25519 + Curve25519
    bob = openpgp.generate_key("Bob <bob@example.org>", algorithm="rsa3072")
    message = openpgp.encrypt(b"hello", [bob.public], sign_with=[alice])
    result = openpgp.decrypt(message, [bob], verify_with=[alice.public])
    result.plaintext, result.verifications[0].valid                 # b"hello", True
    openpgp.list_packets(message, keys=[bob])                       # like gpg --list-packets

Underneath, one module per concept, each citing RFC 4880 (with RFC 6637 and RFC 9580's notes on
the v4 "legacy" formats): :mod:`~mailsec.openpgp.armor` (ASCII armor, CRC-24),
:mod:`~mailsec.openpgp.packets` (packet framing), :mod:`~mailsec.openpgp.keys` (key packets,
fingerprints, the algorithms), :mod:`~mailsec.openpgp.signatures` (v4 signatures),
:mod:`~mailsec.openpgp.certs` (transferable keys and their self-signatures),
:mod:`~mailsec.openpgp.keygen` (making keys, certifying and revoking them),
:mod:`~mailsec.openpgp.signing` and :mod:`~mailsec.openpgp.verifying` (signatures on messages),
:mod:`~mailsec.openpgp.encryption` (encryption and decryption),
:mod:`~mailsec.openpgp.contents` (literal and compressed data inside a message),
:mod:`~mailsec.openpgp.passwords` (String-to-Key and password-encrypted session keys),
:mod:`~mailsec.openpgp.cleartext` (cleartext signatures, as ``gpg --clearsign`` makes) and
:mod:`~mailsec.openpgp.listing` (the packet lister).

Errors: :class:`~mailsec.errors.InputError` for malformed or unsupported input,
:class:`~mailsec.errors.DecryptionError` (one opaque error) when a message cannot be decrypted or
fails its integrity check, :class:`~mailsec.errors.VerificationError` when no good signature is found.
"""

from mailsec.errors import DecryptionError, InputError, VerificationError
from mailsec.openpgp.armor import ArmorLabel, armor, crc24, dearmor, is_armored
from mailsec.openpgp.certs import (
    Certificate,
    SecretKey,
    SubkeyEntry,
    UserIDEntry,
    read_cert,
    read_certs,
    read_key,
    read_keys,
)
from mailsec.openpgp.cleartext import clearsign, is_cleartext
from mailsec.openpgp.constants import (
    CompressionAlgorithm,
    Curve,
    HashAlgorithm,
    KeyFlags,
    PacketTag,
    PublicKeyAlgorithm,
    SignatureType,
    SymmetricAlgorithm,
)
from mailsec.openpgp.contents import LiteralData
from mailsec.openpgp.encryption import CannotEncryptError, Decrypted, decrypt, encrypt
from mailsec.openpgp.keygen import certify, generate_key, revoke
from mailsec.openpgp.keys import KeyMaterial, ProtectedKeyError, UnsupportedAlgorithmError
from mailsec.openpgp.listing import PacketInfo, list_packets, packets_to_text
from mailsec.openpgp.signatures import Signature
from mailsec.openpgp.signing import CannotSignError, inline_sign, sign
from mailsec.openpgp.verifying import Verification, inline_verify, verify

__all__ = [
    "ArmorLabel",
    "CannotEncryptError",
    "CannotSignError",
    "Certificate",
    "CompressionAlgorithm",
    "Curve",
    "Decrypted",
    "DecryptionError",
    "HashAlgorithm",
    "InputError",
    "KeyFlags",
    "KeyMaterial",
    "LiteralData",
    "PacketInfo",
    "PacketTag",
    "ProtectedKeyError",
    "PublicKeyAlgorithm",
    "SecretKey",
    "Signature",
    "SignatureType",
    "SubkeyEntry",
    "SymmetricAlgorithm",
    "UnsupportedAlgorithmError",
    "UserIDEntry",
    "Verification",
    "VerificationError",
    "armor",
    "certify",
    "clearsign",
    "crc24",
    "dearmor",
    "decrypt",
    "encrypt",
    "generate_key",
    "inline_sign",
    "inline_verify",
    "is_armored",
    "is_cleartext",
    "list_packets",
    "packets_to_text",
    "read_cert",
    "read_certs",
    "read_key",
    "read_keys",
    "revoke",
    "sign",
    "verify",
]
