"""The words of :mod:`mailsec.openpgp.keys` (see :mod:`mailsec.i18n`), kept apart so that module
stays about its keys.

Every failure to decrypt a session key or a message says the same sentence (``opaque``): which
check failed is not told to whoever sent the message.
"""

from __future__ import annotations

from mailsec.i18n import texts

__all__ = ["TEXT"]

TEXT = texts(
    {
        "opaque": "The message could not be decrypted: wrong key, or it was changed after it "
        "was sent.",
        "hash": "Hash algorithm {algorithm} is not supported; mailsec uses SHA-1 (for "
        "fingerprints and MDC only) and SHA-2.",
        "number": "number {value}",
        "rfc9580": "The key uses {algorithm}, the newer RFC 9580 encoding; mailsec reads the "
        "version 4 encoding GnuPG 2.2 writes (EdDSA 22 with Ed25519, ECDH 18 with Curve25519). "
        "Make the key with GnuPG 2.2 or sqop 0.27.",
        "unsupported": "The key uses public-key algorithm {algorithm}, which mailsec does not "
        "support; use an RSA, Ed25519/Curve25519 or NIST P-256 key.",
        "no_secret": "Key {key_id} has no secret part here, so it cannot sign.",
        "curve": "The key uses an elliptic curve with OID {oid}, which mailsec does not support; "
        "use Ed25519/Curve25519 or NIST P-256.",
        "version": "This is a version {version} key; mailsec reads version 4 keys only "
        "(RFC 4880 §5.5.2), which GnuPG 2.2 and sqop make. Export the key as a v4 key.",
        "rsa": "The RSA public key in the key packet is not valid.",
        "x25519": "The Curve25519 public point does not start with 0x40.",
        "point": "The {curve} public point in the key packet is not valid.",
        "kdf": "The ECDH key's KDF parameters are malformed (RFC 6637 §9).",
        "kdf_unsupported": "The ECDH key asks for KDF hash {hash} and key wrap {wrap}; mailsec "
        "supports SHA-2 with AES key wrap (RFC 6637 §9).",
        "trailing": "The {what} has {count} unexpected octets at its end.",
        "checksum": "The secret key {key_id} fails its checksum (RFC 4880 §5.5.3); it is damaged.",
        "old_protection": "The secret key {key_id} is protected in the old way (S2K usage "
        "{usage}), which mailsec does not unlock; export it without a passphrase.",
        "passphrase": "The secret key {key_id} is protected with a passphrase; give the "
        "passphrase (sop: --with-key-password), or export the key without one.",
        "cipher": "The secret key {key_id} is protected with cipher {cipher}; mailsec unlocks "
        "keys protected with AES (RFC 4880 §9.2).",
        "wrong_passphrase": "The passphrase does not unlock the secret key {key_id}; check it and "
        "try again.",
        "secret_trailing": "The secret key {key_id} has unexpected octets at its end.",
        "mismatch": "The secret numbers of key {key_id} do not match its public key; the key is "
        "damaged.",
        "generates": "mailsec generates RSA and Curve25519/Ed25519 keys only.",
    }
)
"""The keys' errors (packet names such as "Secret-Key Packet" stay as gpg says them)."""
