"""The words of hybrid encryption's steps (:mod:`mailsec.hybrid.envelope`), kept apart so that module
stays readable in one sitting.
"""

from __future__ import annotations

from mailsec.i18n import texts

__all__ = ["TEXT"]

TEXT = texts(
    {
        "opaque": "The message could not be decrypted: wrong key, or it was changed after it was "
        "sent.",
        "wrap_methods": {
            "RSA-OAEP": "RSA-OAEP",
            "X25519 + HKDF + AES key wrap": "X25519 + HKDF + AES key wrap",
        },
        "parts": {
            "ciphertext": "ciphertext",
            "authentication tag": "authentication tag",
            "nonce": "nonce",
            "wrapped key": "wrapped key",
            "one-time public key": "one-time public key",
        },
        "randoms": {
            "content key": "content key",
            "nonce": "nonce",
            "one-time X25519 key": "one-time X25519 key",
        },
        "sign_only": "A {kind} key cannot receive encrypted mail: it only makes signatures. "
        "Use the recipient's RSA or X25519 key.",
        "bad_random": "The random source gave {size} for the {what}; it must return exactly {n} "
        "bytes, like os.urandom(n).",
        "cek_step": "Made a random {bits}-bit content key ({n} bytes) for this one message. It is "
        "symmetric: the same key encrypts and decrypts.",
        "not_bytes": "The message must be bytes, not {type}; encode text first, for example "
        "text.encode('utf-8').",
        "cek_size": "The content key is {size} bytes; AES-256-GCM needs {n}.",
        "nonce_step": "Made a random {n}-byte nonce. A nonce must never repeat under the same key; "
        "a fresh key per message makes that easy.",
        "seal_step": "Encrypted the message ({plaintext} bytes) with AES-256-GCM under the content "
        "key: {ciphertext} bytes of ciphertext (same length as the message) and a {tag}-byte "
        "authentication tag that detects any change.",
        "oaep_step": "Wrapped the content key for {who} with RSA-OAEP (SHA-256) under {label}: "
        "{size} bytes in, {wrapped} bytes out. Only {who}'s private key can undo it.",
        "x25519_step": "Wrapped the content key for {who} with X25519 + HKDF + AES key wrap:",
        "x25519_agree": "made a one-time X25519 key pair and agreed a 32-byte shared secret with "
        "{label}",
        "x25519_hkdf": "derived a 256-bit key-encryption key from the shared secret with "
        "HKDF-SHA256",
        "x25519_wrap": "wrapped the content key with AES key wrap under that key: {wrapped} bytes "
        "(plus the {ephemeral}-byte one-time public key, sent along)",
        "what_message": "the message ({size} bytes)",
        "by_content_key": "the content key ({bits}-bit, one-time)",
        "what_copy": "the content key (copy for {recipient})",
        "no_recipients": "Pick at least one recipient: with none, nobody could read the message.",
        "twice": "{names} is listed twice; list each recipient once.",
        "not_for_reader": "The message has no wrapped key for {label} (key id {key_id}): it was "
        "not encrypted for this reader, so the content key cannot be recovered.",
        "found": "Found the wrapped key for {owner} by key id {key_id}.",
        "unwrapped": "Unwrapped the content key with {owner}'s private key ({method}).",
        "tag_ok": "Checked the AES-GCM tag: the ciphertext, nonce and tag are exactly as sent.",
        "decrypted": "Decrypted {size} bytes of plaintext, released only after the tag checked.",
        "empty": "The {what} is empty, so there is no byte to change.",
        "outside": "Byte {index} is outside the {what} ({size} bytes); pick 0 to {last}.",
        "say_whose": "Say whose {part} to change: pass recipient=, one of {names}.",
        "no_entry": "The message has no wrapped key for {recipient}; its recipients are {names}.",
        "wrapped_for": "wrapped key for {recipient}",
        "ephemeral_for": "one-time public key for {recipient}",
        "no_ephemeral": "{recipient}'s entry uses {method}, which has no one-time public key; "
        "pick an X25519 recipient or another part.",
    }
)
"""The hybrid envelope's words (see :mod:`mailsec.i18n`). Enum values stay data; their labels
are looked up here."""
