"""OpenPGP, written to be read: version 4 keys and messages that GnuPG 2.2 and sqop 0.27 read.

The one-call recipes::

    from mailsec import openpgp

    alice = openpgp.generate_key("Alice <alice@example.org>")      # Ed25519 + Curve25519
    bob = openpgp.generate_key("Bob <bob@example.org>", algorithm="rsa3072")
    message = openpgp.encrypt(b"hello", [bob.public], sign_with=[alice])
    result = openpgp.decrypt(message, [bob], verify_with=[alice.public])
    result.plaintext, result.verifications[0].valid                 # b"hello", True
    openpgp.list_packets(message, keys=[bob])                       # like gpg --list-packets

Where things live, one module per concept, each citing RFC 4880 (with RFC 6637 and RFC 9580's
notes on the v4 "legacy" formats):

- the bytes: :mod:`~mailsec.openpgp.armor` (ASCII armor, CRC-24), :mod:`~mailsec.openpgp.packets`
  (packet framing), :mod:`~mailsec.openpgp.constants` (the algorithm and packet numbers);
- keys: :mod:`~mailsec.openpgp.keys` (key packets, fingerprints, each algorithm's maths),
  :mod:`~mailsec.openpgp.signatures` (v4 signature packets), :mod:`~mailsec.openpgp.certs`
  (certificates and secret keys, read and checked), :mod:`~mailsec.openpgp.keygen` (making,
  certifying, revoking), :mod:`~mailsec.openpgp.trust` (GnuPG's web of trust);
- messages: :mod:`~mailsec.openpgp.signing` and :mod:`~mailsec.openpgp.verifying`,
  :mod:`~mailsec.openpgp.encryption`, with :mod:`~mailsec.openpgp.session` (session keys, PKESK),
  :mod:`~mailsec.openpgp.passwords` (String-to-Key, SKESK), :mod:`~mailsec.openpgp.contents`
  (literal and compressed data inside a message), :mod:`~mailsec.openpgp.cleartext`
  (``gpg --clearsign``) and :mod:`~mailsec.openpgp.inputs` (the rules every recipe applies to
  its input);
- :mod:`~mailsec.openpgp.listing` (the packet lister, like ``gpg --list-packets``) and
  :mod:`~mailsec.openpgp.pgpmime` (PGP/MIME, RFC 3156, a package with its own map).

From here a mechanism goes to :mod:`mailsec.render.openpgp` (HTML for packets, deliveries and the
web of trust), then :mod:`mailsec.labs.pgp` (the widgets), then ``notebooks/06-pgp.ipynb``. The
``sop`` command line (:mod:`mailsec.cli.sop`) calls the recipes above.

Errors: :class:`~mailsec.errors.InputError` for malformed or unsupported input,
:class:`~mailsec.errors.DecryptionError` (one opaque error) when a message cannot be decrypted or
fails its integrity check, :class:`~mailsec.errors.VerificationError` when no good signature is found.

The names below are loaded when first used (PEP 562), so ``sop version`` or ``sop dearmor`` does
not pay for importing every algorithm; ``from mailsec.openpgp import encrypt`` works as usual.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

# ASCII armor is imported at once: its module and its armor() function share a name, and the
# function must be what ``openpgp.armor`` means however the module was first imported.
from mailsec.openpgp.armor import ArmorLabel, armor, crc24, dearmor, is_armored

if TYPE_CHECKING:  # what the lazy names below are, for type checkers and editors
    from mailsec.errors import DecryptionError, InputError, VerificationError
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

#: Each lazily loaded name, and the module it comes from.
_LAZY: dict[str, str] = {
    **dict.fromkeys(("DecryptionError", "InputError", "VerificationError"), "mailsec.errors"),
    **dict.fromkeys(
        (
            "Certificate",
            "SecretKey",
            "SubkeyEntry",
            "UserIDEntry",
            "read_cert",
            "read_certs",
            "read_key",
            "read_keys",
        ),
        "mailsec.openpgp.certs",
    ),
    **dict.fromkeys(("clearsign", "is_cleartext"), "mailsec.openpgp.cleartext"),
    **dict.fromkeys(
        (
            "CompressionAlgorithm",
            "Curve",
            "HashAlgorithm",
            "KeyFlags",
            "PacketTag",
            "PublicKeyAlgorithm",
            "SignatureType",
            "SymmetricAlgorithm",
        ),
        "mailsec.openpgp.constants",
    ),
    "LiteralData": "mailsec.openpgp.contents",
    **dict.fromkeys(
        ("CannotEncryptError", "Decrypted", "decrypt", "encrypt"), "mailsec.openpgp.encryption"
    ),
    **dict.fromkeys(("certify", "generate_key", "revoke"), "mailsec.openpgp.keygen"),
    **dict.fromkeys(
        ("KeyMaterial", "ProtectedKeyError", "UnsupportedAlgorithmError"), "mailsec.openpgp.keys"
    ),
    **dict.fromkeys(("PacketInfo", "list_packets", "packets_to_text"), "mailsec.openpgp.listing"),
    "Signature": "mailsec.openpgp.signatures",
    **dict.fromkeys(("CannotSignError", "inline_sign", "sign"), "mailsec.openpgp.signing"),
    **dict.fromkeys(("Verification", "inline_verify", "verify"), "mailsec.openpgp.verifying"),
}

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


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
