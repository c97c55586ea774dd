"""The signing algorithms of DKIM and the keys they use (RFC 6376 §3.3, RFC 8301, RFC 8463).

DKIM hashes twice. The canonical body is hashed into ``bh=``; then the selected header fields and
the DKIM-Signature field (which carries ``bh=``) are hashed, and *that* digest is signed:

``rsa-sha256`` (RFC 6376 §3.3.2)
    RSASSA-PKCS1-v1_5 over the SHA-256 digest. Keys of 1024 bits at least (RFC 8301 §3.2); 2048
    is what signers should use.
``ed25519-sha256`` (RFC 8463 §3)
    Ed25519 signs the 32-byte SHA-256 digest of the header data (not the data itself: Ed25519
    would hash it again with SHA-512 inside). The key record's ``p=`` is the raw 32-byte public
    key, not an ASN.1 structure (RFC 8463 §4).
``rsa-sha1`` (RFC 6376 §3.3.1)
    SHA-1 is broken for signatures: RFC 8301 §3.1 says it must not be used. The course verifies
    it so learners can see old signatures, and marks every such result as weak.

Hashing is done here with :mod:`hashlib`, so the digest a learner sees is the one that is signed;
:mod:`cryptography` only does the RSA or Ed25519 operation on it (``Prehashed``).
"""

from __future__ import annotations

import enum
import hashlib

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa, utils

from mailsec.errors import InputError
from mailsec.i18n import texts

__all__ = [
    "MIN_RSA_BITS",
    "Algorithm",
    "PrivateKey",
    "PublicKey",
    "algorithm_for",
    "check_signature",
    "digest",
    "key_bits",
    "key_type",
    "load_private_key",
    "load_public_key",
    "make_signature",
    "public_key_bytes",
]

#: RFC 8301 §3.2: verifiers must not consider signatures with RSA keys under 1024 bits valid.
MIN_RSA_BITS = 1024

PublicKey = rsa.RSAPublicKey | ed25519.Ed25519PublicKey
PrivateKey = rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey

MESSAGES = texts(
    {
        "ed25519_length": "An ed25519 key in p= must be exactly 32 bytes (RFC 8463 §4); this one "
        "is {length}.",
        "not_rsa": "p= does not hold an RSA public key (a DER SubjectPublicKeyInfo or RSAPublicKey).",
        "unknown_key_type": "The key type {key_type} is not one DKIM defines (rsa, ed25519).",
        "wrong_private_key": "DKIM signs with an RSA or Ed25519 private key, not {kind}.",
        "small_private_key": "This RSA key has {bits} bits; RFC 8301 §3.2 requires at least {minimum} "
        "(2048 is recommended). Generate a larger key.",
        "unreadable_private_key": "The private key could not be read as PEM: {detail}.",
    }
)

_HASHES = {"sha1": hashes.SHA1, "sha256": hashes.SHA256}


class Algorithm(str, enum.Enum):
    """A DKIM signing algorithm (``a=``), as registered by RFC 6376 §7.6 and RFC 8463 §6."""

    RSA_SHA1 = "rsa-sha1"
    """RSA with SHA-1: weak, must not be used (RFC 8301 §3.1); verified and reported as weak."""
    RSA_SHA256 = "rsa-sha256"
    """RSA with SHA-256 (RFC 6376 §3.3.2): what almost every signer uses."""
    ED25519_SHA256 = "ed25519-sha256"
    """Ed25519 over the SHA-256 digest (RFC 8463 §3): short keys and signatures."""

    def __str__(self) -> str:
        return self.value

    @property
    def key_type(self) -> str:
        """The ``k=`` of a key record that can verify this algorithm."""
        return self.value.partition("-")[0]

    @property
    def hash_name(self) -> str:
        """The hash algorithm, as ``h=`` in a key record names it (``sha256``)."""
        return self.value.partition("-")[2]

    @property
    def weak(self) -> bool:
        return self is Algorithm.RSA_SHA1

    @property
    def section(self) -> str:
        return {
            "rsa-sha1": "RFC 8301 §3.1",
            "rsa-sha256": "RFC 6376 §3.3.2",
            "ed25519-sha256": "RFC 8463 §3",
        }[self.value]


def digest(hash_name: str, data: bytes) -> bytes:
    """The ``sha1`` or ``sha256`` digest of ``data``."""
    return hashlib.new(hash_name, data).digest()


def load_public_key(key_type: str, data: bytes) -> PublicKey:
    """The public key of a key record's ``p=`` (already base64-decoded).

    RSA keys are DER: a SubjectPublicKeyInfo, as everyone publishes, or the bare RSAPublicKey
    that RFC 6376 §3.6.1 literally describes. Raises ``ValueError`` with a sentence.
    """
    if key_type == "ed25519":
        if len(data) != 32:
            raise ValueError(MESSAGES["ed25519_length"].format(length=len(data)))
        return ed25519.Ed25519PublicKey.from_public_bytes(data)
    if key_type == "rsa":
        try:
            key = serialization.load_der_public_key(data)
        except (ValueError, UnsupportedAlgorithm):
            raise ValueError(MESSAGES["not_rsa"]) from None
        if not isinstance(key, rsa.RSAPublicKey):
            raise ValueError(MESSAGES["not_rsa"])
        return key
    raise ValueError(MESSAGES["unknown_key_type"].format(key_type=key_type))


def key_bits(key: PublicKey | PrivateKey) -> int:
    """The key's size in bits (256 for Ed25519)."""
    return key.key_size if isinstance(key, rsa.RSAPublicKey | rsa.RSAPrivateKey) else 256


def key_type(key: PublicKey) -> str:
    """The ``k=`` that publishes ``key``: ``rsa`` or ``ed25519``."""
    return "ed25519" if isinstance(key, ed25519.Ed25519PublicKey) else "rsa"


def check_signature(
    algorithm: Algorithm, key: PublicKey, signature: bytes, header_digest: bytes
) -> bool:
    """Whether ``signature`` is ``algorithm``'s signature of ``header_digest`` under ``key``."""
    try:
        if isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, header_digest)  # RFC 8463 §3: Ed25519 of the digest
        else:
            prehashed = utils.Prehashed(_HASHES[algorithm.hash_name]())
            key.verify(signature, header_digest, padding.PKCS1v15(), prehashed)
    except (InvalidSignature, ValueError):
        return False
    return True


def make_signature(algorithm: Algorithm, key: PrivateKey, header_digest: bytes) -> bytes:
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(header_digest)
    prehashed = utils.Prehashed(_HASHES[algorithm.hash_name]())
    return key.sign(header_digest, padding.PKCS1v15(), prehashed)


def load_private_key(key: object) -> PrivateKey:
    """``key`` as a private key object: one already, or PEM text/bytes without a password."""
    if isinstance(key, str | bytes):
        data = key.encode("ascii", "replace") if isinstance(key, str) else key
        try:
            key = serialization.load_pem_private_key(data, password=None)
        except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
            detail = str(exc).rstrip(".") or type(exc).__name__
            raise InputError(MESSAGES["unreadable_private_key"].format(detail=detail)) from None
    if not isinstance(key, rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey):
        raise InputError(MESSAGES["wrong_private_key"].format(kind=type(key).__name__))
    return key


def algorithm_for(key: PrivateKey) -> Algorithm:
    """The algorithm a signer uses for ``key``: rsa-sha256 or ed25519-sha256 (never rsa-sha1)."""
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return Algorithm.ED25519_SHA256
    if key.key_size < MIN_RSA_BITS:
        raise InputError(
            MESSAGES["small_private_key"].format(bits=key.key_size, minimum=MIN_RSA_BITS)
        )
    return Algorithm.RSA_SHA256


def public_key_bytes(key: PublicKey) -> bytes:
    """What ``p=`` carries (before base64): DER SubjectPublicKeyInfo for RSA, the raw 32 bytes
    for Ed25519 (RFC 8463 §4)."""
    if isinstance(key, ed25519.Ed25519PublicKey):
        return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
