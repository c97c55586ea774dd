"""The numbers OpenPGP puts on the wire, as enums with a readable name each.

Every number comes from RFC 4880 §9 (algorithms) and §4.3 (packet tags), with the elliptic-curve
additions of RFC 6637 and the EdDSA conventions GnuPG uses for version 4 keys (RFC 9580 §9.1 lists
them as "EdDSALegacy").
"""

from __future__ import annotations

import enum

__all__ = [
    "CURVE_OIDS",
    "CompressionAlgorithm",
    "Curve",
    "HashAlgorithm",
    "KeyFlags",
    "PacketTag",
    "PublicKeyAlgorithm",
    "SignatureType",
    "SymmetricAlgorithm",
]


class _Named(enum.IntEnum):
    """An OpenPGP number that knows its name in the RFC's words."""

    @property
    def title(self) -> str:
        return _TITLES.get((type(self).__name__, int(self)), self.name.replace("_", " ").title())


class PacketTag(_Named):
    """Packet tags (RFC 4880 §4.3)."""

    PKESK = 1
    SIGNATURE = 2
    SKESK = 3
    ONE_PASS_SIGNATURE = 4
    SECRET_KEY = 5
    PUBLIC_KEY = 6
    SECRET_SUBKEY = 7
    COMPRESSED_DATA = 8
    SED = 9
    MARKER = 10
    LITERAL_DATA = 11
    TRUST = 12
    USER_ID = 13
    PUBLIC_SUBKEY = 14
    USER_ATTRIBUTE = 17
    SEIPD = 18
    MDC = 19
    AEAD_ENCRYPTED = 20
    PADDING = 21


class PublicKeyAlgorithm(_Named):
    """Public-key algorithms (RFC 4880 §9.1, RFC 6637 §5, RFC 9580 §9.1)."""

    RSA = 1
    RSA_ENCRYPT_ONLY = 2
    RSA_SIGN_ONLY = 3
    ELGAMAL = 16
    DSA = 17
    ECDH = 18
    ECDSA = 19
    EDDSA_LEGACY = 22
    X25519 = 25
    X448 = 26
    ED25519 = 27
    ED448 = 28


class SymmetricAlgorithm(_Named):
    """Symmetric ciphers (RFC 4880 §9.2)."""

    PLAINTEXT = 0
    IDEA = 1
    TRIPLEDES = 2
    CAST5 = 3
    BLOWFISH = 4
    AES128 = 7
    AES192 = 8
    AES256 = 9
    TWOFISH = 10

    @property
    def key_size(self) -> int:
        """Key length in bytes, for the ciphers mailsec can use."""
        return {7: 16, 8: 24, 9: 32}[int(self)]


class CompressionAlgorithm(_Named):
    """Compression algorithms (RFC 4880 §9.3)."""

    UNCOMPRESSED = 0
    ZIP = 1
    ZLIB = 2
    BZIP2 = 3


class HashAlgorithm(_Named):
    """Hash algorithms (RFC 4880 §9.4)."""

    MD5 = 1
    SHA1 = 2
    RIPEMD160 = 3
    SHA256 = 8
    SHA384 = 9
    SHA512 = 10
    SHA224 = 11


class SignatureType(_Named):
    """What a signature says about what it signs (RFC 4880 §5.2.1)."""

    BINARY = 0x00
    TEXT = 0x01
    STANDALONE = 0x02
    GENERIC_CERTIFICATION = 0x10
    PERSONA_CERTIFICATION = 0x11
    CASUAL_CERTIFICATION = 0x12
    POSITIVE_CERTIFICATION = 0x13
    SUBKEY_BINDING = 0x18
    PRIMARY_KEY_BINDING = 0x19
    DIRECT_KEY = 0x1F
    KEY_REVOCATION = 0x20
    SUBKEY_REVOCATION = 0x28
    CERTIFICATION_REVOCATION = 0x30
    TIMESTAMP = 0x40
    THIRD_PARTY_CONFIRMATION = 0x50


class KeyFlags(enum.IntFlag):
    """What a key may be used for (RFC 4880 §5.2.3.21)."""

    CERTIFY = 0x01
    SIGN = 0x02
    ENCRYPT_COMMUNICATIONS = 0x04
    ENCRYPT_STORAGE = 0x08
    SPLIT = 0x10
    AUTHENTICATE = 0x20
    SHARED = 0x80


class Curve(enum.Enum):
    """The elliptic curves mailsec reads, with their OID as OpenPGP writes it (RFC 6637 §11)."""

    ED25519 = "Ed25519"
    CURVE25519 = "Curve25519"
    NIST_P256 = "NIST P-256"
    NIST_P384 = "NIST P-384"
    NIST_P521 = "NIST P-521"


#: The curve OIDs, DER contents without tag and length (RFC 6637 §11; RFC 9580 §9.2).
CURVE_OIDS: dict[Curve, bytes] = {
    Curve.ED25519: bytes.fromhex("2b06010401da470f01"),  # 1.3.6.1.4.1.11591.15.1
    Curve.CURVE25519: bytes.fromhex("2b060104019755010501"),  # 1.3.6.1.4.1.3029.1.5.1
    Curve.NIST_P256: bytes.fromhex("2a8648ce3d030107"),  # 1.2.840.10045.3.1.7
    Curve.NIST_P384: bytes.fromhex("2b81040022"),  # 1.3.132.0.34
    Curve.NIST_P521: bytes.fromhex("2b81040023"),  # 1.3.132.0.35
}

_TITLES: dict[tuple[str, int], str] = {
    ("PacketTag", 1): "Public-Key Encrypted Session Key Packet",
    ("PacketTag", 2): "Signature Packet",
    ("PacketTag", 3): "Symmetric-Key Encrypted Session Key Packet",
    ("PacketTag", 4): "One-Pass Signature Packet",
    ("PacketTag", 5): "Secret-Key Packet",
    ("PacketTag", 6): "Public-Key Packet",
    ("PacketTag", 7): "Secret-Subkey Packet",
    ("PacketTag", 8): "Compressed Data Packet",
    ("PacketTag", 9): "Symmetrically Encrypted Data Packet",
    ("PacketTag", 10): "Marker Packet",
    ("PacketTag", 11): "Literal Data Packet",
    ("PacketTag", 12): "Trust Packet",
    ("PacketTag", 13): "User ID Packet",
    ("PacketTag", 14): "Public-Subkey Packet",
    ("PacketTag", 17): "User Attribute Packet",
    ("PacketTag", 18): "Sym. Encrypted Integrity Protected Data Packet",
    ("PacketTag", 19): "Modification Detection Code Packet",
    ("PacketTag", 20): "AEAD Encrypted Data Packet",
    ("PacketTag", 21): "Padding Packet",
    ("PublicKeyAlgorithm", 1): "RSA",
    ("PublicKeyAlgorithm", 2): "RSA (encrypt only)",
    ("PublicKeyAlgorithm", 3): "RSA (sign only)",
    ("PublicKeyAlgorithm", 16): "Elgamal",
    ("PublicKeyAlgorithm", 17): "DSA",
    ("PublicKeyAlgorithm", 18): "ECDH",
    ("PublicKeyAlgorithm", 19): "ECDSA",
    ("PublicKeyAlgorithm", 22): "EdDSA",
    ("PublicKeyAlgorithm", 25): "X25519",
    ("PublicKeyAlgorithm", 26): "X448",
    ("PublicKeyAlgorithm", 27): "Ed25519",
    ("PublicKeyAlgorithm", 28): "Ed448",
    ("SymmetricAlgorithm", 2): "TripleDES",
    ("SymmetricAlgorithm", 7): "AES-128",
    ("SymmetricAlgorithm", 8): "AES-192",
    ("SymmetricAlgorithm", 9): "AES-256",
    ("HashAlgorithm", 1): "MD5",
    ("HashAlgorithm", 2): "SHA-1",
    ("HashAlgorithm", 3): "RIPEMD-160",
    ("HashAlgorithm", 8): "SHA-256",
    ("HashAlgorithm", 9): "SHA-384",
    ("HashAlgorithm", 10): "SHA-512",
    ("HashAlgorithm", 11): "SHA-224",
    ("CompressionAlgorithm", 0): "uncompressed",
    ("CompressionAlgorithm", 1): "ZIP",
    ("CompressionAlgorithm", 2): "ZLIB",
    ("CompressionAlgorithm", 3): "BZip2",
}
