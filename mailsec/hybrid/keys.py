"""Key pairs for the hybrid-encryption learning layer: who can unwrap a content key, who signs.

A :class:`KeyPair` is a person's name with a private key of one kind (:class:`KeyKind`). Its
:attr:`~KeyPair.public` half (:class:`PublicKey`) is what a sender needs: the public key and a short
key id that says which wrapped key in a message belongs to whom.

Key generation is the slow part of public-key cryptography (an RSA-2048 key takes a tenth of a
second or more), so labs make their keys once and reuse them.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa, x25519

from mailsec.errors import InputError
from mailsec.i18n import texts

__all__ = [
    "RSA_BITS",
    "KeyKind",
    "KeyPair",
    "PrivateKey",
    "PublicKey",
    "PublicKeyObject",
    "generate_keypair",
    "key_id",
]

#: RSA modulus size. 2048 bits gives 112-bit security, acceptable until 2030 (NIST SP 800-57 Part 1
#: Rev. 5 §5.6.1-5.6.3; 3072 bits after that); the course uses 2048 because it keeps labs quick.
RSA_BITS = 2048

TEXT = texts(
    {
        "public_label": "{owner}'s {kind} public key",
        "no_owner": "A key pair needs an owner's name, for example 'Bob'.",
        "unsupported": "A {type} is not supported here; use an RSA, X25519 or Ed25519 private key.",
        "rsa_size": "An RSA key of {bits} bits is too small or odd-sized; use 2048, 3072 or 4096.",
    }
)
"""The key pairs' words (see :mod:`mailsec.i18n`)."""

PrivateKey = rsa.RSAPrivateKey | x25519.X25519PrivateKey | ed25519.Ed25519PrivateKey
PublicKeyObject = rsa.RSAPublicKey | x25519.X25519PublicKey | ed25519.Ed25519PublicKey


class KeyKind(enum.Enum):
    """What a key pair is for and which algorithm it uses."""

    RSA = "RSA"
    """An RSA key: wraps content keys with RSA-OAEP (RFC 8017 §7.1) and signs with RSA-PSS (§8.1)."""
    X25519 = "X25519"
    """An X25519 key (RFC 7748 §6.1): key agreement only, used to wrap content keys."""
    ED25519 = "Ed25519"
    """An Ed25519 key (RFC 8032 §5.1): signatures only."""

    @property
    def can_wrap(self) -> bool:
        """True if a content key can be wrapped for this kind of key."""
        return self in (KeyKind.RSA, KeyKind.X25519)

    @property
    def can_sign(self) -> bool:
        """True if this kind of key makes signatures."""
        return self in (KeyKind.RSA, KeyKind.ED25519)


def _public_bytes(public_key: PublicKeyObject) -> bytes:
    if isinstance(public_key, rsa.RSAPublicKey):
        return public_key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(public_key: PublicKeyObject) -> str:
    """A short name for a public key: the first 8 bytes of the SHA-256 of its encoding, in hex.

    Like the subjectKeyIdentifier of a CMS recipient (RFC 5652 §6.2.1), it lets a recipient find the
    wrapped key meant for them without trying every entry.
    """
    return hashlib.sha256(_public_bytes(public_key)).hexdigest()[:16]


@dataclass(frozen=True)
class PublicKey:
    """The half of a key pair that is given to everyone."""

    owner: str
    kind: KeyKind
    key: PublicKeyObject = field(repr=False, compare=False)
    key_id: str
    size_bits: int
    """Key size: the RSA modulus, or 256 for X25519 and Ed25519."""

    @property
    def encoded(self) -> bytes:
        """The public key as bytes (DER SubjectPublicKeyInfo for RSA, raw 32 bytes otherwise)."""
        return _public_bytes(self.key)

    @property
    def label(self) -> str:
        """For example ``Bob's RSA-2048 public key``."""
        size = f"-{self.size_bits}" if self.kind is KeyKind.RSA else ""
        kind = f"{self.kind.value}{size}"  # a name, not words: RSA-2048
        return TEXT["public_label"].format(owner=self.owner, kind=kind)


@dataclass(frozen=True)
class KeyPair:
    """A person's key pair. The private half never leaves the person (or the lab)."""

    owner: str
    kind: KeyKind
    private_key: PrivateKey = field(repr=False, compare=False)
    public: PublicKey

    @classmethod
    def from_private_key(cls, owner: str, private_key: PrivateKey) -> KeyPair:
        """Wrap an existing private key (RSA, X25519 or Ed25519) with its owner's name."""
        if not owner.strip():
            raise InputError(TEXT["no_owner"])
        if isinstance(private_key, rsa.RSAPrivateKey):
            kind, bits = KeyKind.RSA, private_key.key_size
        elif isinstance(private_key, x25519.X25519PrivateKey):
            kind, bits = KeyKind.X25519, 256
        elif isinstance(private_key, ed25519.Ed25519PrivateKey):
            kind, bits = KeyKind.ED25519, 256
        else:
            raise InputError(TEXT["unsupported"].format(type=type(private_key).__name__))
        public_key = private_key.public_key()
        public = PublicKey(owner, kind, public_key, key_id(public_key), bits)
        return cls(owner, kind, private_key, public)


def generate_keypair(owner: str, kind: KeyKind, *, rsa_bits: int = RSA_BITS) -> KeyPair:
    """Make a new key pair for ``owner``.

    Randomness comes from the operating system through OpenSSL; the cryptography library gives no
    way to pass it in for key generation (RFC 4086 §7 explains why keys need real entropy).
    """
    if kind is KeyKind.RSA:
        if rsa_bits < 2048 or rsa_bits % 8:
            raise InputError(TEXT["rsa_size"].format(bits=rsa_bits))
        private: PrivateKey = rsa.generate_private_key(public_exponent=65537, key_size=rsa_bits)
    elif kind is KeyKind.X25519:
        private = x25519.X25519PrivateKey.generate()
    else:
        private = ed25519.Ed25519PrivateKey.generate()
    return KeyPair.from_private_key(owner, private)
