"""CMS by hand: the parts of RFC 5652 that :mod:`cryptography` does not offer (the learning layer).

This package level is the low level under :mod:`mailsec.smime`. It is written to be read: each
function follows one section of a standard, and the structures are parsed and built with
:mod:`asn1crypto` while every cryptographic operation is done by :mod:`cryptography`.

- this module: what both halves share — the ASN.1 structures cryptography lacks, the content
  ciphers and recipient kinds, and reading a ContentInfo without a traceback;
- :mod:`mailsec.smime.signed` — signature verification of CMS SignedData (RFC 5652 §5.4, §5.6);
- :mod:`mailsec.smime.enveloped` — EnvelopedData (RFC 5652 §6) with AES-CBC and
  AuthEnvelopedData (RFC 5083) with AES-GCM (RFC 5084), written and read, for RSA key transport
  (``ktri``, RFC 5652 §6.2.1) and ECDH key agreement (``kari``, RFC 5753 §3.1).
"""

from __future__ import annotations

import contextlib
import enum
import hashlib
from collections.abc import Iterator
from typing import NamedTuple

from asn1crypto import algos, cms, core
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from mailsec.errors import DecryptionError, InputError, MailsecError
from mailsec.i18n import texts

__all__ = [
    "ECDH_SCHEMES",
    "WRAP_SIZES",
    "ContentCipher",
    "EccCmsSharedInfo",
    "GcmParameters",
    "Hollow",
    "KeyTransport",
    "RecipientKind",
    "content_kind",
    "damaged_input",
    "digest_hex",
    "hash_algorithm",
    "load_content_info",
    "load_hollow",
    "names_certificate",
    "rsa_oaep_padding",
]


TEXT = texts(
    {
        "gcm": "AES-{bits} (GCM, authenticated)",
        "cbc": "AES-{bits} (CBC, not authenticated)",
        "unknown_cipher": "The message is encrypted with {name!r}, which mailsec does not read "
        "(it reads AES-128/256 in CBC or GCM mode).",
        "key_transports": {"rsa-pkcs1v15": "RSA PKCS #1 v1.5", "rsa-oaep": "RSA-OAEP (SHA-256)"},
        "recipient_kinds": {
            "ktri": "RSA key transport (KeyTransRecipientInfo)",
            "kari": "ECDH key agreement (KeyAgreeRecipientInfo)",
        },
        "smime_part": "The S/MIME part",
        "damaged": "{what} is not a readable CMS structure: it is truncated or damaged. Ask the "
        "sender to send the message again.",
        "unreadable": "The S/MIME part is not a readable CMS structure ({size:,} bytes): it is "
        "truncated or damaged. Ask the sender to send the message again.",
        "unknown_digest": "The digest algorithm {name!r} is not one mailsec checks (SHA-1/2).",
    }
)
"""The sentences of the CMS layer (see :mod:`mailsec.i18n`); the names of algorithms and ASN.1
structures stay as the standards spell them."""


class GcmParameters(core.Sequence):
    """GCMParameters (RFC 5084 §3.2): the nonce and the tag length (12 unless given)."""

    _fields = [  # noqa: RUF012 - asn1crypto's declaration style
        ("nonce", core.OctetString),
        ("icv_len", core.Integer, {"default": 12}),
    ]


class EccCmsSharedInfo(core.Sequence):
    """ECC-CMS-SharedInfo (RFC 5753 §7.2): the input to the KDF besides the shared secret."""

    _fields = [  # noqa: RUF012
        ("key_info", cms.KeyEncryptionAlgorithm),
        ("entity_u_info", core.OctetString, {"explicit": 0, "optional": True}),
        ("supp_pub_info", core.OctetString, {"explicit": 2}),
    ]


class ContentCipher(enum.Enum):
    """How the message content is encrypted (RFC 8551 §2.7)."""

    AES128_CBC = "aes128-cbc"
    """AES-128 in CBC mode (EnvelopedData): no integrity check; what old clients read."""
    AES256_CBC = "aes256-cbc"
    """AES-256 in CBC mode (EnvelopedData): no integrity check."""
    AES128_GCM = "aes128-gcm"
    """AES-128-GCM (AuthEnvelopedData, RFC 5083/5084): encrypted and authenticated."""
    AES256_GCM = "aes256-gcm"
    """AES-256-GCM (AuthEnvelopedData): the S/MIME 4.0 default here."""

    @property
    def key_size(self) -> int:
        return 16 if self.value.startswith("aes128") else 32

    @property
    def authenticated(self) -> bool:
        """True when the cipher detects any change to the ciphertext (AEAD)."""
        return self.value.endswith("gcm")

    @property
    def oid_name(self) -> str:
        return self.value.replace("-", "_")

    @property
    def description(self) -> str:
        return TEXT["gcm" if self.authenticated else "cbc"].format(bits=self.key_size * 8)

    @classmethod
    def from_oid_name(cls, name: str) -> ContentCipher:
        for member in cls:
            if member.oid_name == name:
                return member
        raise DecryptionError(TEXT["unknown_cipher"].format(name=name))


class KeyTransport(enum.Enum):
    """How an RSA recipient's copy of the content key is encrypted (RFC 5652 §6.2.1)."""

    RSA_PKCS1V15 = "rsa-pkcs1v15"
    """rsaEncryption, PKCS #1 v1.5: what mail programs have always written and read."""
    RSA_OAEP = "rsa-oaep"
    """RSAES-OAEP with SHA-256 (RFC 3560, RFC 8017): what RFC 8551 §2.3 recommends."""

    @property
    def description(self) -> str:
        return str(TEXT["key_transports"][self.value])


class RecipientKind(enum.Enum):
    """How a recipient's copy of the content key is protected (RFC 5652 §6.2)."""

    KEY_TRANSPORT = "ktri"
    """The content key is encrypted with the recipient's RSA public key."""
    KEY_AGREEMENT = "kari"
    """An ECDH shared secret (sender's one-time key + recipient's key) wraps the content key."""

    @property
    def description(self) -> str:
        return str(TEXT["recipient_kinds"][self.value])


# RFC 5753 §7.1.4 and SEC 1: dhSinglePass-{stdDH,cofactorDH}-sha*kdf-scheme.
ECDH_SCHEMES: dict[str, tuple[str, hashes.HashAlgorithm]] = {
    "1.3.133.16.840.63.0.2": ("dhSinglePass-stdDH-sha1kdf-scheme", hashes.SHA1()),
    "1.3.132.1.11.0": ("dhSinglePass-stdDH-sha224kdf-scheme", hashes.SHA224()),
    "1.3.132.1.11.1": ("dhSinglePass-stdDH-sha256kdf-scheme", hashes.SHA256()),
    "1.3.132.1.11.2": ("dhSinglePass-stdDH-sha384kdf-scheme", hashes.SHA384()),
    "1.3.132.1.11.3": ("dhSinglePass-stdDH-sha512kdf-scheme", hashes.SHA512()),
    "1.3.133.16.840.63.0.3": ("dhSinglePass-cofactorDH-sha1kdf-scheme", hashes.SHA1()),
    "1.3.132.1.14.0": ("dhSinglePass-cofactorDH-sha224kdf-scheme", hashes.SHA224()),
    "1.3.132.1.14.1": ("dhSinglePass-cofactorDH-sha256kdf-scheme", hashes.SHA256()),
    "1.3.132.1.14.2": ("dhSinglePass-cofactorDH-sha384kdf-scheme", hashes.SHA384()),
    "1.3.132.1.14.3": ("dhSinglePass-cofactorDH-sha512kdf-scheme", hashes.SHA512()),
}
#: The scheme we write: the SHA-256 KDF, which RFC 5753 §8 pairs with P-256 (ECDH ephemeral-static
#: on P-256 is what RFC 8551 §2.3 requires agents to support).
ECDH_SCHEME_OUT = "1.3.132.1.11.1"
#: The AES key-wrap algorithms (RFC 3394) and the size of the key-encryption key each takes.
WRAP_SIZES = {"aes128_wrap": 16, "aes192_wrap": 24, "aes256_wrap": 32}


# -- parsing -------------------------------------------------------------------------------------


@contextlib.contextmanager
def damaged_input(what: str | None = None) -> Iterator[None]:
    """Turn a parse failure deep inside a CMS structure into one sentence (never a traceback).

    asn1crypto parses lazily, so a damaged or truncated structure can fail at the first access to
    an inner field rather than at load time, and cryptography's lazy certificate fields raise
    several exception types (ValueError, InvalidVersion, UnsupportedAlgorithm ...). Whatever goes
    wrong while reading an untrusted structure means it is damaged; errors mailsec raises on
    purpose pass through. ``what`` names the structure, as a sentence's subject in the current
    language (default: the S/MIME part).
    """
    try:
        yield
    except MailsecError:
        raise
    except Exception:  # asn1crypto and cryptography raise many kinds on malformed DER
        raise InputError(TEXT["damaged"].format(what=what or TEXT["smime_part"])) from None


def load_content_info(der: bytes) -> cms.ContentInfo:
    """Parse a CMS ContentInfo (DER or BER) and fail with a sentence, not a traceback."""
    try:
        info = cms.ContentInfo.load(der)
        _ = info["content_type"].native  # force the parse of the outer layer
        _ = info["content"].parsed if hasattr(info["content"], "parsed") else info["content"]
    except (ValueError, TypeError, OverflowError):
        raise InputError(TEXT["unreadable"].format(size=len(der))) from None
    return info


#: Encrypted contents at least this large are kept out of asn1crypto's parse (see load_hollow).
HOLLOW_FROM = 1 << 16


def _tlv(
    der: bytes | bytearray | memoryview, at: int, end: int
) -> tuple[int, int, int, int] | None:
    """(tag byte, start, start of contents, end) of the DER value at ``at``; None for what this
    short reader does not take (high tag numbers, indefinite or oversized lengths)."""
    if at + 2 > end:
        return None
    tag, first = der[at], der[at + 1]
    if tag & 0x1F == 0x1F or first == 0x80:
        return None
    if first < 0x80:
        start, length = at + 2, first
    else:
        size = first & 0x7F
        if size > 4 or at + 2 + size > end:
            return None
        start, length = at + 2 + size, int.from_bytes(der[at + 2 : at + 2 + size], "big")
    if start + length > end:
        return None
    return tag, at, start, start + length


def _length(n: int) -> bytes:
    """A DER length (X.690 §8.1.3)."""
    if n < 0x80:
        return bytes([n])
    size = (n.bit_length() + 7) // 8
    return bytes([0x80 | size]) + n.to_bytes(size, "big")


def _eci_path(der: bytes | bytearray | memoryview) -> list[tuple[int, int, int, int]] | None:
    """The values from the ContentInfo down to ``encryptedContent``, or None."""
    outer = _tlv(der, 0, len(der))  # ContentInfo SEQUENCE
    if outer is None or outer[0] != 0x30:
        return None
    oid = _tlv(der, outer[2], outer[3])
    explicit = None if oid is None or oid[0] != 0x06 else _tlv(der, oid[3], outer[3])
    if explicit is None or explicit[0] != 0xA0:  # [0] EXPLICIT content
        return None
    body = _tlv(der, explicit[2], explicit[3])  # EnvelopedData / AuthEnvelopedData
    if body is None or body[0] != 0x30:
        return None
    version = _tlv(der, body[2], body[3])
    field = None if version is None or version[0] != 0x02 else _tlv(der, version[3], body[3])
    if field is not None and field[0] == 0xA0:  # originatorInfo [0], optional
        field = _tlv(der, field[3], body[3])
    if field is None or field[0] != 0x31:  # recipientInfos SET
        return None
    eci = _tlv(der, field[3], body[3])  # EncryptedContentInfo SEQUENCE
    if eci is None or eci[0] != 0x30:
        return None
    ctype = _tlv(der, eci[2], eci[3])
    algorithm = None if ctype is None or ctype[0] != 0x06 else _tlv(der, ctype[3], eci[3])
    content = None if algorithm is None or algorithm[0] != 0x30 else _tlv(der, algorithm[3], eci[3])
    if content is None or content[0] != 0x80:  # [0] IMPLICIT OCTET STRING, primitive
        return None
    return [outer, explicit, body, eci, content]


class Hollow(NamedTuple):
    """An encrypted ContentInfo parsed without its encrypted content (see :func:`load_hollow`)."""

    info: cms.ContentInfo
    ciphertext: memoryview
    """The encrypted content: a view into the DER it was read from."""
    offset: int
    """Where the encrypted content starts in that DER."""


def load_hollow(der: bytes | bytearray | memoryview) -> Hollow | None:
    """An encrypted ContentInfo parsed without its large encrypted content, and that content.

    asn1crypto copies the contents of every level it parses, so a 10 MB ciphertext four levels
    deep would be held five times over. Here the DER is read by hand down to
    EncryptedContentInfo's ``[0] encryptedContent`` (RFC 5652 §6.1, RFC 5083 §2.1); the
    structure is parsed with that field empty (the lengths around it shortened) and the
    ciphertext is returned as a view into ``der``. None, and the caller parses ``der`` whole as
    before, for anything else: a small or absent ciphertext, BER indefinite lengths, a
    constructed octet string, another layout, or a structure asn1crypto refuses.
    """
    path = _eci_path(der)
    if path is None or path[-1][3] - path[-1][2] < HOLLOW_FROM:
        return None
    *ancestors, content = path
    # Bottom up: each ancestor's new contents length, as its child's header may shrink too.
    child_old, child_new = content[3] - content[1], 2  # the field becomes 80 00
    lengths = []
    for _tag, start, contents, stop in reversed(ancestors):
        new = stop - contents - child_old + child_new
        lengths.append(new)
        child_old, child_new = stop - start, 1 + len(_length(new)) + new
    lengths.reverse()
    pieces: list[bytes] = []
    for (tag, _start, contents, _stop), new, child in zip(
        ancestors, lengths, path[1:], strict=True
    ):
        pieces += [bytes([tag]), _length(new), bytes(der[contents : child[1]])]
    pieces += [b"\x80\x00", bytes(der[content[3] :])]
    try:
        info = load_content_info(b"".join(pieces))
    except InputError:
        return None
    return Hollow(info, memoryview(der)[content[2] : content[3]], content[2])


def content_kind(info: cms.ContentInfo) -> str:
    """``signed_data``, ``enveloped_data``, ``authenticated_enveloped_data`` or another name."""
    return str(info["content_type"].native)


def rsa_oaep_padding(params: algos.RSAESOAEPParams) -> padding.OAEP:
    """The OAEP padding an RSAES-OAEP-params structure names (RFC 3560 §3).

    Absent parameters mean the defaults: SHA-1 for the hash and for MGF1 (RFC 8017 §A.2.1).
    """
    if params is None or params.native is None:
        params = algos.RSAESOAEPParams({})
    hash_name = params["hash_algorithm"]["algorithm"].native
    mgf_hash = params["mask_gen_algorithm"]["parameters"]["algorithm"].native
    return padding.OAEP(
        mgf=padding.MGF1(hash_algorithm(mgf_hash)), algorithm=hash_algorithm(hash_name), label=None
    )


def hash_algorithm(name: str) -> hashes.HashAlgorithm:
    """The hash an asn1crypto name (``sha256`` ...) stands for."""
    table: dict[str, hashes.HashAlgorithm] = {
        "sha1": hashes.SHA1(),
        "sha224": hashes.SHA224(),
        "sha256": hashes.SHA256(),
        "sha384": hashes.SHA384(),
        "sha512": hashes.SHA512(),
    }
    if name not in table:
        raise InputError(TEXT["unknown_digest"].format(name=name))
    return table[name]


def names_certificate(
    rid: cms.IssuerAndSerialNumber | core.Asn1Value, cert: x509.Certificate
) -> bool:
    """Does a recipient or signer identifier name this certificate? (RFC 5652 §6.2, §5.3)"""
    if isinstance(rid, cms.IssuerAndSerialNumber):
        issuer = asn1_x509.Name.load(cert.issuer.public_bytes())
        return rid["serial_number"].native == cert.serial_number and rid["issuer"] == issuer
    try:
        ski = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    except x509.ExtensionNotFound:
        return False
    value = rid.native
    if isinstance(value, dict):  # RecipientKeyIdentifier
        value = value.get("subject_key_identifier")
    return bool(value == ski)


def digest_hex(data: bytes) -> str:
    """SHA-256 of ``data`` in hex (for showing what a signature covers)."""
    return hashlib.sha256(data).hexdigest()
